package gitrepo

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/internal/gitrepo/gitrepotest"
)

func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return gitrepotest.Git(t, dir, args...)
}

func repoWith(t *testing.T, files map[string]os.FileMode) string {
	t.Helper()
	dir := t.TempDir()
	run(t, dir, "init", "-q", "-b", "main")
	for name, mode := range files {
		write(t, dir, name, "x\n", mode)
	}
	run(t, dir, "add", "-A")
	run(t, dir, "commit", "-q", "-m", "init")
	return dir
}

func write(t *testing.T, dir, name, content string, mode os.FileMode) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func open(t *testing.T, dir string) *Repo {
	t.Helper()
	r, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func paths(files []File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Path+" "+f.Mode)
	}
	return out
}

func TestTracked(t *testing.T) {
	dir := repoWith(t, map[string]os.FileMode{"a.txt": 0o644, "bin/run.sh": 0o755, "new\nline.txt": 0o644, "sp ace/ü.txt": 0o644, "*.txt": 0o644})
	write(t, dir, "untracked.txt", "", 0o644)
	r := open(t, dir)
	files, err := r.Tracked(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"*.txt 100644", "a.txt 100644", "bin/run.sh 100755", "new\nline.txt 100644", "sp ace/ü.txt 100644"}
	if got := paths(files); !slices.Equal(got, want) {
		t.Errorf("Tracked() = %q, want %q", got, want)
	}
	blob := run(t, dir, "rev-parse", "HEAD:a.txt")
	if files[1].Object != blob || files[1].Stage != 0 {
		t.Errorf("a.txt: %+v, want object %s", files[1], blob)
	}
	// A path is literal: "*.txt" names that file, not every .txt.
	if files, err = r.Tracked(context.Background(), "*.txt"); err != nil || !slices.Equal(paths(files), []string{"*.txt 100644"}) {
		t.Errorf("Tracked(*.txt) = %q, %v", paths(files), err)
	}
	// From a subdirectory, paths are relative to it.
	sub := open(t, filepath.Join(dir, "bin"))
	if files, err = sub.Tracked(context.Background()); err != nil || !slices.Equal(paths(files), []string{"run.sh 100755"}) {
		t.Errorf("from bin/: %q, %v", paths(files), err)
	}
	if sub.Top() != r.Top() {
		t.Errorf("top %q vs %q", sub.Top(), r.Top())
	}
	if p, err := sub.Prefix(); p != "bin/" || err != nil {
		t.Errorf("prefix %q, %v", p, err)
	}
	if r.ObjectFormat() != "sha1" {
		t.Errorf("object format %q", r.ObjectFormat())
	}
}

func TestNotARepository(t *testing.T) {
	if _, err := Open(context.Background(), t.TempDir()); !errors.Is(err, ErrNotRepository) {
		t.Errorf("err %v", err)
	}
}

func TestGitErrorQuotesGit(t *testing.T) {
	r := open(t, repoWith(t, map[string]os.FileMode{"a": 0o644}))
	_, err := r.Run(context.Background(), "rev-parse", "--verify", "no-such-ref")
	var gerr *Error
	if !errors.As(err, &gerr) || gerr.Code == 0 || !strings.Contains(err.Error(), "git rev-parse --verify no-such-ref: fatal:") {
		t.Errorf("err %v", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error on several lines: %q", err)
	}
}

// git's stderr is kept up to a bound; the line across it, which may end
// in part of a secret that the masking of every output only recognises
// whole, is left out. (git cuts each message it prints to 4 KiB, so only
// many lines reach the bound.)
func TestStderrCutAtALine(t *testing.T) {
	token := "tok" + strings.Repeat("0123456789", 4)
	b := &limitedBuffer{max: maxStderr}
	line := "warning: " + strings.Repeat("x", 90) + "\n"
	for b.buf.Len()+len(line) <= maxStderr-10 {
		b.Write([]byte(line))
	}
	b.Write([]byte(strings.Repeat("y", maxStderr-10-b.buf.Len()) + "token " + token + "\n"))
	b.Write([]byte("error: the last line\n"))
	got := b.String()
	if strings.Contains(got, token[:4]) || strings.Contains(got, "yyy") || !strings.HasSuffix(got, "x\n(more not shown)") {
		t.Errorf("stderr ends %q", got[max(len(got)-100, 0):])
	}
}

func TestRepositoryOwnedByAnotherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the repository to another user")
	}
	dir := repoWith(t, map[string]os.FileMode{"a.txt": 0o644})
	if out, err := exec.Command("chown", "-R", "4321:4321", dir).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v %s", err, out)
	}
	if out, err := exec.Command("git", "-C", dir, "ls-files").CombinedOutput(); err == nil || !strings.Contains(string(out), "dubious ownership") {
		t.Fatalf("git should refuse the repository: %s", out)
	}
	r := open(t, dir)
	if files, err := r.Tracked(context.Background()); err != nil || len(files) != 1 {
		t.Errorf("Tracked: %v, %v", files, err)
	}
	if _, err := r.Run(context.Background(), "log", "-1"); err != nil {
		t.Errorf("log: %v", err)
	}
	// Nothing was changed for other programs.
	if out, err := exec.Command("git", "-C", dir, "ls-files").CombinedOutput(); err == nil {
		t.Errorf("the trust leaked out of the runner: %s", out)
	}
}

