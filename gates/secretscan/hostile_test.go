package secretscan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/configtest"
	"github.com/release-gate/release-gate/internal/gitrepo/gitrepotest"
	"github.com/release-gate/release-gate/internal/testenv"
)

// Hostile repositories, configurations and environments: each test holds a
// way a change could pass the gate while adding a secret, or run a program
// of the repository's choosing.

// leakyRange makes base, then a commit adding a key to a file with an odd
// name, then one removing it. It returns base, the leaking commit, head and
// the file's name.
func leakyRange(t *testing.T, r *testRepo) (base, leak, head, name string) {
	t.Helper()
	base = r.commit("base", map[string]string{"README.md": "hello\n"})
	name = "dir/odd ü\tname.txt"
	leak = r.commit("leak", map[string]string{name: "a\nkey = " + testenv.AWSKey(t) + "\n"})
	head = r.commit("remove", map[string]string{name: ""})
	return base, leak, head, name
}

// No git configuration, the user's or the repository's, changes what the
// diff and history scopes read.
func TestGitConfigurationChangesNothing(t *testing.T) {
	settings := []string{
		"color.ui=always", "color.diff=always", "diff.noprefix=true", "diff.mnemonicPrefix=true",
		"format.pretty=oneline", "log.abbrevCommit=true", "core.abbrev=4", "diff.relative=true",
		"log.showSignature=true", "i18n.logOutputEncoding=ISO-8859-1", "core.quotePath=false",
		"log.showRoot=false", "diff.renames=copies", "diff.algorithm=patience", "log.date=relative",
		"log.decorate=full", "diff.context=5", "diff.interHunkContext=9", "diff.submodule=log",
		"diff.suppressBlankEmpty=true", "log.follow=true", "diff.dstPrefix=x/", "diff.srcPrefix=y/",
		"log.diffMerges=separate", "diff.orderFile=/etc/hostname", "log.mailmap=true", "notes.displayRef=refs/notes/*",
		"diff.ignoreSubmodules=all", "log.graph=true", "core.commentChar=+", "diff.statGraphWidth=1",
	}
	for _, scope := range []string{"global", "local"} {
		t.Run(scope, func(t *testing.T) {
			r := newRepo(t)
			_, leak, head, name := leakyRange(t, r)
			base := r.git("rev-list", "--max-parents=0", "HEAD")
			want := []string{name + ":2 aws-access-token " + shortSHA(leak)}
			var file string
			if scope == "global" {
				file = filepath.Join(t.TempDir(), "gitconfig")
				t.Setenv("GIT_CONFIG_GLOBAL", file)
			} else {
				file = filepath.Join(r.dir, ".git", "config")
			}
			for _, kv := range settings {
				k, v, _ := strings.Cut(kv, "=")
				cmd := exec.Command("git", "config", "--file", file, k, v)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("git config %s: %v %s", kv, err, out)
				}
			}
			for _, body := range []string{"scope: diff", "scope: history"} {
				res := scan(t, r.dir, body, gates.Event{Base: base, Head: head})
				if got := where(res.Findings); !slices.Equal(got, want) {
					t.Errorf("%s: findings %v (status %s, err %q), want %v", body, got, res.Status, res.Err, want)
				}
			}
		})
	}
}

// The caller's environment cannot point git at another repository or
// configuration.
func TestCallerGitEnvironmentIgnored(t *testing.T) {
	r := newRepo(t)
	base, leak, head, name := leakyRange(t, r)
	other := newRepo(t)
	other.commit("x", map[string]string{"x.txt": "x\n"})
	t.Setenv("GIT_DIR", filepath.Join(other.dir, ".git"))
	t.Setenv("GIT_WORK_TREE", other.dir)
	t.Setenv("GIT_CONFIG_PARAMETERS", "'color.ui'='always'")
	t.Setenv("GIT_EXTERNAL_DIFF", "/bin/true")
	res := scan(t, r.dir, "scope: [diff, tree]", gates.Event{Base: base, Head: head})
	if got := where(res.Findings); !slices.Equal(got, []string{name + ":2 aws-access-token " + shortSHA(leak)}) {
		t.Errorf("findings %v (status %s, err %q)", got, res.Status, res.Err)
	}
}

