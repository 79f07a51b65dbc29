package compose

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// projectFiles is one compose project: its files, workspace-relative with
// forward slashes, in merge order (the base first, overrides after).
type projectFiles []string

func (p projectFiles) String() string { return strings.Join(p, " + ") }

// overrideRE matches an override file name: compose.override.yaml.
var overrideRE = regexp.MustCompile(`^(.+)\.override\.(ya?ml)$`)

// discover finds the projects to check: the explicit projects, then the
// files the globs match, grouped into projects: each base file with the
// *.override.* siblings of its directory, in name order.
func (g *Gate) discover(ctx context.Context, workspace string) ([]projectFiles, error) {
	var projects []projectFiles
	explicit := map[string]bool{}
	for i, p := range g.cfg.Projects {
		var pf projectFiles
		for _, f := range p {
			rel := path.Clean(f)
			if err := regularFile(workspace, rel); err != nil {
				return nil, fmt.Errorf("projects[%d]: %w", i, err)
			}
			explicit[rel] = true
			pf = append(pf, rel)
		}
		projects = append(projects, pf)
	}
	if len(g.files) == 0 {
		return projects, nil
	}
	matched, err := expandGlobs(ctx, workspace, g.files, !g.defaultFiles)
	if err != nil {
		return nil, err
	}
	if len(matched) == 0 {
		return nil, fmt.Errorf("no compose file in the workspace: looked for %s at its root; name yours with files: (globs relative to the workspace), or remove the gate if this repository has none", strings.Join(DefaultFiles[:4], ", "))
	}
	var rest []string
	for _, m := range matched {
		if !explicit[m] {
			rest = append(rest, m)
		}
	}
	grouped, err := groupProjects(rest)
	if err != nil {
		return nil, err
	}
	return append(projects, grouped...), nil
}

// groupProjects pairs each base file with its override siblings
// (compose.yaml with compose.override.yaml or compose.override.yml).
func groupProjects(files []string) ([]projectFiles, error) {
	type stemKey struct{ dir, stem string }
	bases := map[stemKey]int{} // index into projects
	var projects []projectFiles
	var overrides []string
	for _, f := range files {
		dir, name := path.Split(f)
		if overrideRE.MatchString(name) {
			overrides = append(overrides, f)
			continue
		}
		stem := strings.TrimSuffix(strings.TrimSuffix(name, ".yaml"), ".yml")
		k := stemKey{dir, stem}
		if _, dup := bases[k]; dup {
			// compose.yaml and compose.yml side by side: two projects,
			// both checked.
			projects = append(projects, projectFiles{f})
			continue
		}
		bases[k] = len(projects)
		projects = append(projects, projectFiles{f})
	}
	for _, f := range overrides {
		dir, name := path.Split(f)
		stem := overrideRE.FindStringSubmatch(name)[1]
		i, ok := bases[stemKey{dir, stem}]
		if !ok {
			return nil, fmt.Errorf("%s overrides %s%s.yaml, which is not among the files checked; add the base file to files:, or list both under projects: in merge order", f, dir, stem)
		}
		projects[i] = append(projects[i], f)
	}
	return projects, nil
}

// regularFile checks that rel names a readable regular file.
func regularFile(workspace, rel string) error {
	fi, err := os.Stat(filepath.Join(workspace, filepath.FromSlash(rel)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s does not exist in the workspace", rel)
		}
		return fmt.Errorf("reading %s: %w", rel, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", rel)
	}
	return nil
}

// expandGlobs returns the workspace files the patterns match, sorted,
// workspace-relative with forward slashes. ** matches any number of
// directories; .git is never searched. With strict, a pattern that matches
// nothing is an error: a typo must not turn into "no services".
func expandGlobs(ctx context.Context, workspace string, patterns []string, strict bool) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, pat := range patterns {
		segs := strings.Split(path.Clean(pat), "/")
		fixed := 0
		for fixed < len(segs) && !strings.ContainsAny(segs[fixed], `*?[\`) {
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
			rel := strings.Join(segs, "/")
			fi, err := os.Stat(filepath.Join(workspace, filepath.FromSlash(rel)))
			switch {
			case err == nil && fi.Mode().IsRegular():
				add(rel)
			case err != nil && !errors.Is(err, fs.ErrNotExist):
				return nil, fmt.Errorf("reading %s: %w", rel, err)
			}
		} else {
			root := filepath.Join(workspace, filepath.FromSlash(strings.Join(segs[:fixed], "/")))
			err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					if p == root && errors.Is(err, fs.ErrNotExist) {
						return fs.SkipAll
					}
					return err
				}
				if cerr := ctx.Err(); cerr != nil {
					return cerr
				}
				if d.IsDir() {
					if p != root && (d.Name() == ".git" || d.Name() == "node_modules") {
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
				return nil, fmt.Errorf("searching the workspace for %q: %w", pat, err)
			}
		}
		if n == 0 && strict {
			return nil, fmt.Errorf("files: %q matches no file in the workspace; check the path (patterns are relative to the workspace, ** matches directories)", pat)
		}
	}
	sort.Strings(out)
	return out, nil
}

// matchSegments matches path segments against pattern segments, where a
// "**" segment matches zero or more segments.
func matchSegments(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
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