// hostileRepo is a repository whose history holds a text file, hidden as
// binary by its attributes, changed on two branches and merged with a
// conflict.
func hostileRepo(t *testing.T) (dir, head string) {
	t.Helper()
	dir = t.TempDir()
	run(t, dir, "init", "-q", "-b", "main")
	write(t, dir, ".gitattributes", gitrepotest.HostileAttributes, 0o644)
	write(t, dir, "creds.txt", "a\nb\nc\n", 0o644)
	run(t, dir, "add", "-A")
	run(t, dir, "commit", "-q", "-m", "base")
	run(t, dir, "checkout", "-q", "-b", "side")
	write(t, dir, "creds.txt", "a\nSIDE\nc\n", 0o644)
	run(t, dir, "commit", "-q", "-am", "side")
	run(t, dir, "checkout", "-q", "main")
	write(t, dir, "creds.txt", "a\nMAIN\nc\n", 0o644)
	run(t, dir, "commit", "-q", "-am", "main")
	cmd := exec.Command("git", "-C", dir, "merge", "-q", "side")
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@e", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@e", "GIT_CONFIG_GLOBAL=/dev/null")
	_ = cmd.Run() // conflicts
	write(t, dir, "creds.txt", "a\nRESOLVED\nc\n", 0o644)
	run(t, dir, "add", "-A")
	run(t, dir, "commit", "-q", "-m", "merge")
	return dir, run(t, dir, "rev-parse", "HEAD")
}

// No program named by the repository's configuration runs, whatever
// command the runner starts; and attributes do not hide text.
func TestNoConfiguredProgramRuns(t *testing.T) {
	dir, head := hostileRepo(t)
	marker := gitrepotest.ArmConfig(t, dir)

	// The armed configuration works on git as users run it.
	for _, args := range [][]string{{"status"}, {"diff", "HEAD~1", "HEAD"}} {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null")
		_, _ = cmd.Output()
	}
	if gitrepotest.Ran(t, marker) == "" {
		t.Fatal("the armed configuration ran nothing under plain git: the test proves nothing")
	}
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	r := open(t, dir)
	files, err := r.Tracked(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"log", "-p", "--diff-merges=remerge", "--all", "--no-color", "--no-ext-diff", "--no-textconv"},
		{"log", "-p", "--all", "--show-signature"},
		{"diff", "--no-ext-diff", head + "~1", head},
		{"show", head},
		{"rev-list", "--all"},
		{"merge-base", head + "^1", head + "^2"},
	} {
		out, err := r.Run(ctx, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if strings.Contains(string(out), "Binary files") {
			t.Errorf("git %v: attributes hid text:\n%s", args, out)
		}
	}
	out, err := r.Run(ctx, "log", "-p", "--diff-merges=remerge", "-1", head)
	if err != nil || !strings.Contains(string(out), "+RESOLVED") {
		t.Errorf("remerge diff of the merge: %v\n%s", err, out)
	}
	blobs, err := r.Blobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := blobs.Read(f.Object, func(int64, io.Reader) error { return nil }); err != nil {
			t.Error(err)
		}
	}
	if err := blobs.Close(); err != nil {
		t.Error(err)
	}
	if _, err := r.Shallow(ctx); err != nil {
		t.Error(err)
	}
	// Defence in depth: the drivers the configuration defines are emptied.
	for _, k := range []string{"diff.x.textconv", "diff.x.command", "filter.x.clean", "filter.x.smudge", "filter.x.process", "merge.x.driver", "credential.https://example.com.helper"} {
		if out, err := r.Run(ctx, "config", "--get", k); err != nil || strings.TrimSpace(string(out)) != "" {
			t.Errorf("%s = %q, %v", k, out, err)
		}
	}
	if out, err := r.Run(ctx, "config", "--get", "protocol.file.allow"); err != nil || strings.TrimSpace(string(out)) != "never" {
		t.Errorf("protocol.file.allow = %q, %v", out, err)
	}
	if ran := gitrepotest.Ran(t, marker); ran != "" {
		t.Errorf("a configured program ran: %s", ran)
	}
}

