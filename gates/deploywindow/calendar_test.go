package deploywindow

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/gatetest"
)

// crlf writes a calendar as exporters do: CRLF line ends.
func crlf(s string) string {
	return strings.ReplaceAll(strings.TrimLeft(s, "\n"), "\n", "\r\n")
}

// googleCalendar has the shape Google Calendar exports (Settings, Export,
// or the iCal address): X-WR-TIMEZONE, a VTIMEZONE with yearly RRULEs,
// all-day events as VALUE=DATE with an exclusive DTEND, a weekly event
// with an EXDATE, a moved occurrence (RECURRENCE-ID, same UID), a
// cancelled event and folded lines.
var googleCalendar = crlf(`
BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-WR-CALNAME:Release freezes
X-WR-TIMEZONE:Europe/Berlin
BEGIN:VTIMEZONE
TZID:Europe/Berlin
X-LIC-LOCATION:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
DTSTART;VALUE=DATE:20261224
DTEND;VALUE=DATE:20261227
DTSTAMP:20261101T100000Z
UID:0a1b2c3d4e5f@google.com
CREATED:20261101T095900Z
DESCRIPTION:No production deploys over the holidays. Ask the on-call lead i
 f something must ship.
LAST-MODIFIED:20261101T095900Z
LOCATION:
SEQUENCE:0
STATUS:CONFIRMED
SUMMARY:Christmas freeze
TRANSP:TRANSPARENT
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20261002T140000
DTEND;TZID=Europe/Berlin:20261003T000000
RRULE:FREQ=WEEKLY;BYDAY=FR
EXDATE;TZID=Europe/Berlin:20261127T140000
DTSTAMP:20261101T100000Z
UID:6f7e8d9c0b1a@google.com
CREATED:20260901T080000Z
LAST-MODIFIED:20261120T080000Z
SEQUENCE:2
STATUS:CONFIRMED
SUMMARY:Friday afternoon freeze
TRANSP:OPAQUE
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20261203T140000
DTEND;TZID=Europe/Berlin:20261204T000000
DTSTAMP:20261101T100000Z
UID:6f7e8d9c0b1a@google.com
RECURRENCE-ID;TZID=Europe/Berlin:20261204T140000
SEQUENCE:3
STATUS:CONFIRMED
SUMMARY:Friday afternoon freeze (moved to Thursday)
END:VEVENT
BEGIN:VEVENT
DTSTART:20261210T090000Z
DTEND:20261210T170000Z
DTSTAMP:20261101T100000Z
UID:cancelled1@google.com
STATUS:CANCELLED
SUMMARY:Cancelled freeze
END:VEVENT
END:VCALENDAR
`)

// outlookCalendar has the shape Outlook and Exchange publish: Windows zone
// names as TZID with a VTIMEZONE starting in 1601, LANGUAGE parameters,
// X-MICROSOFT-CDO properties, a monthly rule with UNTIL, and an all-day
// event without X-WR-TIMEZONE.
var outlookCalendar = crlf(`
BEGIN:VCALENDAR
METHOD:PUBLISH
PRODID:Microsoft Exchange Server 2010
VERSION:2.0
X-WR-CALNAME:Change freezes
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
DESCRIPTION:\n
RRULE:FREQ=MONTHLY;UNTIL=20271231T230000Z;INTERVAL=1;BYDAY=1MO
UID:040000008200E00074C5B7101A82E00800000000A0B1C2D3E4F5A601000000000000000
 0100000001234567890ABCDEF
SUMMARY;LANGUAGE=en-US:Patch Monday
DTSTART;TZID=W. Europe Standard Time:20260105T080000
DTEND;TZID=W. Europe Standard Time:20260105T120000
CLASS:PUBLIC
PRIORITY:5
DTSTAMP:20260901T120000Z
TRANSP:OPAQUE
STATUS:CONFIRMED
SEQUENCE:0
LOCATION;LANGUAGE=en-US:
X-MICROSOFT-CDO-APPT-SEQUENCE:0
X-MICROSOFT-CDO-BUSYSTATUS:BUSY
X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY
X-MICROSOFT-CDO-ALLDAYEVENT:FALSE
X-MICROSOFT-CDO-IMPORTANCE:1
X-MICROSOFT-CDO-INSTTYPE:1
END:VEVENT
BEGIN:VEVENT
DESCRIPTION:\n
UID:040000008200E00074C5B7101A82E00800000000FFEEDDCCBBAA0001
SUMMARY;LANGUAGE=en-US:Inventory day
DTSTART;VALUE=DATE:20261215
DTEND;VALUE=DATE:20261216
CLASS:PUBLIC
DTSTAMP:20260901T120000Z
TRANSP:TRANSPARENT
STATUS:CONFIRMED
X-MICROSOFT-CDO-ALLDAYEVENT:TRUE
END:VEVENT
END:VCALENDAR
`)

