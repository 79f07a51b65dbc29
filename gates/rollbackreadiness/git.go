package rollbackreadiness

import (
	"context"
	"errors"
	"fmt"

	"github.com/release-gate/release-gate/internal/gitrepo"
)

// repository is the git repository holding the workspace. git runs
// through the hardened runner (gitrepo): nothing the repository
// configures runs, and no caller's git configuration counts.
type repository struct {
	workspace string
}

// openRepository finds the git repository holding the workspace; nil when
// the workspace is not in one.
func openRepository(workspace string) (*repository, error) {
	_, err := gitrepo.Find(workspace)
	if errors.Is(err, gitrepo.ErrNotRepository) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the workspace %s: %w", workspace, err)
	}
	return &repository{workspace: workspace}, nil
}

// trackedMode returns the mode git's index records for rel (a path
// relative to the workspace, forward slashes): "100755", "100644",
// "120000" for a symbolic link, "160000" for a submodule, or "" when git
// does not track it.
func trackedMode(ctx context.Context, repo *repository, rel string) (string, error) {
	r, err := gitrepo.Open(ctx, repo.workspace)
	if err != nil {
		return "", canceledOr(err, "%w", err)
	}
	defer r.Close()
	files, err := r.Tracked(ctx, rel)
	var gerr *gitrepo.Error
	if errors.As(err, &gerr) {
		return "", fmt.Errorf("git ls-files --stage -- %s: %s", rel, gerr.Msg)
	}
	if err != nil {
		return "", canceledOr(err, "%w: it is needed to check how git records the restore script", err)
	}
	for _, f := range files {
		if f.Path == rel && f.Stage == 0 {
			return f.Mode, nil
		}
	}
	for _, f := range files {
		if f.Path == rel { // in a merge conflict: the stage git lists first
			return f.Mode, nil
		}
	}
	return "", nil
}

// canceledOr returns err itself when the context ended, else the error
// format makes.
func canceledOr(err error, format string, args ...any) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf(format, args...)
}
