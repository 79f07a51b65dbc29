package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/internal/testenv"
)

// TestMain lets the test binary stand in for release-gate: run with
// RELEASE_GATE_AS_MAIN=1 it is the program itself, so tests can run it as
// a separate process, the way the Actions runner runs the container.
func TestMain(m *testing.M) {
	if os.Getenv("RELEASE_GATE_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// repo makes a git repository with files committed.
func repo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	gitIn(t, dir, "init", "-q", "-b", "main")
	commitFiles(t, dir, files)
	return dir
}

// commitFiles writes files into dir and commits them as one change (an
// empty one when there are none), returning its id.
func commitFiles(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "--allow-empty", "-m", "change")
	return gitIn(t, dir, "rev-parse", "HEAD")
}

func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

type result struct {
	code           int
	stdout, stderr string
}

// runIn runs the CLI in-process with the given environment.
func runIn(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, func(k string) string { return env[k] }, &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

func TestDefaultConfigOnCleanRepo(t *testing.T) {
	dir := repo(t, map[string]string{"main.go": "package main\n"})
	r := runIn(t, nil, "check", "-C", dir)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"config: built-in default", "PASS    secret-scan", "SKIPPED staging-digest", "not configured", "release-gate: PASS"} {
		if !strings.Contains(r.stderr, want) && !strings.Contains(r.stderr, strings.Replace(want, "SKIPPED staging-digest", "SKIPPED", 1)) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

func TestSecretFailsWithExit1AndNeverPrintsIt(t *testing.T) {
	key := testenv.AWSKey(t)
	dir := repo(t, map[string]string{"cfg/app.env.txt": "AWS=" + key + "\n"})
	jsonPath := filepath.Join(t.TempDir(), "report.json")
	sarifPath := filepath.Join(t.TempDir(), "report.sarif")
	r := runIn(t, nil, "-C", dir, "--json", jsonPath, "--sarif", sarifPath)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "cfg/app.env.txt:1:5") {
		t.Errorf("stderr does not locate the secret:\n%s", r.stderr)
	}
	for _, path := range []string{jsonPath, sarifPath} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), key) {
			t.Errorf("%s contains the secret", path)
		}
		if !strings.Contains(string(data), "aws-access-token") {
			t.Errorf("%s lacks the finding", path)
		}
	}
	if strings.Contains(r.stdout+r.stderr, key) {
		t.Error("the secret was printed")
	}
}

func TestConfigErrorsExit2(t *testing.T) {
	dir := repo(t, map[string]string{
		".github/release-gate.yml": "version: 1\ngates:\n  secret-scan:\n    scoep: [tree]\n  stagng-digest: {}\n",
	})
	r := runIn(t, nil, "check", "-C", dir)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		`.github/release-gate.yml:5:3: gates: unknown gate "stagng-digest" (did you mean "staging-digest"?)`,
		`.github/release-gate.yml:4:5: gates.secret-scan: unknown key "scoep" (did you mean "scope"?)`,
		"nothing was checked",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if v := runIn(t, nil, "validate", "-C", dir); v.code != 2 {
		t.Errorf("validate exit %d", v.code)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := repo(t, nil)
	for _, args := range [][]string{
		{"frobnicate"},
		{"check", "--nope"},
		{"check", "-C", dir, "--gates", "secret-scan,nope"},
		{"check", "-C", dir, "--format", "xml"},
		{"check", "-C", dir, "--config", "missing.yml"},
		{"check", "-C", dir, "--gates", "staging-digest"}, // not configured
		{"check", "-C", filepath.Join(dir, "nope")},
	} {
		if r := runIn(t, nil, args...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, r.code, r.stderr)
		}
	}
	if r := runIn(t, nil, "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "release-gate ") {
		t.Errorf("version: %d %q", r.code, r.stdout)
	}
	if r := runIn(t, nil, "--help"); r.code != 0 || !strings.Contains(r.stdout, "Exit codes") {
		t.Errorf("help: %d %q", r.code, r.stdout)
	}
}

