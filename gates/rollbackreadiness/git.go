package rollbackreadiness

import (
	"context"
	"errors"
	"fmt"

	"github.com/release-gate/release-gate/internal/gitrepo"
)

// openRepository opens the git repository holding the workspace; nil when
// the workspace is not in one.
func openRepository(workspace string) (*gitrepo.Repo, error) {
	r, err := gitrepo.Open(workspace)
	if errors.Is(err, gitrepo.ErrNotRepository) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the workspace %s: %w", workspace, err)
	}
	return r, nil
}

// trackedMode returns the mode git's index records for rel (a path
// relative to the workspace, forward slashes): "100755", "100644",
// "120000" for a symbolic link, "160000" for a submodule, or "" when git
// does not track it.
func trackedMode(ctx context.Context, r *gitrepo.Repo, rel string) (string, error) {
	files, err := r.Tracked(ctx, rel)
	var gerr *gitrepo.Error
	if errors.As(err, &gerr) {
		return "", fmt.Errorf("git ls-files --stage -- %s: %s", rel, gerr.Msg)
	}
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return "", err
		}
		return "", fmt.Errorf("%w: it is needed to check how git records the restore script", err)
	}
	for _, f := range files {
		if f.Path == rel {
			return f.Mode, nil
		}
	}
	return "", nil
}
