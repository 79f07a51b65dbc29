package healthendpoints

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/attempts"
	"github.com/release-gate/release-gate/internal/httpsafe"
)

// Gate is the health-endpoints gate.
type Gate struct {
	cfg                 Config
	liveness, readiness *url.URL
	expect              StatusSet
	requestTimeout      time.Duration
	waitTimeout         time.Duration // 0: probe once
	interval            time.Duration
	steady              int
}

// Name implements gates.Gate.
func (g *Gate) Name() string { return Name }

// progressEvery is how often a long wait prints where it is.
const progressEvery = 5 * time.Second

// timeFormat shows attempt times to the millisecond, in UTC.
const timeFormat = "15:04:05.000Z"

// Finding rules.
const (
	ruleLiveness  = "liveness"
	ruleReadiness = "readiness"
)

// probeState is what is known about one probe across attempts.
type probeState struct {
	probe
	last     answer
	answered bool   // any attempt got an HTTP answer
	lastHTTP answer // the last HTTP answer
	lastBad  int    // the last attempt with an unhealthy or no answer, 0 for none
	badOne   answer // the answer of that attempt
	lastGood int    // the last healthy attempt, 0 for none
}

// Run implements gates.Gate.
func (g *Gate) Run(ctx context.Context, env *gates.Env) ([]gates.Finding, error) {
	headers, err := g.headers(env)
	if err != nil {
		return nil, err
	}
	client, closeIdle, err := g.client(env)
	if err != nil {
		return nil, err
	}
	defer closeIdle()
	// What the probes send that an answer may echo: cut out of every
	// excerpt before it is cut short.
	var secrets []string
	for _, u := range []*url.URL{g.liveness, g.readiness} {
		if pw, ok := u.User.Password(); ok {
			env.Mask(pw)
			secrets = append(secrets, pw)
		}
	}
	for _, vs := range headers {
		for _, v := range vs {
			secrets = append(secrets, v)
			if _, cred, ok := strings.Cut(v, " "); ok {
				secrets = append(secrets, strings.TrimSpace(cred))
			}
		}
	}

	probes := []*probeState{
		{probe: probe{rule: ruleLiveness, url: g.liveness}},
		{probe: probe{rule: ruleReadiness, url: g.readiness}},
	}
	start := env.Now()
	deadline := start.Add(g.waitTimeout)
	// A bound that does not depend on the clock moving.
	maxAttempts := 1
	if g.waitTimeout > 0 {
		maxAttempts = int(g.waitTimeout/g.interval) + 2
	}
	notes := attempts.New(env, "attempt", "at %s")
	defer notes.Flush()
	lastProgress := start
	streak := 0
	attempt := 0
	for attempt < maxAttempts {
		attempt++
		at := env.Now()
		answers := g.round(ctx, client, probes, headers, secrets, env.Now)
		if err := ctx.Err(); err != nil {
			notes.Flush()
			return nil, fmt.Errorf("probing %s and %s: %w", probes[0].where(), probes[1].where(), err)
		}
		healthy := true
		for i, p := range probes {
			a := answers[i]
			p.last = a
			if a.answered() {
				p.answered, p.lastHTTP = true, a
			}
			if g.healthy(a) {
				p.lastGood = attempt
			} else {
				healthy = false
				p.lastBad, p.badOne = attempt, a
			}
		}
		if healthy {
			streak++
		} else {
			streak = 0
		}
		text, sig := g.describeRound(probes, answers)
		notes.Add(attempt, at.UTC().Format(timeFormat), text, sig)
		if streak >= g.steady {
			notes.Flush()
			g.passSummary(env, attempt, env.Now().Sub(start))
			return nil, nil
		}
		remaining := deadline.Sub(env.Now())
		if g.waitTimeout == 0 || remaining <= 0 || attempt >= maxAttempts {
			break
		}
		if now := env.Now(); now.Sub(lastProgress) >= progressEvery {
			env.Progressf("waiting for %s and %s: attempt %d, %s; %s left", probes[0].where(), probes[1].where(), attempt, g.shortRound(probes), remaining.Round(time.Second))
			lastProgress = now
		}
		t := time.NewTimer(min(g.interval, remaining))
		select {
		case <-ctx.Done():
			t.Stop()
			notes.Flush()
			return nil, fmt.Errorf("waiting for %s and %s to be healthy: %w", probes[0].where(), probes[1].where(), ctx.Err())
		case <-t.C:
		}
	}
	notes.Flush()
	return g.verdict(env, probes, attempt, streak, env.Now().Sub(start))
}

