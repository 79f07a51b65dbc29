package rollbackreadiness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// repositoryRoot finds the top of the git repository holding dir by
// looking for .git upwards (git itself refuses to answer in a repository
// owned by another user before it is trusted); ok is false when there is
// none.
func repositoryRoot(dir string) (top string, ok bool, err error) {
	d, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", false, fmt.Errorf("reading the workspace %s: %w", dir, err)
	}
	for {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d, true, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", false, nil
		}
		d = parent
	}
}

// trackedMode returns the mode git's index records for rel (a path
// relative to the workspace, forward slashes): "100755", "100644",
// "120000" for a symbolic link, "160000" for a submodule, or "" when git
// does not track it.
//
// git runs in the workspace with the repository trusted for this command
// only (the workspace of a container action belongs to another user), no
// fsmonitor, and pathspecs taken literally.
func trackedMode(ctx context.Context, workspace, top, rel string) (string, error) {
	args := []string{"-c", "safe.directory=" + top, "-c", "core.fsmonitor=false", "--literal-pathspecs",
		"-C", workspace, "ls-files", "--stage", "-z", "--", rel}
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Env = []string{"LC_ALL=C", "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if errors.Is(err, exec.ErrNotFound) {
			return "", errors.New("git is not installed: it is needed to check how git records the restore script")
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git ls-files --stage -- %s: %s", rel, msg)
	}
	// "100755 <object> 0\tpath\x00"; several entries only during a merge.
	entry, _, _ := strings.Cut(stdout.String(), "\x00")
	if entry == "" {
		return "", nil
	}
	meta, path, ok := strings.Cut(entry, "\t")
	mode, _, _ := strings.Cut(meta, " ")
	if !ok || path != rel || len(mode) != 6 {
		return "", fmt.Errorf("git ls-files --stage -- %s: unexpected answer %q", rel, entry)
	}
	return mode, nil
}
