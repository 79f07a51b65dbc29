package deploywindow

import (
	"strings"

	// The binary carries the time zone database: the container image
	// may have none, and a window must not silently fall back to UTC.
	_ "time/tzdata"
)

// windowsZones maps the Windows time zone names Outlook and Exchange write
// as TZID to IANA zones, for the common ones (CLDR windowsZones.xml,
// territory 001). Any other name is an unknown zone: an error.
var windowsZones = map[string]string{
	"UTC":                            "UTC",
	"GMT Standard Time":              "Europe/London",
	"W. Europe Standard Time":        "Europe/Berlin",
	"Romance Standard Time":          "Europe/Paris",
	"Central Europe Standard Time":   "Europe/Budapest",
	"Central European Standard Time": "Europe/Warsaw",
	"FLE Standard Time":              "Europe/Kiev",
	"GTB Standard Time":              "Europe/Bucharest",
	"Russian Standard Time":          "Europe/Moscow",
	"Eastern Standard Time":          "America/New_York",
	"Central Standard Time":          "America/Chicago",
	"Mountain Standard Time":         "America/Denver",
	"Pacific Standard Time":          "America/Los_Angeles",
	"India Standard Time":            "Asia/Calcutta",
	"China Standard Time":            "Asia/Shanghai",
	"Tokyo Standard Time":            "Asia/Tokyo",
	"Singapore Standard Time":        "Asia/Singapore",
	"AUS Eastern Standard Time":      "Australia/Sydney",
}

// ianaZone is the IANA name for a TZID: itself, without the leading "/"
// of a globally unique TZID, or the IANA zone of a Windows name.
func ianaZone(tzid string) string {
	tzid = strings.TrimSpace(strings.Trim(tzid, `"`))
	if z, ok := windowsZones[tzid]; ok {
		return z
	}
	return strings.TrimPrefix(tzid, "/")
}
