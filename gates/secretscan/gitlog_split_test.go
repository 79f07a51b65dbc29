package secretscan

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/internal/gitrepo"
	"github.com/release-gate/release-gate/internal/testenv"
)

// splitHistory builds a history with branches merged at several points
// (one merge adding a key of its own, one octopus), keys added in commits
// on every branch, and one file name added on two branches: what a log
// split into parts (see splitLog) could lose, show twice or attribute to
// another commit.
func splitHistory(t *testing.T) (r *testRepo, base, head string) {
	r = newRepo(t)
	base = r.commit("base", map[string]string{"README.md": "hello\n", "conflict.txt": "a\n"})
	for i := range 3 {
		branch := fmt.Sprintf("topic%d", i)
		r.git("checkout", "-q", "-b", branch, "main")
		for j := range 6 {
			files := map[string]string{fmt.Sprintf("%s/f%d.txt", branch, j): fmt.Sprintf("change %d\n", j)}
			if j%2 == 0 {
				files[fmt.Sprintf("%s/k%d.env", branch, j)] = "AWS_ACCESS_KEY_ID=" + testenv.AWSKey(t) + "\n"
			}
			if j == 3 {
				files["shared/settings.env"] = fmt.Sprintf("TOKEN=%s\n", testenv.GitHubToken(t))
			}
			r.commit(fmt.Sprintf("%s %d", branch, j), files)
		}
		r.git("checkout", "-q", "main")
		for j := range 4 {
			r.commit(fmt.Sprintf("main %d.%d", i, j), map[string]string{"main.txt": fmt.Sprintf("%d %d\n", i, j)})
		}
		if i == 1 {
			// A merge that adds a key of its own while resolving.
			r.commit("main side of conflict", map[string]string{"conflict.txt": "main\n"})
			r.git("checkout", "-q", branch)
			r.commit("topic side of conflict", map[string]string{"conflict.txt": "topic\n"})
			r.git("checkout", "-q", "main")
			if out, err := tryGit(r, "merge", "-q", "--no-ff", "-m", "merge "+branch, branch); err == nil {
				t.Fatalf("the merge was meant to conflict: %s", out)
			}
			r.write("conflict.txt", "resolved\nAWS_SECRET="+testenv.AWSKey(t)+"\n")
			r.git("add", "conflict.txt")
			r.git("commit", "-q", "--no-edit")
			continue
		}
		r.git("merge", "-q", "--no-ff", "-m", "merge "+branch, branch)
	}
	// An octopus merge of two more branches.
	var tips []string
	for i := range 2 {
		branch := fmt.Sprintf("oct%d", i)
		r.git("checkout", "-q", "-b", branch, "main")
		r.commit(branch, map[string]string{branch + ".env": "AWS_ACCESS_KEY_ID=" + testenv.AWSKey(t) + "\n"})
		tips = append(tips, branch)
	}
	r.git("checkout", "-q", "main")
	r.git(append([]string{"merge", "-q", "--no-ff", "-m", "octopus"}, tips...)...)
	head = r.commit("last", map[string]string{"last.env": "AWS_ACCESS_KEY_ID=" + testenv.AWSKey(t) + "\n"})
	return r, base, head
}