// Nothing of the caller's environment or of the user's or system's
// configuration reaches git.
func TestCallerEnvironmentIgnored(t *testing.T) {
	dir := repoWith(t, map[string]os.FileMode{"a.txt": 0o644})
	other := repoWith(t, map[string]os.FileMode{"other.txt": 0o644})
	head := run(t, dir, "rev-parse", "HEAD")
	global := filepath.Join(t.TempDir(), "gitconfig")
	write(t, filepath.Dir(global), "gitconfig", "[color]\n\tui = always\n[diff]\n\tnoprefix = true\n[log]\n\tabbrevCommit = true\n[format]\n\tpretty = oneline\n", 0o644)
	t.Setenv("GIT_DIR", filepath.Join(other, ".git"))
	t.Setenv("GIT_WORK_TREE", other)
	t.Setenv("GIT_INDEX_FILE", filepath.Join(other, ".git", "index"))
	t.Setenv("GIT_CONFIG_GLOBAL", global)
	t.Setenv("GIT_CONFIG_PARAMETERS", "'diff.mnemonicPrefix'='true'")
	t.Setenv("GIT_CONFIG_COUNT", "1")
	t.Setenv("GIT_CONFIG_KEY_0", "log.decorate")
	t.Setenv("GIT_CONFIG_VALUE_0", "full")
	t.Setenv("GIT_EXTERNAL_DIFF", "/bin/false")
	r := open(t, dir)
	files, err := r.Tracked(context.Background())
	if err != nil || !slices.Equal(paths(files), []string{"a.txt 100644"}) {
		t.Errorf("Tracked: %q, %v", paths(files), err)
	}
	out, err := r.Run(context.Background(), "log", "-p", "-1")
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if !strings.HasPrefix(s, "commit "+head+"\n") || strings.Contains(s, "\x1b[") || !strings.Contains(s, "+++ b/a.txt") {
		t.Errorf("git's output depends on the caller's configuration:\n%s", s)
	}
}

// core.worktree cannot point the runner at another directory.
func TestCoreWorktreeIgnored(t *testing.T) {
	dir := repoWith(t, map[string]os.FileMode{"a.txt": 0o644})
	elsewhere := t.TempDir()
	run(t, dir, "config", "core.worktree", elsewhere)
	r := open(t, dir)
	if r.Top() == elsewhere {
		t.Fatal("top followed core.worktree")
	}
	files, err := r.Tracked(context.Background())
	if err != nil || !slices.Equal(paths(files), []string{"a.txt 100644"}) {
		t.Errorf("Tracked: %q, %v", paths(files), err)
	}
}

func TestInfoAttributesRefused(t *testing.T) {
	dir := repoWith(t, map[string]os.FileMode{"a.txt": 0o644})
	write(t, dir, ".git/info/attributes", "# comments only\n\n", 0o644)
	open(t, dir)
	write(t, dir, ".git/info/attributes", "# hide\n* -diff\n", 0o644)
	_, err := Open(context.Background(), dir)
	if err == nil || !strings.Contains(err.Error(), "info/attributes sets git attributes") {
		t.Errorf("err %v", err)
	}
}