// round probes both endpoints at once.
func (g *Gate) round(ctx context.Context, client *http.Client, probes []*probeState, headers http.Header, secrets []string, now func() time.Time) []answer {
	out := make([]answer, len(probes))
	var wg sync.WaitGroup
	for i, p := range probes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = request(ctx, client, p.probe, headers, secrets, g.requestTimeout, now)
		}()
	}
	wg.Wait()
	return out
}

func (g *Gate) healthy(a answer) bool { return a.answered() && g.expect.has(a.status) }

// verdict turns the last answers into findings, or an error for a probe
// that never answered at all.
func (g *Gate) verdict(env *gates.Env, probes []*probeState, attempts, streak int, took time.Duration) ([]gates.Finding, error) {
	over := ""
	if g.waitTimeout > 0 {
		over = fmt.Sprintf(" (the last of %d attempts over %s)", attempts, took.Round(time.Millisecond))
	}
	var findings []gates.Finding
	var errs []error
	for _, p := range probes {
		switch {
		case !p.answered:
			errs = append(errs, g.neverAnswered(p, attempts, took))
		case !g.healthy(p.last) && !p.last.answered():
			findings = append(findings, g.finding(p, fmt.Sprintf("%s %s did not answer%s: %v; an earlier attempt got %s", p.rule, p.where(), over, p.last.netErr, g.answeredBefore(p))))
		case !g.healthy(p.last):
			was := ""
			if p.lastGood > 0 {
				was = fmt.Sprintf(" (it was healthy on attempt %d)", p.lastGood)
			}
			findings = append(findings, g.finding(p, fmt.Sprintf("%s %s answered %s%s%s, expected %s%s%s", p.rule, p.where(), p.last.text, over, quoteExcerpt(p.last.excerpt), g.expect, was, g.fixFor(p))))
		case p.lastBad > 0 && streak < g.steady:
			findings = append(findings, g.finding(p, fmt.Sprintf("%s %s is not steady: %d healthy round(s) in a row of the %d wait.steady needs before wait.timeout (%s); attempt %d got %s%s", p.rule, p.where(), streak, g.steady, g.waitTimeout, p.lastBad, describeAnswer(p.badOne), quoteExcerpt(p.badOne.excerpt))))
		}
	}
	if len(findings) == 0 && len(errs) == 0 && streak < g.steady {
		// Both healthy on the last round, and neither ever failed: the
		// clock ran out before enough rounds were made.
		return nil, fmt.Errorf("only %d healthy round(s) of the %d wait.steady needs fit in wait.timeout (%s); lower wait.interval or wait.steady", streak, g.steady, g.waitTimeout)
	}
	if len(errs) > 0 {
		return findings, errors.Join(errs...)
	}
	var parts []string
	for _, f := range findings {
		parts = append(parts, f.Rule)
	}
	env.SetSummary("%s not healthy%s", strings.Join(parts, " and "), over)
	return findings, nil
}

func (g *Gate) finding(p *probeState, msg string) gates.Finding {
	return gates.Finding{Rule: p.rule, Severity: gates.SeverityError, Message: msg}
}

// fixFor says what an unhealthy answer usually means.
func (g *Gate) fixFor(p *probeState) string {
	switch {
	case p.last.status >= 300 && p.last.status < 400:
		return ": a health endpoint should answer itself; point " + p.rule + " at the final URL"
	case p.last.status == http.StatusUnauthorized || p.last.status == http.StatusForbidden:
		return ": the endpoint wants credentials; pass them with headers-env, or exempt health paths from auth"
	case p.last.status == http.StatusNotFound:
		return ": check the path (" + p.url.Path + ") and base-url"
	case p.rule == ruleReadiness && g.waitTimeout == 0:
		return "; if the deployment is still starting, add wait: {interval: 5s, timeout: 2m}"
	case p.rule == ruleReadiness:
		return ": a dependency (database, cache, ...) is not ready; the body usually says which"
	case p.rule == ruleLiveness:
		return ": the process is up but reports itself unhealthy. Liveness should not depend on other services; readiness covers those"
	}
	return ""
}

func (g *Gate) answeredBefore(p *probeState) string {
	return describeAnswer(p.lastHTTP) + quoteExcerpt(p.lastHTTP.excerpt)
}

// neverAnswered is the error for a probe that got no HTTP answer at all:
// nothing was proved about the deployment.
func (g *Gate) neverAnswered(p *probeState, attempts int, took time.Duration) error {
	times := "once"
	if attempts > 1 {
		times = fmt.Sprintf("in %d attempts over %s", attempts, took.Round(time.Millisecond))
	}
	hint := ""
	switch {
	case p.last.tlsErr:
		hint = "; the TLS certificate was refused: add its CA to the trust store (SSL_CERT_FILE), or set insecure-skip-verify: true for a self-signed staging certificate"
	case isDNSError(p.last.netErr):
		hint = "; the name does not resolve from where the gate runs"
	}
	return fmt.Errorf("%s %s never answered (%s): %v%s", p.rule, p.where(), times, p.last.netErr, hint)
}

