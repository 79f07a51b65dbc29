// Package alertpresence implements the alert-presence gate: it proves that
// alerting rules covering CPU, memory and error rate (or other required
// categories) exist for a service, are loaded, healthy and recently
// evaluated, are not silenced, and route to a receiver that notifies
// someone. Rules come from a Prometheus-compatible rules API, from rule files
// in the repository, or both.
package alertpresence

import (
	"context"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
)

// Name is the gate's key in the configuration.
const Name = "alert-presence"

// Definition describes the gate for the list of gates.
func Definition() gates.Definition {
	return gates.Definition{
		Name:      Name,
		Checklist: "Observability: CPU, memory and error-rate alerts are active",
		Rules:     []string{ruleCategoryMissing, ruleUnhealthy, ruleNotEvaluated, ruleNoAlertmanager, ruleSilenced, ruleRouteBlackhole, ruleInhibited, ruleInvalidRule, rulePartlySilenced, rulePartlyInhibited, ruleSilencePending, ruleRouteUncertain, ruleUnreadableExpr, ruleUnknownCategory},
		New: func(s *config.Section) (gates.Gate, error) {
			return New(s)
		},
	}
}

// Gate is a configured alert-presence gate.
type Gate struct {
	st *settings
}

// New decodes and validates the gate's section. It does no I/O.
func New(s *config.Section) (*Gate, error) {
	st, err := parseSettings(s)
	if err != nil {
		return nil, err
	}
	return &Gate{st: st}, nil
}

// Name implements gates.Gate.
func (g *Gate) Name() string { return Name }

// Run implements gates.Gate.
func (g *Gate) Run(ctx context.Context, env *gates.Env) ([]gates.Finding, error) {
	// Redaction runs on short texts; it also redacts the error that says
	// the run was cancelled.
	r := &run{st: g.st, env: env, cl: newClassifier(g.st.cats), ctx: context.WithoutCancel(ctx)}
	if err := r.check(ctx); err != nil {
		return nil, shownError{r.shown(err.Error()), err}
	}
	r.redactFindings()
	return r.findings, nil
}

// check runs the gate's checks, leaving their findings in r.findings.
func (r *run) check(ctx context.Context) error {
	// Every request is made at once; their answers are then read in a
	// fixed order, so that the error reported, if any, is the same
	// whichever server answered first.
	a := r.fetch(ctx)
	if err := r.collect(a); err != nil {
		return err
	}
	if err := r.checkSources(); err != nil {
		return err
	}
	if r.st.alertmanager != nil {
		if err := r.checkAlertmanager(a); err != nil {
			return err
		}
	}
	r.decide()
	r.summarise()
	return nil
}

// shownError is an error as the gate shows it (see run.shown), wrapping
// the error it was made from, so that errors.Is still tells a cancelled
// run.
type shownError struct {
	text string
	err  error
}

func (e shownError) Error() string { return e.text }
func (e shownError) Unwrap() error { return e.err }
