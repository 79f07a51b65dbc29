package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creack/pty"
)

func TestVersionFlag(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}, {"check", "--version"}} {
		r := runIn(t, nil, args...)
		if r.code != 0 || r.stdout != "release-gate "+toolVersion()+"\n" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
}

func TestHelpIsPerCommand(t *testing.T) {
	check := runIn(t, nil, "check", "--help")
	validate := runIn(t, nil, "validate", "--help")
	top := runIn(t, nil, "--help")
	if check.code != 0 || validate.code != 0 || top.code != 0 {
		t.Fatalf("exit codes %d %d %d", check.code, validate.code, top.code)
	}
	if check.stdout == validate.stdout || check.stdout == top.stdout {
		t.Error("check --help prints the same text as another command's help")
	}
	if !strings.Contains(check.stdout, "--gates") || strings.Contains(validate.stdout, "--gates") {
		t.Errorf("--gates belongs to check's help only:\ncheck:\n%s\nvalidate:\n%s", check.stdout, validate.stdout)
	}
	if h := runIn(t, nil, "help", "validate"); h.stdout != validate.stdout {
		t.Errorf("help validate prints %q", h.stdout)
	}
}

func TestUsageErrorsSuggest(t *testing.T) {
	dir := repo(t, nil)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "-C", dir, "--gatess", "x"}, "unknown flag --gatess. Did you mean --gates?"},
		{[]string{"check", "-C", dir, "--jsno", "x"}, "Did you mean --json?"},
		{[]string{"validate", "-C", dir, "--confg", "x"}, "Did you mean --config?"},
		{[]string{"chekc"}, "Did you mean check?"},
		{[]string{"check", "-C", dir, "--gates", "secret-scna"}, `unknown gate "secret-scna". Did you mean secret-scan?`},
		{[]string{"check", "-C", dir, "--gates="}, "--gates names no gate"},
		{[]string{"check", "-C", dir, "--gates", " , "}, "--gates names no gate"},
	} {
		r := runIn(t, nil, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr lacks %q:\n%s", c.args, r.code, c.want, r.stderr)
		}
		if strings.Contains(r.stderr, "Flags:") {
			t.Errorf("%v: a usage error prints the whole help:\n%s", c.args, r.stderr)
		}
	}
	// Nothing close: no guess.
	if r := runIn(t, nil, "check", "-C", dir, "--zzzzzzzz"); r.code != 2 || strings.Contains(r.stderr, "Did you mean") {
		t.Errorf("a far-off flag got a suggestion: %q", r.stderr)
	}
	// The action's gates input is empty by default: that means every gate.
	if r := runIn(t, map[string]string{"INPUT_GATES": ""}, "check", "-C", dir); r.code != 0 {
		t.Errorf("an empty gates input: exit %d\n%s", r.code, r.stderr)
	}
}

func TestSubdirectoryChecksTheRepository(t *testing.T) {
	dir := repo(t, map[string]string{
		".github/release-gate.yml": "version: 1\ngates:\n  secret-scan:\n    forbid-files: [\"*.secret\"]\n",
		"top.secret":               "x\n",
		"svc/api/main.go":          "package main\n",
	})
	t.Chdir(filepath.Join(dir, "svc", "api"))
	r := runIn(t, nil, "check")
	if r.code != 1 || !strings.Contains(r.stderr, "top.secret") || !strings.Contains(r.stderr, "config: .github/release-gate.yml") {
		t.Errorf("from a subdirectory: exit %d, want 1 naming top.secret, found with the repository's configuration:\n%s", r.code, r.stderr)
	}
	// Paths given on the command line stay relative to where the user is.
	out := filepath.Join(dir, "svc", "api", "r.json")
	if r := runIn(t, nil, "check", "--json", "r.json"); r.code != 1 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("--json r.json was not written where the user is: %v", err)
	}
}

func TestTerminalStyle(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, c := range []struct {
		tty         bool
		getenv      func(string) string
		color, live bool
	}{
		{true, env(), true, true},
		{true, env("NO_COLOR", "1"), false, true},
		{true, env("NO_COLOR", ""), true, true},
		{true, env("TERM", "dumb"), false, false},
		{false, env(), false, false},
	} {
		color, live := terminalStyle(c.tty, c.getenv)
		if color != c.color || live != c.live {
			t.Errorf("tty %v: color %v live %v, want %v %v", c.tty, color, live, c.color, c.live)
		}
	}
	// In-process runs write to buffers: no escape sequence reaches them.
	if r := runIn(t, nil, "check", "-C", repo(t, nil)); strings.ContainsRune(r.stderr, '\x1b') {
		t.Errorf("escape sequences on a non-terminal:\n%q", r.stderr)
	}
}

