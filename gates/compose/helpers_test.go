package compose

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/configtest"
)

// gateFor builds the gate from its section body; "" is the defaults.
func gateFor(t testing.TB, body string) *Gate {
	t.Helper()
	s := config.NewSection("release-gate.yml", Name)
	if strings.TrimSpace(body) != "" {
		s = configtest.Section(t, Name, body, nil)
	}
	g, err := newGate(s)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g
}

// workspace writes files (path: content) into a fresh directory.
func workspace(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// sandboxed parses files (path: content) and copies them into a sandbox,
// removed when the test ends, as load does.
func sandboxed(t testing.TB, files map[string]string) (*sandbox, *sourceSet) {
	t.Helper()
	sb, err := newSandbox()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.remove() })
	src := &sourceSet{byRel: map[string]*yamlFile{}}
	for rel, content := range files {
		f, err := parseYAMLFile(rel, []byte(content))
		if err != nil {
			t.Fatal(err)
		}
		f.data = []byte(content)
		src.byRel[rel] = f
		src.files = append(src.files, f)
	}
	if err := sb.add(src); err != nil {
		t.Fatal(err)
	}
	return sb, src
}

// run runs the gate the way users see it, with environ as the process
// environment.
func run(t testing.TB, dir, body string, environ map[string]string) gates.Result {
	t.Helper()
	return gatetest.Run(t, gateFor(t, body), testEnv(dir, environ))
}

// testEnv is what the gate sees: the workspace dir and environ as the
// process environment.
func testEnv(dir string, environ map[string]string) gates.Env {
	return gates.Env{Workspace: dir, Getenv: func(k string) string { return environ[k] }}
}

// where lists findings as "file:line:col rule" for comparison.
func where(fs []gates.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Pos.String() + " " + f.Rule
	}
	return out
}

// goodService is a service that meets every rule, indented for services:.
const goodService = `    image: ghcr.io/org/api:1.2.3
    healthcheck:
      test: ["CMD", "wget", "-qO-", "http://localhost:8080/health"]
      interval: 10s
      timeout: 5s
      retries: 5
      start_period: 30s
    logging:
      driver: json-file
      options: {max-size: "10m", max-file: "3"}
`

// at returns "file:line:col" of the first occurrence of marker in content,
// so expected positions read as what they point at.
func at(t testing.TB, file, content, marker string) string {
	t.Helper()
	i := strings.Index(content, marker)
	if i < 0 {
		t.Fatalf("marker %q not in %s", marker, file)
	}
	line := strings.Count(content[:i], "\n") + 1
	col := i - strings.LastIndex(content[:i], "\n")
	return file + ":" + itoa(line) + ":" + itoa(col)
}

func itoa(n int) string {
	return strconv.Itoa(n)
}
