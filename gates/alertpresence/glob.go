package alertpresence

import (
	"context"
	"fmt"
	"sort"

	"github.com/release-gate/release-gate/internal/glob"
)

// expandGlobs returns the workspace files any pattern matches, as sorted
// workspace-relative paths with forward slashes (see package glob). A
// pattern that matches no file is an error: a typo must not turn into
// "no rules".
func expandGlobs(ctx context.Context, workspace string, patterns []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, pat := range patterns {
		files, err := glob.Files(ctx, workspace, pat)
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("files: pattern %q matches no file in the workspace %s; check the path (patterns are relative to the workspace, ** matches directories)", pat, workspace)
		}
		for _, f := range files {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}
