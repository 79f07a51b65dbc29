package main

import (
	"bufio"
	"encoding/json"

	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/sanitize"
	"github.com/release-gate/release-gate/internal/testenv"
)

// These tests try, end to end, what a hostile change or a hostile value
// can do to the outputs: forge a workflow command, or leak a secret.

// checkLog fails when stderr, or stdout outside the commands release-gate
// writes (annotations and masks), holds a line the runner could execute.
func checkLog(t *testing.T, r result) {
	t.Helper()
	for _, s := range []struct{ name, out string }{{"stdout", r.stdout}, {"stderr", r.stderr}} {
		for _, line := range strings.Split(s.out, "\n") {
			if s.name == "stdout" && isOwnCommand(line) {
				continue
			}
			for _, seg := range strings.Split(line, "\r") {
				if sanitize.IsCommand(seg) {
					t.Errorf("%s line %q can be read as a workflow command", s.name, line)
				}
			}
		}
	}
}

// isOwnCommand reports whether line is a command release-gate writes: an
// annotation or a mask, one line, with nothing the runner would read as a
// second command.
func isOwnCommand(line string) bool {
	for _, prefix := range []string{"::error ", "::error::", "::warning ", "::warning::", "::notice ", "::notice::", "::add-mask::"} {
		if strings.HasPrefix(line, prefix) {
			return !strings.Contains(line, "##[")
		}
	}
	return false
}

