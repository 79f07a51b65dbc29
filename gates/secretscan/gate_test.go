package secretscan

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/sources"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/secrets"
	"github.com/release-gate/release-gate/internal/testenv"
)

// where lists findings as "file:line rule commit?" for comparisons.
func where(fs []gates.Finding) []string {
	var out []string
	for _, f := range fs {
		s := fmt.Sprintf("%s:%d %s", f.Pos.File, f.Pos.Line, f.Rule)
		if f.Commit != "" {
			s += " " + shortSHA(f.Commit)
		}
		out = append(out, s)
	}
	return out
}

func assertNoSecret(t *testing.T, res gates.Result, secrets ...string) {
	t.Helper()
	data, _ := json.Marshal(res)
	for _, s := range secrets {
		if strings.Contains(string(data), s) {
			t.Errorf("a secret leaked into the result: %s", data)
		}
	}
}

func wantStatus(t *testing.T, res gates.Result, want gates.Status) {
	t.Helper()
	if res.Status != want {
		t.Fatalf("status %s (%s; err %q), want %s; findings %v", res.Status, res.Summary, res.Err, want, where(res.Findings))
	}
}

func TestTreeFindsSecretsInTrackedFilesOnly(t *testing.T) {
	r := newRepo(t)
	key, tok := testenv.AWSKey(t), testenv.GitHubToken(t)
	r.commit("init", map[string]string{
		"app/config.go": "package app\n\nconst region = \"eu\"\nvar awsKey = \"" + key + "\"\n",
		"README.md":     "hello\n",
		".gitignore":    "ignored.txt\n",
	})
	r.write("untracked.txt", "token = \""+tok+"\"\n")
	r.write("ignored.txt", "token = \""+tok+"\"\n")

	res := scan(t, r.dir, "scope: tree", gates.Event{})
	wantStatus(t, res, gates.StatusFail)
	if got := where(res.Findings); !slices.Equal(got, []string{"app/config.go:4 aws-access-token"}) {
		t.Errorf("findings %v", got)
	}
	f := res.Findings[0]
	if f.Pos.Col == 0 || f.Commit != "" || !strings.Contains(f.Message, "Rotate it") {
		t.Errorf("finding %+v", f)
	}
	if !strings.Contains(res.Summary, "1 secret in 3 tracked files") {
		t.Errorf("summary %q", res.Summary)
	}
	assertNoSecret(t, res, key, tok)
}

func TestCleanRepoPasses(t *testing.T) {
	r := newRepo(t)
	r.commit("init", map[string]string{"main.go": "package main\n\nfunc main() {}\n", ".env.example": "TOKEN=\n"})
	res := scan(t, r.dir, "", gates.Event{})
	wantStatus(t, res, gates.StatusPass)
	if res.Summary != "no secrets in 2 tracked files" {
		t.Errorf("summary %q", res.Summary)
	}
}

func TestForbiddenFiles(t *testing.T) {
	r := newRepo(t)
	r.commit("init", map[string]string{
		".env":                   "DEBUG=1\n",
		"deploy/prod.env":        "X=1\n",
		".env.example":           "X=\n",
		"certs/server.key":       "not really a key\n",
		"certs/ca.pem":           "public\n",
		"docs/id_rsa.pub":        "ssh-ed25519 AAAA\n",
		"config/settings.yml":    "a: 1\n",
		"secrets/deep/vault.yml": "a: 1\n",
	})
	res := scan(t, r.dir, "scope: tree", gates.Event{})
	wantStatus(t, res, gates.StatusFail)
	want := []string{".env:0 forbidden-file", "certs/ca.pem:0 forbidden-file", "certs/server.key:0 forbidden-file", "deploy/prod.env:0 forbidden-file"}
	if got := where(res.Findings); !slices.Equal(got, want) {
		t.Errorf("findings\n got %v\nwant %v", got, want)
	}
	if !strings.Contains(res.Findings[0].Message, "git rm --cached") {
		t.Errorf("message %q", res.Findings[0].Message)
	}

	res = scan(t, r.dir, "scope: tree\nforbid-files: [\".env\", \"secrets/**/*.yml\"]\nallow-files: [deploy/*.env]", gates.Event{})
	want = []string{".env:0 forbidden-file", "secrets/deep/vault.yml:0 forbidden-file"}
	if got := where(res.Findings); !slices.Equal(got, want) {
		t.Errorf("custom patterns: got %v want %v", got, want)
	}
}

