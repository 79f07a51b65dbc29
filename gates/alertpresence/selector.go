package alertpresence

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Selector is the selector: setting, label matchers that choose this
// service's rules. It is written as a mapping, where a value is matched
// exactly unless it starts with an operator:
//
//	selector: {service: api, env: "=~prod|production", team: "!=legacy"}
//
// or as a PromQL selector string:
//
//	selector: '{service="api", env=~"prod|production"}'
type Selector []labelMatcher

// UnmarshalConfig implements config.Unmarshaler.
func (s *Selector) UnmarshalConfig(n *yaml.Node) error {
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		*s = nil
		return nil
	case n.Kind == yaml.ScalarNode:
		ms, err := parseMatcherList(n.Value)
		if err != nil {
			return err
		}
		*s = ms
	case n.Kind == yaml.MappingNode:
		var ms Selector
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
				return fmt.Errorf("label %q: want a value such as api or \"=~api|web\"", k.Value)
			}
			ms = append(ms, matcherFromMapping(k.Value, v.Value))
		}
		sort.Slice(ms, func(i, j int) bool { return ms[i].Name < ms[j].Name })
		*s = ms
	default:
		return fmt.Errorf("want a mapping of labels such as {service: api} or a selector such as '{service=\"api\"}'")
	}
	return s.validate()
}

// matcherFromMapping reads one selector entry: "api", "=~api|web", "!=x".
func matcherFromMapping(name, v string) labelMatcher {
	for _, op := range []matchOp{opRe, opNre, opNeq, opEq} {
		if rest, ok := strings.CutPrefix(v, op.String()); ok {
			return labelMatcher{Name: name, Op: op, Value: strings.TrimSpace(rest)}
		}
	}
	return labelMatcher{Name: name, Op: opEq, Value: v}
}

// parseMatcherList reads a PromQL-style matcher list, with or without
// braces: {service="api", env=~"prod.*"}.
func parseMatcherList(s string) ([]labelMatcher, error) {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "{") {
		t = "{" + t + "}"
	}
	p := exprScanner{s: t}
	sel, err := p.readMatchers("")
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", s, err)
	}
	if p.skipSpace(); p.i != len(p.s) {
		return nil, fmt.Errorf("reading %q: unexpected text after }", s)
	}
	if sel.Metric != "" {
		return nil, fmt.Errorf("reading %q: want label matchers only", s)
	}
	return sel.Matchers, nil
}

func (s Selector) validate() error {
	for _, m := range s {
		if !labelNameRE.MatchString(m.Name) {
			return fmt.Errorf("%q is not a valid label name", m.Name)
		}
		if m.Op == opRe || m.Op == opNre {
			if _, err := regexp.Compile("^(?:" + m.Value + ")$"); err != nil {
				return fmt.Errorf("label %q: bad regular expression %q: %v", m.Name, m.Value, err)
			}
		}
	}
	return nil
}

var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// String formats the selector as PromQL: {service="api"}.
func (s Selector) String() string {
	parts := make([]string, len(s))
	for i, m := range s {
		parts[i] = m.String()
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// matches reports whether a rule is in scope: every matcher of the selector
// holds for the rule's own labels, or (for = and =~) for a matcher its
// expression reads, such as job="api" in rate(http_requests_total{job="api"}[5m]).
// A negative matcher holds unless the rule's label or a matcher in its
// expression has the excluded value.
func (s Selector) matches(labels map[string]string, exprMatchers []labelMatcher, rc *regexCache) bool {
	for _, sm := range s {
		v, has := labels[sm.Name]
		if sm.Op.positive() {
			if has && matcherAccepts(sm, v, rc) {
				continue
			}
			found := false
			for _, m := range exprMatchers {
				if specAccepts(sm, m, rc) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
			continue
		}
		if !matcherAccepts(sm, v, rc) {
			return false
		}
		for _, m := range exprMatchers {
			if m.Name == sm.Name && m.Op == opEq && !matcherAccepts(sm, m.Value, rc) {
				return false
			}
		}
	}
	return true
}
