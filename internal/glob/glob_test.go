package glob

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
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
