package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/internal/testenv"
)

// day is a date days from today, as a waiver's expires writes it.
func day(days int) string { return time.Now().UTC().AddDate(0, 0, days).Format(time.DateOnly) }

// waiverYAML is a configuration that scans the tracked files and waives
// what the waivers listed say.
func waiverYAML(waivers string) string {
	return "version: 1\ngates:\n  secret-scan:\n    scope: [tree]\nwaivers:\n" + waivers
}

func readJSONReport(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// gateOf returns the gate named name in a JSON report.
func gateOf(t *testing.T, rep map[string]any, name string) map[string]any {
	t.Helper()
	for _, g := range rep["gates"].([]any) {
		if g := g.(map[string]any); g["name"] == name {
			return g
		}
	}
	t.Fatalf("the report has no gate %s", name)
	return nil
}

// TestWaiverLetsARealSecretPassAsTheActionRuns: a real key committed to a
// real repository, waived with an owner, a reason, a ticket and a date a
// month away. The action passes; the finding is still in every report,
// marked waived, and the waiver's untrusted text stays inert.
func TestWaiverLetsARealSecretPassAsTheActionRuns(t *testing.T) {
	key := testenv.AWSKey(t)
	cfg := waiverYAML("  - gate: secret-scan\n    rule: aws-access-token\n    path: \"cfg/*.txt\"\n    owner: \"@payments-oncall\"\n    reason: \"rotated in OPS-123 ::error::forged\"\n    ticket: OPS-123\n    expires: " + day(30) + "\n")
	dir := repo(t, map[string]string{"cfg/app.env.txt": "AWS=" + key + "\n", ".github/release-gate.yml": cfg})
	env, files := actionEnv(t, dir, map[string]string{"sarif": "out.sarif"})
	r := runIn(t, env, "check")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0: the only finding is waived\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	checkLog(t, r)
	if strings.Contains(r.stdout+r.stderr, key) {
		t.Fatal("the secret was printed")
	}
	testenv.MustContain(t, "annotations", r.stdout, "::notice col=5,file=cfg/app.env.txt,line=1", "waived by @payments-oncall")
	testenv.MustContain(t, "text report", r.stderr, "waived by @payments-oncall until "+day(30), "30 days left", "[OPS-123]", "waiver at .github/release-gate.yml:6")

	rep := readJSONReport(t, filepath.Join(dir, defaultReportPath))
	if rep["result"] != "pass" {
		t.Errorf("result %v, want pass", rep["result"])
	}
	g := gateOf(t, rep, "secret-scan")
	if g["status"] != "pass" {
		t.Errorf("secret-scan status %v, want pass", g["status"])
	}
	fs := g["findings"].([]any)
	if len(fs) != 1 {
		t.Fatalf("findings %v, want the waived one", fs)
	}
	f := fs[0].(map[string]any)
	w, _ := f["waiver"].(map[string]any)
	if f["severity"] != "notice" || w == nil || w["owner"] != "@payments-oncall" || w["ticket"] != "OPS-123" || w["days_left"] != 30.0 || w["line"] != 6.0 {
		t.Errorf("the finding is not marked waived as written: %v", f)
	}
	if ws := gateOf(t, rep, "waivers"); ws["status"] != "pass" || !strings.Contains(ws["summary"].(string), "1 applied, 0 unused") {
		t.Errorf("waivers result %v", ws)
	}

	sarif, err := os.ReadFile(filepath.Join(dir, "out.sarif"))
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID       string
				Suppressions []struct{ Kind, Status, Justification string }
			}
		}
	}
	if err := json.Unmarshal(sarif, &log); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, res := range log.Runs[0].Results {
		if res.RuleID == "secret-scan/aws-access-token" {
			found = len(res.Suppressions) == 1 && res.Suppressions[0].Status == "accepted" && strings.Contains(res.Suppressions[0].Justification, "@payments-oncall")
		}
	}
	if !found {
		t.Errorf("SARIF lacks the suppression with its justification:\n%s", sarif)
	}
	summary, err := os.ReadFile(filepath.Join(files, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The owner is shown, escaped so that it mentions nobody.
	testenv.MustContain(t, "summary", string(summary), "waived by &#64;payments-oncall", "OPS-123")
	if strings.Contains(string(summary), "@payments-oncall") {
		t.Error("the summary mentions the owner")
	}
}

// TestWaiverThatCannotApplyFails: an expired waiver, one beyond
// max-waiver-days and one that matches nothing. The first two fail the
// run naming the waiver's file:line, and none lets the secret pass.
func TestWaiverThatCannotApplyFails(t *testing.T) {
	key := testenv.AWSKey(t)
	for _, c := range []struct {
		name, expires, path, rule, want string
	}{
		{"expired", day(-1), "cfg/*.txt", "waiver-expired", "expired on " + day(-1)},
		{"beyond the cap", day(91), "cfg/*.txt", "waiver-too-long", "more than max-waiver-days (90)"},
		{"unused", day(10), "other/*.txt", "waiver-unused", "matched no finding"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := waiverYAML("  - gate: secret-scan\n    path: \"" + c.path + "\"\n    owner: ops\n    reason: migration\n    expires: " + c.expires + "\n")
			dir := repo(t, map[string]string{"cfg/app.env.txt": "AWS=" + key + "\n", ".github/release-gate.yml": cfg})
			jsonPath := filepath.Join(t.TempDir(), "r.json")
			env, files := actionEnv(t, dir, nil)
			r := runIn(t, env, "check", "--json", jsonPath)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
			}
			checkLog(t, r)
			testenv.MustContain(t, "text report", r.stderr, ".github/release-gate.yml:6", c.want, "["+c.rule+"]")
			// The waiver is annotated on the line that writes it.
			level := map[bool]string{true: "warning", false: "error"}[c.rule == "waiver-unused"]
			testenv.MustContain(t, "annotations", r.stdout, "::"+level+" file=.github/release-gate.yml,line=6,title=release-gate%3A waivers ("+c.rule+")")
			wantFailed := "secret-scan,waivers"
			if c.rule == "waiver-unused" {
				wantFailed = "secret-scan"
			}
			if got := outputs(t, filepath.Join(files, "output"))["failed-gates"]; got != wantFailed {
				t.Errorf("failed-gates %q, want %q", got, wantFailed)
			}
			rep := readJSONReport(t, jsonPath)
			if g := gateOf(t, rep, "secret-scan"); g["status"] != "fail" {
				t.Errorf("secret-scan %v, want fail: the waiver must not apply", g["status"])
			}
			wantStatus := "fail"
			if c.rule == "waiver-unused" {
				wantStatus = "pass" // a warning
			}
			if g := gateOf(t, rep, "waivers"); g["status"] != wantStatus {
				t.Errorf("waivers %v, want %s", g["status"], wantStatus)
			}
		})
	}
}

