package secretscan

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/testenv"
)

// The gate must report every finding the gitleaks CLI reports on a
// history, each at the same commit, file, line and column, and the same
// findings on every run. These tests run the gitleaks CLI, built from the
// module this gate links, next to the gate.

const gitleaksModule = "github.com/zricethezav/gitleaks/v8"

// gitleaksCLIDir holds the gitleaks CLI once built; TestMain removes it.
var gitleaksCLIDir string

var gitleaksCLI = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", gitleaksModule).Output()
	if err != nil {
		return "", fmt.Errorf("locating %s in the module cache: %w", gitleaksModule, err)
	}
	dir := strings.TrimSpace(string(out))
	if gitleaksCLIDir, err = os.MkdirTemp("", "gitleaks-cli-"); err != nil {
		return "", err
	}
	exe := filepath.Join(gitleaksCLIDir, "gitleaks")
	// Built inside its own module, with its own go.sum, as released.
	cmd := exec.Command("go", "build", "-o", exe, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the gitleaks CLI: %v\n%s", err, out)
	}
	return exe, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if gitleaksCLIDir != "" {
		_ = os.RemoveAll(gitleaksCLIDir)
	}
	os.Exit(code)
}

// gitleaksDir is where the module cache holds gitleaks' source.
func gitleaksDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", gitleaksModule).Output()
	if err != nil {
		t.Fatalf("locating %s: %v", gitleaksModule, err)
	}
	return strings.TrimSpace(string(out))
}

// needGitleaksCLI returns the gitleaks CLI, or skips when it cannot be
// built outside CI.
func needGitleaksCLI(t *testing.T) string {
	t.Helper()
	exe, err := gitleaksCLI()
	if err != nil {
		if testenv.InCI() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return exe
}

// located is one finding as "commit file:line:col rule".
type located string

// gitleaksGit runs `gitleaks git` on dir, as a user would, and lists its
// findings.
func gitleaksGit(t *testing.T, dir string) []located {
	t.Helper()
	exe := needGitleaksCLI(t)
	report := filepath.Join(t.TempDir(), "report.json")
	cmd := exec.Command(exe, "git", "--no-banner", "--redact", "--exit-code", "0", "--log-level", "error",
		"--report-format", "json", "--report-path", report, dir)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gitleaks git: %v\n%s", err, out)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var findings []struct {
		RuleID      string
		File        string
		StartLine   int
		StartColumn int
		Commit      string
	}
	if err := json.Unmarshal(data, &findings); err != nil {
		t.Fatalf("reading gitleaks' report: %v", err)
	}
	var out []located
	for _, f := range findings {
		out = append(out, located(fmt.Sprintf("%s %s:%d:%d %s", f.Commit, f.File, f.StartLine, f.StartColumn, f.RuleID)))
	}
	slices.Sort(out)
	return out
}

// gateHistory runs the gate over the whole history of dir and lists the
// secrets it reports in files' content (not the file names nor commits'
// own text, which gitleaks does not scan), in the order reported.
func gateHistory(t *testing.T, dir string) []located {
	t.Helper()
	res := scan(t, dir, "scope: [history]\nforbid-files: []", gates.Event{})
	if res.Status == gates.StatusError {
		t.Fatalf("gate error: %v", res.Err)
	}
	var out []located
	for _, f := range res.Findings {
		if f.Pos.File == "" || f.Pos.Line == 0 {
			continue
		}
		out = append(out, located(fmt.Sprintf("%s %s:%d:%d %s", f.Commit, f.Pos.File, f.Pos.Line, f.Pos.Col, f.Rule)))
	}
	return out
}

// assertSameAsGitleaks runs both on dir, several times for the gate: the
// gate finds what gitleaks finds, in the same order on every run.
func assertSameAsGitleaks(t *testing.T, dir string, wantAtLeast int) int {
	t.Helper()
	want := gitleaksGit(t, dir)
	if len(want) < wantAtLeast {
		t.Fatalf("gitleaks found %d, want at least %d: %v", len(want), wantAtLeast, want)
	}
	var first []located
	for run := 0; run < 3; run++ {
		got := gateHistory(t, dir)
		if run == 0 {
			first = got
			sorted := slices.Clone(got)
			slices.Sort(sorted)
			if !slices.Equal(sorted, want) {
				t.Fatalf("the gate found\n  %s\ngitleaks found\n  %s", strings.Join(toStrings(sorted), "\n  "), strings.Join(toStrings(want), "\n  "))
			}
			continue
		}
		if !slices.Equal(got, first) {
			t.Fatalf("run %d reported\n  %s\nrun 1 reported\n  %s", run+1, strings.Join(toStrings(got), "\n  "), strings.Join(toStrings(first), "\n  "))
		}
	}
	return len(want)
}

