package rollbackreadiness

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/gitrepo/gitrepotest"
)

// The repository's git configuration runs nothing when the gate asks git
// how it records the restore script; nor does the caller's configuration
// change the answer.
func TestGitConfigurationRunsNothing(t *testing.T) {
	ws := committed(t, 0o755, 0o755)
	writeFile(t, ws, ".gitattributes", []byte(gitrepotest.HostileAttributes), 0o644, time.Now())
	git(t, ws, "add", ".gitattributes")
	git(t, ws, "commit", "-q", "-m", "attributes")
	marker := gitrepotest.ArmConfig(t, ws)
	cmd := exec.Command("git", "-C", ws, "status")
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null")
	_, _ = cmd.Output()
	if gitrepotest.Ran(t, marker) == "" {
		t.Fatal("the armed configuration ran nothing under plain git: the test proves nothing")
	}
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	// The caller's environment points git at another repository.
	t.Setenv("GIT_DIR", t.TempDir())
	t.Setenv("GIT_INDEX_FILE", "/nonexistent/index")

	res := gatetest.Run(t, scriptGate(t), testEnv(ws, nil, nil))
	gatetest.Want(t, res, gates.StatusPass, nil, "tracked by git as 100755")
	if ran := gitrepotest.Ran(t, marker); ran != "" {
		t.Errorf("a configured program ran: %s", ran)
	}
}
