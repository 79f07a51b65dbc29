package backupfreshness

import (
	"net/http"
	"os"
	"path/filepath"
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