func TestDiffScansOnlyTheChange(t *testing.T) {
	r := newRepo(t)
	old := testenv.AWSKey(t)
	base := r.commit("base", map[string]string{"legacy.txt": "key=" + old + "\n"})
	fresh := testenv.GitHubToken(t)
	r.commit("feature 1", map[string]string{"src/a.txt": "nothing\n"})
	leakCommit := r.commit("feature 2", map[string]string{"src/b.txt": "x\ntoken: " + fresh + "\n"})
	head := r.commit("feature 3", map[string]string{"src/b.txt": "x\n"}) // removed again: still in history

	res := scan(t, r.dir, "scope: diff", gates.Event{Base: base, Head: head})
	wantStatus(t, res, gates.StatusFail)
	want := []string{"src/b.txt:2 github-pat " + shortSHA(leakCommit)}
	if got := where(res.Findings); !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	if !strings.Contains(res.Findings[0].Message, "stays in the git history") {
		t.Errorf("message %q", res.Findings[0].Message)
	}
	if !strings.Contains(res.Summary, "3 commits ("+shortSHA(base)+".."+shortSHA(head)+")") {
		t.Errorf("summary %q", res.Summary)
	}
	assertNoSecret(t, res, old, fresh)

	// The default scope with a base in the event is diff and tree: the old
	// key in the tree is found too, once.
	res = scan(t, r.dir, "", gates.Event{Base: base, Head: head})
	want = []string{"legacy.txt:1 aws-access-token", "src/b.txt:2 github-pat " + shortSHA(leakCommit)}
	if got := where(res.Findings); !slices.Equal(got, want) {
		t.Errorf("default scope: %v, want %v", got, want)
	}
}

func TestDiffDeduplicatesWithTree(t *testing.T) {
	r := newRepo(t)
	base := r.commit("base", map[string]string{"a.txt": "a\n"})
	key := testenv.AWSKey(t)
	c := r.commit("leak", map[string]string{"b.txt": key + "\n"})
	res := scan(t, r.dir, "scope: [diff, tree]", gates.Event{Base: base, Head: c})
	if got := where(res.Findings); !slices.Equal(got, []string{"b.txt:1 aws-access-token " + shortSHA(c)}) {
		t.Errorf("findings %v", got)
	}
}

func TestDiffForbiddenFilesAdded(t *testing.T) {
	r := newRepo(t)
	base := r.commit("base", map[string]string{".env": "OLD=1\n"})
	head := r.commit("add", map[string]string{"svc/.env.production": "A=1\n", "svc/.env.example": "A=\n"})
	res := scan(t, r.dir, "scope: diff", gates.Event{Base: base, Head: head})
	if got := where(res.Findings); !slices.Equal(got, []string{"svc/.env.production:0 forbidden-file " + shortSHA(head)}) {
		t.Errorf("diff reports only files the change adds: %v", got)
	}
}

func TestDiffFailsClosedOnMissingBase(t *testing.T) {
	r := newRepo(t)
	head := r.commit("one", map[string]string{"a.txt": "a\n"})
	res := scan(t, r.dir, "scope: diff", gates.Event{Base: strings.Repeat("ab", 20), Head: head})
	wantStatus(t, res, gates.StatusError)
	if !strings.Contains(res.Err, "fetch-depth: 0") || !strings.Contains(res.Err, "base commit") {
		t.Errorf("err %q", res.Err)
	}

	res = scan(t, r.dir, "scope: diff", gates.Event{})
	wantStatus(t, res, gates.StatusError)
	if !strings.Contains(res.Err, "needs a base commit") {
		t.Errorf("err %q", res.Err)
	}

	res = scan(t, r.dir, "scope: diff\nbase: no-such-branch", gates.Event{})
	wantStatus(t, res, gates.StatusError)
}

