//go:build !unix

package secretscan

import (
	"errors"
	"os"
)

// openNoFollow opens a work-tree file for reading, refusing anything but a
// regular file. Without O_NOFOLLOW the check is made before and after the
// open: a file swapped in between is refused because it is not the one
// that was checked.
func openNoFollow(name string) (*os.File, error) {
	before, err := os.Lstat(name)
	if err != nil {
		return nil, err
	}
	if !before.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	after, err := f.Stat()
	if err != nil || !os.SameFile(before, after) {
		_ = f.Close()
		return nil, errors.New("the file changed while it was opened")
	}
	return f, nil
}
