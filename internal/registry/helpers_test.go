package registry

import (
	"context"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/gatetest"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/release-gate/release-gate/gates"
)

// fastRetry keeps retry tests quick.
var fastRetry = RetryPolicy{Attempts: 3, Initial: time.Millisecond, Factor: 2, Max: 10 * time.Millisecond}

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
	res := gatetest.Run(t, g, env)
	if res.Status != gates.StatusPass {
		t.Fatalf("the test gate itself failed: %s", gatetest.Describe(res))
	}
	return res, err
}

func platform(t testing.TB, s string) v1.Platform {
	t.Helper()
	p, err := v1.ParsePlatform(s)
	if err != nil {
		t.Fatal(err)
	}
	return *p
}
