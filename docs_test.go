package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/release-gate/release-gate/report"
)

// The documentation is tested: every YAML example is parsed, every
// release-gate configuration in it is validated by `release-gate validate`,
// every workflow is checked by actionlint against this repository's
// action.yml, and the lists of gates and finding rules are held to the code.
//
// A fenced block is marked by its info string:
//
//	```yaml            a whole file: a release-gate configuration or a workflow
//	```yaml excerpt    part of one: wrapped into a whole file, then checked
//	                   as above (gates or gate sections: a configuration;
//	                   steps, or a mapping with steps: a job's steps)
//	```yaml fragment   deliberately partial: it must parse as YAML, no more
//
// An HTML comment `<!-- excerpt -->` or `<!-- fragment -->` on the line
// before the fence marks it too.

// docFiles are the Markdown files whose examples are tested.
func docFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md", "SECURITY.md", "CONTRIBUTING.md", "RELEASING.md", "CHANGELOG.md"}
	err := filepath.WalkDir("docs", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".md") {
			files = append(files, filepath.ToSlash(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// docBlock is one fenced code block of a Markdown file.
type docBlock struct {
	file string
	line int // of the opening fence, 1-based
	lang string
	mark string // "", "excerpt" or "fragment"
	text string
}

func (b docBlock) String() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

var fenceRE = regexp.MustCompile("^(```+|~~~+)\\s*([^\\s`]*)\\s*(.*)$")

// codeBlocks returns the fenced code blocks of a Markdown file.
func codeBlocks(file string, data []byte) []docBlock {
	var blocks []docBlock
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		m := fenceRE.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		b := docBlock{file: file, line: i + 1, lang: m[2], mark: strings.TrimSpace(m[3])}
		if b.mark == "" && i > 0 {
			switch strings.TrimSpace(lines[i-1]) {
			case "<!-- excerpt -->":
				b.mark = "excerpt"
			case "<!-- fragment -->":
				b.mark = "fragment"
			}
		}
		var body []string
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], m[1]); i++ {
			body = append(body, lines[i])
		}
		b.text = strings.Join(body, "\n") + "\n"
		blocks = append(blocks, b)
	}
	return blocks
}

func yamlBlocks(t *testing.T) []docBlock {
	t.Helper()
	var out []docBlock
	for _, f := range docFiles(t) {
		data, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range codeBlocks(f, data) {
			if b.lang == "yaml" || b.lang == "yml" {
				out = append(out, b)
			}
		}
	}
	return out
}

// docKind is what a YAML example turned out to be.
type docKind int

const (
	kindFragment docKind = iota
	kindConfig
	kindWorkflow
)

// classify parses a block and returns what it is and the whole file to
// check (an excerpt wrapped into one).
func classify(b docBlock, gateNames []string) (docKind, string, error) {
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(b.text), &root); err != nil {
		return 0, "", fmt.Errorf("not valid YAML: %v", err)
	}
	switch b.mark {
	case "fragment":
		return kindFragment, "", nil
	case "", "excerpt":
	default:
		return 0, "", fmt.Errorf("unknown mark %q: want excerpt or fragment", b.mark)
	}
	if len(root.Content) == 0 {
		return 0, "", fmt.Errorf("empty YAML block")
	}
	doc := root.Content[0]
	keys := map[string]bool{}
	if doc.Kind == yaml.MappingNode {
		for i := 0; i < len(doc.Content); i += 2 {
			keys[doc.Content[i].Value] = true
		}
	}
	whole := b.mark == ""
	switch {
	case keys["jobs"] && keys["on"]:
		return kindWorkflow, b.text, nil
	case keys["gates"] && (keys["version"] || !whole):
		text := b.text
		if !keys["version"] {
			text = "version: 1\n" + text
		}
		return kindConfig, text, nil
	case whole:
		return 0, "", fmt.Errorf("neither a whole configuration (version, gates) nor a whole workflow (on, jobs): mark it excerpt or fragment")
	case doc.Kind == yaml.SequenceNode:
		return kindWorkflow, wrapSteps(nil, doc), nil
	case keys["steps"]:
		return kindWorkflow, wrapSteps(doc, nil), nil
	}
	allGates := len(keys) > 0
	for k := range keys {
		allGates = allGates && slices.Contains(gateNames, k)
	}
	if allGates {
		out, err := yaml.Marshal(map[string]any{"version": 1, "gates": doc})
		return kindConfig, string(out), err
	}
	return 0, "", fmt.Errorf("an excerpt must hold gates, gate sections, steps, or a mapping with steps; mark anything else fragment")
}

