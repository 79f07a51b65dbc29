package deploywindow

import (
	"testing"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/gatetest"
)

// Each case is one instant against one configuration: whether deploys are
// open then, and what the result must say.
func TestWindowsAcrossZonesAndDST(t *testing.T) {
	const berlin = "windows: [\"mon-thu 09:00-16:00 Europe/Berlin\"]"
	const nightly = "windows: [\"sat 22:00-04:00 Europe/Berlin\"]"
	const ny = "windows: [\"mon-fri 09:00-17:00 America/New_York\"]"
	const utc = "windows: [\"mon-fri 09:00-17:00 UTC\"]"
	const sunday = "windows: [\"sun 09:00-16:00 Europe/Berlin\"]"
	for _, c := range []struct {
		name, body, now string
		open            bool
		wants           []string
	}{
		// Winter: Berlin is UTC+1.
		{"winter open at 09:00 CET", berlin, "2026-11-26T08:00:00Z", true, []string{"until Thu 2026-11-26 16:00 CET (15:00 UTC)"}},
		{"winter closed at 08:59 CET", berlin, "2026-11-26T07:59:00Z", false, []string{"Thu 2026-11-26 08:59 CET (07:59 UTC) is outside", "the next window opens Thu 2026-11-26 09:00 CET (08:00 UTC)"}},
		{"winter closed at 16:00 CET", berlin, "2026-11-26T15:00:00Z", false, []string{"the next window opens Mon 2026-11-30 09:00 CET (08:00 UTC)"}},
		{"friday closed, Monday next", berlin, "2026-11-27T16:00:00Z", false, []string{"Fri 2026-11-27 17:00 CET", "Mon 2026-11-30 09:00 CET (08:00 UTC)"}},
		// Spring forward (Sunday 2026-03-29, 02:00 CET -> 03:00 CEST).
		{"before spring forward 08:00 UTC is 09:00 CET", berlin, "2026-03-23T08:00:00Z", true, nil},
		{"before spring forward 07:00 UTC is 08:00 CET", berlin, "2026-03-23T07:00:00Z", false, nil},
		{"after spring forward 07:00 UTC is 09:00 CEST", berlin, "2026-03-30T07:00:00Z", true, []string{"until Mon 2026-03-30 16:00 CEST (14:00 UTC)"}},
		{"after spring forward 06:59 UTC is 08:59 CEST", berlin, "2026-03-30T06:59:00Z", false, nil},
		{"next window over spring forward", berlin, "2026-03-28T12:00:00Z", false, []string{"Mon 2026-03-30 09:00 CEST (07:00 UTC)"}},
		{"on the spring-forward day itself", sunday, "2026-03-29T07:00:00Z", true, []string{"until Sun 2026-03-29 16:00 CEST (14:00 UTC)"}},
		{"a week before, 07:00 UTC is 08:00 CET", sunday, "2026-03-22T07:00:00Z", false, nil},
		// Fall back (Sunday 2026-10-25, 03:00 CEST -> 02:00 CET).
		{"before fall back 07:00 UTC is 09:00 CEST", berlin, "2026-10-22T07:00:00Z", true, nil},
		{"after fall back 07:00 UTC is 08:00 CET", berlin, "2026-10-26T07:00:00Z", false, []string{"Mon 2026-10-26 09:00 CET (08:00 UTC)"}},
		{"after fall back 08:00 UTC is 09:00 CET", berlin, "2026-10-26T08:00:00Z", true, nil},
		{"on the fall-back day", sunday, "2026-10-25T14:59:00Z", true, nil},
		{"on the fall-back day after 16:00 CET", sunday, "2026-10-25T15:00:00Z", false, nil},
		// Spans midnight, over the spring-forward night: Saturday 22:00 CET
		// to Sunday 04:00 CEST is 21:00 to 02:00 UTC.
		{"midnight window opens Saturday", nightly, "2026-03-28T21:00:00Z", true, []string{"until Sun 2026-03-29 04:00 CEST (02:00 UTC)"}},
		{"midnight window still open after the jump", nightly, "2026-03-29T01:59:00Z", true, nil},
		{"midnight window closed at 04:00 CEST", nightly, "2026-03-29T02:00:00Z", false, []string{"Sat 2026-04-04 22:00 CEST (20:00 UTC)"}},
		{"midnight window not open on Saturday before 22:00", nightly, "2026-03-28T20:59:00Z", false, nil},
		{"midnight window not open Sunday night", nightly, "2026-03-29T21:30:00Z", false, nil},
		// A time the fall-back night repeats is the second one (CET).
		{"repeated hour, first pass", "windows: [\"sun 02:30-03:30 Europe/Berlin\"]", "2026-10-25T00:45:00Z", false, nil},
		{"repeated hour, second pass", "windows: [\"sun 02:30-03:30 Europe/Berlin\"]", "2026-10-25T01:45:00Z", true, nil},
		// A window inside the skipped hour moves an hour later that night.
		{"skipped hour", "windows: [\"sun 02:00-02:59 Europe/Berlin\"]", "2026-03-29T01:00:00Z", true, []string{"until Sun 2026-03-29 03:59 CEST (01:59 UTC)"}},
		{"skipped hour, before", "windows: [\"sun 02:00-02:59 Europe/Berlin\"]", "2026-03-29T00:59:00Z", false, nil},
		// New York against UTC.
		{"New York 09:30 EST", ny, "2026-11-27T14:30:00Z", true, []string{"EST"}},
		{"New York 08:30 EST", ny, "2026-11-27T13:30:00Z", false, []string{"Fri 2026-11-27 09:00 EST (14:00 UTC)"}},
		{"UTC window at the same instant", utc, "2026-11-27T13:30:00Z", true, []string{"until Fri 2026-11-27 17:00 UTC"}},
		{"New York 09:30 EDT in summer", ny, "2026-07-10T13:30:00Z", true, nil},
		{"New York Saturday", ny, "2026-11-28T15:00:00Z", false, []string{"Mon 2026-11-30 09:00 EST (14:00 UTC)"}},
		{"New York Friday evening is Saturday in UTC", ny, "2026-11-28T01:00:00Z", false, []string{"Fri 2026-11-27 20:00 EST (Sat 01:00 UTC)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runAt(t, c.body, c.now, nil)
			if c.open {
				gatetest.Want(t, r, gates.StatusPass, nil, c.wants...)
			} else {
				gatetest.Want(t, r, gates.StatusFail, []string{RuleOutsideWindow}, c.wants...)
			}
		})
	}
}

