package glob

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/release-gate/release-gate/internal/testenv"
	"github.com/release-gate/release-gate/internal/wsfile"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"a/*.yml", "a/b.yml", true},
		{"a/*.yml", "a/b/c.yml", false},
		{"**/*.yml", "c.yml", true},
		{"**/*.yml", "a/b/c.yml", true},
		{"a/**", "a/b/c", true},
		{"a/**/c", "a/c", true},
		{"a/**/c", "a/x/y/c", true},
		{"a/**/c", "a/x/y/d", false},
		{"db-*.sql.gz", "db-1.sql.gz", true},
		{"db-*.sql.gz", "old/db-1.sql.gz", false},
		{"[ab].txt", "b.txt", true},
		{"db-*.sql.gz", "db-1.sql.gz.sha256", false},
		{"*", "x", true},
		{"*", "a/x", false},
		{"*/db.gz", "2025/db.gz", true},
		{"db-[0-9]*.gz", "db-x.gz", false},
		{"db-?.gz", "db-12.gz", false},
		{"rules/**/*.yml", "rules/a.yml", true},
		{"**/*.rules.yml", "deep/er/a.yml", false},
		{"a/**/b/*.yml", "a/x/b/c.yml", true},
		{"a/**/b/*.yml", "a/b/c.yml", true},
		{"a/**/b/*.yml", "a/x/c.yml", false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.name); got != tt.want {
			t.Errorf("Match(%q, %q) = %v", tt.pattern, tt.name, got)
		}
	}
	if Check("a/[b") == nil || Check("") == nil || Check("a/**/b*") != nil {
		t.Error("Check")
	}
}

func TestFiles(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"rules/a.yml", "rules/sub/b.yml", "rules/c.txt", ".git/x.yml", "top.yml"} {
		p := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for pattern, want := range map[string][]string{
		"rules/**/*.yml": {"rules/a.yml", "rules/sub/b.yml"},
		"**/*.yml":       {"rules/a.yml", "rules/sub/b.yml", "top.yml"},
		"top.yml":        {"top.yml"},
		"missing.yml":    nil,
		"nodir/*.yml":    nil,
	} {
		got, err := Files(context.Background(), root, pattern)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Files(%q) = %v, %v; want %v", pattern, got, err, want)
		}
	}
}

// A match that is a symbolic link leading out of the workspace (to a
// secret, a device, a FIFO, or through a linked directory) is an error
// naming it; links inside the workspace are followed.
func TestFilesLinksOutOfTheWorkspace(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	secret := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 32)
	if err := os.WriteFile(filepath.Join(outside, "secret.yml"), []byte("token: "+secret+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(outside, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(name string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("a: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	write("ok/a.yml")
	link("a.yml", "ok/alias.yml")
	link("../ok", "ok/sub/up")
	up, err := filepath.Rel(filepath.Join(root, "rel"), filepath.Join(outside, "secret.yml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{ // pattern: the file the error must name
		"abs/*.yml":      "abs/evil.yml",
		"rel/*.yml":      "rel/evil.yml",
		"zero/*.yml":     "zero/evil.yml",
		"fifo/*.yml":     "fifo/evil.yml",
		"**/evil.yml":    "abs/evil.yml",
		"abs/evil.yml":   "abs/evil.yml",
		"dir/*.yml":      "dir",
		"dir/deep/*.yml": "dir/deep",
	}
	link(filepath.Join(outside, "secret.yml"), "abs/evil.yml")
	link(up, "rel/evil.yml")
	link("/dev/zero", "zero/evil.yml")
	link(filepath.Join(outside, "fifo"), "fifo/evil.yml")
	link(outside, "dir")
	if err := os.MkdirAll(filepath.Join(outside, "deep"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "deep", "x.yml"), []byte("token: "+secret+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for pattern, file := range cases {
		got, err := Files(context.Background(), root, pattern)
		if err == nil {
			t.Errorf("Files(%q) = %v, want an error", pattern, got)
			continue
		}
		if !errors.Is(err, wsfile.ErrOutside) || !strings.Contains(err.Error(), file+": leads out of the workspace") {
			t.Errorf("Files(%q): %v; want it to say %s leads out of the workspace", pattern, err, file)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Files(%q): the error quotes the file: %v", pattern, err)
		}
	}
	got, err := Files(context.Background(), root, "ok/**/*.yml")
	if err != nil || !slices.Equal(got, []string{"ok/a.yml", "ok/alias.yml"}) {
		t.Errorf("links inside the workspace: %v, %v", got, err)
	}
}