// wrapSteps makes a workflow of one job from an excerpt: a list of steps,
// or a mapping with steps (and permissions, env, outputs, ...).
func wrapSteps(job *yaml.Node, steps *yaml.Node) string {
	j := map[string]any{}
	if job != nil {
		for i := 0; i < len(job.Content); i += 2 {
			j[job.Content[i].Value] = job.Content[i+1]
		}
	} else {
		j["steps"] = steps
	}
	if _, ok := j["runs-on"]; !ok {
		j["runs-on"] = "ubuntu-latest"
	}
	out, err := yaml.Marshal(map[string]any{"name": "excerpt", "on": "push", "jobs": map[string]any{"job": j}})
	if err != nil {
		panic(err)
	}
	return string(out)
}

var varRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}`)

func TestDocsYAMLExamples(t *testing.T) {
	defs := gateList()
	var names []string
	for _, d := range defs {
		names = append(names, d.Name)
	}
	action, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	lintDir := t.TempDir()
	// actionlint finds the project, and ./'s action.yml, by its .git.
	for _, d := range []string{".git", filepath.Join(".github", "workflows")} {
		if err := os.MkdirAll(filepath.Join(lintDir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(lintDir, "action.yml"), action, 0o644); err != nil {
		t.Fatal(err)
	}
	workflows := map[string]docBlock{}
	counts := map[docKind]int{}
	blocks := yamlBlocks(t)
	if len(blocks) < 20 {
		t.Fatalf("found %d YAML examples; the documentation has more: is the extraction broken?", len(blocks))
	}
	for _, b := range blocks {
		kind, text, err := classify(b, names)
		if err != nil {
			t.Errorf("%s: %v", b, err)
			continue
		}
		counts[kind]++
		switch kind {
		case kindConfig:
			validateDocConfig(t, b, text)
		case kindWorkflow:
			// The examples name the published action; actionlint checks
			// its inputs against this checkout's action.yml as ./.
			text = regexp.MustCompile(`uses: org/release-gate@\S+`).ReplaceAllString(text, "uses: ./")
			if err := checkoutFetchesHistory(text); err != nil {
				t.Errorf("%s: %v", b, err)
			}
			name := fmt.Sprintf("doc%03d.yml", len(workflows))
			workflows[name] = b
			if err := os.WriteFile(filepath.Join(lintDir, ".github", "workflows", name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("%d YAML examples: %d configurations, %d workflows, %d fragments", len(blocks), counts[kindConfig], counts[kindWorkflow], counts[kindFragment])
	if counts[kindConfig] == 0 || counts[kindWorkflow] == 0 {
		t.Fatalf("no configuration or no workflow among the examples")
	}
	lintWorkflows(t, lintDir, workflows)
}

// checkoutFetchesHistory fails a workflow whose job checks out the
// repository with actions/checkout's default depth of 1 and then runs
// release-gate: its default secret scan needs the pull request's base commit
// and fails closed on every pull request without it.
func checkoutFetchesHistory(workflow string) error {
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Uses string            `yaml:"uses"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal([]byte(workflow), &wf); err != nil {
		return err
	}
	for name, job := range wf.Jobs {
		shallow := false
		for _, st := range job.Steps {
			if strings.HasPrefix(st.Uses, "actions/checkout@") {
				shallow = st.With["fetch-depth"] != "0"
			}
			if st.Uses != "./" {
				continue
			}
			if shallow {
				return fmt.Errorf("job %s checks out without fetch-depth: 0 before running release-gate: its secret scan would fail closed on every pull request", name)
			}
			for _, in := range []string{"image", "staging-image"} {
				if strings.Contains(st.With[in], "github.repository") {
					return fmt.Errorf("job %s: input %s is built from github.repository, which may hold capitals; image references must be lowercase", name, in)
				}
			}
		}
	}
	return nil
}

