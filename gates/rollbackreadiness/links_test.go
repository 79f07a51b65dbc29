package rollbackreadiness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/testenv"
)

// A runbook the change links out of the workspace is not the repository's
// runbook, even if what it points at names the script.
func TestRunbookLinkedOutOfTheWorkspace(t *testing.T) {
	ws := committed(t, 0o755, 0o755)
	secret := testenv.GitHubToken(t)
	outside := t.TempDir()
	writeFile(t, outside, "runbook.md", []byte("Run scripts/restore-db.sh with "+secret+"\n"), 0o644, time.Now())
	if err := os.MkdirAll(filepath.Join(ws, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "runbook.md"), filepath.Join(ws, "docs", "runbook.md")); err != nil {
		t.Fatal(err)
	}
	res := gatetest.Run(t, scriptGate(t, "runbook: docs/runbook.md"), testEnv(ws, nil, nil))
	if res.Status == gates.StatusPass {
		t.Fatalf("a runbook outside the workspace passed: %s", gatetest.Describe(res))
	}
	if !strings.Contains(gatetest.Describe(res), "leads out of the workspace") {
		t.Errorf("the result does not say why:\n%s", gatetest.Describe(res))
	}
	if strings.Contains(gatetest.Describe(res), secret) {
		t.Errorf("the linked file's content was shown:\n%s", gatetest.Describe(res))
	}
}
