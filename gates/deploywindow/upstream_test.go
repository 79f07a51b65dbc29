package deploywindow

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/gatetest"
)

// upstreamCalendar is the example calendar go-ical's own tests parse (the
// RFC 5545 example event: a yearly rule on the third Sunday of March whose
// DTSTART does not fall on it), read from the module cache.
func upstreamCalendar(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/emersion/go-ical").Output()
	if err != nil {
		t.Fatalf("locating go-ical in the module cache: %v", err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "ical_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	const open = "var exampleCalendarStr = toCRLF(`"
	_, rest, ok := strings.Cut(string(src), open)
	body, _, ok2 := strings.Cut(rest, "`)")
	if !ok || !ok2 {
		t.Fatalf("go-ical's ical_test.go no longer has %s…`)", open)
	}
	return strings.ReplaceAll(body, "\n", "\r\n")
}

func TestUpstreamExampleCalendar(t *testing.T) {
	cal := upstreamCalendar(t)
	body := "calendar: .github/freezes.ics\n"
	for _, c := range []struct {
		name, now string
		frozen    bool
	}{
		// DTSTART itself, 1996-09-18 14:30Z to 09-20 22:00Z, counts.
		{"DTSTART counts as an occurrence", "1996-09-19T12:00:00Z", true},
		// The third Sunday of March 2027 is the 21st: 14:30Z to Tuesday 22:00Z.
		{"a yearly occurrence", "2027-03-22T12:00:00Z", true},
		{"its last minute", "2027-03-23T21:59:00Z", true},
		{"after it", "2027-03-23T22:00:00Z", false},
		{"the Sunday before", "2027-03-14T15:00:00Z", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runCalendar(t, body, cal, c.now)
			if c.frozen {
				gatetest.Want(t, r, gates.StatusFail, []string{RuleFrozen}, "Networld+Interop Conference")
			} else {
				gatetest.Want(t, r, gates.StatusPass, nil)
			}
		})
	}
}
