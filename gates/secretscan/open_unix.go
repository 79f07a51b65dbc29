//go:build unix

package secretscan

import (
	"os"
	"syscall"
)

// openNoFollow opens a work-tree file for reading without following a
// symbolic link and without waiting on a pipe: what is there is judged by
// its hash only.
func openNoFollow(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}
