package staginganalysis

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/release-gate/release-gate/gates"
)

// verdict is what one measurement was judged.
type verdict int

const (
	successful verdict = iota
	failed
	inconclusive
	unreadable // no data, a server error, a value no condition can judge
)

func (v verdict) String() string {
	return [...]string{"successful", "failed", "inconclusive", "error"}[v]
}

// measurement is one evaluation of a query: at one time (an instant query,
// or one step of a window), over every series of the answer.
type measurement struct {
	at      time.Time
	verdict verdict
	// value and labels are the series that decided the verdict: the first
	// that failed, else the first inconclusive, else the first.
	value   float64
	labels  string
	nSeries int
	err     error
}

// outcome is everything one query's analysis found.
type outcome struct {
	q   *query
	ms  []measurement
	err error // the analysis could not run at all
	// planned is how many measurements the analysis meant to make.
	planned int
	// shortened is the span a window was cut to, for starting at
	// deployed-at + lookback; 0 when it was not cut.
	shortened time.Duration
}

// analyse runs one query's evaluations.
func (r *run) analyse(ctx context.Context, q *query) *outcome {
	if q.window > 0 {
		return r.analyseWindow(ctx, q)
	}
	o := &outcome{q: q, planned: q.count}
	for k := 0; k < q.count; k++ {
		if k > 0 {
			if q.interval >= 5*time.Second {
				r.env.Progressf("%s: evaluation %d of %d in %s", q.name, k+1, q.count, q.interval)
			}
			if err := r.g.sleep(ctx, q.interval); err != nil {
				o.err = fmt.Errorf("waiting %s before evaluation %d of %d: %w", q.interval, k+1, q.count, err)
				return o
			}
		}
		// Whole seconds: every server reads them exactly (one reading the
		// time as a float and truncating it to milliseconds may land a
		// millisecond early) and stamps its answer with them (evaluatedAt).
		at := r.env.Now().Truncate(time.Second)
		if d := r.deployedAt; !d.IsZero() && at.Add(-q.lookback).Before(d) {
			o.err = fmt.Errorf("evaluation %d at %s would read data from before deployed-at %s (lookback %s): staging has not run the candidate long enough; run the gate later, or lower lookback if the query reads less",
				k+1, at.UTC().Format(time.RFC3339), d.Format(time.RFC3339), q.lookback)
			return o
		}
		list, err := r.instant(ctx, q, at)
		m := measurement{at: at}
		switch {
		case err != nil:
			m.verdict, m.err = unreadable, err
		case len(list) == 0:
			m.verdict, m.err = unreadable, fmt.Errorf("no data: the query returned no series at %s (a wrong metric or label, or no traffic?)", at.UTC().Format(time.RFC3339))
		default:
			if err := evaluatedAt(list, at); err != nil {
				m.verdict, m.err = unreadable, err
				break
			}
			vals := make([]labelled, len(list))
			for i, s := range list {
				vals[i] = labelled{s.labels, s.points[0].v}
			}
			m = judge(q, at, vals)
		}
		o.ms = append(o.ms, m)
		if m.verdict == unreadable || o.countOf(failed) > q.failureLimit {
			break // the verdict is known: no further wait changes it
		}
	}
	return o
}

