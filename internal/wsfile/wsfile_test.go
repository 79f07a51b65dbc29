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
