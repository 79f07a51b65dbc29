package backupfreshness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/release-gate/release-gate/internal/gitrepo"
)

// suppliedByChange refuses a local backup that the change under test
// supplies: a file git tracks in the workspace's repository, or one reached
// through a symbolic link git tracks there. A checkout dates every file it
// writes "now", and the change controls their content, so such a backup
// proves nothing. Locations outside the workspace are not asked about.
func suppliedByChange(ctx context.Context, workspace, root, name, shown string) error {
	if workspace == "" {
		return nil
	}
	workspace, err := filepath.Abs(workspace)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(workspace, filepath.Join(root, filepath.FromSlash(name)))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil
	}
	repo, err := gitrepo.Open(workspace)
	if errors.Is(err, gitrepo.ErrNotRepository) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the workspace %s: %w", workspace, err)
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	for i := 1; i <= len(parts); i++ {
		p := strings.Join(parts[:i], "/")
		info, err := os.Lstat(filepath.Join(workspace, filepath.FromSlash(p)))
		if err != nil {
			return fmt.Errorf("reading %s: %w", shown, err)
		}
		link := info.Mode()&os.ModeSymlink != 0
		if !link && i < len(parts) {
			continue // a directory of the checkout: what matters is below it
		}
		tracked, err := isTracked(ctx, repo, p)
		if err != nil {
			return fmt.Errorf("checking whether git tracks %s: %w", shown, err)
		}
		switch {
		case tracked && p == filepath.ToSlash(rel):
			return fmt.Errorf("backup %s is tracked by git: it comes with the change under test, so its date and content prove nothing about the real backups; keep backups out of the repository and point location at where they are written (an absolute path, or S3)", shown)
		case tracked:
			return fmt.Errorf("backup %s is reached through %s, a symbolic link tracked by git: the change under test decides where it leads, so the backup proves nothing; point location at the real directory (an absolute path)", shown, p)
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
