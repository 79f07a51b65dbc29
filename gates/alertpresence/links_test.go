package alertpresence

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/testenv"
)

// A rule file the change commits as a link out of the workspace is not the
// repository's: the gate refuses it without quoting what it points at.
func TestRuleFileLinkedOutOfTheWorkspace(t *testing.T) {
	secret := testenv.GitHubToken(t)
	outside := filepath.Join(t.TempDir(), "creds.yml")
	writeFile(t, outside, "groups:\n  - name: x\n    rules:\n      - alert: "+secret+"\n        expr: up\n: : bad yaml "+secret+"\n")
	ws := workspace(t, map[string]string{"monitoring/ok.rules.yml": apiRulesFile})
	if err := os.Symlink(outside, filepath.Join(ws, "monitoring", "x.rules.yml")); err != nil {
		t.Fatal(err)
	}
	res := runGate(t, "files: [\"monitoring/*.rules.yml\"]\nselector: {team: api}\nrequire: [cpu]\n", testEnv(ws, nil))
	wantStatus(t, res, gates.StatusError)
	if !strings.Contains(res.Err, "monitoring/x.rules.yml") || !strings.Contains(res.Err, "leads out of the workspace") {
		t.Errorf("the error does not say which file or why: %s", res.Err)
	}
	if strings.Contains(dump(res), secret) {
		t.Errorf("the linked file's content was shown:\n%s", dump(res))
	}
}
