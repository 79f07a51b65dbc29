package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigRefPinsTheCalendar: a configuration read from a trusted commit
// names a freeze calendar; the change under test empties the calendar in
// its checkout, and the freeze still holds, because the calendar is read
// from the configuration's commit too.
func TestConfigRefPinsTheCalendar(t *testing.T) {
	// One freeze from 2000 to 2100: whatever the clock says, it is on.
	frozen := strings.ReplaceAll("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\nBEGIN:VEVENT\nUID:always@test\nDTSTART;VALUE=DATE:20000101\nDTEND;VALUE=DATE:21000101\nSUMMARY:standing freeze\nEND:VEVENT\nEND:VCALENDAR\n", "\n", "\r\n")
	dir := repo(t, map[string]string{
		".github/release-gate.yml": "version: 1\ngates:\n  deploy-window:\n    calendar: .github/freezes.ics\n",
		".github/freezes.ics":      frozen,
	})
	base := gitIn(t, dir, "rev-parse", "HEAD")
	empty := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n"
	if err := os.WriteFile(filepath.Join(dir, ".github", "freezes.ics"), []byte(empty), 0o644); err != nil {
		t.Fatal(err)
	}
	gitIn(t, dir, "commit", "-q", "-am", "lift the freeze")

	if r := runIn(t, nil, "check", "-C", dir, "--gates", "deploy-window"); r.code != 0 {
		t.Fatalf("with the change's calendar: exit %d, want 0\n%s", r.code, r.stderr)
	}
	r := runIn(t, nil, "check", "-C", dir, "--gates", "deploy-window", "--config-ref", base)
	if r.code != 1 || !strings.Contains(r.stderr, "standing freeze") || !strings.Contains(r.stderr, ".github/freezes.ics@"+base[:7]) {
		t.Fatalf("with the base's configuration: exit %d, want 1 naming the base's calendar\n%s", r.code, r.stderr)
	}
}