func TestShallowCloneFailsClosed(t *testing.T) {
	r := newRepo(t)
	base := r.commit("one", map[string]string{"a.txt": "a\n"})
	r.commit("two", map[string]string{"b.txt": "b\n"})
	head := r.commit("three", map[string]string{"c.txt": "c\n"})
	clone := t.TempDir()
	out, err := exec.Command("git", "clone", "-q", "--depth", "1", "file://"+r.dir, clone).CombinedOutput()
	if err != nil {
		t.Fatalf("clone: %v %s", err, out)
	}
	res := scan(t, clone, "scope: diff", gates.Event{Base: base, Head: head})
	wantStatus(t, res, gates.StatusError)
	if !strings.Contains(res.Err, "shallow") || !strings.Contains(res.Err, "fetch-depth: 0") {
		t.Errorf("err %q", res.Err)
	}
}

func TestGitFailureMidScanFailsClosed(t *testing.T) {
	r := newRepo(t)
	base := r.commit("one", map[string]string{"a.txt": "a\n"})
	key := testenv.AWSKey(t)
	r.commit("two", map[string]string{"b.txt": "secret " + key + "\n"})
	head := r.commit("three", map[string]string{"c.txt": "c\n"})
	// Delete the blob of b.txt: the commits resolve, but git log -p fails
	// while printing the diff. gitleaks alone would report no leak.
	blob := r.git("rev-parse", head+":b.txt")
	if err := os.Remove(filepath.Join(r.dir, ".git", "objects", blob[:2], blob[2:])); err != nil {
		t.Fatal(err)
	}
	res := scan(t, r.dir, "scope: diff", gates.Event{Base: base, Head: head})
	wantStatus(t, res, gates.StatusError)
	testenv.MustContain(t, "error", res.Err, "git log", "unable to read "+blob, "the scan is incomplete")
}

func TestHistoryFindsRemovedSecrets(t *testing.T) {
	r := newRepo(t)
	key := testenv.AWSKey(t)
	added := r.commit("add", map[string]string{"k.txt": key + "\n"})
	r.commit("remove", map[string]string{"k.txt": ""})
	res := scan(t, r.dir, "scope: history", gates.Event{})
	if got := where(res.Findings); !slices.Equal(got, []string{"k.txt:1 aws-access-token " + shortSHA(added)}) {
		t.Errorf("findings %v", got)
	}
	if res := scan(t, r.dir, "scope: tree", gates.Event{}); res.Status != gates.StatusPass {
		t.Errorf("tree after removal: %s %v", res.Status, where(res.Findings))
	}
}

func TestWorkspaceOwnedByAnotherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the repository to another user")
	}
	r := newRepo(t)
	base := r.commit("one", map[string]string{"a.txt": "a\n"})
	head := r.commit("two", map[string]string{"b.txt": testenv.AWSKey(t) + "\n"})
	if out, err := exec.Command("chown", "-R", "4321:4321", r.dir).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v %s", err, out)
	}
	// git itself refuses this repository...
	if out, err := exec.Command("git", "-C", r.dir, "log", "-1").CombinedOutput(); err == nil || !strings.Contains(string(out), "dubious ownership") {
		t.Fatalf("expected git to refuse the repository: %s", out)
	}
	// ...the gate makes git trust it without writing any git config.
	res := scan(t, r.dir, "", gates.Event{Base: base, Head: head})
	if got := where(res.Findings); !slices.Equal(got, []string{"b.txt:1 aws-access-token " + shortSHA(head)}) {
		t.Errorf("findings %v (status %s, err %q)", got, res.Status, res.Err)
	}
}

func TestNotAGitRepository(t *testing.T) {
	res := scan(t, t.TempDir(), "", gates.Event{})
	wantStatus(t, res, gates.StatusError)
	if !strings.Contains(res.Err, "not inside a git repository") {
		t.Errorf("err %q", res.Err)
	}
}

