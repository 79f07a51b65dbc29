package gatetest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/gates"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// check runs f against a recorder in its own goroutine (Fatalf ends it)
// and returns what failed.
func check(t *testing.T, f func(tb testing.TB)) []string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.failures
}

type gateFunc func(context.Context, *gates.Env) ([]gates.Finding, error)

func (gateFunc) Name() string { return "test-gate" }
func (f gateFunc) Run(ctx context.Context, env *gates.Env) ([]gates.Finding, error) {
	return f(ctx, env)
}

func TestRunThroughTheRunner(t *testing.T) {
	failing := gateFunc(func(context.Context, *gates.Env) ([]gates.Finding, error) {
		return []gates.Finding{{Rule: "r1", Severity: gates.SeverityError, Message: "m1"}}, nil
	})
	res := Run(t, failing, gates.Env{})
	Want(t, res, gates.StatusFail, []string{"r1"}, "m1")

	panicking := gateFunc(func(context.Context, *gates.Env) ([]gates.Finding, error) { panic("boom") })
	res = Run(t, panicking, gates.Env{})
	Want(t, res, gates.StatusError, nil)

	erring := gateFunc(func(context.Context, *gates.Env) ([]gates.Finding, error) { return nil, errors.New("unreachable") })
	res = Run(t, erring, gates.Env{}, Options{Mode: gates.ModeWarn})
	Want(t, res, gates.StatusError, nil, "unreachable")
	if res.Mode != gates.ModeWarn {
		t.Errorf("mode %q, want warn", res.Mode)
	}
}

// Want and WantNot fail when the result differs: status, rules, order of
// rules, missing text, text that must not appear.
func TestWantFails(t *testing.T) {
	res := gates.Result{Status: gates.StatusFail, Summary: "s", Findings: []gates.Finding{{Rule: "a", Message: "secret-ish"}, {Rule: "b"}}}
	for name, f := range map[string]func(testing.TB){
		"status":     func(tb testing.TB) { Want(tb, res, gates.StatusPass, []string{"a", "b"}) },
		"rules":      func(tb testing.TB) { Want(tb, res, gates.StatusFail, []string{"a"}) },
		"rule order": func(tb testing.TB) { Want(tb, res, gates.StatusFail, []string{"b", "a"}) },
		"no rules":   func(tb testing.TB) { Want(tb, res, gates.StatusFail, nil) },
		"text":       func(tb testing.TB) { Want(tb, res, gates.StatusFail, []string{"a", "b"}, "absent") },
		"never":      func(tb testing.TB) { WantNot(tb, res, "secret-ish") },
	} {
		if got := check(t, f); len(got) == 0 {
			t.Errorf("%s: Want did not fail", name)
		}
	}
	if got := check(t, func(tb testing.TB) { Want(tb, res, gates.StatusFail, []string{"a", "b"}, "secret-ish", "s") }); len(got) != 0 {
		t.Errorf("a matching result failed: %v", got)
	}
	if d := Describe(res); !strings.Contains(d, "finding a at") || !strings.Contains(d, "summary: s") {
		t.Errorf("Describe:\n%s", d)
	}
}
