// Package gatetest is the one way tests run a gate: build it from the body
// of its configuration section, run it against an Env through the real
// runner (which builds the Result: status, recovered panics, deadlines),
// describe what users see of the result and assert its status and rules.
package gatetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/configtest"
)

// Ceiling bounds one run when the test gives no context of its own, so a
// gate that hangs fails its test with a result instead of stalling the
// suite. It is a deadline, not a timing assertion: no test measures it.
const Ceiling = 2 * time.Minute

// Options change how Run runs a gate. The zero value runs it as
// release-gate does by default.
type Options struct {
	// Ctx is the run's context; nil is one bounded by Ceiling.
	Ctx context.Context
	// Masker masks the secrets the gate registers; nil is a fresh one.
	Masker *gates.Masker
	// Timeout is the gate's own timeout (its timeout key); 0 is none.
	Timeout time.Duration
	// Mode is the gate's mode; "" is enforce.
	Mode gates.Mode
	// Progress, when set, receives the gate's progress lines.
	Progress *[]string
}

// Section parses body (the gate's keys, unindented YAML) as the section of
// the gate called name in a release-gate.yml file; ${VAR} resolves from
// vars. An empty body is a section with no keys.
func Section(t testing.TB, name, body string, vars map[string]string) *config.Section {
	t.Helper()
	if strings.TrimSpace(body) == "" {
		return config.NewSection(configtest.FileName, name)
	}
	return configtest.Section(t, name, body, func(k string) string { return vars[k] })
}

// Run runs g against env through gates.Runner and returns its one Result.
func Run(t testing.TB, g gates.Gate, env gates.Env, opts ...Options) gates.Result {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	ctx := o.Ctx
	if ctx == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), Ceiling)
		defer cancel()
	}
	r := gates.Runner{Masker: o.Masker}
	if o.Progress != nil {
		r.OnProgress = func(_, line string) { *o.Progress = append(*o.Progress, line) }
	}
	res := r.Run(ctx, env, []gates.Job{{Gate: g, Timeout: o.Timeout, Mode: o.Mode}})
	if len(res) != 1 {
		t.Fatalf("the runner returned %d results for one gate", len(res))
	}
	return res[0]
}

// Describe is everything users see of a result, one item a line: status,
// summary, error, findings (rule, position, message), notes and outputs.
// Tests print it on failure and search it for what must (or must never)
// appear.
func Describe(r gates.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status %s\n  summary: %s\n  err: %s", r.Status, r.Summary, r.Err)
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "\n  finding %s at %s: %s", f.Rule, f.Pos, f.Message)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\n  note: %s", n)
	}
	for _, o := range r.Outputs {
		fmt.Fprintf(&b, "\n  output %s=%s", o.Name, o.Value)
	}
	return b.String()
}

// Rules lists the findings' rules, in order.
func Rules(fs []gates.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Rule
	}
	return out
}

// Output is the value of the result's output called name, or "".
func Output(r gates.Result, name string) string {
	for _, o := range r.Outputs {
		if o.Name == name {
			return o.Value
		}
	}
	return ""
}

// Want stops the test unless the result has status and exactly rules (in
// order; nil for none), and marks it failed for each of wants that
// Describe(r) does not contain.
func Want(t testing.TB, r gates.Result, status gates.Status, rules []string, wants ...string) {
	t.Helper()
	got := Rules(r.Findings)
	text := Describe(r)
	if r.Status != status || !slices.Equal(got, rules) {
		t.Fatalf("status %s, rules %v; want %s, %v\n%s", r.Status, got, status, rules, text)
	}
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("result does not mention %q:\n%s", w, text)
		}
	}
}

// WantNot marks the test failed for each of nevers that Describe(r)
// contains: secrets and other text that must never reach users.
func WantNot(t testing.TB, r gates.Result, nevers ...string) {
	t.Helper()
	text := Describe(r)
	for _, n := range nevers {
		if n != "" && strings.Contains(text, n) {
			t.Errorf("result shows %q:\n%s", n, text)
		}
	}
}