func TestHostileFileNames(t *testing.T) {
	r := newRepo(t)
	names := []string{"with space.txt", "new\nline.txt", "ünïcødé/ключ.txt", "a:b,c.txt", "-dash.txt", "%0A::error::x.txt"}
	files := map[string]string{}
	for _, n := range names {
		files[n] = "k = " + testenv.AWSKey(t) + "\n"
	}
	r.commit("init", files)
	res := scan(t, r.dir, "scope: tree", gates.Event{})
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Pos.File)
	}
	slices.Sort(got)
	want := slices.Clone(names)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("files %q, want %q", got, want)
	}
}

func TestSubdirectoryWorkspace(t *testing.T) {
	r := newRepo(t)
	base := r.commit("one", map[string]string{"svc/a.txt": "a\n", "other/x.txt": testenv.AWSKey(t) + "\n"})
	head := r.commit("two", map[string]string{"svc/pkg/b.txt": "\n" + testenv.AWSKey(t) + "\n", "other/y.txt": testenv.AWSKey(t) + "\n"})
	res := scan(t, filepath.Join(r.dir, "svc"), "scope: [diff, tree]", gates.Event{Base: base, Head: head})
	if got := where(res.Findings); !slices.Equal(got, []string{"pkg/b.txt:2 aws-access-token " + shortSHA(head)}) {
		t.Errorf("findings %v (err %q)", got, res.Err)
	}
}

func TestAllowComments(t *testing.T) {
	r := newRepo(t)
	r.commit("init", map[string]string{"a.txt": "k = " + testenv.AWSKey(t) + " # gitleaks:allow\n"})
	res := scan(t, r.dir, "", gates.Event{})
	wantStatus(t, res, gates.StatusPass)
}

func TestGitleaksIgnoreAndBaseline(t *testing.T) {
	r := newRepo(t)
	r.commit("init", map[string]string{"a.txt": testenv.AWSKey(t) + "\n", "b.txt": "\n" + testenv.GitHubToken(t) + "\n"})
	res := scan(t, r.dir, "scope: tree", gates.Event{})
	if len(res.Findings) != 2 {
		t.Fatalf("findings %v", where(res.Findings))
	}
	r.write(".gitleaksignore", "# accepted\na.txt:aws-access-token:1\n")
	res = scan(t, r.dir, "scope: tree", gates.Event{})
	if got := where(res.Findings); !slices.Equal(got, []string{"b.txt:2 github-pat"}) {
		t.Errorf("with .gitleaksignore: %v", got)
	}

	// A baseline is a gitleaks JSON report of accepted findings, written
	// with --redact as secrets do not belong in a file either. Make one the
	// way gitleaks does: its detector on the file, findings as JSON.
	rs, err := loadRules(nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	d := secrets.NewDetector(context.Background(), everyRule(t, rs), false)
	content, err := os.ReadFile(filepath.Join(r.dir, "b.txt"))
	if err != nil {
		t.Fatal(err)
	}
	accepted := secrets.Detect(context.Background(), d, sources.Fragment{Raw: string(content), FilePath: "b.txt", StartLine: 1})
	if len(accepted) != 1 {
		t.Fatalf("gitleaks found %d findings in b.txt", len(accepted))
	}
	data, err := json.Marshal(accepted)
	if err != nil {
		t.Fatal(err)
	}
	r.write("baseline.json", string(data))
	res = scan(t, r.dir, "scope: tree\nbaseline: baseline.json", gates.Event{})
	wantStatus(t, res, gates.StatusPass)

	r.write("bad-baseline.json", "not json")
	res = scan(t, r.dir, "scope: tree\nbaseline: bad-baseline.json", gates.Event{})
	wantStatus(t, res, gates.StatusError)
	if !strings.Contains(res.Err, "bad-baseline.json") {
		t.Errorf("err %q", res.Err)
	}
	res = scan(t, r.dir, "scope: tree\nbaseline: missing.json", gates.Event{})
	wantStatus(t, res, gates.StatusError)
}

// A sparse checkout leaves tracked files out of the working tree: the tree
// scan reads git's copy of them, so they are scanned all the same.
func TestTreeSparseCheckoutScansGitsCopy(t *testing.T) {
	r := newRepo(t)
	key := testenv.AWSKey(t)
	r.commit("init", map[string]string{
		"app/main.go":     "package main\n",
		"infra/deploy.sh": "export AWS_ACCESS_KEY_ID=" + key + "\n",
	})
	r.git("sparse-checkout", "set", "app")
	if _, err := os.Stat(filepath.Join(r.dir, "infra", "deploy.sh")); !os.IsNotExist(err) {
		t.Fatalf("the sparse checkout left infra/deploy.sh: %v", err)
	}

	res := scan(t, r.dir, "scope: tree", gates.Event{})
	wantStatus(t, res, gates.StatusFail)
	if got := where(res.Findings); !slices.Equal(got, []string{"infra/deploy.sh:1 aws-access-token"}) {
		t.Errorf("findings %v", got)
	}
	testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), "1 tracked file differed from git's copy")
	assertNoSecret(t, res, key)
}

