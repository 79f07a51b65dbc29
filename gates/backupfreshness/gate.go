package backupfreshness

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/backup"
)

// Name is the gate's key in the configuration.
const Name = "backup-freshness"

// Definition describes the gate for the gate list.
func Definition() gates.Definition {
	return gates.Definition{
		Name:      Name,
		Checklist: "Data integrity: verified and recent database backups are accessible",
		Rules:     backup.Rules(),
		New:       New,
	}
}

// Gate checks every configured backup set.
type Gate struct {
	sets []backup.Set
}

// New decodes and validates the gate's section. It does no I/O.
func New(s *config.Section) (gates.Gate, error) {
	sets, err := decodeSets(s)
	if err != nil {
		return nil, err
	}
	return &Gate{sets: sets}, nil
}

// Name implements gates.Gate.
func (g *Gate) Name() string { return Name }

// Sets returns the sets the gate checks.
func (g *Gate) Sets() []backup.Set { return append([]backup.Set(nil), g.sets...) }

// Run checks each set on its own: one set's error does not hide another's
// findings. Any set that could not be checked makes the gate an error.
func (g *Gate) Run(ctx context.Context, env *gates.Env) ([]gates.Finding, error) {
	var findings []gates.Finding
	var errs []error
	var passed []string
	for _, set := range g.sets {
		if ctx.Err() != nil {
			errs = append(errs, fmt.Errorf("%snot checked: %w", set.Label(), ctx.Err()))
			continue
		}
		rep, err := backup.Check(ctx, env, set)
		for _, n := range rep.Notes {
			env.Notef("%s%s", set.Label(), n)
		}
		for _, p := range rep.Problems {
			findings = append(findings, gates.Finding{Rule: p.Rule, Severity: gates.SeverityError, Message: set.Label() + p.Message})
		}
		switch {
		case err != nil:
			if set.Name != "" {
				err = fmt.Errorf("checking backup set %q: %w", set.Name, err)
			}
			errs = append(errs, err)
		case len(rep.Problems) == 0:
			passed = append(passed, set.Label()+rep.Summary)
		}
	}
	if len(findings) == 0 && len(errs) == 0 {
		if len(passed) == 1 {
			env.SetSummary("%s", passed[0])
		} else {
			env.SetSummary("%d backup sets recent and intact: %s", len(passed), strings.Join(passed, "; "))
		}
	}
	return findings, errors.Join(errs...)
}
