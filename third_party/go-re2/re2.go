// Package re2 stands in for github.com/wasilibs/go-re2 v1.9.0 (MIT, see
// LICENSE) in release-gate's builds. gitleaks compiled with -tags
// gore2regex matches its rules with this package.
//
// Two changes from upstream:
//
//   - RE2 compiled to WebAssembly starts on first use, not at program start.
//     Upstream compiles it in init(), which costs every run of the binary
//     about half a second, including runs that never match a regex.
//   - Each call picks an engine: Go's regexp for small inputs (a diff hunk,
//     a short file) while RE2 is not running, so a scan of small inputs
//     never pays for starting it; RE2 for large inputs, where its DFA is
//     several times faster than Go's engine, and for every input once it
//     runs. Both implement the same RE2 syntax and leftmost-first semantics,
//     so results do not depend on the choice.
package re2

import (
	"regexp"
	"sync"

	"github.com/wasilibs/go-re2/internal"
)

// LargeInput is the input size, in bytes, from which RE2 is used (and
// started, if it is not running yet).
const LargeInput = 1024

// Regexp is a compiled regular expression, safe for concurrent use.
type Regexp struct {
	std *regexp.Regexp

	fastOnce sync.Once
	fast     *internal.Regexp // nil until a large input needs it
	posix    bool
}

// Compile parses a regular expression.
func Compile(expr string) (*Regexp, error) {
	std, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	return &Regexp{std: std}, nil
}

// CompilePOSIX is like Compile with POSIX ERE syntax and leftmost-longest
// semantics.
func CompilePOSIX(expr string) (*Regexp, error) {
	std, err := regexp.CompilePOSIX(expr)
	if err != nil {
		return nil, err
	}
	return &Regexp{std: std, posix: true}, nil
}

// MustCompile is like Compile but panics if the expression cannot be parsed.
func MustCompile(expr string) *Regexp {
	return &Regexp{std: regexp.MustCompile(expr)}
}

// MustCompilePOSIX is like CompilePOSIX but panics on a bad expression.
func MustCompilePOSIX(expr string) *Regexp {
	return &Regexp{std: regexp.MustCompilePOSIX(expr), posix: true}
}

// MatchString reports whether s contains any match of pattern.
func MatchString(pattern string, s string) (bool, error) {
	re, err := Compile(pattern)
	if err != nil {
		return false, err
	}
	return re.MatchString(s), nil
}

// QuoteMeta escapes all regular expression metacharacters in s.
func QuoteMeta(s string) string { return regexp.QuoteMeta(s) }

// EngineStarted reports whether the WebAssembly RE2 engine has been started
// in this process.
func EngineStarted() bool { return internal.Started() }

// Start starts the WebAssembly RE2 engine now (it takes a few hundred
// milliseconds) rather than when the first large input arrives. A program
// that knows it will match large inputs can call it in a goroutine, so the
// start overlaps other work.
func Start() { internal.Start() }

// large returns the RE2 engine when an input of n bytes should use it:
// from LargeInput bytes on, and for every input once the engine runs.
func (re *Regexp) large(n int) *internal.Regexp {
	if n < LargeInput && !internal.Started() {
		return nil
	}
	re.fastOnce.Do(func() {
		opts := internal.CompileOptions{}
		if re.posix {
			opts = internal.CompileOptions{Longest: true, Posix: true}
		}
		fast, err := internal.Compile(re.std.String(), opts)
		if err != nil {
			return // an expression RE2 refuses stays with Go's engine
		}
		re.fast = fast
	})
	return re.fast
}

// String returns the source text of the expression.
func (re *Regexp) String() string { return re.std.String() }

// NumSubexp returns the number of parenthesized subexpressions.
func (re *Regexp) NumSubexp() int { return re.std.NumSubexp() }

// SubexpNames returns the names of the parenthesized subexpressions.
func (re *Regexp) SubexpNames() []string { return re.std.SubexpNames() }

// SubexpIndex returns the index of the first subexpression with the name.
func (re *Regexp) SubexpIndex(name string) int { return re.std.SubexpIndex(name) }

// LiteralPrefix returns a literal string that must begin any match.
func (re *Regexp) LiteralPrefix() (prefix string, complete bool) { return re.std.LiteralPrefix() }

// Match reports whether b contains any match.
func (re *Regexp) Match(b []byte) bool {
	if f := re.large(len(b)); f != nil {
		return f.Match(b)
	}
	return re.std.Match(b)
}

// MatchString reports whether s contains any match.
func (re *Regexp) MatchString(s string) bool {
	if f := re.large(len(s)); f != nil {
		return f.MatchString(s)
	}
	return re.std.MatchString(s)
}

// Find returns the leftmost match in b.
func (re *Regexp) Find(b []byte) []byte {
	if f := re.large(len(b)); f != nil {
		return f.Find(b)
	}
	return re.std.Find(b)
}

// FindIndex returns the location of the leftmost match in b.
func (re *Regexp) FindIndex(b []byte) []int {
	if f := re.large(len(b)); f != nil {
		return f.FindIndex(b)
	}
	return re.std.FindIndex(b)
}

// FindString returns the leftmost match in s.
func (re *Regexp) FindString(s string) string {
	if f := re.large(len(s)); f != nil {
		return f.FindString(s)
	}
	return re.std.FindString(s)
}

