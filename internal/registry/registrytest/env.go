package registrytest

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
)

// Env is a gates.Env for a registry client under test: its environment is
// vars only, so the docker config and credentials of the machine running
// the tests are never read, and its HTTP goes through rt
// (http.DefaultTransport when nil), a Counter say. Its workspace does not
// exist; set Workspace when the test needs one.
func Env(rt http.RoundTripper, vars map[string]string) gates.Env {
	return gates.Env{
		Workspace:  "/nonexistent",
		Now:        time.Now,
		HTTPClient: &http.Client{Transport: rt},
		Getenv:     func(k string) string { return vars[k] },
	}
}

// WriteDockerConfig writes content as dir/config.json, a docker config for
// DOCKER_CONFIG=dir (or HOME when dir is $HOME/.docker), and returns its
// path.
func WriteDockerConfig(t testing.TB, dir, content string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "config.json")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