// Attributes in the change cannot make git print "Binary files differ"
// for a text file that adds a key.
func TestAttributesCannotHideChanges(t *testing.T) {
	for _, attrs := range []string{"* -diff\n", "* binary\n", "*.txt diff=x\n", "[attr]hide -diff\n* hide\n"} {
		t.Run(strings.TrimSpace(attrs), func(t *testing.T) {
			r := newRepo(t)
			base := r.commit("base", map[string]string{"README.md": "hello\n"})
			leak := r.commit("add", map[string]string{"creds.txt": "aws = " + testenv.AWSKey(t) + "\n"})
			head := r.commit("hide", map[string]string{"creds.txt": "", ".gitattributes": attrs})
			r.git("config", "diff.x.binary", "true")
			want := []string{"creds.txt:1 aws-access-token " + shortSHA(leak)}
			for _, body := range []string{"scope: diff", "scope: history"} {
				res := scan(t, r.dir, body, gates.Event{Base: base, Head: head})
				if got := where(res.Findings); !slices.Equal(got, want) {
					t.Errorf("%s: findings %v (status %s, err %q)", body, got, res.Status, res.Err)
				}
			}
		})
	}
}

// No program named by the repository's git configuration runs, in any
// scope.
func TestRepositoryConfigurationRunsNothing(t *testing.T) {
	r := newRepo(t)
	base := r.commit("base", map[string]string{"README.md": "hello\n", ".gitattributes": gitrepotest.HostileAttributes})
	key := testenv.AWSKey(t)
	leak := r.commit("add", map[string]string{"creds.txt": "aws = " + key + "\n", "main.go": "package main\n"})
	marker := gitrepotest.ArmConfig(t, r.dir)
	cmd := exec.Command("git", "-C", r.dir, "status")
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null")
	_, _ = cmd.Output()
	if gitrepotest.Ran(t, marker) == "" {
		t.Fatal("the armed configuration ran nothing under plain git: the test proves nothing")
	}
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"scope: [diff, tree]", "scope: history", "scope: tree"} {
		res := scan(t, r.dir, body, gates.Event{Base: base, Head: leak})
		wantStatus(t, res, gates.StatusFail)
		if got := where(res.Findings); len(got) != 1 || !strings.HasPrefix(got[0], "creds.txt:1 aws-access-token") {
			t.Errorf("%s: findings %v", body, got)
		}
	}
	if ran := gitrepotest.Ran(t, marker); ran != "" {
		t.Errorf("a configured program ran: %s", ran)
	}
}

// Replace refs and grafts cannot swap the commit that adds a key out of
// the range.
func TestHistoryAsStoredIsScanned(t *testing.T) {
	for _, how := range []string{"replace", "grafts"} {
		t.Run(how, func(t *testing.T) {
			r := newRepo(t)
			base := r.commit("base", map[string]string{"README.md": "hello\n"})
			leak := r.commit("leak", map[string]string{"creds.txt": "aws = " + testenv.AWSKey(t) + "\n"})
			head := r.commit("remove", map[string]string{"creds.txt": ""})
			switch how {
			case "replace": // the leak shows as an innocent commit
				r.git("checkout", "-q", base)
				clean := r.commit("innocent", map[string]string{"notes.txt": "nothing\n"})
				r.git("checkout", "-q", "main")
				r.git("replace", leak, clean)
			case "grafts": // head's parent is base: the leak is not in the range
				r.write(".git/info/grafts", head+" "+base+"\n")
			}
			if got := r.git("log", "-p", base+".."+head); strings.Contains(got, "aws = ") {
				t.Fatalf("plain git still shows the leak: the test proves nothing")
			}
			for _, body := range []string{"scope: diff", "scope: history"} {
				res := scan(t, r.dir, body, gates.Event{Base: base, Head: head})
				if got := where(res.Findings); !slices.Equal(got, []string{"creds.txt:1 aws-access-token " + shortSHA(leak)}) {
					t.Errorf("%s: findings %v (status %s, err %q)", body, got, res.Status, res.Err)
				}
			}
		})
	}
}