// runCalendar runs the gate with body on a workspace holding the calendar
// at .github/freezes.ics.
func runCalendar(t *testing.T, body, calendar, now string) gates.Result {
	t.Helper()
	ws := t.TempDir()
	writeFile(t, ws, ".github/freezes.ics", []byte(calendar))
	return gatetest.Run(t, mustGate(t, body), testEnv(ws, at(t, now), nil))
}

func TestGoogleCalendar(t *testing.T) {
	body := "calendar: .github/freezes.ics\n"
	for _, c := range []struct {
		name, now string
		frozen    string // the reason, or "" for open
	}{
		{"all-day first minute", "2026-12-23T23:00:00Z", "Christmas freeze"},
		{"all-day last minute", "2026-12-26T22:59:00Z", "Christmas freeze"},
		{"all-day DTEND is exclusive", "2026-12-26T23:00:00Z", ""},
		{"all-day the minute before", "2026-12-23T22:59:00Z", ""},
		{"weekly, first occurrence in CEST", "2026-10-02T12:00:00Z", "Friday afternoon freeze"},
		{"weekly, first occurrence a minute early", "2026-10-02T11:59:00Z", ""},
		{"weekly, after fall back 14:00 CET", "2026-10-30T13:00:00Z", "Friday afternoon freeze"},
		{"weekly, after fall back 13:30 CET", "2026-10-30T12:30:00Z", ""},
		{"weekly, late Friday", "2026-11-20T22:59:00Z", "Friday afternoon freeze"},
		{"weekly, EXDATE", "2026-11-27T13:00:00Z", ""},
		{"moved occurrence, original day", "2026-12-04T13:00:00Z", ""},
		{"moved occurrence, new day", "2026-12-03T13:00:00Z", "moved to Thursday"},
		{"weekly after the moved one", "2026-12-11T13:00:00Z", "Friday afternoon freeze"},
		{"cancelled event", "2026-12-10T12:00:00Z", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runCalendar(t, body, googleCalendar, c.now)
			if c.frozen == "" {
				gatetest.Want(t, r, gates.StatusPass, nil, "no freeze now")
				return
			}
			gatetest.Want(t, r, gates.StatusFail, []string{RuleFrozen}, c.frozen, "an event of calendar .github/freezes.ics", "deploys reopen")
			if r.Findings[0].Pos.File != ".github/freezes.ics" {
				t.Errorf("finding at %q; want the calendar file", r.Findings[0].Pos)
			}
		})
	}
}

// The summary says when deploys reopen, in the freeze's zone and UTC.
func TestCalendarReopening(t *testing.T) {
	r := runCalendar(t, "calendar: .github/freezes.ics\n", googleCalendar, "2026-11-20T13:00:00Z")
	gatetest.Want(t, r, gates.StatusFail, []string{RuleFrozen}, "summary: deploys are closed; deploys reopen Sat 2026-11-21 00:00 CET (Fri 23:00 UTC)")
	// With windows, the next window after the freeze: the Friday freeze
	// runs to midnight, the weekend has no window.
	r = runCalendar(t, "windows: [\"mon-fri 09:00-18:00 Europe/Berlin\"]\ncalendar: .github/freezes.ics\n", googleCalendar, "2026-11-20T13:00:00Z")
	gatetest.Want(t, r, gates.StatusFail, []string{RuleFrozen}, "the next window opens Mon 2026-11-23 09:00 CET (08:00 UTC)")
}

func TestOutlookCalendar(t *testing.T) {
	body := "zone: Europe/Berlin\ncalendar: .github/freezes.ics\n"
	for _, c := range []struct {
		name, now string
		frozen    string
	}{
		// The first Monday of December 2026 is the 7th: 08:00-12:00 CET.
		{"monthly rule, Windows zone, winter", "2026-12-07T07:00:00Z", "Patch Monday"},
		{"monthly rule, Windows zone, before", "2026-12-07T06:59:00Z", ""},
		{"monthly rule, Windows zone, after", "2026-12-07T11:00:00Z", ""},
		// The first Monday of June 2026 is the 1st: 08:00 CEST is 06:00 UTC.
		{"monthly rule, Windows zone, summer", "2026-06-01T06:00:00Z", "Patch Monday"},
		{"monthly rule, not a first Monday", "2026-12-14T07:00:00Z", ""},
		{"all-day event in the gate's zone", "2026-12-14T23:00:00Z", "Inventory day"},
		{"all-day event ends at midnight", "2026-12-15T23:00:00Z", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runCalendar(t, body, outlookCalendar, c.now)
			if c.frozen == "" {
				gatetest.Want(t, r, gates.StatusPass, nil)
				return
			}
			gatetest.Want(t, r, gates.StatusFail, []string{RuleFrozen}, c.frozen)
		})
	}
}

