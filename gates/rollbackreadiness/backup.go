package rollbackreadiness

import (
	"context"
	"fmt"
	"strings"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/backup"
)

// checkBackup proves that a pre-migration backup exists, is recent and
// intact, with the checks backup-freshness runs.
func (g *Gate) checkBackup(ctx context.Context, env *gates.Env) partResult {
	set := *g.backup
	what := "pre-migration backup"
	if set.Name != "" {
		what += " " + set.Name
	}
	rep, err := backup.Check(ctx, env, set)
	for _, n := range rep.Notes {
		env.Notef("%s: %s", what, n)
	}
	var r partResult
	for _, p := range rep.Problems {
		r.findings = append(r.findings, finding(backupRule(p.Rule), gates.Pos{}, "%s: %s", what, p.Message))
	}
	if err != nil {
		r.err = fmt.Errorf("checking the %s: %w", what, err)
	}
	r.summary = what + " " + rep.Summary
	return r
}

// backupRule names backup-freshness' problems for this gate: backup-stale,
// backup-checksum-mismatch, …; no-backup is backup-missing.
func backupRule(rule string) string {
	switch {
	case rule == backup.RuleNoBackup:
		return RuleBackupMissing
	case strings.HasPrefix(rule, "backup-"):
		return rule
	}
	return "backup-" + rule
}