func TestCapitalImageInputIsNamed(t *testing.T) {
	dir := repo(t, map[string]string{".github/release-gate.yml": "version: 1\ngates:\n  secret-scan: {}\n"})
	r := runIn(t, map[string]string{"INPUT_IMAGE": "ghcr.io/Octo-Org/API:abc", "INPUT_STAGING-IMAGE": "ghcr.io/octo-org/api:staging"}, "check", "-C", dir)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"action input image:", "must be lowercase", "write ghcr.io/octo-org/api:abc"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, ".github/release-gate.yml:") {
		t.Errorf("the error blames the configuration file for an input:\n%s", r.stderr)
	}
	// The same value in the file is named at its line.
	dir = repo(t, map[string]string{".github/release-gate.yml": "version: 1\ngates:\n  staging-digest:\n    image: ghcr.io/Octo-Org/API:abc\n    staging: ghcr.io/octo-org/api:staging\n"})
	if r := runIn(t, nil, "validate", "-C", dir); r.code != 2 || !strings.Contains(r.stderr, ".github/release-gate.yml:4:12: gates.staging-digest.image:") || !strings.Contains(r.stderr, "must be lowercase") {
		t.Errorf("exit %d:\n%s", r.code, r.stderr)
	}
}

// TestColourOnARealTerminal runs the binary with stderr on a pseudo-terminal,
// as a person at a shell sees it: statuses are coloured unless NO_COLOR is
// set.
func TestColourOnARealTerminal(t *testing.T) {
	dir := repo(t, map[string]string{"main.go": "package main\n"})
	for _, noColor := range []bool{false, true} {
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Skipf("no pseudo-terminal: %v", err)
		}
		cmd := exec.Command(os.Args[0], "check", "-C", dir)
		cmd.Env = []string{"RELEASE_GATE_AS_MAIN=1", "PATH=" + os.Getenv("PATH"), "TERM=xterm"}
		if noColor {
			cmd.Env = append(cmd.Env, "NO_COLOR=1")
		}
		cmd.Stderr = tty
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		tty.Close()
		out, _ := io.ReadAll(ptmx) // ends with EIO when the child exits
		ptmx.Close()
		if err := cmd.Wait(); err != nil {
			t.Fatalf("exit: %v\n%s", err, out)
		}
		green := strings.Contains(string(out), "\x1b[32mPASS")
		if green == noColor {
			t.Errorf("NO_COLOR=%v: coloured %v:\n%q", noColor, green, out)
		}
		if !strings.Contains(string(out), "release-gate: ") {
			t.Errorf("no report on the terminal: %q", out)
		}
	}
}

func TestFlagWithoutValueIsNamedAsTyped(t *testing.T) {
	dir := repo(t, nil)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "-C", dir, "--json"}, "flag --json needs a value"},
		{[]string{"-C", dir, "--sarif"}, "flag --sarif needs a value"},
		{[]string{"validate", "-C"}, "flag -C needs a value"},
	} {
		r := runIn(t, nil, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr lacks %q:\n%s", c.args, r.code, c.want, r.stderr)
		}
	}
}