func (g *Gate) passSummary(env *gates.Env, attempt int, took time.Duration) {
	at := g.readiness.Scheme + "://" + g.readiness.Host
	switch {
	case g.steady > 1:
		env.SetSummary("%s: liveness and readiness healthy %d times in a row (attempt %d, after %s)", at, g.steady, attempt, took.Round(time.Millisecond))
	case attempt > 1:
		env.SetSummary("%s: liveness and readiness healthy on attempt %d, after %s", at, attempt, took.Round(time.Millisecond))
	default:
		env.SetSummary("%s: liveness and readiness healthy", at)
	}
}

// describeRound is one attempt's note: each probe's status and latency,
// with a body excerpt for unhealthy answers. sig is the same without the
// latencies, to tell repeated outcomes apart.
func (g *Gate) describeRound(probes []*probeState, answers []answer) (text, sig string) {
	parts := make([]string, len(probes))
	sigs := make([]string, len(probes))
	for i, p := range probes {
		a := answers[i]
		s := p.rule + " " + describeAnswer(a)
		sigs[i] = s
		if a.answered() {
			s += " in " + latency(a.latency)
			if !g.healthy(a) {
				s += quoteExcerpt(a.excerpt)
				sigs[i] += quoteExcerpt(a.excerpt)
			}
		}
		parts[i] = s
	}
	return strings.Join(parts, "; "), strings.Join(sigs, "; ")
}

// shortRound is the progress line's state: statuses only.
func (g *Gate) shortRound(probes []*probeState) string {
	parts := make([]string, len(probes))
	for i, p := range probes {
		if p.last.answered() {
			parts[i] = fmt.Sprintf("%s %d", p.rule, p.last.status)
		} else {
			parts[i] = p.rule + " no answer"
		}
	}
	return strings.Join(parts, ", ")
}

// latency formats a request's duration to the millisecond.
func latency(d time.Duration) string {
	if d < time.Millisecond {
		return "<1ms"
	}
	return d.Round(time.Millisecond).String()
}

func describeAnswer(a answer) string {
	if !a.answered() {
		return "no answer: " + a.netErr.Error()
	}
	return a.text
}

// quoteExcerpt quotes an excerpt without escaping it (it is one printable
// line already): an escaped secret would no longer be the one the final
// redaction knows.
func quoteExcerpt(s string) string {
	if s == "" {
		return ""
	}
	return `: "` + s + `"`
}

// headers reads the configured headers from the environment and masks
// their values. A variable that is empty is an error: the request would go
// out without credentials and the answer would prove nothing.
func (g *Gate) headers(env *gates.Env) (http.Header, error) {
	h := http.Header{}
	names := make([]string, 0, len(g.cfg.HeadersEnv))
	for k := range g.cfg.HeadersEnv {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := string(g.cfg.HeadersEnv[k])
		val := env.Getenv(v)
		if val == "" {
			if config.EnvNameLooksSecret(v) {
				env.Mask(v)
			}
			return nil, fmt.Errorf("headers-env: %s names %s, which is empty or not set; set it in the step's env (a secret this workflow cannot read is empty)", k, config.ShownEnvName(v))
		}
		env.Mask(val)
		if _, cred, ok := strings.Cut(val, " "); ok {
			env.Mask(strings.TrimSpace(cred)) // the token of "Bearer <token>"
		}
		h.Set(k, val)
	}
	return h, nil
}

// client returns the HTTP client for the probes: env's, behind the
// redirect policy, with redirects not followed (a health endpoint that
// redirects to a login page would look healthy, and the headers from
// headers-env would go along) and, with insecure-skip-verify, certificates
// not verified.
func (g *Gate) client(env *gates.Env) (*http.Client, func(), error) {
	c := httpsafe.Client(env.HTTPClient)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	closeIdle := func() {}
	if g.cfg.InsecureSkipVerify {
		rt := httpsafe.Inner(c.Transport)
		if rt == nil {
			rt = http.DefaultTransport
		}
		t, ok := rt.(*http.Transport)
		if !ok {
			return nil, nil, fmt.Errorf("insecure-skip-verify: the HTTP client's transport (%T) cannot be told to skip verification", rt)
		}
		t = t.Clone()
		if t.TLSClientConfig == nil {
			t.TLSClientConfig = &tls.Config{}
		}
		t.TLSClientConfig.InsecureSkipVerify = true
		c.Transport = httpsafe.NewTransport(t)
		closeIdle = t.CloseIdleConnections
	}
	return c, closeIdle, nil
}
