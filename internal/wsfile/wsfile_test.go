package wsfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadFile(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	write := func(dir, name, content string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	write(root, "dir/config.yml", "version: 1\n")
	write(outside, "secret", "TOKEN=value\n")
	link("dir/config.yml", "inside-link")
	link(filepath.Join(outside, "secret"), "absolute-link")
	rel, err := filepath.Rel(root, filepath.Join(outside, "secret"))
	if err != nil {
		t.Fatal(err)
	}
	link(rel, "relative-escape")
	link("/proc/self/environ", "environ")
	link("/dev/zero", "zero")
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	link("fifo", "fifo-link")
	write(root, "big", strings.Repeat("x", 100))

	for _, c := range []struct {
		name string
		want error // nil: read "version: 1\n"
	}{
		{"dir/config.yml", nil},
		{filepath.Join(root, "dir/config.yml"), nil},
		{"inside-link", nil},
		{"absolute-link", ErrOutside},
		{"relative-escape", ErrOutside},
		{"../" + filepath.Base(outside) + "/secret", ErrOutside},
		{filepath.Join(outside, "secret"), ErrOutside},
		{"environ", ErrOutside},
		{"zero", ErrOutside},
		{"fifo", ErrNotRegular},
		{"fifo-link", ErrNotRegular},
		{"dir", ErrNotRegular},
		{"big", ErrTooLarge},
		{"missing.yml", fs.ErrNotExist},
	} {
		data, err := ReadFile(root, c.name, 50)
		switch {
		case c.want == nil && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want == nil && string(data) != "version: 1\n":
			t.Errorf("%s: read %q", c.name, data)
		case c.want != nil && !errors.Is(err, c.want):
			t.Errorf("%s: got %v (read %q), want %v", c.name, err, data, c.want)
		case c.want != nil && !strings.HasPrefix(err.Error(), c.name+": "):
			t.Errorf("%s: the error does not name the path: %v", c.name, err)
		}
	}
}

func TestStat(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("TOKEN=value\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "dir", "a.yml"), []byte("a: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{
		"out":        filepath.Join(outside, "secret"),
		"out-dir":    outside,
		"zero":       "/dev/zero",
		"in":         "dir/a.yml",
		"in-dir":     "dir",
		"up":         "../" + filepath.Base(outside) + "/secret",
		"via-parent": "dir/../dir/a.yml",
	} {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	w, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, c := range []struct {
		name    string
		regular bool
		want    error
	}{
		{"dir/a.yml", true, nil},
		{"in", true, nil},
		{"via-parent", true, nil},
		{"in-dir", false, nil},
		{filepath.Join(root, "in"), true, nil},
		{"out", false, ErrOutside},
		{"out-dir/secret", false, ErrOutside},
		{"zero", false, ErrOutside},
		{"up", false, ErrOutside},
		{"../x", false, ErrOutside},
		{filepath.Join(outside, "secret"), false, ErrOutside},
		{"missing", false, fs.ErrNotExist},
	} {
		fi, err := w.Stat(c.name)
		switch {
		case c.want == nil && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want == nil && fi.Mode().IsRegular() != c.regular:
			t.Errorf("%s: mode %v", c.name, fi.Mode())
		case c.want != nil && !errors.Is(err, c.want):
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		case c.want != nil && !strings.HasPrefix(err.Error(), c.name+": "):
			t.Errorf("%s: the error does not name the path: %v", c.name, err)
		}
	}
	// The workspace as a file system cannot be walked out of either.
	if _, err := fs.ReadFile(w.FS(), "out"); err == nil || !IsEscape(err) {
		t.Errorf("FS followed a link out: %v", err)
	}
	if data, err := fs.ReadFile(w.FS(), "in"); err != nil || string(data) != "a: 1\n" {
		t.Errorf("FS: %q %v", data, err)
	}
}

// A file outside the workspace that the workflow's author named is read
// through links, but never waited on, nor read without end.
func TestReadRegular(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(file, []byte("title = \"x\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(file, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want error
	}{
		{file, nil},
		{filepath.Join(dir, "link"), nil},
		{fifo, ErrNotRegular},
		{"/dev/zero", ErrNotRegular},
		{dir, ErrNotRegular},
		{filepath.Join(dir, "missing"), fs.ErrNotExist},
	} {
		data, err := ReadRegular(c.path, 50)
		switch {
		case c.want == nil && (err != nil || string(data) != "title = \"x\"\n"):
			t.Errorf("%s: %q %v", c.path, data, err)
		case c.want != nil && !errors.Is(err, c.want):
			t.Errorf("%s: got %v, want %v", c.path, err, c.want)
		case c.want != nil && !strings.HasPrefix(err.Error(), c.path+": "):
			t.Errorf("%s: the error does not name the path: %v", c.path, err)
		}
	}
	if _, err := ReadRegular(file, 5); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a file larger than the limit: %v", err)
	}
}
