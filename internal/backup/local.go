package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// localStore is a directory on this machine.
type localStore struct {
	root    string // absolute
	display string // as the user wrote it, relative to the workspace when it was
}

func newLocalStore(workspace, dir string) *localStore {
	root := dir
	if !filepath.IsAbs(root) {
		root = filepath.Join(workspace, root)
	}
	display := filepath.ToSlash(dir)
	if rel, err := filepath.Rel(workspace, root); err == nil && !filepath.IsAbs(dir) {
		display = filepath.ToSlash(rel)
	}
	return &localStore{root: filepath.Clean(root), display: display}
}

func (s *localStore) String() string { return s.display }

func (s *localStore) ObjectURL(name string) string {
	if s.display == "." {
		return name
	}
	return strings.TrimSuffix(s.display, "/") + "/" + name
}

func (s *localStore) List(ctx context.Context, q Query, fn func(Object) error) (ListStats, error) {
	var st ListStats
	info, err := os.Stat(s.root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return st, fmt.Errorf("backup directory %s does not exist (resolved to %s); is the backup volume mounted?", s.display, s.root)
	case err != nil:
		return st, fmt.Errorf("reading backup directory %s: %w", s.display, err)
	case !info.IsDir():
		return st, fmt.Errorf("backup location %s is not a directory", s.display)
	}
	dir, base := path.Split(q.Prefix) // dir is "" or ends with "/"
	start := filepath.Join(s.root, filepath.FromSlash(dir))
	if !q.Recursive {
		entries, err := os.ReadDir(start)
		if errors.Is(err, fs.ErrNotExist) && dir != "" {
			return st, nil // a sub-directory named by the pattern is missing: nothing matches
		}
		if err != nil {
			return st, fmt.Errorf("listing %s: %w", s.ObjectURL(dir), err)
		}
		st.Requests++
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), base) {
				continue
			}
			obj, ok, err := s.object(path.Join(dir, e.Name()), e)
			if err != nil {
				return st, err
			}
			if !ok {
				continue
			}
			st.Objects++
			if err := fn(obj); err != nil {
				return st, err
			}
		}
		return st, nil
	}
	err = filepath.WalkDir(start, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == start && dir != "" {
				return fs.SkipAll
			}
			return fmt.Errorf("listing %s: %w", s.display, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() {
			if p == start {
				st.Requests++
			}
			return nil
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if !strings.HasPrefix(name, q.Prefix) {
			return nil
		}
		obj, ok, err := s.object(name, e)
		if err != nil || !ok {
			return err
		}
		st.Objects++
		return fn(obj)
	})
	return st, err
}

// object describes a directory entry; ok is false for directories and
// other things that are not files. Symbolic links are followed.
func (s *localStore) object(name string, e fs.DirEntry) (Object, bool, error) {
	var info fs.FileInfo
	var err error
	if e.Type()&fs.ModeSymlink != 0 {
		info, err = os.Stat(filepath.Join(s.root, filepath.FromSlash(name)))
		if errors.Is(err, fs.ErrNotExist) {
			return Object{}, false, nil // a dangling link is not a backup
		}
	} else {
		info, err = e.Info()
	}
	if err != nil {
		return Object{}, false, fmt.Errorf("reading %s: %w", s.ObjectURL(name), err)
	}
	if !info.Mode().IsRegular() {
		return Object{}, false, nil
	}
	return Object{Name: name, Size: info.Size(), ModTime: info.ModTime()}, true, nil
}

func (s *localStore) Open(_ context.Context, name string) (io.ReadCloser, error) {
	f, err := os.Open(filepath.Join(s.root, filepath.FromSlash(name)))
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", s.ObjectURL(name), err)
	}
	return f, nil
}