// A calendar the gate cannot read exactly is an error, never an empty
// calendar (a pass).
func TestBadCalendarsAreErrors(t *testing.T) {
	body := "calendar: .github/freezes.ics\n"
	const now = "2026-11-27T12:00:00Z"
	for _, c := range []struct{ name, cal, want string }{
		{"empty", "", "is empty"},
		{"HTML from a login page", "<!doctype html><html><body>Sign in</body></html>", "is not an iCalendar file"},
		{"truncated", strings.SplitAfter(googleCalendar, "SUMMARY:Christmas freeze\r\n")[0], "is not an iCalendar file"},
		{"no DTSTART", crlf("\nBEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:1\nSUMMARY:freeze\nEND:VEVENT\nEND:VCALENDAR\n"), "has no DTSTART"},
		{"unknown TZID", strings.ReplaceAll(outlookCalendar, "W. Europe Standard Time", "Mars Standard Time"), `unknown time zone TZID="Mars Standard Time"`},
		{"bad date", strings.Replace(googleCalendar, "DTSTART;VALUE=DATE:20261224", "DTSTART;VALUE=DATE:2026-12-24", 1), "is not an iCalendar date"},
		{"bad RRULE", strings.Replace(googleCalendar, "RRULE:FREQ=WEEKLY;BYDAY=FR", "RRULE:FREQ=FORTNIGHTLY", 1), "RRULE"},
		{"runaway RRULE", crlf("\nBEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:1\nDTSTART:20000101T000000Z\nDTEND:20000101T000001Z\nRRULE:FREQ=MINUTELY\nSUMMARY:noise\nEND:VEVENT\nEND:VCALENDAR\n"), "repeats more than 100000 times"},
		{"many runaway RRULEs", crlf("\nBEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\n" + strings.Repeat("BEGIN:VEVENT\nUID:1\nDTSTART:20000101T000000Z\nDTEND:20000101T000001Z\nRRULE:FREQ=MINUTELY;COUNT=99999\nSUMMARY:noise\nEND:VEVENT\n", 12) + "END:VCALENDAR\n"), "repeat more than 1000000 times in all"},
		{"ends before it starts", crlf("\nBEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:1\nDTSTART:20261201T000000Z\nDTEND:20261101T000000Z\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n"), "ends before it starts"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runCalendar(t, body, c.cal, now)
			gatetest.Want(t, r, gates.StatusError, nil, c.want)
		})
	}
}

// The repository controls the calendar file: a link out of it, a huge
// file or a FIFO is an error, and nothing outside is quoted.
func TestHostileCalendarFiles(t *testing.T) {
	body := "calendar: .github/freezes.ics\n"
	now := at(t, "2026-11-27T12:00:00Z")
	outside := filepath.Join(t.TempDir(), "secret.ics")
	if err := os.WriteFile(outside, []byte("BEGIN:VCALENDAR\r\nX-SECRET:do-not-show\r\nEND:VCALENDAR\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		setup func(ws string)
		want  string
	}{
		{"link out", func(ws string) {
			_ = os.MkdirAll(filepath.Join(ws, ".github"), 0o755)
			if err := os.Symlink(outside, filepath.Join(ws, ".github", "freezes.ics")); err != nil {
				t.Fatal(err)
			}
		}, "leads out of the workspace"},
		{"huge", func(ws string) {
			writeFile(t, ws, ".github/freezes.ics", []byte(googleCalendar+strings.Repeat("X", maxCalendarBytes)))
		}, "is too large"},
		{"FIFO", func(ws string) {
			_ = os.MkdirAll(filepath.Join(ws, ".github"), 0o755)
			if err := syscall.Mkfifo(filepath.Join(ws, ".github", "freezes.ics"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "is not a regular file"},
		{"missing", func(string) {}, "no such file"},
		{"directory", func(ws string) { _ = os.MkdirAll(filepath.Join(ws, ".github", "freezes.ics"), 0o755) }, "is not a regular file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ws := t.TempDir()
			c.setup(ws)
			r := gatetest.Run(t, mustGate(t, body), testEnv(ws, now, nil))
			gatetest.Want(t, r, gates.StatusError, nil, c.want)
			gatetest.WantNot(t, r, "do-not-show", outside)
		})
	}
}