// TestChangeCannotWaiveItsOwnSecret: the change under test adds a key and
// a waiver for it, in the configuration or in the waivers file the
// configuration names. Read from the base commit (--config-ref), the
// configuration and its waivers file are as the base has them, and the
// key fails the run. Without --config-ref the waiver applies, as the
// checkout is trusted, but secret-scan names the edited file for review.
func TestChangeCannotWaiveItsOwnSecret(t *testing.T) {
	key := testenv.AWSKey(t)
	waiver := "  - gate: secret-scan\n    owner: attacker\n    reason: trust me\n    expires: " + day(5) + "\n"
	base := "version: 1\ngates:\n  secret-scan:\n    scope: [diff]\n"
	for _, c := range []struct {
		name       string
		files      map[string]string // at base
		edit, with string            // the file the change edits, and its new content
	}{
		{"in the configuration", map[string]string{".github/release-gate.yml": base}, ".github/release-gate.yml", base + "waivers:\n" + waiver},
		{"in a waivers file", map[string]string{".github/release-gate.yml": base + "waivers: ops/waivers.yml\n", "ops/waivers.yml": "waivers: []\n"}, "ops/waivers.yml", "waivers:\n" + waiver},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := repo(t, c.files)
			baseSHA := gitIn(t, dir, "rev-parse", "HEAD")
			if err := os.WriteFile(filepath.Join(dir, "deploy.sh"), []byte("export AWS="+key+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(c.edit)), []byte(c.with), 0o644); err != nil {
				t.Fatal(err)
			}
			gitIn(t, dir, "add", "-A")
			gitIn(t, dir, "commit", "-q", "-m", "deploy")
			env := map[string]string{"INPUT_BASE": baseSHA, "INPUT_HEAD": "HEAD"}

			r := runIn(t, env, "check", "-C", dir, "--config-ref", baseSHA)
			if r.code != 1 || !strings.Contains(r.stderr, "deploy.sh:1") {
				t.Fatalf("with the base's configuration: exit %d, want 1 naming the key\n%s", r.code, r.stderr)
			}
			if strings.Contains(r.stderr, "waived by") {
				t.Errorf("the change's own waiver applied:\n%s", r.stderr)
			}

			r = runIn(t, env, "check", "-C", dir)
			if r.code != 0 {
				t.Fatalf("with the checkout's configuration: exit %d, want 0 (the waiver applies)\n%s", r.code, r.stderr)
			}
			// The waiver matches every secret-scan finding; the warning
			// that names the edit stays a warning.
			testenv.MustContain(t, "text report", r.stderr, "waived by attacker", "warning: "+c.edit+": This change edits "+c.edit)
		})
	}
}

