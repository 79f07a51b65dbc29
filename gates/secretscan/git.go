package secretscan

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/release-gate/release-gate/internal/gitrepo"
)

// repo is the repository the gate scans.
type repo struct {
	*gitrepo.Repo
}

// resolveCommit returns the full SHA of rev, or "" when the repository does
// not have it.
func (r repo) resolveCommit(ctx context.Context, rev string) (string, error) {
	out, err := r.Git(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	var gerr *gitrepo.Error
	if errors.As(err, &gerr) && gerr.Code == 1 {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

func (r repo) isShallow(ctx context.Context) (bool, error) {
	out, err := r.Git(ctx, "rev-parse", "--is-shallow-repository")
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(string(out)) == "true", nil
}

// hasMergeBase reports whether base and head share history.
func (r repo) hasMergeBase(ctx context.Context, base, head string) (bool, error) {
	_, err := r.Git(ctx, "merge-base", base, head)
	var gerr *gitrepo.Error
	if errors.As(err, &gerr) && gerr.Code == 1 {
		return false, nil
	}
	return err == nil, err
}

// countCommits counts the commits in base..head.
func (r repo) countCommits(ctx context.Context, base, head string) (int, error) {
	out, err := r.Git(ctx, "rev-list", "--count", base+".."+head)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(out)))
}

// addedFiles lists the files the change adds (renames and copies count as
// additions): those present at head but not where head left base, under
// the workspace and relative to it.
func (r repo) addedFiles(ctx context.Context, base, head string) ([]string, error) {
	out, err := r.Git(ctx, "diff", "--relative", "--name-only", "-z", "--no-renames", "--diff-filter=A", base+"..."+head)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, p := range bytes.Split(out, []byte{0}) {
		if len(p) > 0 {
			files = append(files, string(p))
		}
	}
	return files, nil
}

// prefix is the workspace's path inside the repository ("" at the top,
// "services/api/" in a subdirectory).
func (r repo) prefix(ctx context.Context) (string, error) {
	out, err := r.Git(ctx, "rev-parse", "--show-prefix")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// notCheckedOut lists the tracked files (under the workspace, relative to
// it) that git's skip-worktree bit keeps out of the working tree and that
// are indeed not there: what a sparse checkout leaves out.
func (r repo) notCheckedOut(ctx context.Context) ([]string, error) {
	out, err := r.Git(ctx, "--literal-pathspecs", "ls-files", "-z", "-t")
	if err != nil {
		return nil, err
	}
	var files []string
	for _, entry := range bytes.Split(out, []byte{0}) {
		// "<tag> <path>"; S is skip-worktree.
		tag, path, ok := bytes.Cut(entry, []byte{' '})
		if !ok || string(tag) != "S" {
			continue
		}
		p := string(path)
		if _, err := os.Lstat(filepath.Join(r.Dir(), filepath.FromSlash(p))); errors.Is(err, fs.ErrNotExist) {
			files = append(files, p)
		}
	}
	return files, nil
}