// validateDocConfig runs `release-gate validate` on a documented
// configuration, with every variable it names set.
func validateDocConfig(t *testing.T, b docBlock, text string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "release-gate.yml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"GITHUB_SHA": strings.Repeat("5e", 20)}
	for _, m := range varRE.FindAllStringSubmatch(text, -1) {
		if _, ok := vars[m[1]]; !ok {
			vars[m[1]] = "value-of-" + strings.ToLower(m[1])
		}
	}
	getenv := func(k string) string { return vars[k] }
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"validate", "--config", path, "-C", dir}, getenv, &stdout, &stderr)
	if code != 0 {
		t.Errorf("%s: release-gate validate exits %d:\n%s%s\n--- as validated:\n%s", b, code, stdout.String(), stderr.String(), text)
	}
}

// actionlintPath is the actionlint binary: $ACTIONLINT (.ci/run sets it),
// else actionlint on PATH. In CI its absence fails the test.
func actionlintPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ACTIONLINT"); p != "" {
		return p
	}
	p, err := exec.LookPath("actionlint")
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("actionlint is needed to check the documented workflows: set ACTIONLINT (.ci/run installs it)")
	}
	t.Skip("actionlint is not installed and CI is not set: documented workflows not linted")
	return ""
}

func lintWorkflows(t *testing.T, dir string, workflows map[string]docBlock) {
	t.Helper()
	bin := actionlintPath(t)
	var files []string
	for name := range workflows {
		files = append(files, filepath.Join(".github", "workflows", name))
	}
	slices.Sort(files)
	cmd := exec.Command(bin, append([]string{"-no-color", "-format", "{{range $err := .}}{{$err.Filepath}}\t{{$err.Line}}\t{{$err.Message}} [{{$err.Kind}}]\n{{end}}"}, files...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("running actionlint: %v", err)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		parts := strings.SplitN(line, "\t", 3)
		if len(parts) == 3 {
			b := workflows[filepath.Base(parts[0])]
			t.Errorf("%s (workflow line %s): actionlint: %s", b, parts[1], parts[2])
			continue
		}
		t.Errorf("actionlint: %s", line)
	}
	if err != nil && len(strings.TrimSpace(string(out))) == 0 {
		t.Errorf("actionlint failed without a message: %v", err)
	}
	t.Logf("actionlint checked %d documented workflows", len(files))
}

// TestDocsJSONExamples parses every fenced json block: an example a reader
// pastes into jq must be JSON.
func TestDocsJSONExamples(t *testing.T) {
	n, reports := 0, 0
	for _, f := range docFiles(t) {
		data, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range codeBlocks(f, data) {
			if b.lang != "json" {
				continue
			}
			n++
			var v any
			if err := json.Unmarshal([]byte(b.text), &v); err != nil {
				t.Errorf("%s: not valid JSON: %v", b, err)
				continue
			}
			// The JSON report's example has only fields the report has.
			if m, ok := v.(map[string]any); ok && m["gates"] != nil && m["result"] != nil {
				dec := json.NewDecoder(strings.NewReader(b.text))
				dec.DisallowUnknownFields()
				var rep report.JSONReport
				if err := dec.Decode(&rep); err != nil {
					t.Errorf("%s: the JSON report example does not match the report: %v", b, err)
				}
				reports++
			}
		}
	}
	if n == 0 || reports == 0 {
		t.Errorf("%d JSON examples, %d of the JSON report: is the extraction broken?", n, reports)
	}
}

// TestDocsGateTable holds README's "What it checks" table to the list of
// gates: one row per gate, in order, with the gate's own checklist line and
// a link to its page.
func TestDocsGateTable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := markdownSection(string(readme), "## What it checks")
	if section == "" {
		t.Fatal(`README.md has no "## What it checks" section`)
	}
	rowRE := regexp.MustCompile("^\\| \\[`([a-z-]+)`\\]\\((docs/gates/[a-z-]+\\.md)\\) \\| ([^|]+) \\|")
	var rows [][]string
	for _, line := range strings.Split(section, "\n") {
		if m := rowRE.FindStringSubmatch(line); m != nil {
			rows = append(rows, m[1:])
		}
	}
	defs := gateList()
	if len(rows) != len(defs) {
		t.Fatalf("README's gate table has %d rows, the code %d gates", len(rows), len(defs))
	}
	for i, d := range defs {
		name, link, checklist := rows[i][0], rows[i][1], strings.TrimSpace(rows[i][2])
		if name != d.Name {
			t.Errorf("row %d: gate %s, the code has %s there", i+1, name, d.Name)
		}
		if link != "docs/gates/"+d.Name+".md" {
			t.Errorf("row %d: links %s", i+1, link)
		}
		if checklist != d.Checklist {
			t.Errorf("row %d (%s): checklist line %q, the gate's Definition says %q", i+1, name, checklist, d.Checklist)
		}
	}
}