// A shallow boundary inside base..head, with base and a merge base present,
// hides the commits behind it: an error, never a pass.
func TestShallowBoundaryInsideRangeFailsClosed(t *testing.T) {
	r := newRepo(t)
	r.commit("main 1", map[string]string{"README.md": "hello\n"})
	r.git("checkout", "-q", "-b", "feature")
	key := testenv.AWSKey(t)
	r.commit("leak", map[string]string{"creds.txt": "aws = " + key + "\n"})
	r.commit("remove", map[string]string{"creds.txt": ""})
	r.commit("more", map[string]string{"a.txt": "a\n"})
	r.git("checkout", "-q", "main")
	base := r.commit("main 2", map[string]string{"b.txt": "b\n"})
	r.git("checkout", "-q", "feature")
	r.git("merge", "-q", "--no-ff", "-m", "merge main", "main") // the pull request is up to date with its base
	head := r.git("rev-parse", "HEAD")
	clone := t.TempDir()
	if out, err := exec.Command("git", "clone", "-q", "--depth=2", "--branch=feature", "file://"+r.dir, clone).CombinedOutput(); err != nil {
		t.Fatalf("clone: %v %s", err, out)
	}
	if out, err := exec.Command("git", "-C", clone, "merge-base", base, head).CombinedOutput(); err != nil {
		t.Fatalf("no merge base: the test proves nothing: %s", out)
	}
	res := scan(t, clone, "scope: diff", gates.Event{Base: base, Head: head})
	wantStatus(t, res, gates.StatusError)
	testenv.MustContain(t, "error", res.Err, "cut off inside", "fetch-depth: 0")
	assertNoSecret(t, res, key)
}

// A merge whose resolution adds a key that neither parent has.
func TestEvilMergeIsScanned(t *testing.T) {
	for _, conflict := range []bool{false, true} {
		t.Run(fmt.Sprintf("conflict=%v", conflict), func(t *testing.T) {
			r := newRepo(t)
			base := r.commit("base", map[string]string{"f.txt": "a\nb\nc\n"})
			r.git("checkout", "-q", "-b", "side")
			side := "a\nb\nc\nside\n"
			if conflict {
				side = "a\nSIDE\nc\n"
			}
			r.commit("side", map[string]string{"f.txt": side})
			r.git("checkout", "-q", "main")
			if conflict {
				r.commit("main", map[string]string{"f.txt": "a\nMAIN\nc\n"})
			} else {
				r.commit("main", map[string]string{"g.txt": "g\n"})
			}
			cmd := exec.Command("git", "-C", r.dir, "merge", "--no-commit", "--no-ff", "side")
			cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
				"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
			if out, err := cmd.CombinedOutput(); err != nil && !conflict {
				t.Fatalf("merge: %v %s", err, out)
			}
			key := testenv.AWSKey(t)
			r.write("f.txt", "a\nMAIN\nkey = "+key+"\nc\nside\n")
			r.git("add", "f.txt")
			r.git("commit", "-q", "-m", "merge side")
			merge := r.git("rev-parse", "HEAD")
			if parents := strings.Fields(r.git("log", "-1", "--format=%P")); len(parents) != 2 {
				t.Fatalf("the merge commit has parents %v", parents)
			}
			head := r.commit("clean up", map[string]string{"f.txt": "a\nMAIN\nc\nside\n"})
			want := []string{"f.txt:3 aws-access-token " + shortSHA(merge)}
			for _, body := range []string{"scope: diff", "scope: history"} {
				res := scan(t, r.dir, body, gates.Event{Base: base, Head: head})
				if got := where(res.Findings); !slices.Equal(got, want) {
					t.Errorf("%s: findings %v (status %s, err %q), want %v", body, got, res.Status, res.Err, want)
				}
				assertNoSecret(t, res, key)
			}
		})
	}
}

