package alertpresence

import (
	"fmt"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"
)

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
	// evidence says, per category bit, which part of the expression made
	// the rule count ("metric container_memory_working_set_bytes above a
	// threshold").
	evidence map[uint64]string
	// ignored says, per category bit, why a selector that names the
	// category does not count ("below a threshold: under-utilisation").
	ignored map[uint64]string
	// matchers are the positive matchers the expression reads, directly or
	// through the recording rules it uses (whose own labels count as =
	// matchers), used to match the selector.
	matchers []labelMatcher
	// uses are the selectors the expression reads, with their context,
	// and, through recording rules, what those read.
	uses []selUse
	// out describes the labels of the series a recording rule produces.
	out outLabels
	// constant is set when the expression reads no series at all
	// (vector(1)): as an alert it fires always.
	constant bool
	// exprErr is set when the expression could not be read.
	exprErr error
	// badOverride lists unknown category names in the override label.
	badOverride []string
	// overridden is set when the override label decided the categories.
	overridden bool
}

// addMatchers adds the positive matchers of a selector the expression
// reads.
func (f *ruleFacts) addMatchers(sel vectorSelector) {
	for _, m := range sel.Matchers {
		if m.Op.positive() && m.Name != "__name__" {
			f.matchers = append(f.matchers, m)
		}
	}
}

// analysis classifies every rule of one source. Recording rules are
// resolved to what they read, across all groups and files of the source.
type analysis struct {
	facts []ruleFacts // one per rule, in the rules' order
}

// promqlParser parses expressions as Prometheus does, experimental
// functions included (rule sets use them where the server enables them).
var promqlParser = parser.NewParser(parser.Options{EnableExperimentalFunctions: true})

// analyze reads every rule's expression and classifies it.
func analyze(rules []*Rule, cl *classifier) *analysis {
	a := &analyzer{
		cl:      cl,
		rules:   rules,
		exprs:   make([]parser.Expr, len(rules)),
		state:   make([]uint8, len(rules)),
		facts:   make([]ruleFacts, len(rules)),
		records: map[string][]int{},
	}
	for i, r := range rules {
		if len(r.Expr) > maxExprBytes {
			a.facts[i].exprErr = fmt.Errorf("the expression is %d bytes long, more than the %d read", len(r.Expr), maxExprBytes)
			if !r.Alert {
				a.records[r.Name] = append(a.records[r.Name], i)
			}
			continue
		}
		e, err := promqlParser.ParseExpr(r.Expr)
		if err != nil {
			a.facts[i].exprErr = parseErr(err)
			e = nil
		}
		a.exprs[i] = e
		if !r.Alert {
			a.records[r.Name] = append(a.records[r.Name], i)
		}
	}
	for i := range rules {
		a.resolve(i)
	}
	for i, r := range rules {
		if r.Alert {
			a.classify(i)
		}
		if v, ok := r.Labels[overrideLabel]; ok && r.Alert {
			a.override(i, v)
		}
	}
	return &analysis{facts: a.facts}
}

// maxExprBytes bounds the expressions read. The parser's work grows with
// the square of an expression's operators (each binary expression's type
// is worked out from its whole subtree): 40 KB of "up+up+..." took 2 s, so
// a rule file under test could stall the gate. The longest expressions of
// published rule sets (kube-prometheus, the mixins, Sloth and Pyrra
// output) are a few KB.
const maxExprBytes = 32 << 10

// parseErr shortens the parser's error to its first line.
func parseErr(err error) error {
	return fmt.Errorf("%s", firstLineOf(err.Error()))
}

type analyzer struct {
	cl      *classifier
	rules   []*Rule
	exprs   []parser.Expr
	state   []uint8 // 0 new, 1 resolving, 2 done
	facts   []ruleFacts
	records map[string][]int // record name -> rules recording it
	rc      regexCache
}