// TestWaiversFileAtTheConfigRef: the waivers file is read from the same
// commit as the configuration, and a waiver it holds is named there.
func TestWaiversFileAtTheConfigRef(t *testing.T) {
	key := testenv.AWSKey(t)
	waivers := "waivers:\n  - gate: secret-scan\n    path: deploy.sh\n    owner: platform\n    reason: key is revoked, history rewrite planned\n    expires: " + day(20) + "\n"
	dir := repo(t, map[string]string{
		".github/release-gate.yml": "version: 1\ngates:\n  secret-scan:\n    scope: [diff]\nwaivers: ops/waivers.yml\n",
		"ops/waivers.yml":          waivers,
	})
	baseSHA := gitIn(t, dir, "rev-parse", "HEAD")
	if err := os.WriteFile(filepath.Join(dir, "deploy.sh"), []byte("export AWS="+key+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The change removes the waivers file: the base's still applies.
	if err := os.Remove(filepath.Join(dir, "ops", "waivers.yml")); err != nil {
		t.Fatal(err)
	}
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "-m", "deploy")
	env := map[string]string{"INPUT_BASE": baseSHA, "INPUT_HEAD": "HEAD"}
	r := runIn(t, env, "check", "-C", dir, "--config-ref", baseSHA)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s", r.code, r.stderr)
	}
	testenv.MustContain(t, "text report", r.stderr, "waived by platform", "waiver at ops/waivers.yml@"+baseSHA[:7]+":2")
	// Without the config ref the file is gone: a configuration error.
	r = runIn(t, env, "check", "-C", dir)
	if r.code != 2 || !strings.Contains(r.stderr, "waivers file ops/waivers.yml does not exist") {
		t.Fatalf("exit %d, want 2 naming the missing file\n%s", r.code, r.stderr)
	}
}

// TestWaiverConfigErrorsAreValidated: validate reports a waiver's problems
// at file:line:col, every one at once.
func TestWaiverConfigErrorsAreValidated(t *testing.T) {
	cfg := "version: 1\nmax-waiver-days: 400\ngates:\n  secret-scan: {}\nwaivers:\n" +
		"  - gate: secret-scna\n    owner: a\n    reason: b\n    expires: 2026-12-15\n" +
		"  - gate: secret-scan\n    owner: a\n    reason: b\n    expires: 12/15/2026\n" +
		"  - gate: secret-scan\n    owner: a\n    reason: b\n" +
		"  - gate: secret-scan\n    owner: \"\"\n    reason: b\n    path: \"[\"\n    expires: 2026-12-15T10:00:00\n"
	dir := repo(t, map[string]string{".github/release-gate.yml": cfg})
	r := runIn(t, nil, "validate", "-C", dir)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	testenv.MustContain(t, "errors", r.stderr,
		".github/release-gate.yml:2:18: max-waiver-days: want a number of days from 1 to 366",
		".github/release-gate.yml:6:11: waivers[0].gate: unknown gate \"secret-scna\" (did you mean \"secret-scan\"?)",
		".github/release-gate.yml:18:12: waivers[3].owner: must not be empty",
		".github/release-gate.yml:20:11: waivers[3].path:",
		".github/release-gate.yml:13:14: waivers[1].expires: want a date",
		".github/release-gate.yml:14:5: waivers[2]: missing required key \"expires\"",
		".github/release-gate.yml:21:14: waivers[3].expires: want a date",
	)
}

