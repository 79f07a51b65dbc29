package glob

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/internal/testenv"
)

// Go's own table for path.Match ($(go env GOROOT)/src/path/match_test.go), read at
// test time: every pattern without a ** segment means here what it means
// to path.Match, and every pattern path.Match refuses, Check refuses.
func TestMatchAgreesWithPathMatchTable(t *testing.T) {
	goBin := testenv.LookPath(t, "go")
	root, err := exec.Command(goBin, "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	file := filepath.Join(strings.TrimSpace(string(root)), "src", "path", "match_test.go")
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		vs, ok := node.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "matchTests" || len(vs.Values) != 1 {
			return true
		}
		for _, e := range vs.Values[0].(*ast.CompositeLit).Elts {
			el := e.(*ast.CompositeLit).Elts
			lit := func(i int) string {
				s, err := strconv.Unquote(el[i].(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			pattern, name := lit(0), lit(1)
			want, werr := path.Match(pattern, name)
			n++
			switch {
			case werr != nil:
				if Check(pattern) == nil {
					t.Errorf("Check(%q) = nil; path.Match refuses it: %v", pattern, werr)
				}
			case strings.Contains(pattern, "**"):
				// path.Match reads ** as *; here a whole ** segment crosses
				// slashes, on purpose.
			default:
				if got := Match(pattern, name); got != want {
					t.Errorf("Match(%q, %q) = %v; path.Match says %v", pattern, name, got, want)
				}
			}
		}
		return false
	})
	if n < 30 {
		t.Fatalf("read %d cases from %s; the table moved", n, file)
	}
}

// What doublestar would read as alternatives or negation keeps
// path.Match's meaning: braces are literal, [! is a class holding !.
func TestMatchKeepsPathMatchSyntax(t *testing.T) {
	for _, tt := range []struct {
		pattern, name string
		want          bool
	}{
		{"{a,b}.yml", "{a,b}.yml", true},
		{"{a,b}.yml", "a.yml", false},
		{"x/{a,b}/**/*.yml", "x/{a,b}/c/d.yml", true},
		{"[!a].txt", "!.txt", true},
		{"[!a].txt", "a.txt", true},
		{"[!a].txt", "b.txt", false},
		{`\{a\}`, "{a}", true},
		{"[{]x", "{x", true},
		{"[^a].txt", "b.txt", true},
		{"[^a].txt", "a.txt", false},
	} {
		if got := Match(tt.pattern, tt.name); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
		if err := Check(tt.pattern); err != nil {
			t.Errorf("Check(%q): %v", tt.pattern, err)
		}
	}
}

// Patterns a hostile configuration could write, against long paths: the
// recursive matcher this package had took time exponential in the number
// of ** segments (and doublestar's brace alternatives multiply); these
// must simply finish.
func TestMatchPathologicalPatterns(t *testing.T) {
	long := strings.Repeat("a/", 300) + "b"
	for _, pattern := range []string{
		strings.Repeat("**/", 40) + "c",
		strings.Repeat("*a", 200) + "c",
		strings.Repeat("**/a*", 60) + "/c",
		strings.Repeat("{a,b,", 20) + "c" + strings.Repeat("}", 20),
	} {
		if Match(pattern, long) {
			t.Errorf("%.40s… matches a path without c", pattern)
		}
	}
}
