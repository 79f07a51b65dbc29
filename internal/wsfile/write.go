package wsfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// WriteFile writes a report (the JSON report, SARIF) to path so that a
// reader never sees half of it:
//
//   - inside root, where the change under test decides what every name is,
//     a symbolic link is written through only when it leads to a regular
//     file (or a new one) inside root; a link out of root (to a file a later
//     step runs or sources) or a device or FIFO is refused;
//   - outside root, the workflow's own paths: a symbolic link is written
//     through, not replaced; a device or FIFO is written to as it is; a path
//     under /dev or /proc (/dev/stdout) is appended to, whatever the
//     descriptor it names is open on (a pipe, a terminal, a file the shell
//     redirected it to);
//   - a regular file, new or not, is replaced atomically: data goes to a
//     temporary file next to it, renamed into place.
func WriteFile(root, path string, data []byte) error {
	if !Inside(root, path) && special(path) {
		// /dev/stdout, /dev/fd/3, /proc/self/fd/1: a descriptor of the
		// process, whatever it is open on. Appending never rewinds a file
		// the shell redirected it to, nor replaces that file.
		return writeThrough(path, os.O_WRONLY|os.O_APPEND, data)
	}
	target, err := writeTarget(root, path)
	if err != nil {
		return err
	}
	fi, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		if Inside(root, path) {
			return fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, Kind(fi.Mode()))
		}
		// The workflow's own device or pipe: write to it as it is.
		return writeThrough(target, os.O_WRONLY, data)
	}
	return writeAtomic(target, data)
}

// special reports whether path names one of the process's descriptors or
// a device (/dev/..., /proc/...).
func special(path string) bool {
	p := filepath.Clean(path)
	return strings.HasPrefix(p, "/dev/") || strings.HasPrefix(p, "/proc/")
}

func writeThrough(path string, flag int, data []byte) error {
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close() // the write error is the one to report
		return err
	}
	return f.Close()
}

// writeTarget resolves the symbolic links of path (the file itself, or its
// directory when the file does not exist yet) and checks that a path
// inside root stays inside it.
func writeTarget(root, path string) (string, error) {
	target, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return "", fmt.Errorf("%s: a symbolic link to a file that does not exist; write to the file itself", path)
		}
		dir, derr := filepath.EvalSymlinks(filepath.Dir(path))
		if derr != nil {
			return "", derr
		}
		target, err = filepath.Join(dir, filepath.Base(path)), nil
	}
	if err != nil {
		return "", err
	}
	if Inside(root, path) {
		realRoot, err := filepath.EvalSymlinks(root)
		if err != nil {
			return "", err
		}
		if !Inside(realRoot, target) {
			return "", fmt.Errorf("%s: %w (it leads to %s); the change under test decides where a link in the workspace leads, so a report is never written through one", path, ErrOutside, target)
		}
		// The repository's own git directory (hooks, configuration) is no
		// place for a report, however the link got there.
		if rel, _ := filepath.Rel(realRoot, target); rel == ".git" || strings.HasPrefix(rel, ".git"+string(filepath.Separator)) {
			return "", fmt.Errorf("%s: leads into the repository's .git directory (%s); a report is never written there", path, target)
		}
	}
	return target, nil
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // a no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close() // the write error is the one to report
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
