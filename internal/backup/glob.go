package backup

import (
	"fmt"
	"strings"

	"github.com/release-gate/release-gate/internal/glob"
)

// Patterns are globs matched against an object's path relative to the
// set's location, with forward slashes. A segment is matched with path.Match
// (* and ? never cross a slash; [a-z] classes; \ escapes), and a segment
// that is exactly ** matches any number of directories, none included.
// So "db-*.sql.gz" matches objects directly under the location only, and
// "**/db-*.sql.gz" matches them at any depth.

// checkPattern reports whether pattern is a usable glob.
func checkPattern(pattern string) error {
	if pattern == "" {
		return fmt.Errorf("want a glob such as \"db-*.sql.gz\"")
	}
	if strings.HasPrefix(pattern, "/") {
		return fmt.Errorf("%q is absolute; patterns are relative to location", pattern)
	}
	for _, seg := range strings.Split(pattern, "/") {
		switch seg {
		case "":
			return fmt.Errorf("%q has an empty path segment", pattern)
		case ".", "..":
			return fmt.Errorf("%q has a %q segment; put directories in location instead", pattern, seg)
		case "**":
			continue
		}
	}
	if err := glob.Check(pattern); err != nil {
		return err
	}
	if strings.HasSuffix(pattern, "/**") || pattern == "**" {
		return fmt.Errorf("%q ends in **; end it with a file name pattern such as **/*.sql.gz", pattern)
	}
	return nil
}

// listQuery returns what to ask a store for so that every object matching
// pattern is listed and as little else as possible: the literal start of the
// pattern as a name prefix, and whether objects below further slashes can
// match at all.
func listQuery(pattern string) Query {
	i := strings.IndexAny(pattern, `*?[\`)
	if i < 0 {
		i = len(pattern)
	}
	literal := pattern[:i]
	return Query{Prefix: literal, Recursive: strings.Contains(pattern[i:], "/")}
}