func TestSeveralWindowsAndGateZone(t *testing.T) {
	body := "zone: Europe/Berlin\nwindows:\n  - mon-thu 09:00-16:00\n  - fri 09:00-12:00\n"
	gatetest.Want(t, runAt(t, body, "2026-11-27T10:30:00Z", nil), gates.StatusPass, nil, "fri 09:00-12:00 Europe/Berlin")
	gatetest.Want(t, runAt(t, body, "2026-11-27T11:00:00Z", nil), gates.StatusFail, []string{RuleOutsideWindow},
		"mon-thu 09:00-16:00 Europe/Berlin; fri 09:00-12:00 Europe/Berlin", "Mon 2026-11-30 09:00 CET")
	// A wrapping day range: fri-mon is Friday to Monday.
	gatetest.Want(t, runAt(t, "windows: [\"fri-mon 00:00-24:00 UTC\"]", "2026-11-29T23:59:00Z", nil), gates.StatusPass, nil)
	gatetest.Want(t, runAt(t, "windows: [\"fri-mon 00:00-24:00 UTC\"]", "2026-12-01T00:00:00Z", nil), gates.StatusFail, []string{RuleOutsideWindow}, "Fri 2026-12-04 00:00 UTC")
}

func TestDatedFreezes(t *testing.T) {
	berlin := "zone: Europe/Berlin\nfreezes:\n  - 2026-12-20 .. 2027-01-04: year-end freeze\n"
	for _, c := range []struct {
		name, body, now string
		frozen          bool
	}{
		{"the minute before the first day", berlin, "2026-12-19T22:59:00Z", false},
		{"the first minute of the first day", berlin, "2026-12-19T23:00:00Z", true},
		{"the last minute of the last day", berlin, "2027-01-04T22:59:00Z", true},
		{"the minute after the last day", berlin, "2027-01-04T23:00:00Z", false},
		{"New York freeze, Berlin's first day", "zone: Europe/Berlin\nfreezes:\n  - dates: 2026-12-20 .. 2027-01-04\n    reason: year-end freeze\n    zone: America/New_York\n", "2026-12-20T04:59:00Z", false},
		{"New York freeze, its first day", "zone: Europe/Berlin\nfreezes:\n  - dates: 2026-12-20 .. 2027-01-04\n    reason: year-end freeze\n    zone: America/New_York\n", "2026-12-20T05:00:00Z", true},
		{"one quoted day", "zone: UTC\nfreezes: [\"2026-12-24: Christmas Eve\"]", "2026-12-24T23:59:59Z", true},
		{"one day, the next", "zone: UTC\nfreezes: [\"2026-12-24: Christmas Eve\"]", "2026-12-25T00:00:00Z", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runAt(t, c.body, c.now, nil)
			if c.frozen {
				gatetest.Want(t, r, gates.StatusFail, []string{RuleFrozen}, "deploys are frozen", "cannot be overridden")
			} else {
				gatetest.Want(t, r, gates.StatusPass, nil)
			}
		})
	}
}

func TestOverlappingFreezesAndNextWindow(t *testing.T) {
	body := `zone: Europe/Berlin
windows: ["mon-thu 09:00-16:00"]
freezes:
  - 2026-12-20 .. 2026-12-27: holidays
  - 2026-12-24 .. 2027-01-04: year-end freeze
`
	r := runAt(t, body, "2026-12-22T10:00:00Z", nil)
	gatetest.Want(t, r, gates.StatusFail, []string{RuleFrozen}, "holidays", "until Mon 2026-12-28 00:00 CET (Sun 23:00 UTC)",
		"next window opens Tue 2027-01-05 09:00 CET (08:00 UTC)")
	if r.Findings[0].Pos.Line != 7 || r.Findings[0].Pos.File != "release-gate.yml" {
		t.Errorf("the finding is at %s; want release-gate.yml:7, the freeze's line", r.Findings[0].Pos)
	}
	r = runAt(t, body, "2026-12-24T10:00:00Z", nil)
	gatetest.Want(t, r, gates.StatusFail, []string{RuleFrozen, RuleFrozen}, "holidays", "year-end freeze", "Tue 2027-01-05 09:00 CET")
	// Freezes alone: deploys reopen when the last ends.
	r = runAt(t, "zone: Europe/Berlin\nfreezes:\n  - 2026-12-20 .. 2026-12-27: a\n  - 2026-12-27 .. 2027-01-04: b\n", "2026-12-21T00:00:00Z", nil)
	gatetest.Want(t, r, gates.StatusFail, []string{RuleFrozen}, "deploys reopen Tue 2027-01-05 00:00 CET (Mon 23:00 UTC)")
}
