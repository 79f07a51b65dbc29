package registry

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/release-gate/release-gate/gates"
)

// fastRetry keeps retry tests quick.
var fastRetry = RetryPolicy{Attempts: 3, Initial: time.Millisecond, Factor: 2, Max: 10 * time.Millisecond}

// runMasked runs a gate the way release-gate does, so that notes and masks
// reach the result.
func runMasked(t testing.TB, g gates.Gate, env gates.Env, m *gates.Masker) gates.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := gates.Runner{Masker: m}
	return r.Run(ctx, env, []gates.Job{{Gate: g}})[0]
}

// call runs f with a Client made from env and opts (fast retries) inside
// the runner, and returns the run's result (its notes) and f's error, or
// New's.
func call(t testing.TB, env gates.Env, f func(ctx context.Context, c *Client) error, opts ...Option) (gates.Result, error) {
	t.Helper()
	var err error
	g := funcGate(func(ctx context.Context, env *gates.Env) ([]gates.Finding, error) {
		c, nerr := New(env, append([]Option{WithRetry(fastRetry)}, opts...)...)
		if nerr != nil {
			err = nerr
			return nil, nil //nolint:nilerr // handed to the caller through err
		}
		err = f(ctx, c)
		return nil, nil
	})
	res := runMasked(t, g, env, &gates.Masker{})
	if res.Status != gates.StatusPass {
		t.Fatalf("the test gate itself failed: %s", describe(res))
	}
	return res, err
}

// describe prints a result for failure messages.
func describe(r gates.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status %s, summary %q, err %q", r.Status, r.Summary, r.Err)
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "\n  finding %s: %s", f.Rule, f.Message)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\n  note: %s", n)
	}
	return b.String()
}

func platform(t testing.TB, s string) v1.Platform {
	t.Helper()
	p, err := v1.ParsePlatform(s)
	if err != nil {
		t.Fatal(err)
	}
	return *p
}
