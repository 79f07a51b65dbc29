package secretscan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/release-gate/release-gate/internal/gitrepo"
)

// repo is the repository the gate scans. Every git command goes through
// the hardened runner; those here read history only.
type repo struct {
	*gitrepo.Repo
}

// commitID is a full object id.
var commitID = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

// resolveCommit returns the full SHA of rev, or "" when the repository does
// not have it. rev is never read as an option, and a name several refs
// match is an error (see gitrepo.ResolveCommit).
func (r repo) resolveCommit(ctx context.Context, rev string) (string, error) {
	sha, err := r.ResolveCommit(ctx, rev)
	if errors.Is(err, gitrepo.ErrUnknownCommit) {
		return "", nil
	}
	return sha, err
}

// hasMergeBase reports whether base and head share history.
func (r repo) hasMergeBase(ctx context.Context, base, head string) (bool, error) {
	_, err := r.Run(ctx, "merge-base", base, head)
	var gerr *gitrepo.Error
	if errors.As(err, &gerr) && gerr.Code == 1 {
		return false, nil
	}
	return err == nil, err
}

// listCommits lists the commits git rev-list selects with args.
func (r repo) listCommits(ctx context.Context, args ...string) ([]string, error) {
	out, err := r.Run(ctx, append([]string{"rev-list"}, args...)...)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(out)), nil
}

// changeRevs are git diff's arguments for what head changes since it left
// base (base...head); with no history in common, everything head differs
// from base in.
func (r repo) changeRevs(ctx context.Context, base, head string) ([]string, error) {
	ok, err := r.hasMergeBase(ctx, base, head)
	if err != nil {
		return nil, fmt.Errorf("finding where head left base: %w", err)
	}
	if !ok {
		return []string{base, head}, nil
	}
	return []string{base + "..." + head}, nil
}

// addedFiles lists the files the change adds (renames and copies count as
// additions): those present at head but not where head left base, under
// the workspace (prefix: its path in the repository) and relative to it,
// with their mode and object at head.
func (r repo) addedFiles(ctx context.Context, base, head, prefix string) ([]gitrepo.File, error) {
	args := []string{"diff", "--no-color", "--no-ext-diff", "--no-textconv", "--raw", "--no-abbrev", "-z", "--no-renames", "--diff-filter=A"}
	if prefix != "" {
		args = append(args, "--relative="+prefix)
	} else {
		args = append(args, "--no-relative")
	}
	revs, err := r.changeRevs(ctx, base, head)
	if err != nil {
		return nil, err
	}
	out, err := r.Run(ctx, append(args, revs...)...)
	if err != nil {
		return nil, err
	}
	// Each file is ":<old mode> <new mode> <old object> <new object> A",
	// NUL, its path, NUL.
	fields := bytes.Split(out, []byte{0})
	var files []gitrepo.File
	for i := 0; i+1 < len(fields); i += 2 {
		meta := strings.Fields(strings.TrimPrefix(string(fields[i]), ":"))
		if len(meta) != 5 || meta[4] != "A" || !commitID.MatchString(meta[3]) {
			return nil, fmt.Errorf("git diff listed %q, which is not an added file", fields[i])
		}
		files = append(files, gitrepo.File{Path: string(fields[i+1]), Mode: meta[1], Object: meta[3]})
	}
	return files, nil
}