// Replace refs and grafts cannot swap commits out of history.
func TestHistoryAsStored(t *testing.T) {
	dir := repoWith(t, map[string]os.FileMode{"a.txt": 0o644})
	write(t, dir, "b.txt", "b\n", 0o644)
	run(t, dir, "add", "b.txt")
	run(t, dir, "commit", "-q", "-m", "second")
	second := run(t, dir, "rev-parse", "HEAD")
	first := run(t, dir, "rev-parse", "HEAD~1")
	// An unrelated commit replaces the second; grafts cut the first off.
	run(t, dir, "checkout", "-q", "--orphan", "fake")
	run(t, dir, "commit", "-q", "-m", "fake")
	fake := run(t, dir, "rev-parse", "HEAD")
	run(t, dir, "checkout", "-q", "main")
	run(t, dir, "branch", "-D", "fake")
	run(t, dir, "replace", second, fake)
	write(t, dir, ".git/info/grafts", second+"\n", 0o644)
	if got := run(t, dir, "rev-list", "main"); got == second+"\n"+first {
		t.Fatal("plain git is not fooled: the test proves nothing")
	}
	r := open(t, dir)
	out, err := r.Run(context.Background(), "rev-list", "main")
	if err != nil || strings.TrimSpace(string(out)) != second+"\n"+first {
		t.Errorf("rev-list main = %q, %v; want %s %s", out, err, second, first)
	}
}

func TestBlobs(t *testing.T) {
	dir := repoWith(t, map[string]os.FileMode{"a.txt": 0o644})
	r := open(t, dir)
	b, err := r.Blobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	read := func(oid string) (string, error) {
		var got string
		err := b.Read(oid, func(size int64, rd io.Reader) error {
			data, err := io.ReadAll(rd)
			if int64(len(data)) != size {
				t.Errorf("size %d, read %d", size, len(data))
			}
			got = string(data)
			return err
		})
		return got, err
	}
	blob := run(t, dir, "rev-parse", "HEAD:a.txt")
	if got, err := read(blob); got != "x\n" || err != nil {
		t.Errorf("blob: %q %v", got, err)
	}
	if _, err := read(strings.Repeat("0", 40)); !errors.Is(err, ErrMissing) {
		t.Errorf("missing: %v", err)
	}
	if _, err := read(run(t, dir, "rev-parse", "HEAD")); err == nil || !strings.Contains(err.Error(), "a commit, not a blob") {
		t.Errorf("commit: %v", err)
	}
	if _, err := read("--batch-all-objects"); err == nil {
		t.Error("an option read as an object id")
	}
	// Still in step after all that.
	if got, err := read(blob); got != "x\n" || err != nil {
		t.Errorf("blob again: %q %v", got, err)
	}
	// A reader that reads part of a blob leaves the stream in step.
	if err := b.Read(blob, func(int64, io.Reader) error { return nil }); err != nil {
		t.Error(err)
	}
	if got, err := read(blob); got != "x\n" || err != nil {
		t.Errorf("after a partial read: %q %v", got, err)
	}
}

// A partial clone's missing blobs are never fetched: no transport runs.
func TestPartialCloneNeverFetches(t *testing.T) {
	src := repoWith(t, map[string]os.FileMode{"a.txt": 0o644})
	run(t, src, "config", "uploadpack.allowFilter", "true")
	clone := t.TempDir()
	run(t, clone, "clone", "-q", "--no-checkout", "--filter=blob:none", "file://"+src, ".")
	marker := gitrepotest.ArmConfig(t, clone)
	r := open(t, clone)
	b, err := r.Blobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	err = b.Read(run(t, src, "rev-parse", "HEAD:a.txt"), func(int64, io.Reader) error { return nil })
	if !errors.Is(err, ErrMissing) {
		t.Errorf("a missing blob of a partial clone: %v", err)
	}
	b.Close()
	if _, err := r.Run(context.Background(), "log", "-p", "--all"); err == nil {
		t.Error("git log -p read blobs the clone does not have")
	}
	if ran := gitrepotest.Ran(t, marker); ran != "" {
		t.Errorf("a configured program ran: %s", ran)
	}
}

