package alertpresence

import "strings"

// classifier sorts rules into categories. Each category is one bit of a
// uint64 mask, in the order of cats.
type classifier struct {
	cats   []*category
	byName map[string]int
}

func newClassifier(cats []*category) *classifier {
	c := &classifier{cats: cats, byName: make(map[string]int, len(cats))}
	for i, cat := range cats {
		c.byName[cat.name] = i
	}
	return c
}

// bit returns the mask of the named category (0 when unknown).
func (c *classifier) bit(name string) uint64 {
	i, ok := c.byName[name]
	if !ok {
		return 0
	}
	return 1 << uint(i)
}

// names lists the categories in a mask.
func (c *classifier) names(mask uint64) []string {
	var out []string
	for i, cat := range c.cats {
		if mask&(1<<uint(i)) != 0 {
			out = append(out, cat.name)
		}
	}
	return out
}

// ruleFacts is what the gate learned about one rule from its expression.
type ruleFacts struct {
	// cats is the rule's categories (after the override label).
	cats uint64
	// matchers are the positive matchers the expression reads, directly or
	// through recording rules (whose own labels count as = matchers), used
	// to match the selector.
	matchers []labelMatcher
	// exprErr is set when the expression could not be read.
	exprErr error
	// badOverride lists unknown category names in the override label.
	badOverride []string
	// overridden is set when the override label decided the categories.
	overridden bool
}

// analysis classifies every rule of one source. Recording rules are
// resolved to what they read, across all groups and files of the source.
type analysis struct {
	facts []ruleFacts // one per rule, in the rules' order
}

// analyze reads every rule's expression and classifies it.
func analyze(rules []*Rule, cl *classifier) *analysis {
	a := &analyzer{
		cl:      cl,
		rules:   rules,
		sels:    make([][]vectorSelector, len(rules)),
		state:   make([]uint8, len(rules)),
		facts:   make([]ruleFacts, len(rules)),
		records: map[string][]int{},
	}
	for i, r := range rules {
		sels, err := parseSelectors(r.Expr)
		if err != nil {
			a.facts[i].exprErr = err
		}
		a.sels[i] = sels
		if !r.Alert {
			a.records[r.Name] = append(a.records[r.Name], i)
		}
	}
	for i := range rules {
		a.resolve(i)
	}
	for i, r := range rules {
		if v, ok := r.Labels[overrideLabel]; ok && r.Alert {
			a.override(i, v)
		}
	}
	return &analysis{facts: a.facts}
}

type analyzer struct {
	cl      *classifier
	rules   []*Rule
	sels    [][]vectorSelector
	state   []uint8 // 0 new, 1 resolving, 2 done
	facts   []ruleFacts
	records map[string][]int // record name -> rules recording it
	rc      regexCache
}

// resolve computes the categories and matchers of rule i, following the
// recording rules it reads. A cycle (which Prometheus would evaluate with
// stale data) is cut where it closes.
func (a *analyzer) resolve(i int) {
	if a.state[i] != 0 {
		return
	}
	a.state[i] = 1
	f := &a.facts[i]
	for _, sel := range a.sels[i] {
		f.cats |= a.selectorCats(sel)
		for _, m := range sel.Matchers {
			if m.Op.positive() && m.Name != "__name__" {
				f.matchers = append(f.matchers, m)
			}
		}
		if sel.Metric == "" {
			continue
		}
		for _, j := range a.records[sel.Metric] {
			if a.state[j] == 1 {
				continue
			}
			a.resolve(j)
			f.cats |= a.facts[j].cats
			f.matchers = append(f.matchers, a.facts[j].matchers...)
		}
	}
	if r := a.rules[i]; !r.Alert && len(r.Labels) > 0 {
		// The recorded series carry the rule's labels.
		own := vectorSelector{Metric: r.Name}
		for k, v := range r.Labels {
			own.Matchers = append(own.Matchers, labelMatcher{Name: k, Op: opEq, Value: v})
		}
		f.cats |= a.selectorCats(own)
		f.matchers = append(f.matchers, own.Matchers...)
	}
	f.matchers = dedupeMatchers(f.matchers)
	a.state[i] = 2
}

func (a *analyzer) selectorCats(sel vectorSelector) uint64 {
	var mask uint64
	for b, cat := range a.cl.cats {
		if cat.selects(sel, &a.rc) {
			mask |= 1 << uint(b)
		}
	}
	return mask
}

// override applies the release_gate label: a comma- or space-separated list
// of categories, or "none".
func (a *analyzer) override(i int, v string) {
	f := &a.facts[i]
	f.overridden = true
	f.cats = 0
	for _, name := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		if name == "none" {
			continue
		}
		if b := a.cl.bit(name); b != 0 {
			f.cats |= b
		} else {
			f.badOverride = append(f.badOverride, name)
		}
	}
}

// dedupeMatchers drops repeated matchers, which deep recording-rule chains
// would otherwise multiply.
func dedupeMatchers(ms []labelMatcher) []labelMatcher {
	if len(ms) < 2 {
		return ms
	}
	seen := make(map[labelMatcher]bool, len(ms))
	out := ms[:0]
	for _, m := range ms {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}