// TestDocsWaiversFileExample: the configuration that names a waivers file
// and the waivers file docs/waivers.md shows pass release-gate validate
// together, in a repository that holds both where the example says.
func TestDocsWaiversFileExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("docs", "waivers.md"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg, waivers string
	for _, b := range codeBlocks("docs/waivers.md", data) {
		switch {
		case b.lang != "yaml":
		case strings.HasPrefix(b.text, "waivers:"):
			waivers = b.text
		case strings.Contains(b.text, "\nwaivers: .github/"):
			cfg = b.text
		}
	}
	if cfg == "" || waivers == "" {
		t.Fatal("docs/waivers.md shows no configuration naming a waivers file, or no waivers file")
	}
	if _, err := config.ParseWaivers("example", []byte(waivers), config.Options{Gates: gateNames()}); err != nil {
		t.Fatal(err)
	}
	dir := repo(t, map[string]string{".github/release-gate.yml": cfg, ".github/release-gate-waivers.yml": waivers})
	if r := runIn(t, nil, "validate", "-C", dir); r.code != 0 {
		t.Fatalf("validate: exit %d\n%s", r.code, r.stderr)
	}
	// And the file is read: a broken one is reported.
	dir = repo(t, map[string]string{".github/release-gate.yml": cfg, ".github/release-gate-waivers.yml": strings.Replace(waivers, "owner:", "ownr:", 1)})
	if r := runIn(t, nil, "validate", "-C", dir); r.code != 2 || !strings.Contains(r.stderr, ".github/release-gate-waivers.yml:") {
		t.Fatalf("validate of a broken waivers file: exit %d\n%s", r.code, r.stderr)
	}
}

func gateNames() []string {
	var names []string
	for _, d := range gateList() {
		names = append(names, d.Name)
	}
	return names
}

// TestWaiverOfAComposeAndAnAlertFinding: real findings of two more gates,
// a compose file without a healthcheck and alert rules without a memory
// alert, each waived by rule (and path), through run() as the CLI runs.
func TestWaiverOfAComposeAndAnAlertFinding(t *testing.T) {
	compose := "services:\n  batch:\n    image: ghcr.io/org/batch:1.0\n    logging:\n      driver: json-file\n      options: {max-size: 10m, max-file: \"3\"}\n"
	rules := "groups:\n  - name: api\n    rules:\n      - alert: HighCPU\n        expr: rate(process_cpu_seconds_total{job=\"api\"}[5m]) > 0.9\n        for: 10m\n        labels: {severity: page}\n"
	gatesYAML := "version: 1\ngates:\n  compose:\n    files: [deploy/batch/compose.yaml]\n  alert-presence:\n    files: [monitoring/*.rules.yml]\n    require: [cpu, memory]\n"
	files := map[string]string{"deploy/batch/compose.yaml": compose, "monitoring/api.rules.yml": rules}

	// Without waivers, both gates fail: the findings are real.
	files[".github/release-gate.yml"] = gatesYAML
	dir := repo(t, files)
	r := runIn(t, nil, "check", "-C", dir, "--gates", "compose,alert-presence")
	if r.code != 1 {
		t.Fatalf("without waivers: exit %d, want 1\n%s", r.code, r.stderr)
	}
	testenv.MustContain(t, "text report", r.stderr, "[healthcheck]", "[category-missing]")

	files[".github/release-gate.yml"] = gatesYAML + "waivers:\n" +
		"  - gate: compose\n    rule: healthcheck\n    path: \"deploy/batch/**\"\n    owner: \"@data-platform\"\n    reason: health endpoint comes with the scheduler migration\n    expires: " + day(14) + "\n" +
		"  - gate: alert-presence\n    rule: category-missing\n    owner: \"@payments-oncall\"\n    reason: memory alert may be missing until the migration\n    ticket: OPS-123\n    expires: " + day(18) + "\n"
	dir = repo(t, files)
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	r = runIn(t, nil, "check", "-C", dir, "--gates", "compose,alert-presence", "--json", jsonPath)
	if r.code != 0 {
		t.Fatalf("with waivers: exit %d, want 0\n%s", r.code, r.stderr)
	}
	rep := readJSONReport(t, jsonPath)
	for gate, owner := range map[string]string{"compose": "@data-platform", "alert-presence": "@payments-oncall"} {
		g := gateOf(t, rep, gate)
		waived := 0
		for _, f := range g["findings"].([]any) {
			if w, ok := f.(map[string]any)["waiver"].(map[string]any); ok && w["owner"] == owner {
				waived++
			}
		}
		if g["status"] != "pass" || waived == 0 {
			t.Errorf("%s: status %v with %d waived findings, want pass with some", gate, g["status"], waived)
		}
	}
}