func toStrings(ls []located) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = string(l)
	}
	return out
}

// TestGitleaksTestdataReposMatchGitleaks compares the gate with the
// gitleaks CLI on the repositories gitleaks tests itself with
// (testdata/repos of its module, read from the module cache): those kept
// as a dotGit directory are copied and given their .git back.
func TestGitleaksTestdataReposMatchGitleaks(t *testing.T) {
	root := filepath.Join(gitleaksDir(t), "testdata", "repos")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var tested, found int
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(root, e.Name(), "dotGit")); err != nil {
			continue
		}
		tested++
		t.Run(e.Name(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), e.Name())
			if err := os.CopyFS(dir, os.DirFS(filepath.Join(root, e.Name()))); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(filepath.Join(dir, "dotGit"), filepath.Join(dir, ".git")); err != nil {
				t.Fatal(err)
			}
			// The module cache is read-only, and so is the copy.
			_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil {
					_ = os.Chmod(p, map[bool]os.FileMode{true: 0o755, false: 0o644}[d.IsDir()])
				}
				return nil
			})
			n := assertSameAsGitleaks(t, dir, 0)
			t.Logf("%s: %d findings", e.Name(), n)
			found += n
		})
	}
	if tested < 2 || found == 0 {
		t.Fatalf("%d repositories with a dotGit directory under %s, %d findings: want at least 2 and some", tested, root, found)
	}
}

// TestHistoryPatternsMatchGitleaks builds a history with what real ones
// hold and lose findings to a key of (file, rule, line):
//   - two secrets on one line (a connection string with an access key and
//     a token, as in gitleaks' own generic-api-key test cases): gitleaks'
//     fingerprint commit:file:rule:line is the same for both, its report
//     lists both;
//   - one line changed by a later commit to hold another secret (a key
//     rotated in place, the common fix that leaks the new key too);
//   - the same secret added in two commits (reverted, then re-applied);
//   - a merge of a branch that added a secret (gitleaks reports it at the
//     branch's commit, not the merge's);
//   - a file renamed with its secret (no new finding: nothing is added).
func TestHistoryPatternsMatchGitleaks(t *testing.T) {
	r := newRepo(t)
	k1, k2, k3 := testenv.AWSKey(t), testenv.AWSKey(t), testenv.AWSKey(t)
	tok := testenv.GitHubToken(t)
	r.commit("config", map[string]string{
		"app/config.go": "package app\n\nvar keys = []string{\"" + k1 + "\", \"" + k2 + "\"}\n",
		"README.md":     "app\n",
	})
	r.commit("rotate the key", map[string]string{
		"app/config.go": "package app\n\nvar keys = []string{\"" + k3 + "\", \"" + k2 + "\"}\n",
	})
	add := r.commit("add the token", map[string]string{"deploy/env.sh": "export GITHUB_TOKEN=" + tok + "\n"})
	r.git("revert", "--no-edit", add)
	r.git("revert", "--no-edit", "HEAD")
	r.git("checkout", "-q", "-b", "topic")
	r.commit("topic key", map[string]string{"topic/key.txt": "aws_access_key_id = " + k1 + "\n"})
	r.git("checkout", "-q", "main")
	r.commit("main moves on", map[string]string{"README.md": "app\nmore\n"})
	r.git("merge", "-q", "--no-ff", "-m", "merge topic", "topic")
	r.git("mv", "app/config.go", "app/settings.go")
	r.git("commit", "-q", "-m", "rename")

	// 2 (one line) + 2 (the line rotated: git shows it added whole, both
	// keys) + 2 (the token added twice) + 1 (the branch's) = 7.
	assertSameAsGitleaks(t, r.dir, 7)

	got := gateHistory(t, r.dir)
	byLine := 0
	for _, l := range got {
		if strings.Contains(string(l), " app/config.go:3:") {
			byLine++
		}
	}
	if byLine != 4 {
		t.Errorf("want 4 findings on app/config.go line 3 (two secrets in each of two commits), got %d: %v", byLine, got)
	}
}