// A checkout that converts files through .gitattributes writes something
// other than what git stores: the tree scope reads git's copy.
func TestTreeReadsWhatGitStores(t *testing.T) {
	for _, attrs := range []string{"*.txt working-tree-encoding=UTF-16\n", "*.txt eol=crlf\n"} {
		t.Run(strings.TrimSpace(attrs), func(t *testing.T) {
			src := newRepo(t)
			key := testenv.AWSKey(t)
			src.commit("init", map[string]string{"creds.txt": "x\naws = " + key + "\n", "plain.md": "aws = " + key + "\n"})
			src.commit("attributes", map[string]string{".gitattributes": attrs})
			clone := t.TempDir()
			if out, err := exec.Command("git", "clone", "-q", "file://"+src.dir, clone).CombinedOutput(); err != nil {
				t.Fatalf("clone: %v %s", err, out)
			}
			disk, err := os.ReadFile(filepath.Join(clone, "creds.txt"))
			if err != nil || strings.Contains(string(disk), "x\naws") {
				t.Fatalf("the checkout did not convert creds.txt: the test proves nothing (%v)", err)
			}
			res := scan(t, clone, "scope: tree", gates.Event{})
			if got := where(res.Findings); !slices.Equal(got, []string{"creds.txt:2 aws-access-token", "plain.md:1 aws-access-token"}) {
				t.Errorf("findings %v (status %s, err %q)", got, res.Status, res.Err)
			}
			assertNoSecret(t, res, key)
		})
	}
}

// A local change to a tracked file is not what git stores: the tree scope
// scans git's copy (here the key), not the work tree's (here clean).
func TestTreeLocalChangeScansGitsCopy(t *testing.T) {
	r := newRepo(t)
	r.commit("init", map[string]string{"creds.txt": "aws = " + testenv.AWSKey(t) + "\n"})
	r.write("creds.txt", "nothing here\n")
	res := scan(t, r.dir, "scope: tree", gates.Event{})
	if got := where(res.Findings); !slices.Equal(got, []string{"creds.txt:1 aws-access-token"}) {
		t.Errorf("findings %v (status %s, err %q)", got, res.Status, res.Err)
	}
	// A file replaced by a link to another (or a pipe) is read from git
	// too, never followed or waited on.
	if err := os.Remove(filepath.Join(r.dir, "creds.txt")); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("mkfifo", filepath.Join(r.dir, "creds.txt")).Run(); err != nil {
		t.Skip("no mkfifo")
	}
	res = scan(t, r.dir, "scope: tree", gates.Event{})
	if got := where(res.Findings); !slices.Equal(got, []string{"creds.txt:1 aws-access-token"}) {
		t.Errorf("with a pipe: findings %v (status %s, err %q)", got, res.Status, res.Err)
	}
}

// lfsPointer is the Git LFS pointer for content.
func lfsPointer(content string) string {
	sum := sha256.Sum256([]byte(content))
	return fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", hex.EncodeToString(sum[:]), len(content))
}

func TestLFSPointers(t *testing.T) {
	key := testenv.AWSKey(t)
	content := "id,secret\n1," + key + "\n"
	r := newRepo(t)
	base := r.commit("base", map[string]string{"README.md": "hello\n"})
	head := r.commit("data", map[string]string{"data/creds.csv": lfsPointer(content), "img/logo.png": lfsPointer("PNG")})

	// The work tree holds the pointer, not the object: unscanned.
	for _, body := range []string{"scope: tree", "scope: diff", "scope: history"} {
		res := scan(t, r.dir, body, gates.Event{Base: base, Head: head})
		wantStatus(t, res, gates.StatusError)
		testenv.MustContain(t, "error", res.Err, "1 Git LFS object", "data/creds.csv", "allow-unscanned: [lfs]", "lfs: true")
		if strings.Contains(res.Err, "logo.png") {
			t.Errorf("%s: an allowlisted path counts: %s", body, res.Err)
		}
		res = scan(t, r.dir, body+"\nallow-unscanned: [lfs]", gates.Event{Base: base, Head: head})
		wantStatus(t, res, gates.StatusPass)
		testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), "not scanned (allow-unscanned: lfs)", "data/creds.csv")
	}

	// The work tree holds the object the pointer names (git lfs pull):
	// it is scanned.
	r.write("data/creds.csv", content)
	res := scan(t, r.dir, "scope: tree", gates.Event{})
	if got := where(res.Findings); !slices.Equal(got, []string{"data/creds.csv:2 aws-access-token"}) {
		t.Errorf("findings %v (status %s, err %q)", got, res.Status, res.Err)
	}
	assertNoSecret(t, res, key)
	// Something else than the object: unscanned again.
	r.write("data/creds.csv", "id,secret\n")
	res = scan(t, r.dir, "scope: tree", gates.Event{})
	wantStatus(t, res, gates.StatusError)
}

