package healthendpoints

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/configtest"
)

func gateFor(t testing.TB, body string) *Gate {
	t.Helper()
	g, err := newGate(configtest.Section(t, Name, body, nil))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g
}

// testEnv is what the gate sees: a fresh transport like the CLI's, and
// environ as the process environment.
func testEnv(environ map[string]string) gates.Env {
	return gates.Env{
		HTTPClient: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()},
		Getenv:     func(k string) string { return environ[k] },
	}
}

// run runs the gate the way users see it.
func run(t testing.TB, body string, environ map[string]string) gates.Result {
	t.Helper()
	return runWith(t, context.Background(), gateFor(t, body), testEnv(environ), nil)
}

func runWith(t testing.TB, ctx context.Context, g gates.Gate, env gates.Env, progress *[]string) gates.Result {
	t.Helper()
	r := &gates.Runner{}
	if progress != nil {
		r.OnProgress = func(_, line string) { *progress = append(*progress, line) }
	}
	return r.Run(ctx, env, []gates.Job{{Gate: g}})[0]
}

func rules(fs []gates.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Rule
	}
	return out
}

// everything is every piece of text a result shows users.
func everything(r gates.Result) string {
	parts := []string{r.Summary, r.Err}
	parts = append(parts, r.Notes...)
	for _, f := range r.Findings {
		parts = append(parts, f.Message)
	}
	return strings.Join(parts, "\n")
}