func TestShallow(t *testing.T) {
	src := repoWith(t, map[string]os.FileMode{"a.txt": 0o644})
	write(t, src, "b.txt", "b\n", 0o644)
	run(t, src, "add", "b.txt")
	run(t, src, "commit", "-q", "-m", "two")
	r := open(t, src)
	if s, err := r.Shallow(context.Background()); len(s) != 0 || err != nil {
		t.Errorf("complete clone: %v %v", s, err)
	}
	clone := t.TempDir()
	run(t, clone, "clone", "-q", "--depth=1", "file://"+src, ".")
	r = open(t, clone)
	if s, err := r.Shallow(context.Background()); !slices.Equal(s, []string{run(t, src, "rev-parse", "HEAD")}) || err != nil {
		t.Errorf("shallow clone: %v %v", s, err)
	}
}

func TestContextCancelKillsGit(t *testing.T) {
	dir := repoWith(t, map[string]os.FileMode{"a.txt": 0o644})
	r := open(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := r.Stream(ctx, []string{"cat-file", "--batch"}, func(io.Reader) error {
		cancel() // git waits for stdin, which never comes
		<-ctx.Done()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v", err)
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]Version{
		"git version 2.39.5\n":                 {2, 39, 5},
		"git version 2.47.1.windows.1":         {2, 47, 1},
		"git version 2.39.3 (Apple Git-146)\n": {2, 39, 3},
		"git version 3.0":                      {3, 0, 0},
	} {
		if got, err := parseVersion(in); got != want || err != nil {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := parseVersion("hello"); err == nil {
		t.Error("no error")
	}
	if !(Version{2, 36, 0}).AtLeast(Version{2, 31, 0}) || (Version{2, 30, 9}).AtLeast(Version{2, 31, 0}) {
		t.Error("AtLeast")
	}
}

func TestReadCommitFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	gitIn := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	gitIn("init", "-q")
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(".github/release-gate.yml", "version: 1\n")
	if err := os.Symlink("/proc/self/environ", filepath.Join(dir, "link.yml")); err != nil {
		t.Fatal(err)
	}
	gitIn("add", "-A")
	gitIn("commit", "-q", "-m", "base")
	base := gitIn("rev-parse", "HEAD")
	write(".github/release-gate.yml", "version: 1\ngates: {}\n")
	gitIn("commit", "-q", "-am", "head")

	r, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data, commit, err := r.ReadCommitFile(ctx, base, ".github/release-gate.yml", 100)
	if err != nil || string(data) != "version: 1\n" || commit != base {
		t.Errorf("at base: %q %s %v", data, commit, err)
	}
	for _, c := range []struct{ rev, path, want string }{
		{base, "missing.yml", "not in the commit"},
		{base, "link.yml", "not a regular file (git mode 120000)"},
		{base, ".github", "not a regular file"},
		{"--output=/tmp/x", ".github/release-gate.yml", "is not a commit of this repository"},
		{"nope", ".github/release-gate.yml", "is not a commit of this repository"},
	} {
		if _, _, err := r.ReadCommitFile(ctx, c.rev, c.path, 100); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:%s: got %v, want %q", c.rev, c.path, err, c.want)
		}
	}
	if _, _, err := r.ReadCommitFile(ctx, "HEAD", ".github/release-gate.yml", 5); err == nil || !strings.Contains(err.Error(), "at most 5") {
		t.Errorf("over the limit: %v", err)
	}
}

// A name that several refs match resolves, in git, to whichever comes
// first in its own order (a tag before a branch or a remote branch): a
// change that can push a tag named origin/main would choose the commit.
func TestResolveCommitRefusesAmbiguousNames(t *testing.T) {
	ctx := context.Background()
	dir := repoWith(t, map[string]os.FileMode{"a.txt": 0o644})
	main := run(t, dir, "rev-parse", "HEAD")
	run(t, dir, "update-ref", "refs/remotes/origin/main", main)
	write(t, dir, "b.txt", "b\n", 0o644)
	run(t, dir, "add", "-A")
	run(t, dir, "commit", "-q", "-m", "change")
	change := run(t, dir, "rev-parse", "HEAD")
	// The repository's own configuration would silence git's warning.
	run(t, dir, "config", "core.warnAmbiguousRefs", "false")
	r := open(t, dir)

	if sha, err := r.ResolveCommit(ctx, "origin/main"); err != nil || sha != main {
		t.Fatalf("before the tag: %q, %v", sha, err)
	}
	run(t, dir, "tag", "origin/main", change)
	if sha, err := r.ResolveCommit(ctx, "origin/main"); err == nil || !strings.Contains(err.Error(), "more than one ref") {
		t.Errorf("origin/main with a tag of that name: %q, %v; want an error", sha, err)
	}
	if _, _, err := r.ReadCommitFile(ctx, "origin/main", "a.txt", 100); err == nil || !strings.Contains(err.Error(), "more than one ref") {
		t.Errorf("ReadCommitFile(origin/main): %v; want an error", err)
	}
	// A short id is ambiguous with a branch named like it.
	run(t, dir, "branch", main[:7], change)
	if sha, err := r.ResolveCommit(ctx, main[:7]); err == nil || !strings.Contains(err.Error(), "more than one ref") {
		t.Errorf("a short id with a branch of that name: %q, %v; want an error", sha, err)
	}
	// The full ref name is one ref; a full object id names the object,
	// whatever ref is named like it.
	if sha, err := r.ResolveCommit(ctx, "refs/remotes/origin/main"); err != nil || sha != main {
		t.Errorf("refs/remotes/origin/main: %q, %v", sha, err)
	}
	// HEAD and full ref names come first in git's order: a tag or a branch
	// named like them changes nothing.
	run(t, dir, "tag", "HEAD", main)
	run(t, dir, "branch", "refs/remotes/origin/main", change)
	for rev, want := range map[string]string{"HEAD": change, "HEAD~1": main, "refs/remotes/origin/main": main} {
		if sha, err := r.ResolveCommit(ctx, rev); err != nil || sha != want {
			t.Errorf("%s with a ref named like it: %q, %v; want %s", rev, sha, err, want)
		}
	}
	run(t, dir, "tag", main, change)
	if sha, err := r.ResolveCommit(ctx, main); err != nil || sha != main {
		t.Errorf("a full id with a tag of that name: %q, %v", sha, err)
	}
	if out, err := r.Run(ctx, "rev-list", "--count", main+".."+change); err != nil || strings.TrimSpace(string(out)) != "1" {
		t.Errorf("rev-list by full ids with a tag named like one: %q, %v", out, err)
	}
	if sha, err := r.ResolveCommit(ctx, "no-such-ref"); !errors.Is(err, ErrUnknownCommit) || sha != "" {
		t.Errorf("unknown: %q, %v", sha, err)
	}
	if sha, err := r.ResolveCommit(ctx, "--output=/tmp/x"); !errors.Is(err, ErrUnknownCommit) || sha != "" {
		t.Errorf("an option: %q, %v", sha, err)
	}
}

func TestReadCommit(t *testing.T) {
	dir := repoWith(t, map[string]os.FileMode{"a.txt": 0o644})
	tree := run(t, dir, "rev-parse", "HEAD^{tree}")
	// A message with a NUL byte: git log prints it only up to the NUL.
	raw := "tree " + tree + "\nauthor t <t@e> 1600000000 +0000\ncommitter t <t@e> 1600000000 +0000\n\nsubject\x00hidden after NUL\n"
	cmd := exec.Command("git", "-C", dir, "hash-object", "-t", "commit", "-w", "--literally", "--stdin")
	cmd.Stdin = strings.NewReader(raw)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	commit := strings.TrimSpace(string(out))
	b, err := open(t, dir).Blobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var got []byte
	if err := b.ReadCommit(commit, func(_ int64, r io.Reader) error {
		got, err = io.ReadAll(r)
		return err
	}); err != nil || string(got) != raw {
		t.Errorf("ReadCommit: %q, %v", got, err)
	}
	blob := run(t, dir, "rev-parse", "HEAD:a.txt")
	if err := b.ReadCommit(blob, func(int64, io.Reader) error { return nil }); err == nil || !strings.Contains(err.Error(), "a blob, not a commit") {
		t.Errorf("a blob read as a commit: %v", err)
	}
}