func TestSubmodulesUnscanned(t *testing.T) {
	lib := newRepo(t)
	lib.commit("lib", map[string]string{"lib.txt": "aws = " + testenv.AWSKey(t) + "\n"})
	r := newRepo(t)
	base := r.commit("base", map[string]string{"README.md": "hello\n"})
	r.git("-c", "protocol.file.allow=always", "submodule", "-q", "add", "file://"+lib.dir, "vendor/lib")
	r.git("commit", "-q", "-m", "add lib")
	head := r.git("rev-parse", "HEAD")
	for _, body := range []string{"scope: tree", "scope: diff"} {
		res := scan(t, r.dir, body, gates.Event{Base: base, Head: head})
		wantStatus(t, res, gates.StatusError)
		testenv.MustContain(t, "error", res.Err, "1 submodule", "vendor/lib", "allow-unscanned: [submodules]")
		res = scan(t, r.dir, body+"\nallow-unscanned: submodules", gates.Event{Base: base, Head: head})
		wantStatus(t, res, gates.StatusPass)
	}
	// Not checked out: not part of this work tree.
	r.git("submodule", "-q", "deinit", "--all")
	res := scan(t, r.dir, "scope: tree", gates.Event{})
	wantStatus(t, res, gates.StatusPass)
}

func TestAllowUnscannedConfig(t *testing.T) {
	_, err := New(configtest.Section(t, Name, "allow-unscanned: [lfs, blobs]", nil))
	configtest.WantError(t, err, "release-gate.yml:4:28", `unknown kind of unscanned content "blobs"`, "lfs, submodules")
	_, err = New(configtest.Section(t, Name, "allow-unscanned: {lfs: true}", nil))
	configtest.WantError(t, err, "release-gate.yml:4:22")
	g, err := New(configtest.Section(t, Name, "allow-unscanned: [submodules, lfs, lfs]", nil))
	if err != nil || !slices.Equal(g.(*Gate).cfg.AllowUnscanned, UnscannedKinds{UnscannedSubmodules, UnscannedLFS}) {
		t.Errorf("%v %v", g, err)
	}
}

// Hostile names of files and revisions pass through git as data.
func TestHostileNamesInCommits(t *testing.T) {
	r := newRepo(t)
	base := r.commit("base", map[string]string{"README.md": "hello\n"})
	names := []string{"new\nline.txt", "::error::x.txt", "##[error]y.txt", "-dash.txt", "\"quoted\".txt", "tab\there.txt", "non-utf8-\xff\xfe.txt"}
	files := map[string]string{}
	for _, n := range names {
		files[n] = "k = " + testenv.AWSKey(t) + "\n"
	}
	head := r.commit("add", files)
	for _, body := range []string{"scope: diff", "scope: history", "scope: tree"} {
		res := scan(t, r.dir, body, gates.Event{Base: base, Head: head})
		var got []string
		for _, f := range res.Findings {
			got = append(got, f.Pos.File)
		}
		slices.Sort(got)
		want := slices.Clone(names)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: files %q, want %q (err %q)", body, got, want, res.Err)
		}
	}
	// A revision that is an option is a revision, never an option.
	out := filepath.Join(t.TempDir(), "written")
	for _, rev := range []string{"--output=" + out, "-p", "--all"} {
		res := scan(t, r.dir, "scope: diff", gates.Event{Base: rev, Head: head})
		wantStatus(t, res, gates.StatusError)
		testenv.MustContain(t, "error", res.Err, "is not in this repository", "a force push's before commit is gone", "set base to a commit the clone has")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a revision was read as --output: %v", err)
	}
}

