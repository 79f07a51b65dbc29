// Package gitrepo runs git in the repository of the workspace.
//
// The workspace of a container action belongs to another user than the
// container's, and git refuses such a repository ("dubious ownership")
// unless it is named in safe.directory. Every command here names it on
// git's command line; nothing writes a git configuration file.
package gitrepo

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

// ErrNotRepository is returned by Open for a directory outside any
// repository.
var ErrNotRepository = errors.New("not inside a git repository")

// Repo is a git repository, seen from a directory inside it.
type Repo struct {
	dir string // where git runs: paths are relative to it
	top string // the repository's top directory, symbolic links resolved
}

// Open finds the repository holding dir by looking for .git upwards (git
// itself will not say before it trusts the repository).
func Open(dir string) (*Repo, error) {
	d, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	for top := d; ; {
		if _, err := os.Lstat(filepath.Join(top, ".git")); err == nil {
			return &Repo{dir: dir, top: top}, nil
		}
		parent := filepath.Dir(top)
		if parent == top {
			return nil, fmt.Errorf("%s: %w", dir, ErrNotRepository)
		}
		top = parent
	}
}

// Dir is the directory the repository was opened from.
func (r *Repo) Dir() string { return r.dir }

// Top is the repository's top directory.
func (r *Repo) Top() string { return r.top }

// Error is git exiting with an error.
type Error struct {
	Args []string
	Code int    // git's exit code
	Msg  string // what git printed on stderr
}

func (e *Error) Error() string {
	return fmt.Sprintf("git %s: %s", strings.Join(e.Args, " "), e.Msg)
}

// Git runs git with args in the directory the repository was opened from
// and returns what it printed on stdout. When git fails the error is an
// *Error quoting git.
func (r *Repo) Git(ctx context.Context, args ...string) ([]byte, error) {
	full := append([]string{"-c", "safe.directory=" + r.top, "-c", "core.fsmonitor=false", "-C", r.dir}, args...)
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if errors.Is(err, exec.ErrNotFound) {
		return nil, errors.New("git is not installed")
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return nil, fmt.Errorf("running git %s: %w", args[0], err)
	}
	msg := strings.TrimSpace(stderr.String())
	if msg == "" {
		msg = err.Error()
	}
	return stdout.Bytes(), &Error{Args: args, Code: exit.ExitCode(), Msg: msg}
}

// File is an entry of git's index.
type File struct {
	Path string // relative to the directory the repository was opened from
	Mode string // 100644, 100755, 120000 (symbolic link), 160000 (submodule)
}

// Tracked lists the files git tracks (its index: never untracked or ignored
// files) under the opened directory, or only those the literal paths name.
// Any file name works: the listing is NUL-separated.
func (r *Repo) Tracked(ctx context.Context, paths ...string) ([]File, error) {
	args := []string{"--literal-pathspecs", "ls-files", "-z", "--stage"}
	if len(paths) > 0 {
		args = append(append(args, "--"), paths...)
	}
	out, err := r.Git(ctx, args...)
	if err != nil {
		return nil, err
	}
	var files []File
	seen := map[string]bool{}
	for _, entry := range bytes.Split(out, []byte{0}) {
		if len(entry) == 0 {
			continue
		}
		// "<mode> <object> <stage>\t<path>"
		meta, path, ok := bytes.Cut(entry, []byte{'\t'})
		fields := bytes.Fields(meta)
		if !ok || len(fields) != 3 || len(fields[0]) != 6 {
			return nil, fmt.Errorf("git ls-files: unexpected entry %q", entry)
		}
		p := string(path)
		if seen[p] { // a path in a merge conflict has several stages
			continue
		}
		seen[p] = true
		files = append(files, File{Path: p, Mode: string(fields[0])})
	}
	return files, nil
}

// trustMu guards the process environment while a repository is trusted.
var trustMu sync.Mutex

// TrustInEnvironment makes the repository trusted by every git process this
// program starts from now on, including those a library starts itself
// (gitleaks): it adds safe.directory to the process environment
// (GIT_CONFIG_COUNT/KEY/VALUE, read as command-line configuration).
func (r *Repo) TrustInEnvironment() error {
	trustMu.Lock()
	defer trustMu.Unlock()
	n, _ := strconv.Atoi(os.Getenv("GIT_CONFIG_COUNT"))
	for i := 0; i < n; i++ {
		if os.Getenv(fmt.Sprintf("GIT_CONFIG_KEY_%d", i)) == "safe.directory" && os.Getenv(fmt.Sprintf("GIT_CONFIG_VALUE_%d", i)) == r.top {
			return nil
		}
	}
	for _, kv := range [][2]string{
		{fmt.Sprintf("GIT_CONFIG_KEY_%d", n), "safe.directory"},
		{fmt.Sprintf("GIT_CONFIG_VALUE_%d", n), r.top},
		{"GIT_CONFIG_COUNT", strconv.Itoa(n + 1)},
	} {
		if err := os.Setenv(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}
