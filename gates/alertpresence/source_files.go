package alertpresence

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/wsfile"
	"gopkg.in/yaml.v3"
)

// maxRuleFile bounds the size of one rule file read into memory.
const maxRuleFile = 64 << 20

// Bounds on what the rule files may stand for, all files together. They
// come with the change under test: an alias makes a few bytes stand for a
// list or mapping written out again (a file of twenty lines of two
// aliases each is a million rules), and a group's labels are copied into
// each of its rules. The largest published rule sets (kube-prometheus,
// the mixins) are a few tens of thousands of nodes; these bounds are a
// hundred times more, and take seconds to reach.
const (
	// maxRuleNodes bounds the YAML nodes of every document with each
	// alias written out.
	maxRuleNodes = 4_000_000
	// maxRuleText bounds the scalar text of every document with each
	// alias written out (expressions are read once per rule).
	maxRuleText = 128 << 20
	// maxMergedLabels bounds the group labels copied into rules.
	maxMergedLabels = 4_000_000
)

// ruleBudget is what the rule files read so far have used of the bounds.
type ruleBudget struct {
	nodes, text, merged int
}

// fileSource is what the rule files held.
type fileSource struct {
	files     []string // every file the patterns matched
	ruleFiles int      // files that held at least one rule group
	rules     []*Rule
	// problems are rules Prometheus would refuse to load, at file:line.
	problems []gates.Finding
}

// loadFiles reads the rule files the patterns match: plain rule files
// (groups:) and Kubernetes PrometheusRule (or VMRule) objects, several
// YAML documents per file allowed. Documents of other kinds are skipped.
// Invalid YAML is an error naming file:line; a rule Prometheus would refuse
// (no alert or record, no expr) is a finding.
func loadFiles(ctx context.Context, workspace string, patterns []string) (*fileSource, error) {
	files, err := expandGlobs(ctx, workspace, patterns)
	if err != nil {
		return nil, err
	}
	src := &fileSource{files: files}
	budget := &ruleBudget{}
	for _, rel := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// The change under test controls its files and links: a rule file
		// must be a regular file of the workspace.
		data, err := wsfile.ReadFile(workspace, filepath.FromSlash(rel), maxRuleFile)
		if err != nil {
			return nil, fmt.Errorf("reading rule file %w", err)
		}
		fl := fileLoader{file: rel, budget: budget}
		if err := fl.load(data); err != nil {
			return nil, err
		}
		if fl.groups > 0 {
			src.ruleFiles++
		}
		src.rules = append(src.rules, fl.rules...)
		src.problems = append(src.problems, fl.problems...)
	}
	return src, nil
}

// fileLoader reads the documents of one file.
type fileLoader struct {
	file     string
	groups   int
	rules    []*Rule
	problems []gates.Finding
	budget   *ruleBudget
	// err stops the walk: the file is over a bound.
	err error
}

func (l *fileLoader) load(data []byte) error {
	if l.budget == nil {
		l.budget = &ruleBudget{}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return l.yamlError(err)
		}
		if err := l.measure(&doc); err != nil {
			return err
		}
		if len(doc.Content) == 1 {
			l.document(doc.Content[0])
		}
		if l.err != nil {
			return l.err
		}
	}
}

