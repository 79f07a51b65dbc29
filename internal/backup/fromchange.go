package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/release-gate/release-gate/internal/gitrepo"
)

// suppliedByChange refuses evidence the change under test supplies: a file
// (a backup, a pgBackRest info file) that git tracks in the workspace's
// repository, or one reached through a symbolic link git tracks there. A
// checkout dates every file it writes "now", and the change controls their
// content, so such a file proves nothing. Files outside the workspace are
// not asked about. what names the file ("backup backups/x.sql.gz"), fix
// says where the evidence should come from instead.
func suppliedByChange(ctx context.Context, workspace, full, what, fix string) error {
	if workspace == "" {
		return nil
	}
	workspace, err := filepath.Abs(workspace)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(workspace, full)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil
	}
	repo, err := gitrepo.Open(ctx, workspace)
	if errors.Is(err, gitrepo.ErrNotRepository) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the workspace %s: %w", workspace, err)
	}
	defer repo.Close()
	parts := strings.Split(filepath.ToSlash(rel), "/")
	for i := 1; i <= len(parts); i++ {
		p := strings.Join(parts[:i], "/")
		info, err := os.Lstat(filepath.Join(workspace, filepath.FromSlash(p)))
		if err != nil {
			return fmt.Errorf("reading %s: %w", what, err)
		}
		link := info.Mode()&os.ModeSymlink != 0
		if !link && i < len(parts) {
			continue // a directory of the checkout: what matters is below it
		}
		tracked, err := isTracked(ctx, repo, p)
		if err != nil {
			return fmt.Errorf("checking whether git tracks %s: %w", what, err)
		}
		switch {
		case tracked && p == filepath.ToSlash(rel):
			return fmt.Errorf("%s is tracked by git: it comes with the change under test, so its date and content prove nothing; %s", what, fix)
		case tracked:
			return fmt.Errorf("%s is reached through %s, a symbolic link tracked by git: the change under test decides where it leads, so it proves nothing; %s", what, p, fix)
		case link:
			return nil // git knows nothing beyond an untracked link
		}
	}
	return nil
}

// isTracked reports whether git's index holds exactly the path p.
func isTracked(ctx context.Context, repo *gitrepo.Repo, p string) (bool, error) {
	files, err := repo.Tracked(ctx, p)
	if err != nil {
		return false, err
	}
	for _, f := range files {
		if f.Path == p {
			return true, nil
		}
	}
	return false, nil
}
