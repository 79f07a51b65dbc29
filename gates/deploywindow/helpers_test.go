package deploywindow

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/configtest"
	"github.com/release-gate/release-gate/internal/gatetest"
)

func parseGate(t testing.TB, body string) (gates.Gate, error) {
	t.Helper()
	return New(configtest.Section(t, Name, body, nil))
}

func mustGate(t testing.TB, body string) gates.Gate {
	t.Helper()
	g, err := parseGate(t, body)
	if err != nil {
		t.Fatalf("config:\n%s\nerror: %v", body, err)
	}
	return g
}

// at parses an RFC 3339 instant.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// testEnv is an Env at now on workspace, whose environment is vars only.
func testEnv(workspace string, now time.Time, vars map[string]string) gates.Env {
	return gates.Env{
		Workspace:  workspace,
		Now:        func() time.Time { return now },
		HTTPClient: &http.Client{},
		Getenv:     func(k string) string { return vars[k] },
	}
}

// runAt runs the gate configured by body at the instant now (RFC 3339).
func runAt(t testing.TB, body, now string, vars map[string]string) gates.Result {
	t.Helper()
	return gatetest.Run(t, mustGate(t, body), testEnv(t.TempDir(), at(t, now), vars))
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
