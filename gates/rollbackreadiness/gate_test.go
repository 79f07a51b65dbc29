package rollbackreadiness

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/registry/registrytest"
	"github.com/release-gate/release-gate/internal/testenv"
)

// A workspace ready to roll back: a committed executable restore script, a
// runbook naming it, and a fresh pre-migration backup.
func readyWorkspace(t *testing.T) string {
	t.Helper()
	ws := committed(t, 0o755, 0o755)
	writeFile(t, ws, "docs/runbook.md", []byte("# Rollback\n\nRun scripts/restore-db.sh with the pre-migration dump.\n"), 0o644, time.Now())
	dump(t, ws, "pre_migration_1.sql.gz", 3*time.Hour)
	return ws
}

func fullConfig(host string) string {
	return `
previous:
  repository: ` + host + `/app
  tags: "v*.*.*"
candidate: ` + host + `/app:candidate
insecure: true
restore-script: scripts/restore-db.sh
runbook: docs/runbook.md
` + backupBody
}

func TestAllPartsPass(t *testing.T) {
	host := registrytest.Start(t, nil)
	imgs := releases(t, host, "v1.0.0", "v1.1.0", "candidate")
	res := gatetest.Run(t, mustGate(t, fullConfig(host)), testEnv(readyWorkspace(t), nil, nil))
	gatetest.Want(t, res, gates.StatusPass, nil)
	testenv.MustContain(t, "summary", res.Summary,
		"roll back to "+host+"/app:v1.1.0 ("+pinned(t, host, imgs["v1.1.0"])+"); ",
		"restore script scripts/restore-db.sh executable and tracked as such, named in docs/runbook.md; ",
		"pre-migration backup backups/pre_migration_1.sql.gz: 3h 0m old")
	if gatetest.Output(res, OutputRollbackImage) != pinned(t, host, imgs["v1.1.0"]) {
		t.Errorf("output: %s", gatetest.Describe(res))
	}
}

// One part's error does not hide the others' findings; the gate is an
// error (fail closed), and the rollback image is not offered.
func TestPartsReportedSeparately(t *testing.T) {
	host := registrytest.Seeded(t, registrytest.Fail(http.StatusServiceUnavailable, registrytest.IsTagList),
		func(host string) { releases(t, host, "v1.0.0", "candidate") })
	ws := gitRepo(t)
	writeFile(t, ws, "docs/runbook.md", []byte("Run scripts/restore-db.sh\n"), 0o644, time.Now())
	dump(t, ws, "pre_migration_1.sql.gz", 48*time.Hour)
	res := gatetest.Run(t, mustGate(t, fullConfig(host)), testEnv(ws, nil, nil))
	gatetest.Want(t, res, gates.StatusError, []string{RuleRestoreScriptMissing, "backup-stale"},
		`listing the tags of "`+host+`/app": registry `+host+` keeps failing`,
		"pre-migration backup: newest backup backups/pre_migration_1.sql.gz is 2d 0h old")
	if gatetest.Output(res, OutputRollbackImage) != "" {
		t.Errorf("no rollback image: %s", gatetest.Describe(res))
	}
}

// The rollback image is known, and offered, even when another part fails.
func TestRollbackImageDespiteOtherFailures(t *testing.T) {
	host := registrytest.Start(t, nil)
	imgs := releases(t, host, "v1.0.0", "candidate")
	res := gatetest.Run(t, mustGate(t, fullConfig(host)), testEnv(gitRepo(t), nil, nil))
	if res.Status != gates.StatusError || gatetest.Output(res, OutputRollbackImage) != pinned(t, host, imgs["v1.0.0"]) {
		t.Errorf("want an error (no backup directory) and the rollback image: %s", gatetest.Describe(res))
	}
}

func TestCancelled(t *testing.T) {
	g := mustGate(t, "restore-script: scripts/restore-db.sh\nbackup: {location: backups, max-age: 1d}")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	env := testEnv(t.TempDir(), nil, nil)
	_, err := g.Run(ctx, &env)
	if err == nil || !strings.Contains(err.Error(), "restore script: not checked: context canceled") || !strings.Contains(err.Error(), "pre-migration backup: not checked") {
		t.Errorf("want every part not checked, got %v", err)
	}
}