// markdownSection returns the text under heading up to the next heading
// of the same or a higher level.
func markdownSection(doc, heading string) string {
	level := strings.Count(strings.Fields(heading)[0], "#")
	lines := strings.Split(doc, "\n")
	var out []string
	in, fence := false, false
	for _, l := range lines {
		if strings.HasPrefix(l, "```") {
			fence = !fence
		}
		if !fence && strings.HasPrefix(l, "#") {
			hashes := len(l) - len(strings.TrimLeft(l, "#"))
			if in && hashes <= level {
				break
			}
			if strings.HasPrefix(l, heading) {
				in = true
				continue
			}
		}
		if in {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

var ruleItemRE = regexp.MustCompile("^(?:- (?:\\*\\*)?|\\| )`([a-z0-9-]+)`")

// documentedRules returns the rules a gate page lists under its Findings
// heading: list items and table rows that start with a rule in backquotes
// (a table's first cell may name several).
func documentedRules(page string) []string {
	var rules []string
	for _, line := range strings.Split(markdownSection(page, "## Findings"), "\n") {
		if !ruleItemRE.MatchString(line) {
			continue
		}
		if strings.HasPrefix(line, "| ") {
			cell := strings.Split(line, "|")[1]
			for _, m := range regexp.MustCompile("`([a-z0-9-]+)`").FindAllStringSubmatch(cell, -1) {
				rules = append(rules, m[1])
			}
			continue
		}
		rules = append(rules, ruleItemRE.FindStringSubmatch(line)[1])
	}
	return rules
}

// TestDocsGatePages holds each gate's page to its Definition: the page
// exists, and its Findings list is exactly the gate's rules.
func TestDocsGatePages(t *testing.T) {
	for _, d := range gateList() {
		page, err := os.ReadFile(filepath.Join("docs", "gates", d.Name+".md"))
		if err != nil {
			t.Errorf("%s: %v", d.Name, err)
			continue
		}
		if !strings.HasPrefix(string(page), "# "+d.Name+"\n") {
			t.Errorf("docs/gates/%s.md does not start with the heading # %s", d.Name, d.Name)
		}
		if len(d.Rules) == 0 {
			t.Errorf("%s: its Definition lists no finding rules", d.Name)
		}
		for _, h := range []string{"configuration", "findings", "could not decide", "credentials", "cost"} {
			if !hasHeading(string(page), h) {
				t.Errorf("docs/gates/%s.md has no ## heading about %s", d.Name, h)
			}
		}
		got := documentedRules(string(page))
		for _, r := range d.Rules {
			if !slices.Contains(got, r) {
				t.Errorf("docs/gates/%s.md: rule %s is not listed under ## Findings", d.Name, r)
			}
		}
		for _, r := range got {
			if !slices.Contains(d.Rules, r) {
				t.Errorf("docs/gates/%s.md lists rule %s, which %s's Definition does not have", d.Name, r, d.Name)
			}
		}
	}
}

// hasHeading reports whether doc has a level-2 heading containing word.
func hasHeading(doc, word string) bool {
	for _, l := range strings.Split(stripFences(doc), "\n") {
		if strings.HasPrefix(l, "## ") && strings.Contains(strings.ToLower(l), word) {
			return true
		}
	}
	return false
}

// TestDocsRulesFromCode holds each gate's Definition.Rules to its code:
// every rule name the package declares (a constant named rule… or Rule…,
// or a Rule: field given as a literal) is in the list.
func TestDocsRulesFromCode(t *testing.T) {
	for _, d := range gateList() {
		file := runtime.FuncForPC(reflect.ValueOf(d.New).Pointer()).Name()
		fn, _ := runtime.FuncForPC(reflect.ValueOf(d.New).Pointer()).FileLine(reflect.ValueOf(d.New).Pointer())
		if fn == "" {
			t.Fatalf("%s: cannot find the source of %s", d.Name, file)
		}
		declared := ruleNamesIn(t, filepath.Dir(fn))
		if len(declared) == 0 {
			t.Errorf("%s: no rule names found in %s; is the scan broken?", d.Name, filepath.Dir(fn))
		}
		for _, r := range declared {
			if !slices.Contains(d.Rules, r) {
				t.Errorf("%s: the code names rule %q, its Definition's Rules do not", d.Name, r)
			}
		}
	}
}

// ruleNamesIn returns the rule names the non-test Go files of dir declare.
func ruleNamesIn(t *testing.T, dir string) []string {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var imports map[string]string // a file's import names: package directory
	add := func(e ast.Expr) {
		if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil && !slices.Contains(names, s) {
				names = append(names, s)
			}
		}
		// A rule the gate re-exports from a shared package of this module
		// (const RuleStale = backup.RuleStale) is that package's literal.
		if sel, ok := e.(*ast.SelectorExpr); ok {
			if pkg, ok := sel.X.(*ast.Ident); ok && imports[pkg.Name] != "" {
				if s, ok := stringConsts(t, imports[pkg.Name])[sel.Sel.Name]; ok && !slices.Contains(names, s) {
					names = append(names, s)
				}
			}
		}
	}
	isRuleName := func(n string) bool {
		return strings.HasPrefix(n, "rule") && len(n) > 4 && n[4] >= 'A' && n[4] <= 'Z' ||
			strings.HasPrefix(n, "Rule") && len(n) > 4 && n[4] >= 'A' && n[4] <= 'Z'
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		imports = map[string]string{}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			rel, ok := strings.CutPrefix(p, modulePath+"/internal/")
			if !ok {
				continue
			}
			name := path.Base(p)
			if im.Name != nil {
				name = im.Name.Name
			}
			imports[name] = filepath.Join("internal", filepath.FromSlash(rel))
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				for i, id := range n.Names {
					if isRuleName(id.Name) && i < len(n.Values) {
						add(n.Values[i])
					}
				}
			case *ast.KeyValueExpr:
				if id, ok := n.Key.(*ast.Ident); ok && id.Name == "Rule" {
					add(n.Value)
				}
			}
			return true
		})
	}
	return names
}

