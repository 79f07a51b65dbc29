// Package wsfile reads files of the workspace: the repository under test,
// whose files, symbolic links included, the change controls.
//
// A tracked symbolic link can point anywhere: at /proc/self/environ, at the
// runner's credentials, at /dev/zero or at a FIFO. Read refuses what is not
// a regular file inside the workspace once every link is followed, and
// bounds what it reads, so that a file the gate reads never brings in
// content from outside (which an error message could quote) nor blocks.
package wsfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrOutside is returned for a path that leads out of the workspace.
var ErrOutside = errors.New("leads out of the workspace")

// ErrNotRegular is returned for a path that is not a regular file (a
// directory, a device, a FIFO, a socket).
var ErrNotRegular = errors.New("is not a regular file")

// ErrTooLarge is returned for a file larger than the limit.
var ErrTooLarge = errors.New("is too large")

// Inside reports whether path (absolute) names something inside root by
// its name alone, before any link is followed.
func Inside(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// Root is a workspace opened for several lookups: every path is resolved
// inside it, links included, and one that leads out of it is refused.
type Root struct {
	dir string
	r   *os.Root
}

// Open opens the workspace dir. Close it when done.
func Open(dir string) (*Root, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &Root{dir: dir, r: r}, nil
}

// Close releases the workspace.
func (w *Root) Close() error { return w.r.Close() }

// FS is the workspace as a file system: every path resolves inside it.
func (w *Root) FS() fs.FS { return w.r.FS() }

// rel turns name (relative to the workspace, or absolute inside it) into a
// path relative to the workspace.
func (w *Root) rel(name string) (string, error) {
	if !filepath.IsAbs(name) {
		return name, nil
	}
	if !Inside(w.dir, name) {
		return "", fmt.Errorf("%s: %w", name, ErrOutside)
	}
	rel, err := filepath.Rel(w.dir, name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, ErrOutside)
	}
	return rel, nil
}

// Stat describes name once every link is followed, refusing a path that
// leads out of the workspace. Errors name the path as given and wrap
// ErrOutside or the fs error (fs.ErrNotExist for a missing file).
func (w *Root) Stat(name string) (fs.FileInfo, error) {
	rel, err := w.rel(name)
	if err != nil {
		return nil, err
	}
	fi, err := w.r.Stat(rel)
	if err != nil {
		return nil, explain(name, err)
	}
	return fi, nil
}

// ReadFile reads name, a path relative to the workspace or an absolute
// path inside it, refusing anything that is not a regular file inside the
// workspace once links are followed, or that is larger than max bytes.
// Errors name the path as given and wrap ErrOutside, ErrNotRegular,
// ErrTooLarge or the fs error (fs.ErrNotExist for a missing file).
func (w *Root) ReadFile(name string, max int64) ([]byte, error) {
	rel, err := w.rel(name)
	if err != nil {
		return nil, err
	}
	fi, err := w.r.Stat(rel)
	if err != nil {
		return nil, explain(name, err)
	}
	if err := regular(name, fi, max); err != nil {
		return nil, err
	}
	// O_NONBLOCK: should the file be swapped for a FIFO since Stat, opening
	// it does not wait for a writer.
	f, err := w.r.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, explain(name, err)
	}
	defer func() { _ = f.Close() }() // read only: nothing to lose
	return readRegular(name, f, max)
}

// ReadFile reads name inside root as Root.ReadFile does.
func ReadFile(root, name string, max int64) ([]byte, error) {
	w, err := Open(root)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	return w.ReadFile(name, max)
}

// Stat describes name inside root as Root.Stat does.
func Stat(root, name string) (fs.FileInfo, error) {
	w, err := Open(root)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	return w.Stat(name)
}

// ReadRegular reads path, a file outside the workspace that the workflow's
// author named (their own configuration, not the change's), following
// links but refusing what is not a regular file or is larger than max
// bytes, without ever waiting on a FIFO. Errors name the path and wrap
// ErrNotRegular, ErrTooLarge or the fs error.
func ReadRegular(path string, max int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	defer func() { _ = f.Close() }() // read only: nothing to lose
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	if err := regular(path, fi, max); err != nil {
		return nil, err
	}
	return readRegular(path, f, max)
}

// regular refuses what is not a regular file of at most max bytes.
func regular(name string, fi fs.FileInfo, max int64) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: %w (%s)", name, ErrNotRegular, Kind(fi.Mode()))
	}
	if fi.Size() > max {
		return fmt.Errorf("%s: %w (%d bytes; at most %d)", name, ErrTooLarge, fi.Size(), max)
	}
	return nil
}

// readRegular reads an open file that must be a regular file, at most max
// bytes of it.
func readRegular(name string, f *os.File, max int64) ([]byte, error) {
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", name, ErrNotRegular)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, unwrapPath(err))
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: %w (more than %d bytes)", name, ErrTooLarge, max)
	}
	return data, nil
}

// explain turns os.Root's errors into ones that say what is wrong.
func explain(name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("%s: %w", name, unwrapPath(err))
	}
	// os.Root refuses a link out of the root ("path escapes from parent")
	// and an absolute one.
	if IsEscape(err) {
		return fmt.Errorf("%s: %w (a symbolic link to a place outside the workspace, or an absolute one)", name, ErrOutside)
	}
	return fmt.Errorf("%s: %w", name, unwrapPath(err))
}

// IsEscape reports whether err is os.Root refusing a path that leaves the
// root (through "..", an absolute link or a link out of it).
func IsEscape(err error) bool {
	if errors.Is(err, ErrOutside) {
		return true
	}
	var pe *fs.PathError
	return errors.As(err, &pe) && (strings.Contains(pe.Err.Error(), "escapes") || errors.Is(pe.Err, syscall.ELOOP) || errors.Is(pe.Err, syscall.EXDEV))
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Kind names what a file that is not a regular file is, for messages:
// "a directory", "a named pipe", "a socket", "a device", else "not a
// regular file".
func Kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}
