package gitrepo

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func run(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func repoWith(t *testing.T, files map[string]os.FileMode) string {
	t.Helper()
	dir := t.TempDir()
	run(t, dir, "init", "-q")
	for name, mode := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	run(t, dir, "add", "-A")
	run(t, dir, "commit", "-q", "-m", "init")
	return dir
}

func TestTracked(t *testing.T) {
	dir := repoWith(t, map[string]os.FileMode{"a.txt": 0o644, "bin/run.sh": 0o755, "new\nline.txt": 0o644, "sp ace/ü.txt": 0o644, "*.txt": 0o644})
	if err := os.WriteFile(filepath.Join(dir, "untracked.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	files, err := r.Tracked(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []File{{"*.txt", "100644"}, {"a.txt", "100644"}, {"bin/run.sh", "100755"}, {"new\nline.txt", "100644"}, {"sp ace/ü.txt", "100644"}}
	if !slices.Equal(files, want) {
		t.Errorf("Tracked() = %q, want %q", files, want)
	}
	// A path is literal: "*.txt" names that file, not every .txt.
	if files, err = r.Tracked(context.Background(), "*.txt"); err != nil || !slices.Equal(files, []File{{"*.txt", "100644"}}) {
		t.Errorf("Tracked(*.txt) = %q, %v", files, err)
	}
	// From a subdirectory, paths are relative to it.
	sub, err := Open(filepath.Join(dir, "bin"))
	if err != nil {
		t.Fatal(err)
	}
	if files, err = sub.Tracked(context.Background()); err != nil || !slices.Equal(files, []File{{"run.sh", "100755"}}) {
		t.Errorf("from bin/: %q, %v", files, err)
	}
	if sub.Top() != r.Top() {
		t.Errorf("top %q vs %q", sub.Top(), r.Top())
	}
}

func TestNotARepository(t *testing.T) {
	if _, err := Open(t.TempDir()); !errors.Is(err, ErrNotRepository) {
		t.Errorf("err %v", err)
	}
}

func TestGitErrorQuotesGit(t *testing.T) {
	r, err := Open(repoWith(t, map[string]os.FileMode{"a": 0o644}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Git(context.Background(), "rev-parse", "--verify", "no-such-ref")
	var gerr *Error
	if !errors.As(err, &gerr) || gerr.Code == 0 || !strings.Contains(err.Error(), "git rev-parse --verify no-such-ref: fatal:") {
		t.Errorf("err %v", err)
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
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if files, err := r.Tracked(context.Background()); err != nil || len(files) != 1 {
		t.Errorf("Tracked: %v, %v", files, err)
	}
	// For programs that start git themselves: the environment trusts it.
	t.Setenv("GIT_CONFIG_COUNT", "")
	if err := r.TrustInEnvironment(); err != nil {
		t.Fatal(err)
	}
	if err := r.TrustInEnvironment(); err != nil { // twice: one entry
		t.Fatal(err)
	}
	if os.Getenv("GIT_CONFIG_COUNT") != "1" {
		t.Errorf("GIT_CONFIG_COUNT=%q", os.Getenv("GIT_CONFIG_COUNT"))
	}
	if out, err := exec.Command("git", "-C", dir, "ls-files").CombinedOutput(); err != nil {
		t.Errorf("git in the trusted environment: %v %s", err, out)
	}
}
