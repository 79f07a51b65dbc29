package alertpresence

import (
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// selUse is one series selector an expression reads, with how it is read.
type selUse struct {
	sel vectorSelector
	// prom are the selector's matchers as the parser gave them, to match
	// the labels of the recording rules the selector may read.
	prom []*labels.Matcher
	// dir is the comparison the selector is under: 1 for "above a
	// threshold" (x > 0.9), -1 for "below" (x < 0.1), 0 when there is no
	// comparison with a constant.
	dir int
	// sign is -1 when the selector's value moves against the compared
	// value: subtracted (100 - idle), negated, or measuring what is left
	// (node_memory_MemAvailable_bytes, mode="idle").
	sign int
	// divisor is set when the selector is read as a divisor.
	divisor bool
	// numerator is set when it is read as the dividend of a ratio.
	numerator bool
	// counter is set when it is read as a counter: through rate(),
	// increase() and the like, a _total/_count/_sum/_bucket metric, or a
	// recording rule (name with a colon).
	counter bool
	// absent is set inside absent() and on the right of unless.
	absent bool
	// resolved is set when the selector names recording rules of the
	// source: what they read decides, not their names.
	resolved bool
	// empty is set when the selector names recording rules of the source
	// but its matchers exclude every one of them: it selects nothing.
	empty bool
	// via names the recording rules the selector was reached through.
	via string
}

// direction is the selector's effective direction: 1 when the alert fires
// as what it measures rises, -1 when it falls, 0 when unknown.
func (u selUse) direction() int { return u.dir * u.sign }

// through returns ju, a selector recording rule name reads, as read by the
// alert through u (which selects the recorded series).
func (u selUse) through(ju selUse, name string) selUse {
	out := ju
	out.dir = u.dir
	out.sign = u.sign * ju.sign
	out.divisor = u.divisor || ju.divisor
	out.numerator = ju.numerator || (u.numerator && !ju.divisor)
	out.absent = u.absent || ju.absent
	out.via = " via recording rule " + name + ju.via
	out.prom = nil
	return out
}

// useCtx is the context a sub-expression is read in.
type useCtx struct {
	dir       int
	sign      int
	divisor   bool
	numerator bool
	counter   bool
	absent    bool
	// inCount is set under count(): the values are numbers of series, so
	// the name of what is counted says nothing of the direction.
	inCount bool
}

// exprWalker collects the selectors of a parsed expression.
type exprWalker struct {
	uses []selUse
	rc   *regexCache
}

// counterFuncs read a counter's increase.
var counterFuncs = map[string]bool{"rate": true, "irate": true, "increase": true, "delta": true, "idelta": true, "resets": true}

func (w *exprWalker) walk(n parser.Node, c useCtx) {
	switch e := n.(type) {
	case *parser.VectorSelector:
		w.selector(e, c)
	case *parser.MatrixSelector:
		w.walk(e.VectorSelector, c)
	case *parser.SubqueryExpr:
		w.walk(e.Expr, c)
	case *parser.ParenExpr:
		w.walk(e.Expr, c)
	case *parser.StepInvariantExpr:
		w.walk(e.Expr, c)
	case *parser.UnaryExpr:
		if e.Op == parser.SUB {
			c.sign = -c.sign
		}
		w.walk(e.Expr, c)
	case *parser.Call:
		name := e.Func.Name
		switch {
		case name == "absent" || name == "absent_over_time":
			c.absent = true
		case counterFuncs[name]:
			c.counter = true
		case name == "count_over_time" || name == "present_over_time" || name == "changes":
			c.inCount = true
		}
		for _, arg := range e.Args {
			w.walk(arg, c)
		}
	case *parser.AggregateExpr:
		if e.Op == parser.COUNT || e.Op == parser.COUNT_VALUES || e.Op == parser.GROUP {
			c.inCount = true
		}
		w.walk(e.Expr, c)
	case *parser.BinaryExpr:
		w.binary(e, c)
	}
}

func (w *exprWalker) binary(e *parser.BinaryExpr, c useCtx) {
	l, r := c, c
	switch {
	case e.Op.IsComparisonOperator() && !e.ReturnBool:
		var d int
		switch e.Op {
		case parser.GTR, parser.GTE:
			d = 1
		case parser.LSS, parser.LTE:
			d = -1
		}
		lconst, rconst := isConstant(e.LHS), isConstant(e.RHS)
		l.dir, l.sign, r.dir, r.sign = 0, 1, 0, 1
		switch {
		case rconst && !lconst:
			l.dir = d
		case lconst && !rconst:
			r.dir = -d
		case !lconst && !rconst:
			// usage > limit * 0.9: the left rises past the right.
			l.dir, r.dir = d, -d
		}
	case e.Op == parser.SUB:
		r.sign = -r.sign
	case e.Op == parser.DIV:
		if !l.divisor {
			l.numerator = true
		}
		r.divisor, r.numerator = true, false
		r.sign = -r.sign
	case e.Op == parser.LUNLESS:
		r.absent = true
	case e.Op == parser.LAND:
		// The right side is a condition on the left: it is read as it
		// is compared there, not as the alert's value.
		r.dir, r.sign = 0, 1
	}
	w.walk(e.LHS, l)
	w.walk(e.RHS, r)
}

// isConstant reports whether an expression reads no series (0.9,
// 14.4 * 0.001, scalar(vector(1))).
func isConstant(e parser.Node) bool {
	switch n := e.(type) {
	case *parser.VectorSelector, *parser.MatrixSelector:
		return false
	case *parser.NumberLiteral, *parser.StringLiteral:
		return true
	case *parser.ParenExpr:
		return isConstant(n.Expr)
	case *parser.UnaryExpr:
		return isConstant(n.Expr)
	case *parser.BinaryExpr:
		return isConstant(n.LHS) && isConstant(n.RHS)
	}
	found := false
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n.(type) {
		case *parser.VectorSelector, *parser.MatrixSelector:
			found = true
		}
		return nil
	})
	return !found
}

