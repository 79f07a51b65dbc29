// Package glob matches slash-separated paths against patterns: within a
// segment *, ? and [a-z] work as path.Match has them (never crossing a
// slash), and a segment that is exactly ** matches any number of
// segments, none included. Matching is doublestar's, whose backtracking
// is bounded (no pattern makes it exponential); braces and [! stay
// literal, as path.Match has them, rather than doublestar's {a,b}
// alternatives and [!a] negation.
package glob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/release-gate/release-gate/internal/wsfile"
)

// Match reports whether name (forward slashes) matches pattern. A
// malformed pattern matches nothing (Check reports it).
func Match(pattern, name string) bool {
	return doublestar.MatchUnvalidated(literalBraces(pattern), name)
}

// literalBraces escapes what doublestar reads differently from
// path.Match: { and } outside a class (doublestar's alternatives), and !
// opening a class (doublestar's negation; path.Match negates with ^ only).
func literalBraces(pattern string) string {
	if !strings.ContainsAny(pattern, "{}!") {
		return pattern
	}
	var b strings.Builder
	inClass := false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\':
			b.WriteByte(c)
			if i+1 < len(pattern) {
				i++
				b.WriteByte(pattern[i])
			}
			continue
		case inClass && c == ']':
			inClass = false
		case !inClass && c == '[':
			inClass = true
			b.WriteByte(c)
			if i+1 < len(pattern) && pattern[i+1] == '!' {
				b.WriteString(`\!`)
				i++
			}
			continue
		case !inClass && (c == '{' || c == '}'):
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Check reports a malformed pattern (a bad [class], a trailing \).
func Check(pattern string) error {
	if pattern == "" {
		return fmt.Errorf("empty pattern")
	}
	// path.Match's syntax, segment by segment, so that every pattern
	// accepted means what it meant with path.Match.
	for _, seg := range strings.Split(pattern, "/") {
		if _, err := path.Match(seg, ""); err != nil {
			return fmt.Errorf("%q is not a valid pattern: %w", pattern, err)
		}
	}
	if !doublestar.ValidatePattern(literalBraces(pattern)) {
		return fmt.Errorf("%q is not a valid pattern", pattern)
	}
	return nil
}

// HasMeta reports whether s holds a wildcard.
func HasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// Files returns the regular files under root (and symbolic links to them)
// that pattern matches, as sorted root-relative paths with forward
// slashes. Only the directory the pattern's literal start names is walked;
// .git is never searched. A pattern without wildcards names one file.
//
// Every path is resolved inside root: a match that leads out of it (a
// symbolic link to a file outside, to a device or a FIFO on the machine,
// or through a linked directory) is an error wrapping wsfile.ErrOutside
// that names it, never a file of the machine the caller would read as the
// workspace's. Matches that are not regular files (a link to a directory)
// are left out.
func Files(ctx context.Context, root, pattern string) ([]string, error) {
	w, err := wsfile.Open(root)
	if err != nil {
		return nil, fmt.Errorf("searching %s for %q: %w", root, pattern, err)
	}
	defer w.Close()
	segs := strings.Split(pattern, "/")
	fixed := 0
	for fixed < len(segs) && !HasMeta(segs[fixed]) {
		fixed++
	}
	if fixed == len(segs) {
		fi, err := w.Stat(filepath.FromSlash(pattern))
		if errors.Is(err, wsfile.ErrOutside) {
			return nil, fmt.Errorf("searching %s for %q: %w", root, pattern, err)
		}
		if err != nil || !fi.Mode().IsRegular() {
			return nil, nil
		}
		return []string{pattern}, nil
	}
	start := "."
	if fixed > 0 {
		start = strings.Join(segs[:fixed], "/")
	}
	var out []string
	err = fs.WalkDir(w.FS(), start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == start && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			if wsfile.IsEscape(err) {
				return fmt.Errorf("%s: %w (a symbolic link to a place outside the workspace, or an absolute one)", p, wsfile.ErrOutside)
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
		if !Match(pattern, p) {
			return nil
		}
		if !d.Type().IsRegular() {
			fi, serr := w.Stat(filepath.FromSlash(p))
			if errors.Is(serr, wsfile.ErrOutside) {
				return serr
			}
			if serr != nil || !fi.Mode().IsRegular() {
				return nil //nolint:nilerr // a dangling link or a special file is no file to read
			}
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("searching %s for %q: %w", root, pattern, err)
	}
	sort.Strings(out)
	return out, nil
}