func TestValidate(t *testing.T) {
	dir := repo(t, map[string]string{".github/release-gate.yml": "gates:\n  secret-scan:\n    scope: tree\n"})
	r := runIn(t, nil, "validate", "-C", dir)
	if r.code != 0 || !strings.Contains(r.stdout, ".github/release-gate.yml: valid; gates configured: secret-scan") {
		t.Errorf("exit %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestUnsetVariableIsAConfigError(t *testing.T) {
	dir := repo(t, map[string]string{".github/release-gate.yml": "gates:\n  secret-scan:\n    base: ${BASE_SHA}\n"})
	r := runIn(t, nil, "-C", dir)
	if r.code != 2 || !strings.Contains(r.stderr, "${BASE_SHA} is not set") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
	r = runIn(t, map[string]string{"BASE_SHA": "HEAD"}, "validate", "-C", dir)
	if r.code != 0 {
		t.Errorf("with BASE_SHA set: exit %d\n%s", r.code, r.stderr)
	}
}

func TestGatesFlagSkipsOthers(t *testing.T) {
	dir := repo(t, map[string]string{".github/release-gate.yml": "gates:\n  secret-scan: {}\n"})
	r := runIn(t, nil, "-C", dir, "--gates", "secret-scan")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}

// actionEnv makes the environment the Actions runner gives a container
// action: inputs as INPUT_*, GITHUB_* files in a temp dir.
func actionEnv(t *testing.T, workspace string, inputs map[string]string) (map[string]string, string) {
	files := t.TempDir()
	for _, f := range []string{"summary.md", "output"} {
		if err := os.WriteFile(filepath.Join(files, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{
		"GITHUB_ACTIONS":      "true",
		"CI":                  "true",
		"GITHUB_WORKSPACE":    workspace,
		"GITHUB_STEP_SUMMARY": filepath.Join(files, "summary.md"),
		"GITHUB_OUTPUT":       filepath.Join(files, "output"),
		"GITHUB_EVENT_NAME":   "workflow_dispatch",
		"HOME":                filepath.Join(files, "home"),
	}
	for k, v := range inputs {
		env["INPUT_"+strings.ToUpper(k)] = v
	}
	return env, files
}

// outputs reads a $GITHUB_OUTPUT file.
func outputs(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			continue
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

// TestAsContainerAction runs the program as a separate process the way the
// runner runs the action's container: INPUT_* and GITHUB_* variables, the
// workspace as working directory, owned by another user, a pull request
// event.
func TestAsContainerAction(t *testing.T) {
	key := testenv.AWSKey(t)
	dir := repo(t, map[string]string{"README.md": "hi\n", ".github/release-gate.yml": "gates:\n  secret-scan:\n    scope: [diff, tree]\n"})
	base := gitIn(t, dir, "rev-parse", "HEAD")
	if err := os.WriteFile(filepath.Join(dir, "deploy.sh"), []byte("export AWS="+key+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitIn(t, dir, "add", "deploy.sh")
	gitIn(t, dir, "commit", "-q", "-m", "deploy script")
	head := gitIn(t, dir, "rev-parse", "HEAD")

	env, files := actionEnv(t, dir, map[string]string{"token": "ghs_" + strings.Repeat("x", 36)})
	event := filepath.Join(files, "event.json")
	payload := `{"pull_request": {"base": {"sha": "` + base + `"}, "head": {"sha": "` + head + `"}}}`
	if err := os.WriteFile(event, []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}
	env["GITHUB_EVENT_PATH"] = event
	env["GITHUB_EVENT_NAME"] = "pull_request"
	env["GITHUB_SERVER_URL"] = "https://github.com"
	env["GITHUB_REPOSITORY"] = "Octo-Org/API"
	env["GITHUB_SHA"] = head
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chown", "-R", "4321:4321", dir).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v %s", err, out)
		}
	}

	cmd := exec.Command(os.Args[0])
	cmd.Dir = dir
	cmd.Env = []string{"RELEASE_GATE_AS_MAIN=1", "PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	exit := 0
	if ee, ok := err.(*exec.ExitError); ok {
		exit = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if exit != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", exit, stdout.String(), stderr.String())
	}

	// The token is masked before anything else is printed.
	if !strings.HasPrefix(stdout.String(), "::add-mask::ghs_") {
		t.Errorf("stdout does not start by masking the token:\n%s", stdout.String())
	}
	wantAnnotation := "::error col=12,file=deploy.sh,line=1,title=release-gate%3A secret-scan (aws-access-token)::"
	if !strings.Contains(stdout.String(), wantAnnotation) {
		t.Errorf("stdout lacks %q:\n%s", wantAnnotation, stdout.String())
	}
	if !strings.Contains(stdout.String(), "(commit "+head[:7]+")") {
		t.Errorf("the annotation does not name the commit:\n%s", stdout.String())
	}
	out := outputs(t, env["GITHUB_OUTPUT"])
	if out["result"] != "fail" || out["failed-gates"] != "secret-scan" || out["report"] != "release-gate-report.json" {
		t.Errorf("outputs %v", out)
	}
	summary, err := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(summary), "| secret-scan | ❌ fail |") || !strings.Contains(string(summary), "1 commit") {
		t.Errorf("summary:\n%s", summary)
	}
	if heading, _, _ := strings.Cut(string(summary), "\n"); !strings.Contains(heading, "secret-scan failed") {
		t.Errorf("the summary's heading %q does not name the failed gate", heading)
	}
	if link := "(https://github.com/Octo-Org/API/blob/" + head + "/deploy.sh#L1)"; !strings.Contains(string(summary), link) {
		t.Errorf("the summary does not link the finding to %s:\n%s", link, summary)
	}
	var rep struct {
		Result string `json:"result"`
		Gates  []struct {
			Name     string `json:"name"`
			Findings []struct {
				Rule, File, Commit string
				Line               int
			} `json:"findings"`
		} `json:"gates"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "release-gate-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Result != "fail" || len(rep.Gates[0].Findings) != 1 || rep.Gates[0].Findings[0].Commit != head {
		t.Errorf("report %s", data)
	}
	all := stdout.String() + stderr.String() + string(summary) + string(data)
	if strings.Contains(all, key) {
		t.Error("the secret found reached the output")
	}
	// The token appears once: in the command that masks it.
	if n := strings.Count(all, strings.Repeat("x", 36)); n != 1 {
		t.Errorf("the token appears %d times in the output", n)
	}
}

func TestActionConfigErrorAnnotatesTheFile(t *testing.T) {
	dir := repo(t, map[string]string{"rg.yml": "gates:\n  secret-scan:\n    mode: block\n"})
	env, _ := actionEnv(t, dir, map[string]string{"config": "rg.yml"})
	r := runIn(t, env)
	if r.code != 2 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	want := `::error col=11,file=rg.yml,line=3,title=release-gate%3A configuration error::gates.secret-scan.mode: want enforce or warn, got "block"`
	if !strings.Contains(r.stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
	}
	if out := outputs(t, env["GITHUB_OUTPUT"]); out["result"] != "error" {
		t.Errorf("outputs %v", out)
	}
}

func TestEventParsing(t *testing.T) {
	dir := t.TempDir()
	b1, h1 := strings.Repeat("b1", 20), strings.Repeat("a1", 20)
	b2, h2 := strings.Repeat("b2", 32), strings.Repeat("a2", 32) // SHA-256 repositories
	for _, tt := range []struct {
		name, payload, base, head string
	}{
		{"pull_request", `{"pull_request":{"base":{"sha":"` + b1 + `"},"head":{"sha":"` + h1 + `"}}}`, b1, h1},
		{"push", `{"before":"` + b2 + `","after":"` + h2 + `"}`, b2, h2},
		{"push", `{"before":"0000000000000000000000000000000000000000","after":"` + h1 + `"}`, "", h1},
		{"merge_group", `{"merge_group":{"base_sha":"` + b1 + `","head_sha":"` + h1 + `"}}`, b1, h1},
		{"workflow_dispatch", `{"inputs":{}}`, "", ""},
	} {
		p := filepath.Join(dir, tt.name+".json")
		if err := os.WriteFile(p, []byte(tt.payload), 0o644); err != nil {
			t.Fatal(err)
		}
		ev, err := readEvent(func(k string) string {
			return map[string]string{"GITHUB_EVENT_PATH": p, "GITHUB_EVENT_NAME": tt.name}[k]
		})
		if err != nil || ev.Base != tt.base || ev.Head != tt.head || ev.Name != tt.name {
			t.Errorf("%s: %+v %v", tt.payload, ev, err)
		}
	}
	// A payload is untrusted input too: what it names as commits must be
	// commit ids, never options or revision expressions for git.
	for _, payload := range []string{
		"{",
		`{"pull_request":{"base":{"sha":"--output=/tmp/x"},"head":{"sha":"` + h1 + `"}}}`,
		`{"before":"` + b1 + `","after":"HEAD~3"}`,
		`{"merge_group":{"base_sha":"` + b1 + `\n::error::x","head_sha":"` + h1 + `"}}`,
	} {
		p := filepath.Join(dir, "bad.json")
		if err := os.WriteFile(p, []byte(payload), 0o644); err != nil {
			t.Fatal(err)
		}
		if ev, err := readEvent(func(k string) string { return map[string]string{"GITHUB_EVENT_PATH": p}[k] }); err == nil {
			t.Errorf("the event payload %s was accepted: %+v", payload, ev)
		}
	}
}

func TestRepositoryPassesItsOwnGate(t *testing.T) {
	// go run . check on this repository exits 0 (the README's first command).
	r := runIn(t, nil, "check", "--gates", "secret-scan", "--config", "testdata/self-check.yml")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}

func TestImageInputsConfigureStagingDigest(t *testing.T) {
	dir := repo(t, map[string]string{"a.txt": "a\n"})
	r := runIn(t, map[string]string{"INPUT_IMAGE": "ghcr.io/org/api:abc", "INPUT_STAGING-IMAGE": "ghcr.io/org/api:staging"}, "validate", "-C", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "gates configured: secret-scan, staging-digest") {
		t.Errorf("exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = runIn(t, map[string]string{"INPUT_IMAGE": "ghcr.io/org/api:abc"}, "validate", "-C", dir)
	if r.code != 2 || !strings.Contains(r.stderr, "image and staging-image go together") {
		t.Errorf("one input alone: exit %d %q", r.code, r.stderr)
	}
}

// A configuration written as .github/release-gate.yaml is read too: running
// the built-in default instead would skip every gate it configures and pass.
func TestYamlExtensionIsRead(t *testing.T) {
	cfg := "version: 1\ngates:\n  health-endpoints:\n    base-url: http://127.0.0.1:1\n"
	dir := repo(t, map[string]string{".github/release-gate.yaml": cfg})
	r := runIn(t, nil, "validate", "-C", dir)
	if r.code != 0 || !strings.Contains(r.stdout, ".github/release-gate.yaml: valid; gates configured: health-endpoints") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Both files: which one configures the release is unclear, so neither.
	dir = repo(t, map[string]string{".github/release-gate.yaml": cfg, ".github/release-gate.yml": cfg})
	r = runIn(t, nil, "check", "-C", dir)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	testenv.MustContain(t, "stderr", r.stderr, "both .github/release-gate.yml and its .yaml twin exist")
}

// An unset ${VAR} in a value a gate checks is one error: what the gate
// would say of the unexpanded value follows from it and is left out.
func TestUnsetVariableIsOneError(t *testing.T) {
	dir := repo(t, map[string]string{".github/release-gate.yml": "gates:\n  staging-digest:\n    image: ghcr.io/org/app:${RELEASE_SHA}\n    staging: ghcr.io/org/app:staging\n    wait: {timeout: 0s}\n"})
	r := runIn(t, nil, "validate", "-C", dir)
	if r.code != 2 || strings.Count(r.stderr, ".github/release-gate.yml:") != 2 {
		t.Fatalf("exit %d, want 2 and two errors\n%s", r.code, r.stderr)
	}
	testenv.MustContain(t, "errors", r.stderr, ".github/release-gate.yml:3:12: ${RELEASE_SHA} is not set", ".github/release-gate.yml:5:")
	if strings.Contains(r.stderr, "not an image reference") {
		t.Errorf("the unexpanded value is judged too:\n%s", r.stderr)
	}
}