func (w *exprWalker) selector(e *parser.VectorSelector, c useCtx) {
	sel := vectorSelector{Metric: e.Name}
	for _, m := range e.LabelMatchers {
		if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
			if sel.Metric == "" {
				sel.Metric = m.Value
			}
			continue
		}
		sel.Matchers = append(sel.Matchers, labelMatcher{Name: m.Name, Op: promOp(m.Type), Value: m.Value})
	}
	sign := c.sign
	if !c.inCount && measuresWhatIsLeft(sel, w.rc) {
		sign = -sign
	}
	w.uses = append(w.uses, selUse{
		sel:       sel,
		prom:      e.LabelMatchers,
		dir:       c.dir,
		sign:      sign,
		divisor:   c.divisor,
		numerator: c.numerator,
		counter:   c.counter || isCounterName(sel.Metric),
		absent:    c.absent,
	})
}

func promOp(t labels.MatchType) matchOp {
	switch t {
	case labels.MatchNotEqual:
		return opNeq
	case labels.MatchRegexp:
		return opRe
	case labels.MatchNotRegexp:
		return opNre
	}
	return opEq
}

// isCounterName reports whether a metric name is a counter's, or a
// recording rule's (level:metric:operations, which records rates).
func isCounterName(n string) bool {
	if strings.Contains(n, ":") {
		return true
	}
	for _, s := range []string{"_total", "_count", "_sum", "_bucket"} {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// measuresWhatIsLeft reports whether a selector measures what remains of a
// resource (free or available memory, idle CPU): it falls as usage rises.
func measuresWhatIsLeft(sel vectorSelector, rc *regexCache) bool {
	left := false
	forEachWord(sel.Metric, func(w string) bool {
		switch w {
		case "free", "available", "avail", "idle":
			left = true
		}
		return !left
	})
	if left {
		return true
	}
	for _, m := range sel.Matchers {
		if (m.Name == "mode" || m.Name == "state") && m.Op.positive() && matcherAccepts(m, "idle", rc) {
			return true
		}
	}
	return false
}

// outLabels describes the labels of the series a recording rule produces:
// fixed are labels it surely carries with that value; only, when not nil,
// are the only labels it may carry (after by (...), on (...), or an
// aggregation without grouping). Anything else may come from the series.
type outLabels struct {
	fixed map[string]string
	only  map[string]bool
	// dropped are labels it surely lacks (without (...), ignoring (...)).
	dropped map[string]bool
}

func (o *outLabels) set(k, v string) {
	if o.fixed == nil {
		o.fixed = map[string]string{}
	}
	o.fixed[k] = v
	if o.only != nil {
		o.only[k] = true
	}
	delete(o.dropped, k)
}

func (o *outLabels) drop(k string) {
	delete(o.fixed, k)
	if o.only != nil {
		delete(o.only, k)
		return
	}
	if o.dropped == nil {
		o.dropped = map[string]bool{}
	}
	o.dropped[k] = true
}

// compatible reports whether a selector with matchers ms may select series
// with these labels: a matcher on a label whose value is known must accept
// it, and one on a label the series cannot carry must accept the empty
// value, as Prometheus compares a missing label.
func (o outLabels) compatible(ms []*labels.Matcher) bool {
	for _, m := range ms {
		if m.Name == model.MetricNameLabel {
			continue
		}
		if v, ok := o.fixed[m.Name]; ok {
			if !m.Matches(v) {
				return false
			}
			continue
		}
		absent := (o.only != nil && !o.only[m.Name]) || o.dropped[m.Name]
		if absent && !m.Matches("") {
			return false
		}
	}
	return true
}

// outputLabels works out the labels an expression's result carries.
// It claims a fixed value only where the expression pins it with = and
// keeps it, and limits the label set only where PromQL does (by, on, an
// aggregation without grouping, a scalar).
func outputLabels(e parser.Expr) outLabels {
	switch n := e.(type) {
	case *parser.VectorSelector:
		o := outLabels{}
		for _, m := range n.LabelMatchers {
			if m.Type == labels.MatchEqual && m.Name != model.MetricNameLabel {
				o.set(m.Name, m.Value)
			}
		}
		return o
	case *parser.MatrixSelector:
		return outputLabels(n.VectorSelector)
	case *parser.SubqueryExpr:
		return outputLabels(n.Expr)
	case *parser.ParenExpr:
		return outputLabels(n.Expr)
	case *parser.StepInvariantExpr:
		return outputLabels(n.Expr)
	case *parser.UnaryExpr:
		return outputLabels(n.Expr)
	case *parser.NumberLiteral, *parser.StringLiteral:
		return outLabels{only: map[string]bool{}}
	case *parser.AggregateExpr:
		in := outputLabels(n.Expr)
		switch {
		case n.Op == parser.TOPK || n.Op == parser.BOTTOMK || n.Op == parser.LIMITK || n.Op == parser.LIMIT_RATIO:
			return in
		case n.Without:
			return in.without(n.Grouping)
		default:
			o := in.keep(n.Grouping)
			if n.Op == parser.COUNT_VALUES {
				if s, ok := n.Param.(*parser.StringLiteral); ok {
					o = o.unknown(s.Val)
				} else {
					o.only = nil
				}
			}
			return o
		}
	case *parser.Call:
		switch n.Func.Name {
		case "vector", "time", "scalar", "pi":
			return outLabels{only: map[string]bool{}}
		case "absent", "absent_over_time":
			// The labels of the = matchers of the selector.
			if len(n.Args) > 0 {
				return outputLabels(n.Args[0]).fixedOnly()
			}
			return outLabels{only: map[string]bool{}}
		case "label_replace", "label_join":
			o := outLabels{}
			if len(n.Args) > 0 {
				o = outputLabels(n.Args[0])
			}
			if len(n.Args) > 1 {
				if s, ok := n.Args[1].(*parser.StringLiteral); ok {
					return o.unknown(s.Val)
				}
			}
			o.only = nil
			return o
		case "histogram_quantile", "histogram_fraction":
			for _, a := range n.Args {
				if a.Type() == parser.ValueTypeVector || a.Type() == parser.ValueTypeMatrix {
					return outputLabels(a).without([]string{"le"})
				}
			}
		}
		for _, a := range n.Args {
			if a.Type() == parser.ValueTypeVector || a.Type() == parser.ValueTypeMatrix {
				return outputLabels(a)
			}
		}
		return outLabels{only: map[string]bool{}}
	case *parser.BinaryExpr:
		l, r := outputLabels(n.LHS), outputLabels(n.RHS)
		lt, rt := n.LHS.Type(), n.RHS.Type()
		switch {
		case lt == parser.ValueTypeScalar && rt == parser.ValueTypeScalar:
			return outLabels{only: map[string]bool{}}
		case lt == parser.ValueTypeScalar:
			return r
		case rt == parser.ValueTypeScalar:
			return l
		}
		vm := n.VectorMatching
		switch {
		case n.Op == parser.LOR:
			return l.union(r)
		case n.Op.IsSetOperator():
			return l
		case vm == nil:
			return l
		case vm.Card == parser.CardOneToOne && vm.On:
			return l.keep(vm.MatchingLabels)
		case vm.Card == parser.CardOneToOne:
			return l.without(vm.MatchingLabels)
		case vm.Card == parser.CardManyToOne:
			return l.add(vm.Include, r)
		case vm.Card == parser.CardOneToMany:
			return r.add(vm.Include, l)
		}
		return outLabels{}
	}
	return outLabels{}
}

// keep limits the labels to names.
func (o outLabels) keep(names []string) outLabels {
	out := outLabels{only: map[string]bool{}}
	for _, k := range names {
		if o.only != nil && !o.only[k] {
			continue
		}
		out.only[k] = true
		if v, ok := o.fixed[k]; ok {
			out.set(k, v)
		}
	}
	return out
}

// without drops names.
func (o outLabels) without(names []string) outLabels {
	out := o.clone()
	for _, k := range names {
		out.drop(k)
	}
	return out
}

func (o outLabels) clone() outLabels {
	out := outLabels{}
	if o.only != nil {
		out.only = map[string]bool{}
		for k := range o.only {
			out.only[k] = true
		}
	}
	for k := range o.dropped {
		if out.dropped == nil {
			out.dropped = map[string]bool{}
		}
		out.dropped[k] = true
	}
	for k, v := range o.fixed {
		out.set(k, v)
	}
	return out
}

// unknown marks a label as present with a value not known in advance.
func (o outLabels) unknown(name string) outLabels {
	out := o.without([]string{name})
	delete(out.dropped, name)
	if out.only != nil {
		out.only[name] = true
	}
	return out
}

// fixedOnly keeps exactly the fixed labels.
func (o outLabels) fixedOnly() outLabels {
	out := outLabels{only: map[string]bool{}}
	for k, v := range o.fixed {
		out.set(k, v)
	}
	return out
}

// union is what either of two expressions may produce (or).
func (o outLabels) union(p outLabels) outLabels {
	out := outLabels{}
	for k, v := range o.fixed {
		if pv, ok := p.fixed[k]; ok && pv == v {
			out.set(k, v)
		}
	}
	if o.only != nil && p.only != nil {
		if out.only == nil {
			out.only = map[string]bool{}
		}
		for k := range o.only {
			out.only[k] = true
		}
		for k := range p.only {
			out.only[k] = true
		}
		for k := range out.fixed {
			out.only[k] = true
		}
	}
	for k := range o.dropped {
		if p.dropped[k] {
			if out.dropped == nil {
				out.dropped = map[string]bool{}
			}
			out.dropped[k] = true
		}
	}
	return out
}

// add is the many side o with group_left/group_right labels from one.
func (o outLabels) add(include []string, one outLabels) outLabels {
	out := o.without(include)
	for _, k := range include {
		if out.only != nil {
			out.only[k] = true
		}
		if v, ok := one.fixed[k]; ok {
			out.set(k, v)
		}
	}
	return out
}
