package rollbackreadiness

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/backup"
	"github.com/release-gate/release-gate/internal/registry"
)

// Finding rules.
const (
	RulePreviousImageMissing       = "previous-image-missing"
	RulePreviousIsCandidate        = "previous-is-candidate"
	RuleNoPreviousTag              = "no-previous-tag"
	RuleTagsNotSemver              = "tags-not-semver"
	RulePreviousTagAmbiguous       = "previous-tag-ambiguous"
	RuleRestoreScriptMissing       = "restore-script-missing"
	RuleRestoreScriptNotAFile      = "restore-script-not-a-file"
	RuleRestoreScriptNotExecutable = "restore-script-not-executable"
	RuleRestoreScriptUntracked     = "restore-script-untracked"
	RuleRunbookMissing             = "runbook-missing"
	RuleRunbookMissingScript       = "runbook-missing-script"
	// Backup problems are backup-freshness' rules with a backup- prefix
	// (backup-stale, backup-too-small, backup-checksum-mismatch, …), and
	// backup-missing when no backup matches.
	RuleBackupMissing = "backup-missing"
)

// OutputRollbackImage is the step output holding the image to roll back
// to, pinned: repository@sha256:….
const OutputRollbackImage = "rollback-image"

// Gate proves that a rollback is possible.
type Gate struct {
	cfg           Config
	previousImage name.Reference // previous-image, or nil
	previous      *previousTags  // previous, or nil
	candidate     name.Reference // or nil
	script        string         // workspace-relative, forward slashes; "" when not checked
	runbook       string
	backup        *backup.Set
	retry         registry.RetryPolicy
}

// option changes a gate's defaults (tests use fast retries).
type option func(*Gate)

func withRetry(p registry.RetryPolicy) option { return func(g *Gate) { g.retry = p } }

// Name implements gates.Gate.
func (g *Gate) Name() string { return Name }

// partResult is what one part of the gate found.
type partResult struct {
	findings []gates.Finding
	summary  string // what passed, for the gate's summary line
	err      error
}

// Run implements gates.Gate. Each configured part is checked on its own:
// one part's error does not hide another's findings, and any part that
// could not be checked makes the gate an error.
func (g *Gate) Run(ctx context.Context, env *gates.Env) ([]gates.Finding, error) {
	type part struct {
		name string
		run  func(context.Context, *gates.Env) partResult
	}
	var parts []part
	if g.previousImage != nil || g.previous != nil {
		parts = append(parts, part{"previous image", g.checkImage})
	}
	if g.script != "" {
		parts = append(parts, part{"restore script", g.checkScript})
	}
	if g.backup != nil {
		parts = append(parts, part{"pre-migration backup", g.checkBackup})
	}
	var (
		findings []gates.Finding
		errs     []error
		passed   []string
	)
	for _, p := range parts {
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("%s: not checked: %w", p.name, err))
			continue
		}
		r := p.run(ctx, env)
		findings = append(findings, r.findings...)
		switch {
		case r.err != nil:
			errs = append(errs, r.err)
		case len(r.findings) == 0:
			passed = append(passed, r.summary)
		}
	}
	if len(findings) == 0 && len(errs) == 0 {
		env.SetSummary("%s", strings.Join(passed, "; "))
	}
	return findings, errors.Join(errs...)
}

func finding(rule string, pos gates.Pos, format string, args ...any) gates.Finding {
	return gates.Finding{Rule: rule, Severity: gates.SeverityError, Pos: pos, Message: fmt.Sprintf(format, args...)}
}