// TestDiffAndTreeKeepBothSecretsOfALine checks the default scopes of a
// pull request: two secrets on one line the change adds are two findings,
// each naming the commit that added it, and the tree scan adds none.
func TestDiffAndTreeKeepBothSecretsOfALine(t *testing.T) {
	r := newRepo(t)
	base := r.commit("init", map[string]string{"README.md": "x\n"})
	k1, k2 := testenv.AWSKey(t), testenv.AWSKey(t)
	head := r.commit("keys", map[string]string{"keys.txt": "keys = " + k1 + " " + k2 + "\n"})
	var first []string
	for run := 0; run < 3; run++ {
		res := scan(t, r.dir, "forbid-files: []", gates.Event{Base: base, Head: head})
		wantStatus(t, res, gates.StatusFail)
		var got []string
		for _, f := range res.Findings {
			got = append(got, fmt.Sprintf("%s:%d:%d %s %s", f.Pos.File, f.Pos.Line, f.Pos.Col, f.Rule, f.Commit))
		}
		if len(got) != 2 || !strings.HasSuffix(got[0], head) || !strings.HasSuffix(got[1], head) || got[0] == got[1] {
			t.Fatalf("findings %v, want two on keys.txt:1, both at %s", got, head)
		}
		if run == 0 {
			first = got
		} else if !slices.Equal(got, first) {
			t.Fatalf("run %d: %v, run 1: %v", run+1, got, first)
		}
		assertNoSecret(t, res, k1, k2)
	}
}

// Fragments of a large file overlap, so a key inside the overlap is found
// twice; on a long line that starts before the overlap, the two matches
// had different columns and were reported as two secrets. Each secret is
// one finding, at the column of its line.
func TestKeyInFragmentOverlapIsOneFinding(t *testing.T) {
	r := newRepo(t)
	key := testenv.AWSKey(t)
	// Lines of 50 bytes up to 99,000, then one line of 3,000 bytes with the
	// key at about 101,000 (inside the first fragment and the second), then
	// more lines.
	filler := strings.Repeat(strings.Repeat("x", 49)+"\n", 99_000/50)
	long := strings.Repeat("y", 2_000) + " aws = " + key + " " + strings.Repeat("z", 1_000) + "\n"
	r.commit("big", map[string]string{"big.txt": filler + long + filler})
	if start := len(filler) + 2_000; start <= fragmentSize || start+len(key) >= fragmentSize+fragmentOverlap {
		t.Fatalf("the key at %d is not inside the overlap", start)
	}
	res := scan(t, r.dir, "scope: tree", gates.Event{})
	var got []string
	for _, f := range res.Findings {
		got = append(got, fmt.Sprintf("%s:%d:%d %s", f.Pos.File, f.Pos.Line, f.Pos.Col, f.Rule))
	}
	// gitleaks counts the columns of a line after a fragment's first from
	// the newline before it: one more than the byte's 1-based column.
	want := []string{fmt.Sprintf("big.txt:%d:%d aws-access-token", 99_000/50+1, 2_000+len(" aws = ")+2)}
	if !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	assertNoSecret(t, res, key)
}

// gitleaks counts the columns of a fragment's first line one lower than
// those of its other lines: the line a change adds to a file is the first
// of its hunk, the same line in the tree scan is not. The secret is still
// one finding, at the commit that added it.
func TestDiffAndTreeReportASecretOnce(t *testing.T) {
	r := newRepo(t)
	base := r.commit("init", map[string]string{"config.txt": "a = 1\nb = 2\n"})
	key := testenv.AWSKey(t)
	head := r.commit("key", map[string]string{"config.txt": "a = 1\nb = 2\naws = " + key + "\n"})
	res := scan(t, r.dir, "", gates.Event{Base: base, Head: head})
	wantStatus(t, res, gates.StatusFail)
	if got := where(res.Findings); !slices.Equal(got, []string{"config.txt:3 aws-access-token " + shortSHA(head)}) {
		t.Errorf("findings %v, want the one at %s", got, shortSHA(head))
	}
}
