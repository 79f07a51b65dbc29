// Package glob matches slash-separated paths against patterns: within a
// segment *, ? and [a-z] work as path.Match has them (never crossing a
// slash), and a segment that is exactly ** matches any number of
// segments, none included.
package glob

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Match reports whether name (forward slashes) matches pattern.
func Match(pattern, name string) bool {
	return matchSegments(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func matchSegments(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(name); i++ {
				if matchSegments(pat[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

// Check reports a malformed pattern (a bad [class], a trailing \).
func Check(pattern string) error {
	if pattern == "" {
		return fmt.Errorf("empty pattern")
	}
	for _, seg := range strings.Split(pattern, "/") {
		if _, err := path.Match(seg, ""); err != nil {
			return fmt.Errorf("%q is not a valid pattern: %w", pattern, err)
		}
	}
	return nil
}

// HasMeta reports whether s holds a wildcard.
func HasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// Files returns the regular files under root (and symlinks to them) that
// pattern matches, as sorted root-relative paths with forward slashes. Only
// the directory the pattern's literal start names is walked; .git is never
// searched. A pattern without wildcards names one file.
func Files(ctx context.Context, root, pattern string) ([]string, error) {
	segs := strings.Split(pattern, "/")
	fixed := 0
	for fixed < len(segs) && !HasMeta(segs[fixed]) {
		fixed++
	}
	if fixed == len(segs) {
		fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(pattern)))
		if err != nil || !fi.Mode().IsRegular() {
			return nil, nil
		}
		return []string{pattern}, nil
	}
	var out []string
	start := filepath.Join(root, filepath.FromSlash(strings.Join(segs[:fixed], "/")))
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == start && os.IsNotExist(err) {
				return fs.SkipAll
			}
			return err
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if d.IsDir() {
			if d.Name() == ".git" && p != start {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			if fi, serr := os.Stat(p); serr != nil || !fi.Mode().IsRegular() {
				return nil
			}
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if matchSegments(segs, strings.Split(rel, "/")) {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("searching %s for %q: %w", root, pattern, err)
	}
	sort.Strings(out)
	return out, nil
}