// A git log that dies part-way without a word on stderr (killed for its
// memory, a signal) has not listed every commit: the scan is incomplete,
// whatever it found in the part it saw.
func TestGitKilledMidScanFailsClosed(t *testing.T) {
	real, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	r := newRepo(t)
	base := r.commit("base", map[string]string{"a.txt": "hello\n"})
	key := testenv.AWSKey(t)
	r.commit("secret", map[string]string{"k.txt": "aws_access_key_id=" + key + "\n"})
	// The newest commit comes first in git log's output and fills it past
	// where git dies.
	head := r.commit("bulk", map[string]string{"notes.md": strings.Repeat("Nothing to see in this line of notes.\n", 100)})

	// git as usual, except that git log -p prints 2 KB and is killed.
	bin := t.TempDir()
	script := "#!/bin/sh\n" +
		"case \" $* \" in *\" log -p \"*) \"" + real + "\" \"$@\" | head -c 2000; exit 137 ;; esac\n" +
		"exec \"" + real + "\" \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	for _, body := range []string{"scope: diff", "scope: history"} {
		res := scan(t, r.dir, body, gates.Event{Base: base, Head: head})
		wantStatus(t, res, gates.StatusError)
		testenv.MustContain(t, "error", res.Err, "git log", "exit status 137")
		assertNoSecret(t, res, key)
	}
}

// git log output the diff parser cannot read past (here a hunk that
// promises more lines than it has) must not end the scan early and
// quietly: what follows it was never scanned.
func TestUnreadableGitLogFailsClosed(t *testing.T) {
	real, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	r := newRepo(t)
	base := r.commit("base", map[string]string{"a.txt": "hello\n"})
	head := r.commit("next", map[string]string{"b.txt": "world\n"})
	key := testenv.AWSKey(t)

	// What git log -p prints: a broken hunk, then a secret in 8 KB of diff.
	var out strings.Builder
	out.WriteString("commit " + head + "\nAuthor: t <t@example.com>\nDate:   Mon Jan 1 00:00:00 2024 +0000\n\n    next\n\n")
	out.WriteString("diff --git a/b.txt b/b.txt\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ b/b.txt\n@@ -0,0 +1,3 @@\n+world\n")
	out.WriteString("diff --git a/c.txt b/c.txt\nnew file mode 100644\nindex 0000000..2222222\n--- /dev/null\n+++ b/c.txt\n@@ -0,0 +1,200 @@\n")
	for i := 0; i < 199; i++ {
		out.WriteString("+padding line of the file, nothing secret in it\n")
	}
	out.WriteString("+aws_access_key_id=" + key + "\n")
	logFile := filepath.Join(t.TempDir(), "log.txt")
	if err := os.WriteFile(logFile, []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	script := "#!/bin/sh\n" +
		"case \" $* \" in *\" log -p \"*) cat \"" + logFile + "\"; exit 0 ;; esac\n" +
		"exec \"" + real + "\" \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	res := scan(t, r.dir, "scope: diff", gates.Event{Base: base, Head: head})
	wantStatus(t, res, gates.StatusError)
	testenv.MustContain(t, "error", res.Err, "could not be read past some point")
	assertNoSecret(t, res, key)
}