// measure adds a document's size, every alias written out, to the budget
// before anything walks it, and refuses an alias to a list or mapping
// that contains it (walking it would never end).
func (l *fileLoader) measure(doc *yaml.Node) error {
	type size struct{ nodes, text int }
	memo := map[*yaml.Node]size{}
	open := map[*yaml.Node]bool{}
	var cycle *yaml.Node
	var walk func(n *yaml.Node) size
	walk = func(n *yaml.Node) size {
		if n == nil || cycle != nil {
			return size{}
		}
		if n.Kind == yaml.AliasNode {
			if open[n.Alias] {
				cycle = n
				return size{}
			}
			m := walk(n.Alias)
			return size{m.nodes + 1, m.text}
		}
		if m, ok := memo[n]; ok {
			return m
		}
		open[n] = true
		m := size{1, len(n.Value)}
		for _, c := range n.Content {
			cm := walk(c)
			m.nodes = min(m.nodes+cm.nodes, maxRuleNodes+1)
			m.text = min(m.text+cm.text, maxRuleText+1)
		}
		delete(open, n)
		memo[n] = m
		return m
	}
	m := walk(doc)
	if cycle != nil {
		return fmt.Errorf("%s:%d:%d: an alias refers to a list or mapping that contains it, which never ends; write the rules out", l.file, cycle.Line, cycle.Column)
	}
	l.budget.nodes += m.nodes
	l.budget.text += m.text
	if l.budget.nodes > maxRuleNodes || l.budget.text > maxRuleText {
		return fmt.Errorf("%s: its aliases expand it to more than %d YAML nodes or %d MiB of text (with the rule files read before it), which no rule set needs; write the rules out, or alias fewer of them", l.file, maxRuleNodes, maxRuleText>>20)
	}
	return nil
}

// yamlError turns "yaml: line 5: did not find expected key" into
// "rules/api.yml:5: invalid YAML ...". The YAML parser reports where the
// construct it could not finish began: the mistake is on that line or
// below it. Lines count from the top of the file, across documents.
func (l *fileLoader) yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		_, rest, _ := strings.Cut(msg, ":")
		return fmt.Errorf("%s:%d: invalid YAML in rule file (the mistake is on this line or below it):%s", l.file, line, rest)
	}
	return fmt.Errorf("%s: invalid YAML in rule file: %s", l.file, msg)
}

func (l *fileLoader) problem(n *yaml.Node, format string, args ...any) {
	l.problems = append(l.problems, gates.Finding{
		Rule:     "invalid-rule",
		Severity: gates.SeverityError,
		Pos:      gates.Pos{File: l.file, Line: n.Line, Col: n.Column},
		Message:  fmt.Sprintf(format, args...) + "; Prometheus refuses to load this file",
	})
}

// document reads one YAML document: a rule file, a PrometheusRule or VMRule
// object, or a Kubernetes List of them.
func (l *fileLoader) document(n *yaml.Node) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return
	}
	if g := mapValue(n, "groups"); g != nil {
		l.groupList(g)
		return
	}
	switch kind := scalarValue(mapValue(n, "kind")); kind {
	case "PrometheusRule", "VMRule":
		spec := mapValue(n, "spec")
		if spec == nil || mapValue(spec, "groups") == nil {
			l.problem(n, "%s object has no spec.groups", kind)
			return
		}
		l.groupList(mapValue(spec, "groups"))
	case "List", "PrometheusRuleList", "VMRuleList":
		if items := mapValue(n, "items"); items != nil && items.Kind == yaml.SequenceNode {
			for _, it := range items.Content {
				l.document(it)
			}
		}
	}
}

func (l *fileLoader) groupList(n *yaml.Node) {
	if isNullNode(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		l.problem(n, "groups: want a list of rule groups")
		return
	}
	for _, g := range n.Content {
		g = deref(g)
		if g.Kind != yaml.MappingNode {
			l.problem(g, "a rule group must be a mapping with name and rules")
			continue
		}
		l.groups++
		name := scalarValue(mapValue(g, "name"))
		if name == "" {
			l.problem(g, "rule group has no name")
		}
		groupLabels, ok := stringMap(mapValue(g, "labels"))
		if !ok {
			l.problem(mapValue(g, "labels"), "group %q: labels must map names to strings", name)
		}
		rules := mapValue(g, "rules")
		if rules == nil || isNullNode(rules) {
			continue
		}
		if rules.Kind != yaml.SequenceNode {
			l.problem(rules, "group %q: rules must be a list", name)
			continue
		}
		for _, rn := range rules.Content {
			l.rule(deref(rn), name, groupLabels)
		}
	}
}

