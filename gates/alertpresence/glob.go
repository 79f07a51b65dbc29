package alertpresence

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

// expandGlobs returns the workspace files any pattern matches, as sorted
// workspace-relative paths with forward slashes. ** matches any number of
// directories; .git is never searched. A pattern that matches no file is an
// error: a typo must not turn into "no rules".
func expandGlobs(ctx context.Context, workspace string, patterns []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, pat := range patterns {
		segs := strings.Split(pat, "/")
		fixed := 0
		for fixed < len(segs) && !hasMeta(segs[fixed]) {
			fixed++
		}
		n := 0
		add := func(rel string) {
			n++
			if !seen[rel] {
				seen[rel] = true
				out = append(out, rel)
			}
		}
		if fixed == len(segs) {
			// No wildcard: the file itself.
			if fi, err := os.Stat(filepath.Join(workspace, filepath.FromSlash(pat))); err == nil && fi.Mode().IsRegular() {
				add(pat)
			}
		} else {
			root := filepath.Join(workspace, filepath.FromSlash(strings.Join(segs[:fixed], "/")))
			err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					if p == root && os.IsNotExist(err) {
						return fs.SkipAll
					}
					return err
				}
				if cerr := ctx.Err(); cerr != nil {
					return cerr
				}
				if d.IsDir() {
					if d.Name() == ".git" && p != root {
						return fs.SkipDir
					}
					return nil
				}
				if !d.Type().IsRegular() {
					fi, serr := os.Stat(p) // a symlink to a file counts
					if serr != nil || !fi.Mode().IsRegular() {
						return nil
					}
				}
				rel, rerr := filepath.Rel(workspace, p)
				if rerr != nil {
					return rerr
				}
				rel = filepath.ToSlash(rel)
				if matchSegments(segs, strings.Split(rel, "/")) {
					add(rel)
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("searching %s for %q: %w", workspace, pat, err)
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("files: pattern %q matches no file in the workspace %s; check the path (patterns are relative to the workspace, ** matches directories)", pat, workspace)
		}
	}
	sort.Strings(out)
	return out, nil
}

func hasMeta(seg string) bool { return strings.ContainsAny(seg, `*?[\`) }

// matchSegments matches path segments against pattern segments, where a
// "**" segment matches zero or more segments.
func matchSegments(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			if len(rest) == 0 {
				return true
			}
			for i := 0; i <= len(name); i++ {
				if matchSegments(rest, name[i:]) {
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
