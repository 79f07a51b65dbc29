package rollbackreadiness

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/configtest"
	"github.com/release-gate/release-gate/internal/registry"
	"github.com/release-gate/release-gate/internal/registry/registrytest"
	"github.com/release-gate/release-gate/internal/testenv"
)

// fastRetry keeps retry tests quick.
var fastRetry = registry.RetryPolicy{Attempts: 3, Initial: time.Millisecond, Factor: 2, Max: 10 * time.Millisecond}

// parseGate builds the gate from its section's body (unindented YAML).
func parseGate(t testing.TB, body string) (*Gate, error) {
	t.Helper()
	return newGate(configtest.Section(t, Name, body, nil), withRetry(fastRetry))
}

func mustGate(t testing.TB, body string) *Gate {
	t.Helper()
	g, err := parseGate(t, body)
	if err != nil {
		t.Fatalf("config:\n%s\nerror: %v", body, err)
	}
	return g
}

// testEnv is an Env on workspace whose environment is vars only (no docker
// config of the machine running the tests) and whose HTTP goes through rt.
func testEnv(workspace string, rt http.RoundTripper, vars map[string]string) gates.Env {
	env := registrytest.Env(rt, vars)
	env.Workspace = workspace
	return env
}

// writeFile writes a file under dir with a mode and modification time.
func writeFile(t testing.TB, dir, name string, data []byte, mode os.FileMode, mtime time.Time) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // past the umask
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// gitRepo makes an empty git repository and returns its directory.
func gitRepo(t testing.TB) string {
	t.Helper()
	testenv.LookPath(t, "git")
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	git(t, dir, "config", "user.email", "test@example.com")
	git(t, dir, "config", "user.name", "test")
	git(t, dir, "config", "core.fileMode", "true")
	return dir
}

// git runs git in dir and fails the test when it fails.
func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
