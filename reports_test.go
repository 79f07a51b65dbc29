package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportsToStdout: --json - and --sarif - write to stdout, and a
// device path (/dev/stdout) is written to, never replaced by a file.
func TestReportsToStdout(t *testing.T) {
	dir := repo(t, map[string]string{"main.go": "package main\n"})
	r := runIn(t, nil, "check", "-C", dir, "--json", "-")
	var rep struct{ Result string }
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rep) != nil || rep.Result != "pass" {
		t.Fatalf("exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
	}
	r = runIn(t, nil, "check", "-C", dir, "--sarif", "-")
	var sarif struct{ Version string }
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &sarif) != nil || sarif.Version != "2.1.0" {
		t.Fatalf("exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
	}

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "check", "-C", dir, "--json", "/dev/stdout")
	cmd.Env = append(os.Environ(), "RELEASE_GATE_AS_MAIN=1", "GITHUB_ACTIONS=")
	out, err := cmd.Output()
	if err != nil || json.Unmarshal(out, &rep) != nil || rep.Result != "pass" {
		t.Fatalf("--json /dev/stdout: %v, stdout %q", err, out)
	}
	if fi, err := os.Lstat("/dev/stdout"); err != nil || fi.Mode().IsRegular() {
		t.Errorf("/dev/stdout was replaced: %v", err)
	}

	// Stdout redirected to a file, as "release-gate check --json /dev/stdout
	// > report.json" does: the file gets the report, and stays the file the
	// shell opened (not replaced by another one).
	redirected := filepath.Join(t.TempDir(), "report.json")
	f, err := os.Create(redirected)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(exe, "check", "-C", dir, "--json", "/dev/stdout")
	cmd.Env = append(os.Environ(), "RELEASE_GATE_AS_MAIN=1", "GITHUB_ACTIONS=")
	cmd.Stdout = f
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(redirected)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(redirected)
	if err != nil || json.Unmarshal(data, &rep) != nil || !os.SameFile(before, after) {
		t.Errorf("redirected stdout: same file %v, content %q", os.SameFile(before, after), data)
	}
}

// TestReportNeverWrittenThroughTheChangesLink: the change can commit the
// default report path as a link to a file a later step runs; the report is
// not written through it, and the run says why.
func TestReportNeverWrittenThroughTheChangesLink(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "profile.sh")
	if err := os.WriteFile(outside, []byte("echo hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := repo(t, map[string]string{"main.go": "package main\n"})
	if err := os.Symlink(outside, filepath.Join(dir, defaultReportPath)); err != nil {
		t.Fatal(err)
	}
	env, files := actionEnv(t, dir, nil)
	r := runIn(t, env, "check", "--gates", "secret-scan")
	if r.code != 3 {
		t.Errorf("exit %d, want 3 (a report that cannot be written)\n%s", r.code, r.stderr)
	}
	if data, _ := os.ReadFile(outside); string(data) != "echo hello\n" {
		t.Errorf("the report was written through the link: %q", data)
	}
	if !strings.Contains(r.stderr, "leads out of the workspace") {
		t.Errorf("stderr does not say why:\n%s", r.stderr)
	}
	if out := outputs(t, filepath.Join(files, "output")); out["report"] != "" {
		t.Errorf("the report output names a report that was not written: %q", out["report"])
	}
}
