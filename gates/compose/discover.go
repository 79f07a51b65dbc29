package compose

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/release-gate/release-gate/internal/glob"
	"github.com/release-gate/release-gate/internal/wsfile"
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

// regularFile checks that rel names a regular file of the workspace.
func regularFile(workspace, rel string) error {
	fi, err := wsfile.Stat(workspace, filepath.FromSlash(rel))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s does not exist in the workspace", rel)
		}
		return fmt.Errorf("reading compose file %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", rel)
	}
	return nil
}

// expandGlobs returns the workspace files the patterns match, sorted,
// workspace-relative with forward slashes. ** matches any number of
// directories; .git is never searched and files under node_modules are
// left out. With strict, a pattern that matches nothing is an error: a typo
// must not turn into "no services".
func expandGlobs(ctx context.Context, workspace string, patterns []string, strict bool) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, pat := range patterns {
		files, err := glob.Files(ctx, workspace, path.Clean(pat))
		if err != nil {
			return nil, err
		}
		n := 0
		for _, f := range files {
			if slices.Contains(strings.Split(f, "/"), "node_modules") {
				continue
			}
			n++
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
		if n == 0 && strict {
			return nil, fmt.Errorf("files: %q matches no file in the workspace; check the path (patterns are relative to the workspace, ** matches directories)", pat)
		}
	}
	sort.Strings(out)
	return out, nil
}