func (l *fileLoader) rule(n *yaml.Node, group string, groupLabels map[string]string) {
	if n.Kind != yaml.MappingNode {
		l.problem(n, "group %q: a rule must be a mapping with alert or record, and expr", group)
		return
	}
	alertKey, alert := mapEntry(n, "alert")
	recordKey, record := mapEntry(n, "record")
	exprNode := mapValue(n, "expr")
	r := &Rule{Group: group, File: l.file}
	switch {
	case alert != nil && record != nil:
		l.problem(n, "rule sets both alert and record")
		return
	case alert != nil:
		r.Alert, r.Name = true, scalarValue(alert)
		r.Pos = gates.Pos{File: l.file, Line: alertKey.Line, Col: alertKey.Column}
	case record != nil:
		r.Name = scalarValue(record)
		r.Pos = gates.Pos{File: l.file, Line: recordKey.Line, Col: recordKey.Column}
	default:
		l.problem(n, "group %q: rule has neither alert nor record", group)
		return
	}
	if r.Name == "" {
		l.problem(n, "group %q: rule has an empty name", group)
		return
	}
	if exprNode == nil || exprNode.Kind != yaml.ScalarNode || strings.TrimSpace(exprNode.Value) == "" {
		l.problem(n, "rule %s has no expr", r.Name)
		return
	}
	r.Expr = exprNode.Value
	r.ExprLine = exprNode.Line
	labels, ok := stringMap(mapValue(n, "labels"))
	if !ok {
		l.problem(mapValue(n, "labels"), "rule %s: labels must map names to strings", r.Name)
		return
	}
	if len(groupLabels) > 0 {
		if l.budget.merged += len(groupLabels); l.budget.merged > maxMergedLabels && l.err == nil {
			l.err = fmt.Errorf("%s: its rule groups' labels, copied into each rule, come to more than %d labels, which no rule set needs; set fewer group labels", l.file, maxMergedLabels)
		}
		if l.err != nil {
			return
		}
		merged := make(map[string]string, len(groupLabels)+len(labels))
		for k, v := range groupLabels {
			merged[k] = v
		}
		for k, v := range labels {
			merged[k] = v
		}
		labels = merged
	}
	r.Labels = labels
	l.rules = append(l.rules, r)
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNullNode(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// mapEntry returns the key and value nodes of key in mapping n. A key
// written in the mapping wins over one brought by a merge key (<<: *rule),
// as YAML (and so Prometheus) reads it.
func mapEntry(n *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	return mapEntryDepth(n, key, 0)
}

// maxMergeDepth bounds merges of merges.
const maxMergeDepth = 16

func mapEntryDepth(n *yaml.Node, key string, depth int) (*yaml.Node, *yaml.Node) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode || depth > maxMergeDepth {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && !isMergeKey(n.Content[i]) {
			return n.Content[i], deref(n.Content[i+1])
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !isMergeKey(n.Content[i]) {
			continue
		}
		for _, m := range mergedMaps(n.Content[i+1]) {
			if k, v := mapEntryDepth(m, key, depth+1); k != nil {
				return k, v
			}
		}
	}
	return nil, nil
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && (k.Tag == "!!merge" || (k.Value == "<<" && k.Style == 0 && k.Tag != "!!str"))
}

// mergedMaps lists the mappings a merge key brings: one, or a sequence
// of them (the first wins).
func mergedMaps(v *yaml.Node) []*yaml.Node {
	v = deref(v)
	if v == nil {
		return nil
	}
	if v.Kind == yaml.SequenceNode {
		return v.Content
	}
	return []*yaml.Node{v}
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	_, v := mapEntry(n, key)
	return v
}

func scalarValue(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// stringMap reads a mapping of scalars; a missing or null node is an empty
// map.
func stringMap(n *yaml.Node) (map[string]string, bool) {
	if n == nil || isNullNode(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		return nil, false
	}
	m := make(map[string]string, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isMergeKey(n.Content[i]) {
			merges = append(merges, mergedMaps(n.Content[i+1])...)
			continue
		}
		v := deref(n.Content[i+1])
		if v.Kind != yaml.ScalarNode {
			return nil, false
		}
		m[n.Content[i].Value] = v.Value
	}
	for _, mn := range merges {
		mm, ok := stringMap(deref(mn))
		if !ok {
			return nil, false
		}
		for k, v := range mm {
			if _, set := m[k]; !set {
				m[k] = v
			}
		}
	}
	return m, true
}
