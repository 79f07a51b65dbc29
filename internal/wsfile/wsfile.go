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

// ReadFile reads name, a path relative to root or an absolute path inside
// it, refusing anything that is not a regular file inside root once links
// are followed, or that is larger than max bytes. Errors name the path as
// given and wrap ErrOutside, ErrNotRegular, ErrTooLarge or the fs error
// (fs.ErrNotExist for a missing file).
func ReadFile(root, name string, max int64) ([]byte, error) {
	rel := name
	if filepath.IsAbs(name) {
		if !Inside(root, name) {
			return nil, fmt.Errorf("%s: %w", name, ErrOutside)
		}
		rel, _ = filepath.Rel(root, name)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	fi, err := r.Stat(rel)
	if err != nil {
		return nil, explain(name, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w (%s)", name, ErrNotRegular, kind(fi.Mode()))
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s: %w (%d bytes; at most %d)", name, ErrTooLarge, fi.Size(), max)
	}
	// O_NONBLOCK: should the file be swapped for a FIFO since Stat, opening
	// it does not wait for a writer.
	f, err := r.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, explain(name, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", name, ErrNotRegular)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
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
	// and an absolute link.
	var pe *fs.PathError
	if errors.As(err, &pe) && (strings.Contains(pe.Err.Error(), "escapes") || errors.Is(pe.Err, syscall.ELOOP) || errors.Is(pe.Err, syscall.EXDEV)) {
		return fmt.Errorf("%s: %w (a symbolic link to a place outside the workspace, or an absolute one)", name, ErrOutside)
	}
	return fmt.Errorf("%s: %w", name, unwrapPath(err))
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return m.Type().String()
}