func TestHelpForAnUnknownCommandIsAUsageError(t *testing.T) {
	r := runIn(t, nil, "help", "chekc")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown command "chekc". Did you mean check?`) || r.stdout != "" {
		t.Errorf("help chekc: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	for _, topic := range []string{"check", "validate", "version", "help", "--help"} {
		if r := runIn(t, nil, "help", topic); r.code != 0 || r.stdout == "" {
			t.Errorf("help %s: exit %d, stderr %q", topic, r.code, r.stderr)
		}
	}
}

func TestCommandAfterFlagsSaysWhereItGoes(t *testing.T) {
	dir := repo(t, nil)
	r := runIn(t, nil, "-C", dir, "--config", "my config.yml", "validate")
	want := `"validate" is a command, and the command comes before the flags: release-gate validate -C ` + dir + ` --config 'my config.yml'`
	if r.code != 2 || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d, stderr lacks %q:\n%s", r.code, want, r.stderr)
	}
	if strings.Contains(r.stderr, "release-gate check:") {
		t.Errorf("the message blames check, which was not typed:\n%s", r.stderr)
	}
	// Typed after check, it is an extra argument of check.
	if r := runIn(t, nil, "check", "-C", dir, "validate"); r.code != 2 || !strings.Contains(r.stderr, `release-gate check: unexpected argument "validate"`) {
		t.Errorf("check … validate: exit %d\n%s", r.code, r.stderr)
	}
}

func TestTwoReportsInOnePlaceIsAUsageError(t *testing.T) {
	dir := repo(t, nil)
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-C", dir, "--json", "-", "--sarif", "-"}, nil, "--json and --sarif both write to stdout (-)"},
		{[]string{"-C", dir, "--json", "-", "--attestation", "-"}, nil, "--json and --attestation both write to stdout (-)"},
		{[]string{"-C", dir, "--json", "r.json", "--sarif", "./r.json"}, nil, "--json and --sarif both write r.json"},
		{[]string{"-C", dir, "--json", "a.predicate.json", "--attestation", "a.intoto.json"}, nil, "--json and the attestation's predicate both write a.predicate.json"},
		{[]string{"-C", dir}, map[string]string{"GITHUB_ACTIONS": "true", "INPUT_SARIF": "release-gate-report.json"}, "the JSON report (release-gate-report.json on GitHub Actions) and action input sarif both write release-gate-report.json"},
	} {
		r := runIn(t, c.env, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || r.stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr lacks %q:\n%s", c.args, r.code, r.stdout, c.want, r.stderr)
		}
	}
	if r := runIn(t, nil, "-C", dir, "--json", "-", "--sarif", filepath.Join(t.TempDir(), "r.sarif")); r.code != 0 {
		t.Errorf("one report on stdout: exit %d\n%s", r.code, r.stderr)
	}
}

func TestSkippedGateNamesWhereTheSelectionCameFrom(t *testing.T) {
	dir := repo(t, map[string]string{".github/release-gate.yml": "gates:\n  secret-scan: {}\n  compose: {}\n"})
	env, files := actionEnv(t, dir, map[string]string{"gates": "secret-scan"})
	r := runIn(t, env)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	summary, err := os.ReadFile(filepath.Join(files, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	for where, text := range map[string]string{"summary": string(summary), "stderr": r.stderr} {
		if !strings.Contains(text, "action input gates") || strings.Contains(text, "--gates") {
			t.Errorf("the %s does not name the action input as what left compose out:\n%s", where, text)
		}
	}
	if r := runIn(t, nil, "-C", dir, "--gates", "secret-scan"); !strings.Contains(r.stderr, "(not selected (--gates))") {
		t.Errorf("--gates: %s", r.stderr)
	}
	env["INPUT_GATES"] = "secret-scna"
	if r := runIn(t, env); r.code != 2 || !strings.Contains(r.stderr, `action input gates: unknown gate "secret-scna"`) {
		t.Errorf("a mistyped gates input: exit %d\n%s", r.code, r.stderr)
	}
}

// TestConfigRefWithoutAFile: a commit without a configuration file means
// the built-in default, said aloud; when the workspace has a file that
// commit lacks, the default would check less than the workspace asks for,
// so it is a configuration error.
func TestConfigRefWithoutAFile(t *testing.T) {
	dir := repo(t, map[string]string{"README.md": "hi\n"})
	base := gitIn(t, dir, "rev-parse", "HEAD")
	r := runIn(t, nil, "check", "-C", dir, "--config-ref", base)
	if want := "commit " + base + " has no .github/release-gate.yml (or .yaml): using the built-in default"; r.code != 0 || !strings.Contains(r.stderr, want) {
		t.Errorf("no file anywhere: exit %d, stderr lacks %q:\n%s", r.code, want, r.stderr)
	}

	gitIn(t, dir, "checkout", "-q", "-b", "change")
	if err := os.MkdirAll(filepath.Join(dir, ".github"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".github", "release-gate.yml"), []byte("gates:\n  secret-scan: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "-m", "configure")
	for _, cmd := range []string{"check", "validate"} {
		r := runIn(t, nil, cmd, "-C", dir, "--config-ref", "main")
		want := "--config-ref: commit main (" + base[:7] + ") has no .github/release-gate.yml (or .yaml), so the run would check only the built-in default; the workspace's .github/release-gate.yml is not read"
		if r.code != 2 || !strings.Contains(r.stderr, want) {
			t.Errorf("%s: the workspace has a file the commit lacks: exit %d, stderr lacks %q:\n%s", cmd, r.code, want, r.stderr)
		}
	}
	env, _ := actionEnv(t, dir, map[string]string{"config-ref": base})
	if r := runIn(t, env, "check"); r.code != 2 || !strings.Contains(r.stderr, "action input config-ref: commit "+base[:7]) {
		t.Errorf("with the config-ref input: exit %d\n%s", r.code, r.stderr)
	}
}