// evaluatedAt checks that every series of an instant query's answer has
// its value at the time the query was evaluated at: Prometheus, Thanos,
// Mimir and VictoriaMetrics stamp an instant query's result with the
// evaluation time asked for (to the millisecond), never with the time of
// the samples read. A value stamped otherwise does not say how staging
// was doing at that time (a cache, a proxy, or a server answering an old
// result), so it proves nothing.
func evaluatedAt(list []series, at time.Time) error {
	want := time.UnixMilli(at.UnixMilli()).UTC()
	for _, s := range list {
		if t := s.points[0].t; !t.Equal(want) {
			return fmt.Errorf("series %s has its value at %s, not at %s, the time the query was evaluated at: the answer does not say how staging is doing now; is this a Prometheus query API?",
				s.labels, t.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
		}
	}
	return nil
}

// analyseWindow evaluates the query once as a range query over its window
// (from deployed-at + lookback at the earliest); every step is a
// measurement.
func (r *run) analyseWindow(ctx context.Context, q *query) *outcome {
	o := &outcome{q: q}
	end := r.env.Now().Truncate(time.Millisecond)
	start := end.Add(-q.window)
	if d := r.deployedAt; !d.IsZero() && d.Add(q.lookback).After(start) {
		start = d.Add(q.lookback)
		if start.After(end) {
			o.err = fmt.Errorf("staging has run the candidate since %s, less than lookback (%s): no window of its own data yet; run the gate later",
				d.Format(time.RFC3339), q.lookback)
			return o
		}
		o.shortened = end.Sub(start)
	}
	start = start.Truncate(time.Millisecond)
	n := int(end.Sub(start)/q.step) + 1
	o.planned = n
	list, err := r.rangeQuery(ctx, q, start, end)
	if err != nil {
		o.ms = append(o.ms, measurement{at: end, verdict: unreadable, err: err})
		return o
	}
	if len(list) == 0 {
		o.ms = append(o.ms, measurement{at: end, verdict: unreadable,
			err: fmt.Errorf("no data: the query returned no series from %s to %s (a wrong metric or label, or no traffic?)", start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339))})
		return o
	}
	// byTime[k] holds each series' value at step k, by the series' index:
	// two series an answer labels alike are still two series.
	byTime := make([]map[int]float64, n)
	for si, s := range list {
		for _, p := range s.points {
			off := p.t.Sub(start)
			k := int(off / q.step)
			if off < 0 || off%q.step != 0 || k >= n {
				o.ms = append(o.ms, measurement{at: p.t, verdict: unreadable,
					err: fmt.Errorf("series %s has a point at %s, which is not a step of the window asked for: is this a Prometheus query API?", s.labels, p.t.Format(time.RFC3339))})
				return o
			}
			if byTime[k] == nil {
				byTime[k] = map[int]float64{}
			}
			if _, dup := byTime[k][si]; dup {
				o.ms = append(o.ms, measurement{at: p.t, verdict: unreadable,
					err: fmt.Errorf("series %s has two points at %s: is this a Prometheus query API?", s.labels, p.t.Format(time.RFC3339))})
				return o
			}
			byTime[k][si] = p.v
		}
	}
	for k := range n {
		at := start.Add(time.Duration(k) * q.step)
		if len(byTime[k]) == 0 {
			o.ms = append(o.ms, measurement{at: at, verdict: unreadable,
				err: fmt.Errorf("no data at %s, a step of the window: no series has a value there", at.UTC().Format(time.RFC3339))})
			continue
		}
		var vals []labelled
		for si, s := range list { // in answer order
			if v, ok := byTime[k][si]; ok {
				vals = append(vals, labelled{s.labels, v})
			}
		}
		o.ms = append(o.ms, judge(q, at, vals))
	}
	return o
}

// labelled is one series' value.
type labelled struct {
	labels string
	v      float64
}

// judge applies a query's conditions to every series at one time: the
// measurement failed when any series failed, is inconclusive when any is
// (and none failed), and is successful only when every series is.
func judge(q *query, at time.Time, vals []labelled) measurement {
	m := measurement{at: at, verdict: successful, nSeries: len(vals), value: vals[0].v, labels: vals[0].labels}
	for _, lv := range vals {
		v, err := judgeOne(q, lv.v)
		if err != nil {
			return measurement{at: at, verdict: unreadable, nSeries: len(vals), value: lv.v, labels: lv.labels,
				err: fmt.Errorf("evaluating the condition on series %s: %s", lv.labels, strings.SplitN(err.Error(), "\n", 2)[0])}
		}
		if v > m.verdict {
			m.verdict, m.value, m.labels = v, lv.v, lv.labels
		}
		if v == failed {
			break
		}
	}
	return m
}

// judgeOne applies the conditions to one value.
func judgeOne(q *query, v float64) (verdict, error) {
	ok, err := evalCondition(q.success, v)
	if err != nil || ok {
		return successful, err
	}
	if q.failure == nil {
		return failed, nil
	}
	bad, err := evalCondition(q.failure, v)
	if err != nil {
		return failed, err
	}
	if bad {
		return failed, nil
	}
	return inconclusive, nil
}

func (o *outcome) countOf(v verdict) int {
	n := 0
	for _, m := range o.ms {
		if m.verdict == v {
			n++
		}
	}
	return n
}

// decide turns an outcome into a finding (the analysis failed), an error
// (it could not decide) or neither (it passed). A failure proved by enough
// failed measurements stands even when others could not be read.
func (o *outcome) decide() (*gates.Finding, error) {
	q := o.q
	nFailed, nInc, nOK := o.countOf(failed), o.countOf(inconclusive), o.countOf(successful)
	if nFailed > q.failureLimit || (nOK == 0 && nFailed > 0 && o.err == nil && o.countOf(unreadable) == 0 && nInc == 0) {
		first := o.firstOf(failed)
		limit := ""
		if q.failureLimit > 0 {
			limit = fmt.Sprintf(" (failure-limit %d)", q.failureLimit)
		}
		return &gates.Finding{Rule: ruleAnalysisFailed, Severity: gates.SeverityError,
			Message: fmt.Sprintf("%s: %d of %d evaluations failed%s; at %s %s was %s, which does not meet %s",
				q.name, nFailed, len(o.ms), limit, first.at.UTC().Format(time.RFC3339), seriesName(first), formatValue(first.value), q.successText)}, nil
	}
	if o.err != nil {
		return nil, fmt.Errorf("%s: %w", q.name, o.err)
	}
	if m := o.firstOf(unreadable); m != nil {
		return nil, fmt.Errorf("%s: %w", q.name, m.err)
	}
	if nInc > q.inconclusiveLimit {
		m := o.firstOf(inconclusive)
		return nil, fmt.Errorf("%s: %d of %d evaluations were inconclusive (inconclusive-limit %d): at %s %s was %s, which meets neither %s nor %s",
			q.name, nInc, len(o.ms), q.inconclusiveLimit, m.at.UTC().Format(time.RFC3339), seriesName(m), formatValue(m.value), q.successText, q.failureText)
	}
	if nOK == 0 {
		return nil, fmt.Errorf("%s: no evaluation was successful", q.name)
	}
	return nil, nil
}