// tryGit runs git in r, returning its output and error rather than
// failing the test.
func tryGit(r *testRepo, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", r.dir}, args...)...)
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"GIT_CONFIG_NOSYSTEM=1", "HOME="+r.dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// A log shown by several git processes, each its own part of the commits,
// finds exactly what one git log finds: the same leaks in the same commits,
// the same file names attributed to the same commits, whatever the number
// of parts, for a range and for the whole history.
func TestSplitLogFindsWhatOneLogFinds(t *testing.T) {
	t.Run("clock", testSplitLog)
	// Commits of one date are where the order of a log is the walk's own
	// choice: the parts' order and the whole log's differ most.
	t.Run("one date", func(t *testing.T) {
		t.Setenv("GIT_AUTHOR_DATE", "1795800634 +0000")
		t.Setenv("GIT_COMMITTER_DATE", "1795800634 +0000")
		testSplitLog(t)
	})
}

func testSplitLog(t *testing.T) {
	r, base, head := splitHistory(t)
	ctx := context.Background()
	repo, det := openWithDefaultRules(t, r.dir)
	for _, args := range [][]string{
		{"--diff-filter=d", base + ".." + head},
		{"--full-history", "--all", "--diff-filter=d"},
		{"--full-history", "--all", "--diff-filter=d", "--", "topic1"},
	} {
		run := func(parts int) (string, int) {
			src := &gitLog{repo: repo, args: args, parts: parts, splitMin: 1}
			commits, err := src.listCommits(ctx)
			if err != nil {
				t.Fatal(err)
			}
			split, err := src.splitLog(ctx, commits, parts, 1)
			if err != nil {
				t.Fatal(err)
			}
			leaks, _, err := det.scanCommits(ctx, src, nil)
			if err != nil {
				t.Fatalf("%v in %d parts: %v", args, parts, err)
			}
			sortLeaks(leaks)
			var b strings.Builder
			for _, l := range leaks {
				fmt.Fprintf(&b, "%s:%d:%d-%d:%d %s %s\n", l.file, l.line, l.col, l.endLine, l.endCol, l.rule, shortSHA(l.commit))
			}
			names := slices.Clone(src.names)
			slices.SortFunc(names, func(a, b nameRef) int { return strings.Compare(a.path, b.path) })
			for _, n := range names {
				fmt.Fprintf(&b, "name %s %s\n", n.path, shortSHA(n.commit))
			}
			return b.String(), len(split)
		}
		want, _ := run(1)
		if strings.Count(want, "aws-access-token") < 3 {
			t.Fatalf("%v: one log found too little to compare:\n%s", args, want)
		}
		for _, parts := range []int{2, 3, 5} {
			got, n := run(parts)
			if n != parts {
				t.Errorf("%v: split into %d parts, want %d", args, n, parts)
			}
			if got != want {
				t.Errorf("%v in %d parts found\n%s\none log found\n%s", args, parts, got, want)
			}
		}
	}
}

// Without --full-history, which commits git log -- path shows depends on
// the walk: such a log is never split.
func TestSplitLogKeepsASimplifiedLogWhole(t *testing.T) {
	r, base, head := splitHistory(t)
	ctx := context.Background()
	repo, err := gitrepo.Open(ctx, r.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	src := &gitLog{repo: repo, args: []string{"--diff-filter=d", base + ".." + head, "--", "topic1"}}
	commits, err := src.listCommits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := src.splitLog(ctx, commits, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 1 || !slices.Equal(parts[0], src.args) {
		t.Errorf("parts %q, want the log whole", parts)
	}
	src.args = []string{"--diff-filter=d", base + ".." + head}
	if commits, err = src.listCommits(ctx); err != nil {
		t.Fatal(err)
	}
	if parts, err = src.splitLog(ctx, commits, 3, 1); err != nil || len(parts) != 3 {
		t.Errorf("without a path: %d parts (%v), want 3", len(parts), err)
	}
}

// A merge is read for the files it changes against every parent: a file
// it takes whole from one side is that side's. git log --remerge-diff
// (once used here) remerged a merge without its base when commits of one
// date put an ancestor first (git frees a commit's parents once shown),
// and showed add/add conflicts on files the merge never touched, their
// names attributed to the merge.
func TestMergeIsNotAttributedWhatItTakesFromAParent(t *testing.T) {
	t.Setenv("GIT_AUTHOR_DATE", "1795800634 +0000")
	t.Setenv("GIT_COMMITTER_DATE", "1795800634 +0000")
	r, _, _ := splitHistory(t)
	ctx := context.Background()
	repo, det := openWithDefaultRules(t, r.dir)
	for _, parts := range []int{1, 2, 3} {
		src := &gitLog{repo: repo, args: []string{"--full-history", "--all", "--diff-filter=d"}, parts: parts, splitMin: 1}
		if _, _, err := det.scanCommits(ctx, src, nil); err != nil {
			t.Fatal(err)
		}
		if len(src.names) < 20 {
			t.Fatalf("%d parts: only %d names noted", parts, len(src.names))
		}
		for _, n := range src.names {
			if n.path == "conflict.txt" {
				continue // the one file a merge of this history resolves
			}
			if p := strings.Fields(r.git("rev-list", "--parents", "-n", "1", n.commit)); len(p) > 2 {
				t.Errorf("%d parts: %s attributed to the merge %q, which does not change it", parts, n.path, r.git("log", "-1", "--format=%s", n.commit))
			}
		}
	}
}

// openWithDefaultRules opens the repository in dir (closed when the test
// ends) and a detector with gitleaks' default rules.
func openWithDefaultRules(t *testing.T, dir string) (*gitrepo.Repo, *gitleaksDetector) {
	t.Helper()
	repo, err := gitrepo.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = repo.Close() })
	rules, err := loadRules(nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	det, err := newGitleaksDetector(rules, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	return repo, det
}
