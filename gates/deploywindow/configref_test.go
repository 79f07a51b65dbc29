package deploywindow

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/gatetest"
	"github.com/release-gate/release-gate/internal/gitrepo/gitrepotest"
)

// With a configuration read from a trusted commit, the calendar comes from
// that commit too: the change under test empties the calendar in its
// checkout, and the freeze holds.
func TestCalendarFromTheConfigurationCommit(t *testing.T) {
	ws := t.TempDir()
	gitrepotest.Git(t, ws, "init", "-q", "-b", "main")
	writeFile(t, ws, ".github/freezes.ics", []byte(googleCalendar))
	gitrepotest.Git(t, ws, "add", ".")
	gitrepotest.Git(t, ws, "commit", "-q", "-m", "freezes")
	trusted := gitrepotest.Git(t, ws, "rev-parse", "HEAD")

	empty := crlf("\nBEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nEND:VCALENDAR\n")
	writeFile(t, ws, ".github/freezes.ics", []byte(empty))
	gitrepotest.Git(t, ws, "commit", "-q", "-am", "lift the freeze")
	lifted := gitrepotest.Git(t, ws, "rev-parse", "HEAD")

	g := mustGate(t, "calendar: .github/freezes.ics\n")
	env := testEnv(ws, at(t, "2026-12-25T12:00:00Z"), nil)

	// Without a configuration commit, the checkout's calendar decides.
	gatetest.Want(t, gatetest.Run(t, g, env), gates.StatusPass, nil)

	env.ConfigRef = trusted
	r := gatetest.Run(t, g, env)
	gatetest.Want(t, r, gates.StatusFail, []string{RuleFrozen}, "Christmas freeze", ".github/freezes.ics@"+trusted[:7])

	env.ConfigRef = lifted
	gatetest.Want(t, gatetest.Run(t, g, env), gates.StatusPass, nil)

	// Not committed at the configuration's commit: an error, whatever the
	// checkout holds.
	g2 := mustGate(t, "calendar: .github/other.ics\n")
	writeFile(t, ws, ".github/other.ics", []byte(empty))
	env.ConfigRef = trusted
	gatetest.Want(t, gatetest.Run(t, g2, env), gates.StatusError, nil, "not in the commit")

	// A link committed in place of the calendar is refused there too.
	if err := os.Remove(filepath.Join(ws, ".github", "freezes.ics")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/hostname", filepath.Join(ws, ".github", "freezes.ics")); err != nil {
		t.Fatal(err)
	}
	gitrepotest.Git(t, ws, "commit", "-q", "-am", "link")
	env.ConfigRef = gitrepotest.Git(t, ws, "rev-parse", "HEAD")
	gatetest.Want(t, gatetest.Run(t, g, env), gates.StatusError, nil, "is not a regular file")
}