// A linked work tree's .git is a file naming the git directory: the scan
// follows it, and says so.
func TestLinkedWorkTree(t *testing.T) {
	r := newRepo(t)
	base := r.commit("base", map[string]string{"README.md": "hello\n"})
	wt := filepath.Join(t.TempDir(), "wt")
	r.git("worktree", "add", "-q", "-b", "feature", wt)
	key := testenv.AWSKey(t)
	if err := os.WriteFile(filepath.Join(wt, "creds.txt"), []byte("aws = "+key+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitrepotest.Git(t, wt, "add", "creds.txt")
	gitrepotest.Git(t, wt, "commit", "-q", "-m", "leak")
	head := gitrepotest.Git(t, wt, "rev-parse", "HEAD")
	res := scan(t, wt, "", gates.Event{Base: base, Head: head})
	if got := where(res.Findings); !slices.Equal(got, []string{"creds.txt:1 aws-access-token " + shortSHA(head)}) {
		t.Errorf("findings %v (status %s, err %q)", got, res.Status, res.Err)
	}
	testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), "git directory is "+filepath.Join(r.dir, ".git", "worktrees"))
}

// A huge single-line file and a commit of ten thousand files are scanned
// whole.
func TestLargeChanges(t *testing.T) {
	if testing.Short() {
		t.Skip("large")
	}
	r := newRepo(t)
	base := r.commit("base", map[string]string{"README.md": "hello\n"})
	key := testenv.AWSKey(t)
	line := strings.Repeat("abcdefghij", 800_000) + " aws=" + key + "\n"
	for i := 0; i < 10_000; i++ {
		r.write(fmt.Sprintf("many/%02d/f%05d.txt", i%100, i), fmt.Sprintf("file %d\n", i))
	}
	r.write("many/42/f99999.txt", "aws = "+key+"\n")
	r.write("one-line.min.js", line)
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "big")
	head := r.git("rev-parse", "HEAD")
	for _, body := range []string{"scope: diff", "scope: tree"} {
		res := scan(t, r.dir, body, gates.Event{Base: base, Head: head})
		var got []string
		for _, f := range res.Findings {
			got = append(got, f.Pos.File)
		}
		slices.Sort(got)
		if !slices.Equal(got, []string{"many/42/f99999.txt", "one-line.min.js"}) {
			t.Errorf("%s: files %v (status %s, err %q)", body, got, res.Status, res.Err)
		}
	}
}

// A scan that fails names the files it could not read, and a change
// chooses their names: a key given as a file's name must not reach the
// error, though the names' own scan (which masks it) never ran.
func TestScanErrorsHideSecretsInNames(t *testing.T) {
	key := testenv.AWSKey(t)
	res := scanWithUnreadable(t, key+".txt", nil)
	assertNoSecret(t, res, key)
}

// scanWithUnreadable scans the tree of a repository holding files and a
// file named name whose work-tree copy differs from git's and whose object
// is gone: the scan must fail on that file.
func scanWithUnreadable(t *testing.T, name string, files map[string]string) gates.Result {
	t.Helper()
	r := newRepo(t)
	all := map[string]string{name: "nothing here\n"}
	for p, c := range files {
		all[p] = c
	}
	r.commit("init", all)
	blob := r.git("rev-parse", "HEAD:"+name)
	// The work tree differs, so git's copy must be read, and it is gone.
	r.write(name, "changed\n")
	if err := os.Remove(filepath.Join(r.dir, ".git", "objects", blob[:2], blob[2:])); err != nil {
		t.Fatal(err)
	}
	res := scan(t, r.dir, "scope: tree", gates.Event{})
	wantStatus(t, res, gates.StatusError)
	if !strings.Contains(res.Err, "could not scan") {
		t.Fatalf("the scan did not fail on the file: %q", res.Err)
	}
	return res
}

// The same with a secret only the repository's own rule finds: the error
// is redacted with the rules the scan used, not only the default ones.
func TestScanErrorsHideSecretsOfCustomRules(t *testing.T) {
	token := "corp_" + testenv.Random(t, "abcdefghijkmnpqrstuvwxyz23456789", 24)
	res := scanWithUnreadable(t, "keys/"+token+".txt", map[string]string{
		".gitleaks.toml": "[[rules]]\nid = \"corp-token\"\nregex = '''corp_[a-z0-9]{24}'''\nkeywords = [\"corp_\"]\n",
	})
	if !strings.Contains(res.Err, "keys/") {
		t.Fatalf("the error does not name the file: %q", res.Err)
	}
	assertNoSecret(t, res, token)
}
