package staginganalysis

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/release-gate/release-gate/internal/httpsafe"
	"github.com/release-gate/release-gate/internal/sanitize"
)

// apiAnswer is the envelope of every Prometheus query API answer.
type apiAnswer struct {
	Status    string          `json:"status"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Warnings  []string        `json:"warnings"`
	Data      json.RawMessage `json:"data"`
}

// queryData is data of a query answer.
type queryData struct {
	ResultType string          `json:"resultType"`
	Result     json.RawMessage `json:"result"`
}

// sample is one [time, "value"] pair as the API writes it.
type sample [2]json.RawMessage

// apiSeries is one series of a vector or matrix answer.
type apiSeries struct {
	Metric map[string]string `json:"metric"`
	Value  *sample           `json:"value"`
	Values []sample          `json:"values"`
}

// point is one value of a series at one time.
type point struct {
	t time.Time
	v float64
}

// series is one series of an answer, read and checked.
type series struct {
	labels string
	metric map[string]string
	points []point
}

// instant runs an instant query at t and returns its series (a scalar is
// one series with no labels).
func (r *run) instant(ctx context.Context, q *query, at time.Time) ([]series, error) {
	params := url.Values{"query": {q.promql}, "time": {formatTime(at)}}
	return r.queryAPI(ctx, q, "/api/v1/query", params, false)
}

// rangeQuery runs a range query and returns its series.
func (r *run) rangeQuery(ctx context.Context, q *query, start, end time.Time) ([]series, error) {
	params := url.Values{"query": {q.promql}, "start": {formatTime(start)}, "end": {formatTime(end)},
		"step": {strconv.FormatFloat(q.step.Seconds(), 'f', -1, 64)}}
	return r.queryAPI(ctx, q, "/api/v1/query_range", params, true)
}

func formatTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)
}

// queryAPI sends one query and reads its answer strictly: an error status,
// warnings (a partial answer), an unexpected result type, too many series,
// and a value that is not a finite number are all errors.
func (r *run) queryAPI(ctx context.Context, q *query, p string, params url.Values, isRange bool) ([]series, error) {
	select {
	case r.slots <- struct{}{}:
		defer func() { <-r.slots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	r.count(1)
	body, err := r.prom.get(ctx, p, params)
	if err != nil {
		return nil, err
	}
	var a apiAnswer
	if err := r.prom.decode(ctx, p, body, &a); err != nil {
		return nil, err
	}
	if a.Status != "success" {
		if a.Status == "error" {
			return nil, fmt.Errorf("%s refused the query: %s: %s", r.prom.server, r.prom.shown(ctx, a.ErrorType, 40), r.prom.shown(ctx, a.Error, 300))
		}
		return nil, fmt.Errorf("%s: the answer's status is %q, not success; is this a Prometheus query API?", p, serverClip(a.Status, 40, r.prom.secrets))
	}
	if len(a.Warnings) > 0 {
		return nil, fmt.Errorf("the answer carries %d warning(s), so it may be partial: %s", len(a.Warnings), r.prom.shown(ctx, a.Warnings[0], 300))
	}
	var d queryData
	if err := r.prom.decode(ctx, p, a.Data, &d); err != nil {
		return nil, err
	}
	want := "vector or scalar"
	if isRange {
		want = "matrix"
	}
	switch d.ResultType {
	case "scalar":
		if isRange {
			break
		}
		var s sample
		if err := r.prom.decode(ctx, p, d.Result, &s); err != nil {
			return nil, err
		}
		pt, err := readSample(s, r.prom.secrets)
		if err != nil {
			return nil, err
		}
		return []series{{labels: "scalar", points: []point{pt}}}, nil
	case "vector", "matrix":
		if (d.ResultType == "matrix") != isRange {
			break
		}
		// Counted before any is decoded: 550,000 small series decoded
		// whole took 350 MB from a 32 MB answer.
		var raw []json.RawMessage
		if err := r.prom.decode(ctx, p, d.Result, &raw); err != nil {
			return nil, err
		}
		if len(raw) > q.maxSeries {
			return nil, fmt.Errorf("the answer has %d series, more than max-series (%d); aggregate the query (sum by, max) so that it answers the series you mean", len(raw), q.maxSeries)
		}
		list := make([]apiSeries, len(raw))
		for i := range raw {
			if err := r.prom.decode(ctx, p, raw[i], &list[i]); err != nil {
				return nil, err
			}
		}
		out := make([]series, 0, len(list))
		for _, as := range list {
			delete(as.Metric, "__name__") // the query names it
			s := series{labels: formatLabels(as.Metric, r.prom.secrets, nil), metric: as.Metric}
			raw := as.Values
			if !isRange {
				if as.Value == nil {
					return nil, fmt.Errorf("series %s has no value", s.labels)
				}
				raw = []sample{*as.Value}
			}
			for _, smp := range raw {
				pt, err := readSample(smp, r.prom.secrets)
				if err != nil {
					return nil, fmt.Errorf("series %s: %w", s.labels, err)
				}
				s.points = append(s.points, pt)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("the answer is a %s, want a %s: %s", serverClip(d.ResultType, 20, r.prom.secrets), want, queryShapeHint(isRange))
}

func queryShapeHint(isRange bool) string {
	if isRange {
		return "a window evaluates an instant expression at every step"
	}
	return "write an instant expression (no [range] at the end), or use window for a range"
}

// readSample reads a [time, "value"] pair; a value that is not a finite
// number (NaN, ±Inf: a division by zero when there is no traffic) is an
// error, as no condition can judge it.
func readSample(s sample, carried []string) (point, error) {
	var ts float64
	var vs string
	if err := json.Unmarshal(s[0], &ts); err != nil {
		return point{}, fmt.Errorf("a sample's time is not a number")
	}
	if err := json.Unmarshal(s[1], &vs); err != nil {
		return point{}, fmt.Errorf("a sample's value is not a string")
	}
	v, err := strconv.ParseFloat(vs, 64)
	if err != nil {
		return point{}, fmt.Errorf("value %q is not a number", serverClip(vs, 40, carried))
	}
	t := time.UnixMilli(int64(math.Round(ts * 1000))).UTC()
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return point{}, fmt.Errorf("the value at %s is %s, not a finite number (a division by zero when there is no traffic?); no condition can judge it", t.Format(time.RFC3339), vs)
	}
	return point{t: t, v: v}, nil
}

// maxLabelsShown bounds the bytes formatLabels writes of a series' or an
// alert's labels: a server can attach any number of them (300,000 made one
// finding 5.5 MB).
const maxLabelsShown = 1000

// formatLabels writes labels as PromQL does: {a="1", b="2"}, sorted, each
// clipped (see serverClip), and after about maxLabelsShown bytes the count
// of the rest.
//
// long, when not nil, is applied to each name and value shown (with the
// bytes it will be clipped to) before it is clipped: only the labels
// shown pay for it, however many an answer has.
func formatLabels(m map[string]string, carried []string, long func(s string, n int) string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if b.Len() > maxLabelsShown {
			fmt.Fprintf(&b, ", … %d more", len(keys)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		name, value := k, m[k]
		if long != nil {
			name, value = long(name, 60), long(value, 100)
		}
		b.WriteString(serverClip(name, 60, carried) + "=" + strconv.Quote(serverClip(value, 100, carried)))
	}
	b.WriteByte('}')
	return b.String()
}

// serverClip is clip for a server's text that may hold the secrets the
// requests carried: they are cut out first, as a clipped one would be
// shown in part and no longer recognised.
func serverClip(s string, n int, carried []string) string {
	return sanitize.Clip(httpsafe.CutSecrets(s, carried...), n)
}
