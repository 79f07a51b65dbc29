package main

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/configtest"
)

// Every gate in gateList keeps the promises a new gate must keep; this
// test names what a gate forgot.
func TestGateConformance(t *testing.T) {
	seen := map[string]bool{}
	listed := listedPackages(t)
	for i, def := range gateList() {
		t.Run(def.Name, func(t *testing.T) {
			if seen[def.Name] {
				t.Fatalf("gate %q is listed twice in gateList", def.Name)
			}
			seen[def.Name] = true
			conformName(t, i, def, listed)
			if def.Checklist == "" {
				t.Errorf("Definition().Checklist is empty: say which release-checklist line %s turns into a check", def.Name)
			}
			if def.New == nil {
				t.Fatalf("Definition().New is nil")
			}
			conformEmptySection(t, def)
			conformUnknownKey(t, def)
			conformDocPage(t, def)
		})
	}
}

var gateName = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// conformName: the name is a config key (lower case, hyphens), gateList
// takes the Definition from package gates/<name without hyphens>, and that
// package's Name constant is the same name.
func conformName(t *testing.T, i int, def gates.Definition, listed []string) {
	t.Helper()
	if !gateName.MatchString(def.Name) {
		t.Errorf("name %q is not a configuration key such as backup-freshness (lower case, digits, hyphens)", def.Name)
	}
	if i >= len(listed) {
		t.Fatalf("gatelist.go lists %d packages' Definition(); gateList returned more", len(listed))
	}
	wantPkg := "github.com/release-gate/release-gate/gates/" + strings.ReplaceAll(def.Name, "-", "")
	if listed[i] != wantPkg {
		t.Errorf("gateList's entry %d (%q) comes from %s; want the gate in its own package %s", i+1, def.Name, listed[i], wantPkg)
		return
	}
	dir := strings.TrimPrefix(wantPkg, "github.com/release-gate/release-gate/")
	if got := nameConst(t, dir); got != def.Name {
		t.Errorf("package %s declares const Name = %q; its Definition says %q", dir, got, def.Name)
	}
}

// listedPackages reads gatelist.go: the import path of each X in the
// X.Definition() calls of gateList, in order.
func listedPackages(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "gatelist.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	imports := map[string]string{}
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		name := path.Base(p)
		if im.Name != nil {
			name = im.Name.Name
		}
		imports[name] = p
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Definition" {
			if x, ok := sel.X.(*ast.Ident); ok {
				out = append(out, imports[x.Name])
			}
		}
		return true
	})
	return out
}

// nameConst is the value of the Name constant a package's files declare.
func nameConst(t *testing.T, dir string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for j, n := range vs.Names {
					if n.Name != "Name" || j >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[j].(*ast.BasicLit); ok {
						v, _ := strconv.Unquote(lit.Value)
						return v
					}
				}
			}
		}
	}
	t.Errorf("package %s declares no const Name (the gate's configuration key)", dir)
	return ""
}

// newGate calls def.New on the section and turns a panic into a test
// failure that names the gate.
func newGate(t *testing.T, def gates.Definition, s *config.Section) (g gates.Gate, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("New panicked: %v", r)
		}
	}()
	return def.New(s)
}

// conformEmptySection: a section with no keys is never a panic. A gate
// that needs configuration says what is missing as a configuration error
// at the section's key; a gate that has defaults builds a gate whose name
// is its own.
func conformEmptySection(t *testing.T, def gates.Definition) {
	t.Helper()
	body := configtest.File(def.Name, "{}")
	f, err := config.Parse(configtest.FileName, []byte(body), config.Options{Gates: []string{def.Name}, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatalf("parsing a section with no keys: %v", err)
	}
	for i, s := range []*config.Section{f.Section(def.Name), config.NewSection(configtest.FileName, def.Name)} {
		g, err := newGate(t, def, s)
		if err != nil {
			var one *config.Error
			var list config.Errors
			switch {
			case errors.As(err, &list) && len(list) > 0:
				one = list[0]
			case errors.As(err, &one):
			default:
				t.Errorf("New on a section with no keys: %T %v; want a configuration error (config.Error) naming the file and the key", err, err)
				continue
			}
			// The file's section is at line 3 (its key) or 4 (its body).
			if one.File != configtest.FileName || i == 0 && one.Line != 3 && one.Line != 4 {
				t.Errorf("New on a section with no keys: %v; want the error at the section, %s:3 or :4", err, configtest.FileName)
			}
			continue
		}
		t.Logf("a section with no keys is valid: the gate has defaults")
		if g == nil {
			t.Errorf("New on a section with no keys returned neither a gate nor an error")
		} else if g.Name() != def.Name {
			t.Errorf("the gate New builds is called %q; Definition says %q", g.Name(), def.Name)
		}
	}
}

// conformUnknownKey: an unknown key is an error positioned at that key.
func conformUnknownKey(t *testing.T, def gates.Definition) {
	t.Helper()
	s := configtest.Section(t, def.Name, "surely-not-a-key: 1", nil)
	_, err := newGate(t, def, s)
	// The key is the body's first line: line 4, column 5 of the file.
	configtest.WantError(t, err, configtest.FileName+":4:5", "surely-not-a-key")
}

// conformDocPage: the gate has its page, docs/gates/<name>.md.
func conformDocPage(t *testing.T, def gates.Definition) {
	t.Helper()
	if _, err := os.Stat("docs"); errors.Is(err, os.ErrNotExist) {
		// The last check: skipping it skips nothing else.
		t.Skipf("docs/ does not exist yet: docs/gates/%s.md is not checked", def.Name)
	}
	page := filepath.Join("docs", "gates", def.Name+".md")
	fi, err := os.Stat(page)
	switch {
	case err != nil:
		t.Errorf("no documentation page for %s: write %s (what it proves, its keys, its rules): %v", def.Name, page, err)
	case !fi.Mode().IsRegular() || fi.Size() == 0:
		t.Errorf("%s is empty or not a file", page)
	}
}
