// Package staginganalysis implements the staging-analysis gate: it proves
// that staging was healthy while it ran the candidate. PromQL analyses are
// evaluated against staging's Prometheus-compatible API, each measurement
// judged by a success (and optional failure) condition, and no alert of the
// service may be firing in staging's Alertmanager or Prometheus. No data is
// an error, never a pass.
package staginganalysis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/promapi"
)

// Name is the gate's key in the configuration.
const Name = "staging-analysis"

// Finding rules.
const (
	ruleAnalysisFailed = "analysis-failed"
	ruleAlertFiring    = "alert-firing"
)

// Definition describes the gate for the list of gates.
func Definition() gates.Definition {
	return gates.Definition{
		Name:      Name,
		Checklist: "Validation: the candidate behaved well in staging",
		Rules:     []string{ruleAnalysisFailed, ruleAlertFiring},
		New: func(s *config.Section) (gates.Gate, error) {
			return New(s)
		},
	}
}

// Gate is a configured staging-analysis gate.
type Gate struct {
	st    *settings
	sleep func(context.Context, time.Duration) error
	// requests counts the requests of the last run.
	requests atomic.Int64
}

// Option changes how a Gate runs.
type Option func(*Gate)

// WithSleep replaces the wait between two evaluations of a query (tests
// advance a fake clock instead of waiting). It must return ctx's error when
// ctx ends first.
func WithSleep(sleep func(context.Context, time.Duration) error) Option {
	return func(g *Gate) { g.sleep = sleep }
}

// New decodes and validates the gate's section. It does no I/O.
func New(s *config.Section, opts ...Option) (*Gate, error) {
	st, err := parseSettings(s)
	if err != nil {
		return nil, err
	}
	g := &Gate{st: st, sleep: sleepCtx}
	for _, o := range opts {
		o(g)
	}
	return g, nil
}

// Requests is how many HTTP requests the last Run made.
func (g *Gate) Requests() int64 { return g.requests.Load() }

// Name implements gates.Gate.
func (g *Gate) Name() string { return Name }

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// run is one run of the gate.
type run struct {
	g    *Gate
	st   *settings
	env  *gates.Env
	prom *apiClient
	am   *apiClient
	// deployedAt is when staging started running the candidate; zero
	// when not configured.
	deployedAt time.Time
	// slots bounds the queries read and decoded at once (see queryAPI).
	slots chan struct{}
}

// maxQueriesAtOnce bounds the answers held at once: each may be up to
// maxAnswer, and its decoding costs several times that, while the
// analyses, which mostly wait between evaluations, all run at once.
const maxQueriesAtOnce = 4

func (r *run) count(n int64) { r.g.requests.Add(n) }

// Run implements gates.Gate.
func (g *Gate) Run(ctx context.Context, env *gates.Env) ([]gates.Finding, error) {
	g.requests.Store(0)
	r := &run{g: g, st: g.st, env: env, slots: make(chan struct{}, maxQueriesAtOnce)}
	if g.st.prometheus != nil {
		tok, err := promapi.BearerToken(env.Getenv, env.Mask, "token-env", g.st.tokenEnv)
		if err != nil {
			return nil, err
		}
		r.prom = newAPIClient(env.HTTPClient, g.st.prometheus, "Prometheus", g.st.tenant, tok, g.st.requestTimeout)
	}
	if g.st.alertmanager != nil {
		tok, err := promapi.BearerToken(env.Getenv, env.Mask, "alertmanager-token-env", g.st.amTokenEnv)
		if err != nil {
			return nil, err
		}
		r.am = newAPIClient(env.HTTPClient, g.st.alertmanager, "Alertmanager", g.st.tenant, tok, g.st.requestTimeout)
	}
	var err error
	if r.deployedAt, err = parseDeployedAt(g.st.deployedAtText); err != nil {
		return nil, err
	}
	if !r.deployedAt.IsZero() && r.deployedAt.After(env.Now()) {
		return nil, fmt.Errorf("deployed-at %s is in the future (now %s): check the input that sets it", r.deployedAt.Format(time.RFC3339), env.Now().UTC().Format(time.RFC3339))
	}
	if g.st.since != nil {
		since, err := r.sinceDigest(ctx)
		if err != nil {
			return nil, err
		}
		if since.After(r.deployedAt) {
			r.deployedAt = since
		}
	}

	outcomes := make([]*outcome, len(g.st.queries))
	var wg sync.WaitGroup
	for i, q := range g.st.queries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outcomes[i] = r.analyse(ctx, q)
		}()
	}
	var alertFindings []gates.Finding
	var alertErr error
	if g.st.alerts != nil {
		alertFindings, alertErr = r.checkAlerts(ctx)
	}
	wg.Wait()

	var findings []gates.Finding
	var errs []error
	passed := 0
	for _, o := range outcomes {
		r.report(o)
		f, err := o.decide()
		switch {
		case f != nil:
			findings = append(findings, *f)
		case err != nil:
			errs = append(errs, err)
		default:
			passed++
		}
	}
	findings = append(findings, alertFindings...)
	if alertErr != nil {
		errs = append(errs, alertErr)
	}
	if ctx.Err() != nil {
		return findings, ctx.Err()
	}
	if len(findings) == 0 && len(errs) == 0 {
		parts := ""
		if n := len(g.st.queries); n > 0 {
			parts = fmt.Sprintf("%d of %d analyses passed", passed, n)
		}
		if g.st.alerts != nil {
			if parts != "" {
				parts += "; "
			}
			parts += "no alert of the service is firing"
		}
		env.SetSummary("%s", parts)
	}
	return findings, errors.Join(errs...)
}