// FindStringIndex returns the location of the leftmost match in s.
func (re *Regexp) FindStringIndex(s string) []int {
	if f := re.large(len(s)); f != nil {
		return f.FindStringIndex(s)
	}
	return re.std.FindStringIndex(s)
}

// FindSubmatch returns the leftmost match in b and its submatches.
func (re *Regexp) FindSubmatch(b []byte) [][]byte {
	if f := re.large(len(b)); f != nil {
		return f.FindSubmatch(b)
	}
	return re.std.FindSubmatch(b)
}

// FindSubmatchIndex returns the locations of the leftmost match in b and its
// submatches.
func (re *Regexp) FindSubmatchIndex(b []byte) []int {
	if f := re.large(len(b)); f != nil {
		return f.FindSubmatchIndex(b)
	}
	return re.std.FindSubmatchIndex(b)
}

// FindStringSubmatch returns the leftmost match in s and its submatches.
func (re *Regexp) FindStringSubmatch(s string) []string {
	if f := re.large(len(s)); f != nil {
		return f.FindStringSubmatch(s)
	}
	return re.std.FindStringSubmatch(s)
}

// FindStringSubmatchIndex returns the locations of the leftmost match in s
// and its submatches.
func (re *Regexp) FindStringSubmatchIndex(s string) []int {
	if f := re.large(len(s)); f != nil {
		return f.FindStringSubmatchIndex(s)
	}
	return re.std.FindStringSubmatchIndex(s)
}

// FindAll returns up to n successive matches in b (n < 0: all).
func (re *Regexp) FindAll(b []byte, n int) [][]byte {
	if f := re.large(len(b)); f != nil {
		return f.FindAll(b, n)
	}
	return re.std.FindAll(b, n)
}

// FindAllIndex returns the locations of up to n successive matches in b.
func (re *Regexp) FindAllIndex(b []byte, n int) [][]int {
	if f := re.large(len(b)); f != nil {
		return f.FindAllIndex(b, n)
	}
	return re.std.FindAllIndex(b, n)
}

// FindAllString returns up to n successive matches in s.
func (re *Regexp) FindAllString(s string, n int) []string {
	if f := re.large(len(s)); f != nil {
		return f.FindAllString(s, n)
	}
	return re.std.FindAllString(s, n)
}

// FindAllStringIndex returns the locations of up to n successive matches in s.
func (re *Regexp) FindAllStringIndex(s string, n int) [][]int {
	if f := re.large(len(s)); f != nil {
		return f.FindAllStringIndex(s, n)
	}
	return re.std.FindAllStringIndex(s, n)
}

// FindAllSubmatch returns up to n successive matches in b with submatches.
func (re *Regexp) FindAllSubmatch(b []byte, n int) [][][]byte {
	if f := re.large(len(b)); f != nil {
		return f.FindAllSubmatch(b, n)
	}
	return re.std.FindAllSubmatch(b, n)
}

// FindAllSubmatchIndex returns the locations of up to n successive matches
// in b and their submatches.
func (re *Regexp) FindAllSubmatchIndex(b []byte, n int) [][]int {
	if f := re.large(len(b)); f != nil {
		return f.FindAllSubmatchIndex(b, n)
	}
	return re.std.FindAllSubmatchIndex(b, n)
}

// FindAllStringSubmatch returns up to n successive matches in s with
// submatches.
func (re *Regexp) FindAllStringSubmatch(s string, n int) [][]string {
	if f := re.large(len(s)); f != nil {
		return f.FindAllStringSubmatch(s, n)
	}
	return re.std.FindAllStringSubmatch(s, n)
}

// FindAllStringSubmatchIndex returns the locations of up to n successive
// matches in s and their submatches.
func (re *Regexp) FindAllStringSubmatchIndex(s string, n int) [][]int {
	if f := re.large(len(s)); f != nil {
		return f.FindAllStringSubmatchIndex(s, n)
	}
	return re.std.FindAllStringSubmatchIndex(s, n)
}

// ReplaceAllString replaces the matches in src with repl ($1 expands).
func (re *Regexp) ReplaceAllString(src, repl string) string {
	if f := re.large(len(src)); f != nil {
		return f.ReplaceAllString(src, repl)
	}
	return re.std.ReplaceAllString(src, repl)
}

// ReplaceAllLiteralString replaces the matches in src with repl verbatim.
func (re *Regexp) ReplaceAllLiteralString(src, repl string) string {
	if f := re.large(len(src)); f != nil {
		return f.ReplaceAllLiteralString(src, repl)
	}
	return re.std.ReplaceAllLiteralString(src, repl)
}

// ReplaceAllStringFunc replaces the matches in src with what repl returns.
func (re *Regexp) ReplaceAllStringFunc(src string, repl func(string) string) string {
	if f := re.large(len(src)); f != nil {
		return f.ReplaceAllStringFunc(src, repl)
	}
	return re.std.ReplaceAllStringFunc(src, repl)
}

// ReplaceAll replaces the matches in src with repl ($1 expands).
func (re *Regexp) ReplaceAll(src, repl []byte) []byte {
	if f := re.large(len(src)); f != nil {
		return f.ReplaceAll(src, repl)
	}
	return re.std.ReplaceAll(src, repl)
}

// Split slices s into substrings separated by the expression.
func (re *Regexp) Split(s string, n int) []string {
	if f := re.large(len(s)); f != nil {
		return f.Split(s, n)
	}
	return re.std.Split(s, n)
}