// TestWaiverByFingerprintOnARealCommit: the fingerprint gitleaks would
// write for a key in history (commit:file:rule:line) waives exactly that
// finding: the same key committed again elsewhere still fails.
func TestWaiverByFingerprintOnARealCommit(t *testing.T) {
	dir := repo(t, map[string]string{"README.md": "hi\n"})
	base := gitIn(t, dir, "rev-parse", "HEAD")
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		gitIn(t, dir, "add", "-A")
		gitIn(t, dir, "commit", "-q", "-m", "add "+name)
	}
	write("deploy.sh", "# deploy\nexport AWS="+testenv.AWSKey(t)+"\n")
	first := gitIn(t, dir, "rev-parse", "HEAD")
	cfgPath := filepath.Join(t.TempDir(), "release-gate.yml")
	cfg := "version: 1\ngates:\n  secret-scan:\n    scope: [diff]\nwaivers:\n  - gate: secret-scan\n    fingerprint: " + first + ":deploy.sh:aws-access-token:2\n    owner: sec\n    reason: revoked\n    expires: " + day(3) + "\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"INPUT_BASE": base, "INPUT_HEAD": "HEAD"}
	if r := runIn(t, env, "check", "-C", dir, "--config", cfgPath); r.code != 0 {
		t.Fatalf("exit %d, want 0: the one key is waived by its fingerprint\n%s", r.code, r.stderr)
	}
	write("other.sh", "# other\nexport AWS="+testenv.AWSKey(t)+"\n")
	r := runIn(t, env, "check", "-C", dir, "--config", cfgPath)
	if r.code != 1 || !strings.Contains(r.stderr, "other.sh:2") || !strings.Contains(r.stderr, "waived by sec") {
		t.Fatalf("exit %d, want 1 for the second key only\n%s", r.code, r.stderr)
	}
}

// TestWaiversFileMustBeTheRepositorys: a waivers file outside the
// workspace, or a link that leads out of it, is refused before it is read.
func TestWaiversFileMustBeTheRepositorys(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "waivers.yml")
	if err := os.WriteFile(outside, []byte("waivers: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, value := range map[string]string{"relative": "../waivers.yml", "absolute": outside, "link": "ops/waivers.yml"} {
		t.Run(name, func(t *testing.T) {
			dir := repo(t, map[string]string{".github/release-gate.yml": "version: 1\ngates:\n  secret-scan: {}\nwaivers: " + value + "\n"})
			if name == "link" {
				if err := os.MkdirAll(filepath.Join(dir, "ops"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(outside, filepath.Join(dir, "ops", "waivers.yml")); err != nil {
					t.Fatal(err)
				}
			}
			r := runIn(t, nil, "validate", "-C", dir)
			if r.code != 2 || !strings.Contains(r.stderr, ".github/release-gate.yml:4:10: waivers: ") {
				t.Fatalf("exit %d, want 2 refusing the file\n%s", r.code, r.stderr)
			}
		})
	}
}
