package secretscan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// repo runs git in one repository.
type repo struct {
	dir string // the workspace: git runs here, paths are relative to it
}

// git runs git with args and returns its stdout. Any failure, including
// output on stderr when git exits non-zero, is an error that quotes git.
func (r repo) git(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", r.dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return stdout.Bytes(), &gitError{args: args, msg: msg, code: exit.ExitCode()}
		}
		if errors.Is(err, exec.ErrNotFound) {
			return nil, errors.New("git is not installed: the secret scan needs it")
		}
		return nil, fmt.Errorf("running git %s: %w", args[0], err)
	}
	return stdout.Bytes(), nil
}

// gitError is git exiting non-zero.
type gitError struct {
	args []string
	msg  string
	code int
}

func (e *gitError) Error() string {
	return fmt.Sprintf("git %s: %s", strings.Join(e.args, " "), e.msg)
}

// resolveCommit returns the full SHA of rev, or "" when the repository does
// not have it.
func (r repo) resolveCommit(ctx context.Context, rev string) (string, error) {
	out, err := r.git(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	var gerr *gitError
	if errors.As(err, &gerr) && gerr.code == 1 {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

func (r repo) isShallow(ctx context.Context) (bool, error) {
	out, err := r.git(ctx, "rev-parse", "--is-shallow-repository")
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(string(out)) == "true", nil
}

// hasMergeBase reports whether base and head share history.
func (r repo) hasMergeBase(ctx context.Context, base, head string) (bool, error) {
	_, err := r.git(ctx, "merge-base", base, head)
	var gerr *gitError
	if errors.As(err, &gerr) && gerr.code == 1 {
		return false, nil
	}
	return err == nil, err
}

// countCommits counts the commits in base..head.
func (r repo) countCommits(ctx context.Context, base, head string) (int, error) {
	out, err := r.git(ctx, "rev-list", "--count", base+".."+head)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(out)))
}

// trackedFile is one entry of the index.
type trackedFile struct {
	path string // relative to the workspace, forward slashes
	mode string // 100644, 100755, 120000 (symlink), 160000 (submodule)
}

// trackedFiles lists the files git tracks under the workspace (the index:
// not untracked, not ignored files), NUL-separated so any file name works.
func (r repo) trackedFiles(ctx context.Context) ([]trackedFile, error) {
	out, err := r.git(ctx, "ls-files", "-z", "--stage", "--full-name")
	if err != nil {
		return nil, err
	}
	prefix, err := r.prefix(ctx)
	if err != nil {
		return nil, err
	}
	var files []trackedFile
	seen := map[string]bool{}
	for _, entry := range bytes.Split(out, []byte{0}) {
		if len(entry) == 0 {
			continue
		}
		// "<mode> <object> <stage>\t<path>"
		meta, path, ok := bytes.Cut(entry, []byte{'\t'})
		fields := bytes.Fields(meta)
		if !ok || len(fields) != 3 {
			return nil, fmt.Errorf("git ls-files: unexpected entry %q", entry)
		}
		p := strings.TrimPrefix(string(path), prefix)
		if seen[p] { // an unmerged path has several stages
			continue
		}
		seen[p] = true
		files = append(files, trackedFile{path: p, mode: string(fields[0])})
	}
	return files, nil
}

// addedFiles lists the files the change adds (renames and copies count as
// additions): those present at head but not where head left base.
func (r repo) addedFiles(ctx context.Context, base, head string) ([]string, error) {
	out, err := r.git(ctx, "diff", "--name-only", "-z", "--no-renames", "--diff-filter=A", base+"..."+head, "--", ".")
	if err != nil {
		return nil, err
	}
	prefix, err := r.prefix(ctx)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, p := range bytes.Split(out, []byte{0}) {
		if len(p) > 0 {
			files = append(files, strings.TrimPrefix(string(p), prefix))
		}
	}
	return files, nil
}

// prefix is the workspace's path inside the repository ("" at the top,
// "services/api/" in a subdirectory).
func (r repo) prefix(ctx context.Context) (string, error) {
	out, err := r.git(ctx, "rev-parse", "--show-prefix")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// trustMu guards the process environment while git is told to trust a
// repository.
var trustMu sync.Mutex

// trustRepository lets git work in a repository owned by another user, as
// the workspace of a container action is, without touching any git config
// file: it adds safe.directory for the repository to the process
// environment (GIT_CONFIG_COUNT/KEY/VALUE, read by every git process this
// program starts, gitleaks' included).
func trustRepository(workspace string) error {
	top, err := repositoryRoot(workspace)
	if err != nil {
		return err
	}
	trustMu.Lock()
	defer trustMu.Unlock()
	n, _ := strconv.Atoi(os.Getenv("GIT_CONFIG_COUNT"))
	for i := 0; i < n; i++ {
		if os.Getenv(fmt.Sprintf("GIT_CONFIG_KEY_%d", i)) == "safe.directory" && os.Getenv(fmt.Sprintf("GIT_CONFIG_VALUE_%d", i)) == top {
			return nil
		}
	}
	for _, kv := range [][2]string{
		{fmt.Sprintf("GIT_CONFIG_KEY_%d", n), "safe.directory"},
		{fmt.Sprintf("GIT_CONFIG_VALUE_%d", n), top},
		{"GIT_CONFIG_COUNT", strconv.Itoa(n + 1)},
	} {
		if err := os.Setenv(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// repositoryRoot finds the top of the repository holding dir, by looking
// for .git upwards (git itself refuses to say before it trusts the
// repository).
func repositoryRoot(dir string) (string, error) {
	d, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("%s is not inside a git repository: the secret scan needs one (it scans tracked files and commits)", dir)
		}
		d = parent
	}
}
