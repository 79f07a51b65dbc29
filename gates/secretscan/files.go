package secretscan

import (
	"fmt"
	"path"
	"strings"
)

// A file pattern without a slash matches a file's name in any directory
// (".env", "*.pem"); with a slash it matches the path from the workspace
// ("config/*.key"), where "**" matches any number of directories
// ("deploy/**/secrets.yml").

// validGlob reports a malformed pattern.
func validGlob(pattern string) error {
	if pattern == "" {
		return fmt.Errorf("empty file pattern")
	}
	for _, seg := range strings.Split(pattern, "/") {
		if _, err := path.Match(seg, ""); err != nil {
			return fmt.Errorf("bad file pattern %q: %v", pattern, err)
		}
	}
	return nil
}

// matchFile reports whether file (a workspace-relative path) matches pattern.
func matchFile(pattern, file string) bool {
	if !strings.Contains(pattern, "/") {
		ok, _ := path.Match(pattern, path.Base(file))
		return ok
	}
	return matchSegments(strings.Split(strings.TrimPrefix(pattern, "/"), "/"), strings.Split(file, "/"))
}

func matchSegments(pat, parts []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(parts); i++ {
				if matchSegments(pat[1:], parts[i:]) {
					return true
				}
			}
			return false
		}
		if len(parts) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], parts[0]); !ok {
			return false
		}
		pat, parts = pat[1:], parts[1:]
	}
	return len(parts) == 0
}

// forbidden returns the first forbid pattern file matches, unless an allow
// pattern matches it too; "" when the file may be tracked.
func forbidden(file string, forbid, allow []string) string {
	for _, a := range allow {
		if matchFile(a, file) {
			return ""
		}
	}
	for _, f := range forbid {
		if matchFile(f, file) {
			return f
		}
	}
	return ""
}
