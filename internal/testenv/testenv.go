// Package testenv is what tests across release-gate share: it finds and
// starts the real programs they test against (prometheus, docker-registry,
// skopeo, ...) on free 127.0.0.1 ports, builds fake secrets at run time and
// checks that text says what it must. It imports only the standard library,
// so that the tests of any package can use it.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run in CI (CI=true), where a missing
// program is a failure rather than a reason to skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// LookPath returns the path of the named program. When it is missing, the
// test is skipped on a developer's machine and fails in CI, since .ci/run
// installs every program the tests need.
func LookPath(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if InCI() {
		t.Fatalf("%s is not installed; .ci/run should have installed it: %v", name, err)
	}
	t.Skipf("%s is not installed (set CI=true to make this a failure): %v", name, err)
	return ""
}

// GOROOT is the root of the Go that runs the tests (go env GOROOT), whose
// source tree tests read as real-world material.
func GOROOT(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	root := string(out)
	for len(root) > 0 && (root[len(root)-1] == '\n' || root[len(root)-1] == '\r') {
		root = root[:len(root)-1]
	}
	if err != nil || root == "" {
		t.Fatalf("go env GOROOT: %v", err)
	}
	return root
}

// ModuleDir is where the module cache holds the module path at the
// version this module requires: the test data dependencies ship is read
// from there at test time, never copied into the repository.
func ModuleDir(t testing.TB, path string) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", path).Output()
	dir := string(out)
	for len(dir) > 0 && (dir[len(dir)-1] == '\n' || dir[len(dir)-1] == '\r') {
		dir = dir[:len(dir)-1]
	}
	if err != nil || dir == "" {
		t.Fatalf("go list -m %s: no directory (%v); run go mod download", path, err)
	}
	return dir
}
