package backupfreshness

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/configtest"
)

// now is the tests' clock.
var now = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

// parseGate builds the gate from the body of its section (unindented
// YAML).
func parseGate(t *testing.T, body string) (*Gate, error) {
	t.Helper()
	g, err := New(configtest.Section(t, Name, body, nil))
	if err != nil {
		return nil, err
	}
	return g.(*Gate), nil
}

func mustGate(t *testing.T, body string) *Gate {
	t.Helper()
	g, err := parseGate(t, body)
	if err != nil {
		t.Fatalf("config:\n%s\nerror: %v", body, err)
	}
	return g
}

// testEnv is an environment with the tests' clock and the given variables.
func testEnv(workspace string, vars map[string]string) gates.Env {
	return gates.Env{
		Workspace:  workspace,
		Now:        func() time.Time { return now },
		HTTPClient: &http.Client{},
		Getenv:     func(k string) string { return vars[k] },
	}
}

// run runs the gate as the runner does and returns its result.
func run(t *testing.T, g gates.Gate, env gates.Env) gates.Result {
	t.Helper()
	return runCtx(t, context.Background(), g, env, 0)
}

func runCtx(t *testing.T, ctx context.Context, g gates.Gate, env gates.Env, timeout time.Duration) gates.Result {
	t.Helper()
	res := (&gates.Runner{}).Run(ctx, env, []gates.Job{{Gate: g, Timeout: timeout}})
	if len(res) != 1 {
		t.Fatalf("got %d results", len(res))
	}
	return res[0]
}

// wantStatus fails unless the result has the status, and, for fail, exactly
// the rules given; each want string must appear in the findings or error.
func wantStatus(t *testing.T, res gates.Result, status gates.Status, rules []string, want ...string) {
	t.Helper()
	var got []string
	var text strings.Builder
	for _, f := range res.Findings {
		got = append(got, f.Rule)
		text.WriteString(f.Message + "\n")
	}
	text.WriteString(res.Err + "\n" + res.Summary + "\n" + strings.Join(res.Notes, "\n"))
	if res.Status != status || strings.Join(got, ",") != strings.Join(rules, ",") {
		t.Fatalf("status %s, rules %v; want %s, %v\n%s", res.Status, got, status, rules, text.String())
	}
	for _, w := range want {
		if !strings.Contains(text.String(), w) {
			t.Errorf("result does not mention %q:\n%s", w, text.String())
		}
	}
}

// writeFile writes a file under dir and sets its modification time.
func writeFile(t *testing.T, dir, name string, data []byte, mtime time.Time) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}
