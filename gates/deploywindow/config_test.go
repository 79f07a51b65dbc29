package deploywindow

import (
	"testing"

	"github.com/release-gate/release-gate/internal/configtest"
)

// Every mistake is reported at its line with what to write. The body
// starts at line 4, column 5 of the file.
func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name, body, pos string
		wants           []string
	}{
		{"nothing configured", "zone: UTC\n", "release-gate.yml:3:3", []string{"configure windows"}},
		{"unknown gate zone", "zone: Europe/Berln\nwindows: [\"mon 09:00-10:00\"]\n", "release-gate.yml:4:11", []string{`unknown time zone "Europe/Berln"`, "Europe/Berlin"}},
		{"Local zone", "zone: Local\nwindows: [\"mon 09:00-10:00\"]\n", "release-gate.yml:4:11", []string{`"Local" is the zone of the machine the gate runs on`, "IANA time zone"}},
		{"unknown window zone", "windows:\n  - mon-thu 09:00-16:00 Europe/Berlin\n  - fri 09:00-12:00 Europe/Berln\n", "release-gate.yml:6:9", []string{"windows[1]", `unknown time zone "Europe/Berln"`}},
		{"window without zone", "windows: [\"mon-thu 09:00-16:00\"]\n", "release-gate.yml:4:15", []string{"names no time zone", "set zone for the gate"}},
		{"bad day", "windows: [\"mon-frj 09:00-16:00 UTC\"]\n", "release-gate.yml:4:15", []string{`"frj" is not a day`}},
		{"bad hour", "windows: [\"mon 9:00-16:00 UTC\"]\n", "release-gate.yml:4:15", []string{`"9:00" is not a time of day`}},
		{"24:00 start", "windows: [\"mon 24:00-16:00 UTC\"]\n", "release-gate.yml:4:15", []string{"is not a time of day"}},
		{"empty window", "windows: [\"mon 09:00-09:00 UTC\"]\n", "release-gate.yml:4:15", []string{"00:00-24:00"}},
		{"freeze without zone", "freezes:\n  - 2026-12-20 .. 2027-01-04: year-end freeze\n", "release-gate.yml:5:9", []string{"names no time zone"}},
		{"freeze ends before it starts", "zone: UTC\nfreezes:\n  - 2027-01-04 .. 2026-12-20: backwards\n", "release-gate.yml:6:9", []string{"ends before it starts"}},
		{"freeze bad date", "zone: UTC\nfreezes:\n  - 2026-13-01: nope\n", "release-gate.yml:6:9", []string{"want dates such as"}},
		{"freeze unknown key", "zone: UTC\nfreezes:\n  - dates: 2026-12-24\n    why: x\n", "release-gate.yml:7:9", []string{`unknown key "why"`}},
		{"freeze unknown zone", "freezes:\n  - dates: 2026-12-24\n    zone: Mars/Olympus\n", "release-gate.yml:5:9", []string{`unknown time zone "Mars/Olympus"`}},
		{"override without a way", "zone: UTC\nfreezes: [\"2026-12-24\"]\noverride:\n  actors: [alice]\n", "release-gate.yml:7:7", []string{"say how to override"}},
		{"override bad env", "zone: UTC\nfreezes: [\"2026-12-24\"]\noverride:\n  env: not a name\n", "release-gate.yml:7:12", []string{"name of an environment variable"}},
		{"plain HTTP calendar", "calendar: http://calendar.example.com/freezes.ics\n", "release-gate.yml:4:15", []string{"plain HTTP", "use https://"}},
		{"calendar outside", "calendar: ../freezes.ics\n", "release-gate.yml:4:15", []string{"outside the repository"}},
		{"calendar absolute", "calendar: /etc/freezes.ics\n", "release-gate.yml:4:15", []string{"absolute"}},
		{"both calendars", "calendar: a.ics\ncalendar-url-env: CAL_URL\n", "release-gate.yml:5:23", []string{"not both"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseGate(t, c.body)
			configtest.WantError(t, err, c.pos, c.wants...)
		})
	}
}

// Every mistake at once, each at its own line.
func TestConfigReportsEveryMistake(t *testing.T) {
	_, err := parseGate(t, "zone: Nowhere/City\nwindows:\n  - mon 09:00-16:00 Europe/Berln\n  - xyz 09:00-16:00 UTC\ncalendar: http://x/y.ics\n")
	configtest.WantError(t, err, "release-gate.yml:4:11", "Nowhere/City", "release-gate.yml:6:9", "release-gate.yml:7:9", "release-gate.yml:8:15")
}
