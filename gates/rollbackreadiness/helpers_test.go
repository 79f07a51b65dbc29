package rollbackreadiness

import (
	"context"
	"fmt"
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

// run runs the gate the way release-gate does and returns what users see.
func run(t testing.TB, g gates.Gate, env gates.Env) gates.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := gates.Runner{}
	return r.Run(ctx, env, []gates.Job{{Gate: g}})[0]
}

// want fails unless the result has the status and exactly the rules given
// (in order); each want string must appear in what users see.
func want(t testing.TB, res gates.Result, status gates.Status, rules []string, wants ...string) {
	t.Helper()
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Rule)
	}
	text := describe(res)
	if res.Status != status || strings.Join(got, ",") != strings.Join(rules, ",") {
		t.Fatalf("status %s, rules %v; want %s, %v\n%s", res.Status, got, status, rules, text)
	}
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("result does not mention %q:\n%s", w, text)
		}
	}
}

func output(r gates.Result, name string) string {
	for _, o := range r.Outputs {
		if o.Name == name {
			return o.Value
		}
	}
	return ""
}

// describe prints a result for failure messages and for want's checks.
func describe(r gates.Result) string {
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