// modulePath is this module's path, as its imports spell it.
const modulePath = "github.com/release-gate/release-gate"

// stringConsts returns the string constants the non-test Go files of dir
// declare, by name.
func stringConsts(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if v, ok := n.(*ast.ValueSpec); ok {
				for i, id := range v.Names {
					if i < len(v.Values) {
						if lit, ok := v.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							if s, err := strconv.Unquote(lit.Value); err == nil {
								out[id.Name] = s
							}
						}
					}
				}
			}
			return true
		})
	}
	return out
}

// TestDocsLinks checks every relative link of the documentation: the file
// exists, and an anchor names a heading of it.
func TestDocsLinks(t *testing.T) {
	linkRE := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, f := range docFiles(t) {
		data, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		text := stripCode(string(data))
		for _, m := range linkRE.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			resolved := f
			if path != "" {
				resolved = filepath.Join(filepath.Dir(f), path)
				if _, err := os.Stat(resolved); err != nil {
					t.Errorf("%s: link %s: %v", f, target, err)
					continue
				}
			}
			if anchor == "" || !strings.HasSuffix(resolved, ".md") {
				continue
			}
			doc, err := os.ReadFile(resolved)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(headingAnchors(string(doc)), anchor) {
				t.Errorf("%s: link %s: %s has no heading with anchor #%s", f, target, resolved, anchor)
			}
		}
	}
}

