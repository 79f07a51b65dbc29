package main

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/internal/registry/registrytest"
	"github.com/release-gate/release-gate/internal/testenv"
)

// Attacks on the CLI as users run it, each found working once.

// --config-ref origin/main, as a CLI user outside GitHub would write it:
// a tag named origin/main, which a change can push, comes first in git's
// order and would bring the change's own configuration.
func TestConfigRefNamedByAnAmbiguousRefIsRefused(t *testing.T) {
	key := testenv.AWSKey(t)
	dir := repo(t, map[string]string{".github/release-gate.yml": "gates:\n  secret-scan:\n    scope: [tree]\n"})
	gitIn(t, dir, "update-ref", "refs/remotes/origin/main", "HEAD")
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
	if r := runIn(t, nil, "check", "-C", dir, "--config-ref", "origin/main"); r.code != 1 {
		t.Fatalf("before the tag: exit %d, want 1\n%s", r.code, r.stderr)
	}
	gitIn(t, dir, "tag", "origin/main", "HEAD")
	r := runIn(t, nil, "check", "-C", dir, "--config-ref", "origin/main")
	if r.code != 2 || !strings.Contains(r.stderr, "more than one ref") {
		t.Errorf("with a tag named origin/main: exit %d, want 2 naming the ambiguity\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, key) {
		t.Error("the secret was printed")
	}
}

// A key as a directory's name, holding a file with another key: every
// output names the file, so each used to print the first key. It is
// masked before anything names it, in the log and in every report.
func TestKeyInAFileNameIsNeverPrinted(t *testing.T) {
	token, key := testenv.GitHubToken(t), testenv.AWSKey(t)
	name := "keys/" + token + "/creds.txt"
	dir := repo(t, map[string]string{name: "aws = " + key + "\n", ".env": "A=1\n", "keys/" + token + "/.env": "B=2\n"})
	env, files := actionEnv(t, dir, nil)
	r := runIn(t, env, "check", "--sarif", filepath.Join(files, "out.sarif"))
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	checkLog(t, r)
	var shown []string
	for _, line := range strings.Split(r.stdout, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			shown = append(shown, line)
		}
	}
	all := strings.Join(shown, "\n") + r.stderr
	for _, f := range []string{"summary.md", "output", "out.sarif"} {
		data, err := os.ReadFile(filepath.Join(files, f))
		if err != nil {
			t.Fatal(err)
		}
		all += string(data)
	}
	data, err := os.ReadFile(filepath.Join(dir, "release-gate-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	all += string(data)
	for _, s := range []string{token, key} {
		if strings.Contains(all, s) {
			t.Errorf("a secret was printed:\n%s", all)
		}
	}
	if !strings.Contains(r.stderr, "keys/***/creds.txt") || !strings.Contains(r.stderr, "github-pat") {
		t.Errorf("the report does not name the file, masked, and the rule:\n%s", r.stderr)
	}
}

// A pull request, run as the container action runs on it (another uid's
// workspace, a pull_request event), that used to pass: each commit hides
// a key one way: behind an executable's magic and a NUL byte, in a
// commit message, in an octopus merge's own resolution, later removed.
func TestPullRequestHidingKeysFailsAsAnAction(t *testing.T) {
	dir := repo(t, map[string]string{"README.md": "hello\n"})
	base := gitIn(t, dir, "rev-parse", "HEAD")
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	keys := []string{testenv.AWSKey(t), testenv.AWSKey(t), testenv.AWSKey(t)}
	write("tool.cfg", "MZ\x00\naws = "+keys[0]+"\n")
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "-m", "deploy with AWS_ACCESS_KEY_ID="+keys[1])
	for _, b := range []string{"b1", "b2"} {
		gitIn(t, dir, "checkout", "-q", "-b", b, base)
		write(b+".txt", b+"\n")
		gitIn(t, dir, "add", "-A")
		gitIn(t, dir, "commit", "-q", "-m", b)
	}
	gitIn(t, dir, "checkout", "-q", "main")
	gitIn(t, dir, "merge", "-q", "--no-commit", "b1", "b2")
	write("evil.txt", "aws = "+keys[2]+"\n")
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "-m", "octopus")
	gitIn(t, dir, "rm", "-q", "evil.txt")
	gitIn(t, dir, "commit", "-q", "-m", "clean up")
	head := gitIn(t, dir, "rev-parse", "HEAD")

	env, files := actionEnv(t, dir, nil)
	event := filepath.Join(files, "event.json")
	if err := os.WriteFile(event, []byte(`{"pull_request": {"base": {"sha": "`+base+`"}, "head": {"sha": "`+head+`"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env["GITHUB_EVENT_PATH"], env["GITHUB_EVENT_NAME"] = event, "pull_request"
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chown", "-R", "4321:4321", dir).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v %s", err, out)
		}
	}
	r := runIn(t, env, "check")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	checkLog(t, r)
	for _, want := range []string{"tool.cfg:2:", "evil.txt:1:", "It is in commit"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the report lacks %q:\n%s", want, r.stderr)
		}
	}
	for _, k := range keys {
		if strings.Contains(r.stdout+r.stderr, k) {
			t.Errorf("a key was printed")
		}
	}
}

// A base waiver for one rule's false positives in test fixtures. The
// change's .gitleaks.toml disables the rule that finds its AWS key and
// names a rule of its own after the waived one: the key, found by the base's
// rules as aws-access-token, is reported as let pass by the change's own
// suppression, not waived.
func TestRuleRenamedByTheChangeIsNotWaived(t *testing.T) {
	cfg := "version: 1\ngates:\n  secret-scan:\n    scope: [diff, tree]\nwaivers:\n  - gate: secret-scan\n    rule: generic-api-key\n    path: \"test/fixtures/**\"\n    owner: sec\n    reason: sample tokens in fixtures are fake\n    expires: " + day(30) + "\n"
	dir := repo(t, map[string]string{".github/release-gate.yml": cfg, "test/fixtures/readme.txt": "fixtures\n"})
	base := gitIn(t, dir, "rev-parse", "HEAD")
	toml := "[extend]\nuseDefault = true\ndisabledRules = [\"aws-access-token\"]\n\n[[rules]]\nid = \"generic-api-key\"\ndescription = \"x\"\nregex = '''AKIA[A-Z2-7]{16}'''\nkeywords = [\"akia\"]\n"
	commitFiles(t, dir, map[string]string{".gitleaks.toml": toml, "test/fixtures/deploy.txt": "AWS=" + testenv.AWSKey(t) + "\n"})
	r := runIn(t, map[string]string{"INPUT_BASE": base, "INPUT_HEAD": "HEAD"}, "check", "-C", dir, "--config-ref", base)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	testenv.MustContain(t, "report", r.stderr, "test/fixtures/deploy.txt:1:5: This change adds a secret (aws-access-token)", "[suppressed-in-change]")
}

// The base's .gitleaksignore ignores a key on one old commit
// (commit:file:rule:line). gitleaks also looks every finding's
// file:rule:line up in that list, and git allows ':' in names: a change
// adding "<commit>:deploy.sh" with a new key on that line had it ignored in
// every scope, on the change's commit and in the tracked files.
func TestIgnoredCommitIsNotAFileName(t *testing.T) {
	for _, scope := range []string{"diff", "tree", "history", "upper case"} {
		t.Run(scope, func(t *testing.T) {
			dir := repo(t, map[string]string{"README.md": "hi\n"})
			old := commitFiles(t, dir, map[string]string{"deploy.sh": "# deploy\nexport AWS=" + testenv.AWSKey(t) + "\n"})
			if scope == "upper case" {
				// An entry that can match no commit matches no file either.
				old, scope = strings.ToUpper(old), "diff"
			}
			base := commitFiles(t, dir, map[string]string{
				"deploy.sh":                "# deploy\n",
				".gitleaksignore":          old + ":deploy.sh:aws-access-token:2\n",
				".github/release-gate.yml": "version: 1\ngates:\n  secret-scan:\n    scope: [" + scope + "]\n",
			})
			if scope == "history" {
				// The old key itself stays ignored on its commit.
				r := runIn(t, nil, "check", "-C", dir, "--config-ref", base)
				if r.code != 0 {
					t.Fatalf("before the change: exit %d, want 0\n%s", r.code, r.stderr)
				}
			}
			commitFiles(t, dir, map[string]string{old + ":deploy.sh": "# x\nexport AWS=" + testenv.AWSKey(t) + "\n"})
			env := map[string]string{"INPUT_BASE": base, "INPUT_HEAD": "HEAD"}
			if scope == "history" {
				env = nil
			}
			r := runIn(t, env, "check", "-C", dir, "--config-ref", base)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
			}
			testenv.MustContain(t, "report", r.stderr, old+":deploy.sh:2:13", "[aws-access-token]")
		})
	}
}

// A shallow clone holds the last commits only: scope history there would
// report the key of a cut-off commit as no secret at all.
func TestHistoryOfAShallowCloneIsAnError(t *testing.T) {
	src := repo(t, map[string]string{".github/release-gate.yml": "version: 1\ngates:\n  secret-scan:\n    scope: [history]\n"})
	commitFiles(t, src, map[string]string{"k.txt": "AWS=" + testenv.AWSKey(t) + "\n"})
	gitIn(t, src, "rm", "-q", "k.txt")
	gitIn(t, src, "commit", "-q", "-m", "remove the key")
	if r := runIn(t, nil, "check", "-C", src); r.code != 1 {
		t.Fatalf("whole clone: exit %d, want 1\n%s", r.code, r.stderr)
	}
	clone := filepath.Join(t.TempDir(), "shallow")
	gitIn(t, src, "clone", "-q", "--depth", "1", "file://"+src, clone)
	r := runIn(t, nil, "check", "-C", clone)
	if r.code != 3 {
		t.Fatalf("shallow clone: exit %d, want 3\n%s", r.code, r.stderr)
	}
	testenv.MustContain(t, "error", r.stderr, "this clone is shallow", "fetch-depth: 0")
}

// A configuration emptied or cut short (no gate left) is an error, not a
// pass that checked nothing.
func TestConfigWithNoGateIsAnError(t *testing.T) {
	for _, body := range []string{"", "version: 1\n", "version: 1\ngates: {}\n", "gates:\n", "# all gates moved elsewhere\n"} {
		dir := repo(t, map[string]string{".github/release-gate.yml": body})
		for _, cmd := range []string{"check", "validate"} {
			r := runIn(t, nil, cmd, "-C", dir)
			if r.code != 2 || !strings.Contains(r.stderr, ".github/release-gate.yml: configures no gate") {
				t.Errorf("%s of %q: exit %d, want 2 and the error\n%s", cmd, body, r.code, r.stderr)
			}
		}
	}
}

// What the run cannot write ends it with exit 3, and every output written
// after says error: the last line, the step outputs, the JSON report. No
// attestation is left by a run that does not pass.
func TestUnwrittenOutputMakesTheVerdictAnError(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/shop/api:candidate")
	registrytest.WriteImage(t, host+"/shop/api:staging", img)
	dir := repo(t, map[string]string{".github/release-gate.yml": stagingConfig(host, "candidate", "staging", "")})

	t.Run("summary", func(t *testing.T) {
		env, files := actionEnv(t, dir, nil)
		env["GITHUB_STEP_SUMMARY"] = filepath.Join(files, "a-directory")
		if err := os.Mkdir(env["GITHUB_STEP_SUMMARY"], 0o755); err != nil {
			t.Fatal(err)
		}
		r := runIn(t, env, "check")
		outs := outputs(t, filepath.Join(files, "output"))
		if r.code != 3 || outs["result"] != "error" || outs["attestation"] != "" {
			t.Fatalf("exit %d, outputs %v; want 3, result error, no attestation\n%s", r.code, outs, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, defaultAttestationPath)); err == nil {
			t.Errorf("the statement was written")
		}
		testenv.MustContain(t, "stderr", r.stderr, "writing the job summary", "release-gate: ERROR — blocked (fail closed): could not write the job summary (exit 3)")
		var rep struct {
			Result   string `json:"result"`
			ExitCode int    `json:"exit_code"`
		}
		data, err := os.ReadFile(filepath.Join(dir, defaultReportPath))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &rep); err != nil || rep.Result != "error" || rep.ExitCode != 3 {
			t.Errorf("JSON report: %+v, %v", rep, err)
		}
	})
	t.Run("attestation", func(t *testing.T) {
		// Its path is a directory: the summary, written after, says error.
		att := "att-" + strings.ReplaceAll(t.Name(), "/", "-") + ".intoto.json"
		if err := os.Mkdir(filepath.Join(dir, att), 0o755); err != nil {
			t.Fatal(err)
		}
		env, files := actionEnv(t, dir, map[string]string{"attestation": att})
		r := runIn(t, env, "check")
		summary, err := os.ReadFile(filepath.Join(files, "summary.md"))
		if err != nil {
			t.Fatal(err)
		}
		outs := outputs(t, filepath.Join(files, "output"))
		if r.code != 3 || outs["result"] != "error" || outs["attestation"] != "" || !strings.Contains(string(summary), "release-gate: error") || strings.Contains(string(summary), "Every enforced gate passed") {
			t.Errorf("exit %d, outputs %v, summary:\n%s\n%s", r.code, outs, summary, r.stderr)
		}
	})
	t.Run("attestation on stdout", func(t *testing.T) {
		// The statement of a pass waits for the end: the outputs fail first.
		env, files := actionEnv(t, dir, map[string]string{"attestation": "-"})
		env["GITHUB_OUTPUT"] = filepath.Join(files, "a-directory")
		if err := os.Mkdir(env["GITHUB_OUTPUT"], 0o755); err != nil {
			t.Fatal(err)
		}
		r := runIn(t, env, "check")
		if r.code != 3 || strings.Contains(r.stdout, "in-toto") || !strings.Contains(r.stderr, "no attestation written: the run ends with exit code 3") {
			t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		env, _ = actionEnv(t, dir, map[string]string{"attestation": "-"})
		if r := runIn(t, env, "check"); r.code != 0 || !strings.Contains(r.stdout, "in-toto") {
			t.Errorf("a pass: exit %d, no statement on stdout\n%s", r.code, r.stderr)
		}
	})
	t.Run("SARIF", func(t *testing.T) {
		jsonPath := filepath.Join(t.TempDir(), "r.json")
		r := runIn(t, nil, "check", "-C", dir, "--json", jsonPath, "--sarif", filepath.Join(t.TempDir(), "missing", "r.sarif"))
		if r.code != 3 || !strings.Contains(r.stderr, "release-gate: ERROR — blocked (fail closed): could not write the SARIF report (exit 3)") {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		data, err := os.ReadFile(jsonPath)
		if err != nil || !strings.Contains(string(data), `"result": "error"`) {
			t.Errorf("JSON report: %v\n%s", err, data)
		}
	})
}

// With scope [tree] alone and the configuration read from the base, a
// change's own suppressions (its .gitleaks.toml, a gitleaks:allow comment)
// do not let its key pass; those already at the base still apply.
func TestTreeScopeHoldsTheChangeToTheBasesSuppressions(t *testing.T) {
	for _, scope := range []string{"tree", "history"} {
		t.Run(scope, func(t *testing.T) { testScopeHoldsTheChangeToTheBasesSuppressions(t, scope) })
	}
}

// testScopeHoldsTheChangeToTheBasesSuppressions is
// TestTreeScopeHoldsTheChangeToTheBasesSuppressions for one scope without
// the diff scope.
func testScopeHoldsTheChangeToTheBasesSuppressions(t *testing.T, scope string) {
	cfg := "version: 1\ngates:\n  secret-scan:\n    scope: [" + scope + "]\n"
	allowlist := "[extend]\nuseDefault = true\n[allowlist]\npaths = ['''deploy\\.sh''']\n"
	for name, c := range map[string]struct {
		base, change map[string]string
		want         int
		wants        []string
	}{
		"allowlist added": {nil, map[string]string{".gitleaks.toml": allowlist, "deploy.sh": "AWS=KEY\n"}, 1,
			[]string{"deploy.sh:1:5: This change adds a secret (aws-access-token) that only an allowlist", "[suppressed-in-change]", "[scan-policy-edited]"}},
		"allow comment added": {nil, map[string]string{"deploy.sh": "AWS=KEY # gitleaks:allow\n"}, 1,
			[]string{"deploy.sh:1:5: This change adds a secret (aws-access-token) that only a gitleaks:allow comment", "[suppressed-in-change]"}},
		"allowlist at base":     {map[string]string{".gitleaks.toml": allowlist}, map[string]string{"deploy.sh": "AWS=KEY\n"}, 0, nil},
		"allow comment at base": {map[string]string{"deploy.sh": "AWS=KEY # gitleaks:allow\n"}, map[string]string{"README.md": "y\n"}, 0, nil},
	} {
		t.Run(name, func(t *testing.T) {
			key := testenv.AWSKey(t)
			files := map[string]string{".github/release-gate.yml": cfg, "README.md": "x\n"}
			for k, v := range c.base {
				files[k] = strings.ReplaceAll(v, "KEY", key)
			}
			dir := repo(t, files)
			base := gitIn(t, dir, "rev-parse", "HEAD")
			change := map[string]string{}
			for k, v := range c.change {
				change[k] = strings.ReplaceAll(v, "KEY", key)
			}
			commitFiles(t, dir, change)
			env := map[string]string{"INPUT_BASE": base, "INPUT_HEAD": "HEAD"}
			if scope == "history" {
				env = nil // the history scope takes no base
			}
			r := runIn(t, env, "check", "-C", dir, "--config-ref", base)
			if r.code != c.want {
				t.Fatalf("exit %d, want %d\n%s", r.code, c.want, r.stderr)
			}
			testenv.MustContain(t, "report", r.stderr, c.wants...)
		})
	}
}

// A waiver for the compose files under deploy/batch does not cover a
// service declared elsewhere that extends one of them, though the finding
// is placed at the healthcheck it inherits from there.
func TestComposeWaiverPathDoesNotCoverAServiceExtendingItsFiles(t *testing.T) {
	cfg := "version: 1\ngates:\n  compose:\n    files: [compose.yaml, deploy/batch/compose.yaml]\nwaivers:\n  - gate: compose\n    rule: healthcheck\n    path: \"deploy/batch/**\"\n    owner: \"@data\"\n    reason: batch images get a health endpoint later\n    expires: " + day(20) + "\n"
	logging := "    logging:\n      driver: json-file\n      options: {max-size: 10m, max-file: \"3\"}\n"
	batch := "services:\n  worker:\n    image: batch:1\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n" + logging
	api := "services:\n  api:\n    image: ghcr.io/org/api:1\n    extends: {file: deploy/batch/compose.yaml, service: worker}\n" + logging
	dir := repo(t, map[string]string{".github/release-gate.yml": cfg, "deploy/batch/compose.yaml": batch, "compose.yaml": "services:\n  web:\n    image: nginx:1\n    healthcheck: {test: [CMD, \"true\"], interval: 10s, timeout: 5s, retries: 3, start_period: 10s}\n" + logging})
	base := gitIn(t, dir, "rev-parse", "HEAD")
	if r := runIn(t, nil, "check", "-C", dir, "--config-ref", base); r.code != 0 || !strings.Contains(r.stderr, "the healthcheck of service worker") {
		t.Fatalf("the batch file alone: exit %d, want 0 with its finding waived\n%s", r.code, r.stderr)
	}
	commitFiles(t, dir, map[string]string{"compose.yaml": api})
	r := runIn(t, nil, "check", "-C", dir, "--config-ref", base)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	testenv.MustContain(t, "report", r.stderr, "error: deploy/batch/compose.yaml:4:5: the healthcheck of service api does not set")
}

// A Git LFS object is in no commit: the diff scope and the check of a
// change's own suppressions see its pointer only. A gitleaks:allow comment
// in the object, which the change could have added unseen, is therefore
// not honoured where the tree scope reads it from the work tree.
func TestLFSObjectAllowCommentIsNotHonoured(t *testing.T) {
	for _, scope := range []string{"tree", "diff, tree"} {
		t.Run(scope, func(t *testing.T) {
			cfg := "version: 1\ngates:\n  secret-scan:\n    scope: [" + scope + "]\n"
			dir := repo(t, map[string]string{".github/release-gate.yml": cfg, "README.md": "x\n"})
			base := gitIn(t, dir, "rev-parse", "HEAD")
			obj := "AWS=" + testenv.AWSKey(t) + " # gitleaks:allow\n"
			sum := sha256.Sum256([]byte(obj))
			pointer := fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%x\nsize %d\n", sum, len(obj))
			commitFiles(t, dir, map[string]string{".gitattributes": "*.dat filter=lfs diff=lfs merge=lfs -text\n", "creds.dat": pointer})
			// As git lfs leaves it on checkout.
			if err := os.WriteFile(filepath.Join(dir, "creds.dat"), []byte(obj), 0o644); err != nil {
				t.Fatal(err)
			}
			r := runIn(t, map[string]string{"INPUT_BASE": base, "INPUT_HEAD": "HEAD"}, "check", "-C", dir, "--config-ref", base)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
			}
			testenv.MustContain(t, "report", r.stderr, "creds.dat:1:5:", "[aws-access-token]")
		})
	}
}