// resolve computes the selectors rule i reads and, for a recording rule,
// the labels it produces, following the recording rules it reads: a
// selector uses a recording rule only when its matchers are compatible
// with the labels the rule's series carry, so that SLOs recorded under one
// name (slo:sli_error:ratio_rate5m{sloth_slo="latency"} and
// {sloth_slo="availability"}) stay apart. A cycle (which Prometheus would
// evaluate with stale data) is cut where it closes.
func (a *analyzer) resolve(i int) {
	if a.state[i] != 0 {
		return
	}
	a.state[i] = 1
	f := &a.facts[i]
	r := a.rules[i]
	if e := a.exprs[i]; e != nil {
		w := exprWalker{rc: &a.rc}
		w.walk(e, useCtx{sign: 1})
		f.constant = len(w.uses) == 0
		for _, u := range w.uses {
			ui := len(f.uses)
			f.uses = append(f.uses, u)
			if u.sel.Metric == "" {
				f.addMatchers(u.sel)
				continue
			}
			recs := a.records[u.sel.Metric]
			used := 0
			for _, j := range recs {
				if a.state[j] == 1 {
					used++ // a cycle: assume it is read
					continue
				}
				a.resolve(j)
				if !a.facts[j].out.compatible(u.prom) {
					continue
				}
				used++
				for _, ju := range a.facts[j].uses {
					f.uses = append(f.uses, u.through(ju, a.rules[j].Name))
				}
				f.matchers = append(f.matchers, a.facts[j].matchers...)
			}
			f.uses[ui].resolved = len(recs) > 0
			if len(recs) > 0 && used == 0 {
				f.uses[ui].empty = true
			} else {
				f.addMatchers(u.sel)
			}
		}
		if !r.Alert {
			f.out = outputLabels(e)
		}
	}
	if !r.Alert && len(r.Labels) > 0 {
		// The recorded series carry the rule's labels.
		own := vectorSelector{Metric: r.Name}
		for _, k := range sortedKeys(r.Labels) {
			own.Matchers = append(own.Matchers, labelMatcher{Name: k, Op: opEq, Value: r.Labels[k]})
			f.out.set(k, r.Labels[k])
		}
		f.uses = append(f.uses, selUse{sel: own, sign: 1, counter: true, resolved: true})
		f.matchers = append(f.matchers, own.Matchers...)
	}
	f.matchers = dedupeMatchers(f.matchers)
	a.state[i] = 2
}

// classify decides the categories of alerting rule i from what it reads.
// For each category, the selectors that name it count unless every one of
// them is read in a direction that does not measure it: a usage below a
// threshold (CPU under 10 %) is under-utilisation, not an alert on the
// resource running out. Selectors read only as a divisor count when no
// other selector names the category (node_load1 / count(node_cpu_...)).
// Selectors inside absent() or on the right of unless never count: they
// alert on missing series. For error rate, a status matcher counts only on
// a counter (read through rate(), increase(), a _total/_count metric or a
// recording rule), not on a state gauge such as job_status{status="ERROR"};
// a counter of failures (app_requests_failed_total, http_errors) counts as
// the numerator of a ratio.
func (a *analyzer) classify(i int) {
	f := &a.facts[i]
	for b, cat := range a.cl.cats {
		bit := uint64(1) << uint(b)
		var plain, divisor, low string
		for _, u := range f.uses {
			if u.absent || u.empty {
				continue
			}
			why, byMatcher, ok := cat.evidence(u.sel, &a.rc)
			if ok && u.resolved && !byMatcher {
				ok = false // the recording rules' expressions decide
			}
			if ok && byMatcher && cat.name == catErrorRate && !u.counter {
				ok = false
				if low == "" {
					low = why + " on a gauge, not a counter: a state, not an error rate"
				}
			}
			if !ok && cat.name == catErrorRate && u.sel.Metric != "" && !strings.Contains(u.sel.Metric, ":") && u.numerator && u.counter && isErrorCounterName(u.sel.Metric) {
				why, ok = "metric "+u.sel.Metric+" as the numerator of a ratio", true
			}
			if !ok && cat.name == catErrorRate && u.numerator && u.counter && !u.divisor && u.direction() < 0 {
				for _, m := range u.sel.Matchers {
					if selectsSuccess(m, &a.rc) {
						why, ok = u.sel.Metric+"{"+m.String()+"} as the share of successful requests falling below a threshold"+u.via, true
						break
					}
				}
				if ok {
					if plain == "" {
						plain = why
					}
					continue
				}
			}
			if !ok {
				continue
			}
			why += u.via
			switch {
			case u.divisor:
				if divisor == "" {
					divisor = why + " (as a divisor)"
				}
			case u.direction() < 0:
				if low == "" {
					low = why + " below a threshold: the alert fires when this falls (under-utilisation), not when it runs high"
				}
			case plain == "":
				if u.direction() > 0 {
					why += " above a threshold"
				}
				plain = why
			}
		}
		why := plain
		if why == "" && low == "" {
			why = divisor
		}
		if why != "" {
			f.cats |= bit
			if f.evidence == nil {
				f.evidence = map[uint64]string{}
			}
			f.evidence[bit] = why
		} else if low != "" {
			if f.ignored == nil {
				f.ignored = map[uint64]string{}
			}
			f.ignored[bit] = low
		}
	}
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