func TestHostileFileNamesForgeNoCommand(t *testing.T) {
	key := testenv.AWSKey(t)
	dir := repo(t, map[string]string{
		"##[error]x.txt":                 "aws = \"" + key + "\"\n",
		"a\u200b::warning::b.txt":        "aws = \"" + key + "\"\n",
		"c\n::error title=X::forged.txt": "aws = \"" + key + "\"\n",
	})
	for _, format := range []string{"text", "github"} {
		env, files := actionEnv(t, dir, nil)
		r := runIn(t, env, "check", "--format", format)
		if r.code != 1 {
			t.Fatalf("%s: exit %d, want 1 (3 secrets)\n%s", format, r.code, r.stderr)
		}
		checkLog(t, r)
		if strings.Contains(r.stdout+r.stderr, key) {
			t.Errorf("%s: the secret was printed", format)
		}
		if format == "github" {
			summary, err := os.ReadFile(filepath.Join(files, "summary.md"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(summary), `\#\#\\\[error\]x.txt`) {
				t.Errorf("the summary does not name the file, escaped:\n%s", summary)
			}
		}
	}
}

func TestHostileBackupNameForgesNoCommand(t *testing.T) {
	dir := repo(t, map[string]string{".github/release-gate.yml": "gates:\n  backup-freshness:\n    location: backups\n    pattern: \"*.sql.gz\"\n    max-age: 1h\n"})
	backups := filepath.Join(dir, "backups")
	if err := os.MkdirAll(backups, 0o755); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(backups, "db-1\n::error title=X::y.sql.gz")
	if err := os.WriteFile(name, []byte("not gzip"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(name, old, old); err != nil {
		t.Fatal(err)
	}
	env, _ := actionEnv(t, dir, nil)
	r := runIn(t, env, "check", "--gates", "backup-freshness", "--format", "text")
	if r.code == 0 {
		t.Fatalf("a stale, corrupt backup passed:\n%s", r.stderr)
	}
	checkLog(t, r)
	if !strings.Contains(r.stderr, `db-1\n::error title=X::y.sql.gz`) {
		t.Errorf("the backup is not named, escaped, in the report:\n%s", r.stderr)
	}
}

func TestSecretsAreMaskedBeforeTheFirstByte(t *testing.T) {
	token := testenv.GitHubToken(t)
	dir := repo(t, map[string]string{".github/release-gate.yml": "gates:\n  secret-scan:\n    mode: ${INPUT_TOKEN}\n"})
	env, files := actionEnv(t, dir, map[string]string{"token": token})
	r := runIn(t, env, "check")
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	checkLog(t, r)
	lines := strings.Split(r.stdout, "\n")
	if lines[0] != "::add-mask::"+token {
		t.Errorf("the first line of stdout is %q, not the token's mask", lines[0])
	}
	summary, err := os.ReadFile(filepath.Join(files, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(lines[1:], "\n") + r.stderr + string(summary)
	if strings.Contains(all, token) {
		t.Errorf("the token was printed:\n%s", all)
	}
	if !strings.Contains(r.stderr, `.github/release-gate.yml:3:11: gates.secret-scan.mode: want enforce or warn, got "${INPUT_TOKEN}"`) {
		t.Errorf("the error does not say what is wrong:\n%s", r.stderr)
	}
}

// TestInterruptEndsTheRunWithWhatItReached sends SIGTERM to a run whose
// gate waits on a server that never answers: the process ends with exit 3
// and writes the JSON report, the gate marked interrupted.
func TestInterruptEndsTheRunWithWhatItReached(t *testing.T) {
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case started <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	dir := repo(t, map[string]string{".github/release-gate.yml": "gates:\n  health-endpoints:\n    base-url: " + srv.URL + "\n    request-timeout: 10m\n"})
	reportPath := filepath.Join(t.TempDir(), "report.json")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "check", "-C", dir, "--json", reportPath, "--gates", "health-endpoints")
	cmd.Env = append(os.Environ(), "RELEASE_GATE_AS_MAIN=1", "GITHUB_ACTIONS=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case <-started:
	case <-time.After(60 * time.Second): // a hang guard, not a timing check
		_ = cmd.Process.Kill()
		t.Fatal("the gate never reached the server")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var werr error
	select {
	case werr = <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the process did not end after SIGTERM")
	}
	var out []string
	for l := range lines {
		out = append(out, l)
	}
	if code := cmd.ProcessState.ExitCode(); code != 3 {
		t.Fatalf("exit %d (%v), want 3\n%s", code, werr, strings.Join(out, "\n"))
	}
	data, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatalf("no JSON report after the interrupt: %v", err)
	}
	var rep struct {
		Result string `json:"result"`
		Gates  []struct{ Name, Status, Error string }
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, g := range rep.Gates {
		if g.Name == "health-endpoints" {
			found = true
			if g.Status != "error" || !strings.Contains(g.Error, "interrupted") {
				t.Errorf("health-endpoints: %+v", g)
			}
		}
	}
	if rep.Result != "error" || !found {
		t.Errorf("report %s", data)
	}
}

// TestConfigLinkedOutOfTheWorkspaceIsRefused: a change can commit its
// configuration as a symbolic link to the runner's files; a parse error
// would then quote what it points at.
func TestConfigLinkedOutOfTheWorkspaceIsRefused(t *testing.T) {
	secret := testenv.GitHubToken(t)
	outside := filepath.Join(t.TempDir(), "environ")
	if err := os.WriteFile(outside, []byte("DEPLOY_KEY="+secret+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := repo(t, map[string]string{"README.md": "hi\n"})
	if err := os.MkdirAll(filepath.Join(dir, ".github"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{outside, "/proc/self/environ", "/dev/zero"} {
		link := filepath.Join(dir, ".github", "release-gate.yml")
		_ = os.Remove(link)
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		env, _ := actionEnv(t, dir, nil)
		r := runIn(t, env, "check")
		if r.code != 2 {
			t.Fatalf("%s: exit %d, want 2\n%s", target, r.code, r.stderr)
		}
		checkLog(t, r)
		if strings.Contains(r.stdout+r.stderr, secret) || strings.Contains(r.stdout+r.stderr, "DEPLOY_KEY") {
			t.Errorf("%s: the linked file's content was printed:\n%s", target, r.stderr)
		}
		if !strings.Contains(r.stderr, "leads out of the workspace") {
			t.Errorf("%s: the error does not say why:\n%s", target, r.stderr)
		}
	}
}

// TestConfigCredentialsAreMaskedFirst: the values of the variables a
// configuration names as credentials are masked before the first line of
// output, even when the configuration has errors and no gate runs.
func TestConfigCredentialsAreMaskedFirst(t *testing.T) {
	auth := "Bearer " + testenv.GitHubToken(t)
	password := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 20)
	cfg := "gates:\n" +
		"  health-endpoints:\n    base-url: https://staging.example.com\n    headers-env: {Authorization: STAGING_AUTH}\n    mode: bogus\n" +
		"  alert-presence:\n    prometheus: https://ops:${PROM_PASSWORD}@prom.example.com\n    require: [cpu]\n    wrong-key: 1\n"
	dir := repo(t, map[string]string{".github/release-gate.yml": cfg})
	env, _ := actionEnv(t, dir, nil)
	env["STAGING_AUTH"], env["PROM_PASSWORD"] = auth, password
	r := runIn(t, env, "check")
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	lines := strings.Split(r.stdout, "\n")
	masked := map[string]bool{}
	for i, l := range lines {
		v, ok := strings.CutPrefix(l, "::add-mask::")
		if !ok {
			lines = lines[i:]
			break
		}
		masked[v] = true
	}
	for _, secret := range []string{auth, password} {
		if !masked[secret] {
			t.Errorf("%q is not masked before the first other line of stdout:\n%s", secret, r.stdout)
		}
		if strings.Contains(strings.Join(lines, "\n")+r.stderr, secret) {
			t.Errorf("%q was printed", secret)
		}
	}
	checkLog(t, r)
}

// TestLongCredentialInAConfigError: a configuration error that quotes a
// value is cut short; a credential the value holds, longer than what is
// shown of it (a session token in a presigned URL), shows no part of it.
func TestLongCredentialInAConfigError(t *testing.T) {
	token := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 1200)
	cfg := "gates:\n  deploy-window:\n    calendar: http://freezes.example.com/f.ics?X-Amz-Security-Token=" + token + "\n"
	dir := repo(t, map[string]string{".github/release-gate.yml": cfg})
	r := runIn(t, nil, "check", "-C", dir)
	if r.code != 2 || !strings.Contains(r.stderr, "gates.deploy-window.calendar: \"http://freezes.example.com/f.ics?X-Amz-Security-Token=") {
		t.Fatalf("exit %d, want 2 and the error\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, token[:16]) {
		t.Errorf("part of the token was printed:\n%s", r.stderr)
	}
}

// TestLongSecretInAValueAGateQuotes: a secret-looking variable expanded
// where a gate wants a time or a digest, longer than what the gate's
// error would quote of the value, shows no part of it.
func TestLongSecretInAValueAGateQuotes(t *testing.T) {
	token := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 100)
	for name, key := range map[string]string{
		"deployed-at":  "deployed-at: ${DEPLOY_TOKEN}\n",
		"since-digest": "since-digest:\n      digest: ${DEPLOY_TOKEN}\n      query: up\n      search: 1h\n      step: 1m\n",
	} {
		t.Run(name, func(t *testing.T) {
			cfg := "gates:\n  staging-analysis:\n    prometheus: http://127.0.0.1:1\n    queries:\n      - query: up\n        success: result > 0\n    " + key
			dir := repo(t, map[string]string{".github/release-gate.yml": cfg})
			r := runIn(t, map[string]string{"DEPLOY_TOKEN": token}, "check", "-C", dir, "--gates", "staging-analysis")
			if r.code != 3 || !strings.Contains(r.stderr, name) {
				t.Fatalf("exit %d, want 3 and the error\n%s", r.code, r.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, token[:16]) {
				t.Errorf("part of the token was printed:\n%s", r.stderr)
			}
		})
	}
}

// TestConfigRefPinsTheGate: a change that sets its own gate to warn, and
// adds a secret, passes with the configuration it brings; read from the
// base commit, the configuration still blocks it.
func TestConfigRefPinsTheGate(t *testing.T) {
	key := testenv.AWSKey(t)
	dir := repo(t, map[string]string{".github/release-gate.yml": "gates:\n  secret-scan:\n    scope: [tree]\n"})
	base := gitIn(t, dir, "rev-parse", "HEAD")
	for name, content := range map[string]string{
		".github/release-gate.yml": "gates:\n  secret-scan:\n    scope: [tree]\n    mode: warn\n",
		"deploy.sh":                "export AWS=" + key + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "-m", "quietly")

	if r := runIn(t, nil, "check", "-C", dir); r.code != 0 {
		t.Fatalf("with the change's own configuration: exit %d, want 0 (warn)\n%s", r.code, r.stderr)
	}
	r := runIn(t, nil, "check", "-C", dir, "--config-ref", base)
	if r.code != 1 {
		t.Fatalf("with the base's configuration: exit %d, want 1\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, ".github/release-gate.yml@"+base[:7]) {
		t.Errorf("the report does not say where the configuration came from:\n%s", r.stderr)
	}
	env, _ := actionEnv(t, dir, map[string]string{"config-ref": base})
	if r := runIn(t, env, "check"); r.code != 1 {
		t.Errorf("with the config-ref input: exit %d, want 1\n%s", r.code, r.stderr)
	}
	r = runIn(t, nil, "check", "-C", dir, "--config-ref", "no-such-branch")
	if r.code != 2 || !strings.Contains(r.stderr, `"no-such-branch" is not a commit of this repository`) {
		t.Errorf("an unknown ref: exit %d\n%s", r.code, r.stderr)
	}
}

// TestCredentialWhereAVariablesNameBelongs: a token pasted into a key that
// takes a variable's name (token-env: ghp_…) has the shape of a name, so
// the configuration loads and each gate reads a variable that is not set.
// Its error says what is wrong without repeating the token, and nothing
// else the run writes holds it.
func TestCredentialWhereAVariablesNameBelongs(t *testing.T) {
	tokens := map[string]string{}
	for _, k := range []string{"alert", "analysis", "header", "password", "calendar"} {
		tokens[k] = testenv.GitHubToken(t)
	}
	cfg := "gates:\n" +
		"  alert-presence:\n    prometheus: http://127.0.0.1:1\n    token-env: " + tokens["alert"] + "\n    require: [cpu]\n" +
		"  staging-analysis:\n    prometheus: http://127.0.0.1:1\n    token-env: " + tokens["analysis"] + "\n    queries:\n      - query: up\n        success: result > 0\n" +
		"  health-endpoints:\n    base-url: http://127.0.0.1:1\n    headers-env: {Authorization: " + tokens["header"] + "}\n" +
		"  staging-digest:\n    image: 127.0.0.1:1/app:v1\n    staging: 127.0.0.1:1/app:v1\n    username-env: REG_USER\n    password-env: " + tokens["password"] + "\n" +
		"  deploy-window:\n    calendar-url-env: " + tokens["calendar"] + "\n"
	dir := repo(t, map[string]string{".github/release-gate.yml": cfg})
	env, files := actionEnv(t, dir, nil)
	env["REG_USER"] = "deployer"
	r := runIn(t, env, "check", "--gates", "alert-presence,staging-analysis,health-endpoints,staging-digest,deploy-window")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var written strings.Builder
	for _, l := range strings.Split(r.stdout, "\n") {
		if !strings.HasPrefix(l, "::add-mask::") {
			written.WriteString(l + "\n")
		}
	}
	written.WriteString(r.stderr)
	for _, f := range []string{"summary.md", "output"} {
		b, err := os.ReadFile(filepath.Join(files, f))
		if err != nil {
			t.Fatal(err)
		}
		written.Write(b)
	}
	for k, tok := range tokens {
		if strings.Contains(written.String(), tok[4:]) {
			t.Errorf("%s: the token was written:\n%s", k, written.String())
		}
	}
	testenv.MustContain(t, "errors", r.stdout,
		"token-env: names a variable that is not set or empty, and the name looks like a token itself",
		"headers-env: Authorization names [a name that looks like a credential, not shown",
		"password-env names [a name that looks like a credential, not shown",
		"calendar-url-env: [a name that looks like a credential, not shown")
	checkLog(t, r)
}

// A token pasted as deploy-window's override.env is never written, whether
// the override is asked for or not.
func TestOverrideEnvThatLooksLikeATokenIsNotShown(t *testing.T) {
	tok := testenv.GitHubToken(t)
	today := time.Now().UTC().Format(time.DateOnly)
	cfg := "version: 1\ngates:\n  deploy-window:\n    zone: UTC\n    freezes:\n      - \"" + today + ": launch\"\n    override:\n      env: " + tok + "\n"
	dir := repo(t, map[string]string{".github/release-gate.yml": cfg})
	for _, asked := range []bool{false, true} {
		env, files := actionEnv(t, dir, nil)
		want := 1
		if asked {
			env[tok], env["GITHUB_ACTOR"], want = "emergency fix", "alice", 0
		}
		r := runIn(t, env, "check")
		if r.code != want {
			t.Fatalf("asked %v: exit %d, want %d\n%s", asked, r.code, want, r.stderr)
		}
		var written strings.Builder
		for _, l := range strings.Split(r.stdout, "\n") {
			if !strings.HasPrefix(l, "::add-mask::") {
				written.WriteString(l + "\n")
			}
		}
		summary, err := os.ReadFile(filepath.Join(files, "summary.md"))
		if err != nil {
			t.Fatal(err)
		}
		report, err := os.ReadFile(filepath.Join(dir, "release-gate-report.json"))
		if err != nil {
			t.Fatal(err)
		}
		if all := written.String() + r.stderr + string(summary) + string(report); strings.Contains(all, tok[4:]) {
			t.Errorf("asked %v: the token was written:\n%s", asked, all)
		}
		testenv.MustContain(t, "stderr", r.stderr, "[a name that looks like a credential, not shown")
	}
}
