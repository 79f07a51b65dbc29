package secretscan

import (
	"path"
	"strings"

	"github.com/release-gate/release-gate/internal/glob"
)

// A file pattern without a slash matches a file's name in any directory
// (".env", "*.pem"); with a slash it matches the path from the workspace
// ("config/*.key"), where "**" matches any number of directories
// ("deploy/**/secrets.yml").

// validGlob reports a malformed pattern.
func validGlob(pattern string) error {
	return glob.Check(pattern)
}

// matchFile reports whether file (a workspace-relative path) matches pattern.
func matchFile(pattern, file string) bool {
	if !strings.Contains(pattern, "/") {
		ok, _ := path.Match(pattern, path.Base(file))
		return ok
	}
	return glob.Match(strings.TrimPrefix(pattern, "/"), file)
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