func (o *outcome) firstOf(v verdict) *measurement {
	for i := range o.ms {
		if o.ms[i].verdict == v {
			return &o.ms[i]
		}
	}
	return nil
}

func seriesName(m *measurement) string {
	if m.nSeries <= 1 {
		return "the result"
	}
	return "series " + m.labels
}

func formatValue(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// maxListed is how many evaluations of one query the details list.
const maxListed = 10

// report adds a query's evaluations to the gate's details: each evaluation
// (value, condition, verdict) and, for several, a small chart of the values.
func (r *run) report(o *outcome) {
	q := o.q
	cond := "success: " + q.successText
	if q.failureText != "" {
		cond += "; failure: " + q.failureText
	}
	mode := fmt.Sprintf("%d evaluation(s)", q.count)
	if q.count > 1 {
		mode += " every " + q.interval.String()
	}
	if q.window > 0 {
		mode = fmt.Sprintf("window %s, step %s, %d points", q.window, q.step, o.planned)
		if o.shortened > 0 {
			mode = fmt.Sprintf("window %s shortened to %s: staging has run the candidate since %s, and the window starts lookback (%s) after; step %s, %d points",
				q.window, o.shortened.Round(time.Second), r.deployedAt.UTC().Format(time.RFC3339), q.lookback, q.step, o.planned)
		}
	}
	r.env.Notef("%s: %s (%s): %d successful, %d failed, %d inconclusive, %d unreadable of %d made",
		q.name, cond, mode, o.countOf(successful), o.countOf(failed), o.countOf(inconclusive), o.countOf(unreadable), len(o.ms))
	listed := 0
	for i, m := range o.ms {
		if q.window > 0 && m.verdict == successful {
			continue // a window lists what went wrong; the chart shows the rest
		}
		if listed == maxListed {
			r.env.Notef("%s: … %d more evaluations", q.name, len(o.ms)-i)
			break
		}
		listed++
		r.env.Notef("%s %s", q.name, describe(i+1, m))
	}
	if chart := sparkline(o.ms); chart != "" {
		r.env.Notef("%s: chart %s", q.name, chart)
	}
	// The job summary draws the same values as a line chart.
	var values []float64
	for _, m := range o.ms {
		if m.verdict != unreadable {
			values = append(values, m.value)
		}
	}
	r.env.Chart(q.name, values)
}

func describe(n int, m measurement) string {
	at := m.at.UTC().Format(time.RFC3339)
	if m.verdict == unreadable {
		return fmt.Sprintf("#%d %s: error: %v", n, at, m.err)
	}
	series := ""
	if m.nSeries > 1 {
		series = fmt.Sprintf(" (%s; %d series)", m.labels, m.nSeries)
	}
	return fmt.Sprintf("#%d %s: %s%s → %s", n, at, formatValue(m.value), series, m.verdict)
}

// sparkline is a one-line chart of the measurements' values (· for one
// with no value), with their range; "" for fewer than two values.
func sparkline(ms []measurement) string {
	const bars = "▁▂▃▄▅▆▇█"
	var lo, hi float64
	n := 0
	for _, m := range ms {
		if m.verdict == unreadable {
			continue
		}
		if n == 0 || m.value < lo {
			lo = m.value
		}
		if n == 0 || m.value > hi {
			hi = m.value
		}
		n++
	}
	if n < 2 {
		return ""
	}
	runes := []rune(bars)
	var b strings.Builder
	for i, m := range ms {
		if i == 200 {
			b.WriteString("…")
			break
		}
		if m.verdict == unreadable {
			b.WriteRune('·')
			continue
		}
		k := 0
		if hi > lo {
			k = int((m.value - lo) / (hi - lo) * float64(len(runes)-1))
		}
		b.WriteRune(runes[k])
	}
	return fmt.Sprintf("%s (min %s, max %s)", b.String(), formatValue(lo), formatValue(hi))
}