// stripCode removes fenced blocks and code spans, where ](…) is not a link.
func stripCode(s string) string {
	var out []string
	fence := false
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "```") {
			fence = !fence
			continue
		}
		if !fence {
			out = append(out, regexp.MustCompile("`[^`]*`").ReplaceAllString(l, ""))
		}
	}
	return strings.Join(out, "\n")
}

// headingAnchors returns the anchors GitHub gives a document's headings.
func headingAnchors(doc string) []string {
	var anchors []string
	seen := map[string]int{}
	for _, l := range strings.Split(stripFences(doc), "\n") {
		if !strings.HasPrefix(l, "#") {
			continue
		}
		h := strings.TrimSpace(strings.TrimLeft(l, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(h) {
			switch {
			case r == ' ':
				b.WriteByte('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 0x7f:
				b.WriteRune(r)
			}
		}
		a := b.String()
		if n := seen[a]; n > 0 {
			anchors = append(anchors, fmt.Sprintf("%s-%d", a, n))
		} else {
			anchors = append(anchors, a)
		}
		seen[a]++
	}
	return anchors
}

func stripFences(s string) string {
	var out []string
	fence := false
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "```") {
			fence = !fence
			continue
		}
		if !fence {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestDocsReadme keeps the README short, and its setup commands the ones
// CI runs.
func TestDocsReadme(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(readme, []byte("\n")); n >= 300 {
		t.Errorf("README.md has %d lines; keep it under 300 and move reference text to docs/", n)
	}
	ci, err := os.ReadFile(filepath.Join(".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	var testLine string
	for _, l := range strings.Split(string(ci), "\n") {
		if strings.Contains(l, "go test ./...") {
			testLine = strings.TrimSpace(l)
		}
	}
	if testLine == "" {
		t.Fatal(".ci/run runs no `go test ./...`")
	}
	setup := markdownSection(string(readme), "## Setup")
	var cmds []string
	for _, b := range codeBlocks("README.md", []byte(setup)) {
		if b.lang == "sh" {
			for _, l := range strings.Split(b.text, "\n") {
				if cmd, _, _ := strings.Cut(l, "#"); strings.TrimSpace(cmd) != "" {
					cmds = append(cmds, strings.TrimSpace(cmd))
				}
			}
		}
	}
	if !slices.Contains(cmds, "go run . check") {
		t.Errorf("README's setup does not show `go run . check`; it shows %q", cmds)
	}
	if !slices.Contains(cmds, testLine) {
		t.Errorf("README's setup does not run the suite as .ci/run does (%q); it shows %q", testLine, cmds)
	}
}
