package wsfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestWriteFile(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	mustWrite := func(p, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) string {
		t.Helper()
		p := filepath.Join(root, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	read := func(p string) string {
		t.Helper()
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	mustWrite(filepath.Join(root, "reports/kept.json"), "old")
	mustWrite(filepath.Join(outside, "profile"), "# a later step sources this\n")
	mustWrite(filepath.Join(root, ".git/hooks/post-checkout"), "#!/bin/sh\n")

	// A new file and an existing one inside the workspace: replaced whole.
	for _, p := range []string{filepath.Join(root, "new.json"), filepath.Join(root, "reports/kept.json")} {
		if err := WriteFile(root, p, []byte("report")); err != nil || read(p) != "report" {
			t.Errorf("%s: %v", p, err)
		}
	}
	// A link inside the workspace to a workspace file: written through,
	// the link kept.
	in := link("reports/kept.json", "in.json")
	if err := WriteFile(root, in, []byte("through")); err != nil || read(filepath.Join(root, "reports/kept.json")) != "through" {
		t.Errorf("link inside: %v", err)
	}
	if fi, err := os.Lstat(in); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v", err)
	}
	// Links the change could commit, out of the workspace or into .git:
	// refused, nothing written.
	for _, p := range []string{
		link(filepath.Join(outside, "profile"), "out.json"),
		link("../"+filepath.Base(outside)+"/profile", "out-rel.json"),
		link(".git/hooks/post-checkout", "hook.json"),
		link("/dev/null", "null.json"),
	} {
		err := WriteFile(root, p, []byte("x"))
		if err == nil {
			t.Errorf("%s: written", p)
		} else if !strings.Contains(err.Error(), filepath.Base(p)) {
			t.Errorf("%s: the error does not name it: %v", p, err)
		}
	}
	if read(filepath.Join(outside, "profile")) != "# a later step sources this\n" || read(filepath.Join(root, ".git/hooks/post-checkout")) != "#!/bin/sh\n" {
		t.Error("a file out of the workspace or in .git was changed")
	}
	// Outside the workspace the paths are the workflow's: a link is written
	// through and kept, a FIFO written to.
	outLink := filepath.Join(outside, "report.json")
	if err := os.Symlink(filepath.Join(outside, "profile"), outLink); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(root, outLink, []byte("json")); err != nil || read(filepath.Join(outside, "profile")) != "json" {
		t.Errorf("link outside: %v", err)
	}
	fifo := filepath.Join(outside, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	got := make(chan string)
	go func() { got <- read(fifo) }()
	if err := WriteFile(root, fifo, []byte("piped")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "piped" {
		t.Errorf("the FIFO's reader got %q", s)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v", err)
	}
}
