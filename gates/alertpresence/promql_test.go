package alertpresence

import (
	"strings"
	"testing"
)

// formatSelectors prints selectors compactly: name{a="b"} name2.
func formatSelectors(sels []vectorSelector) string {
	parts := make([]string, len(sels))
	for i, s := range sels {
		p := s.Metric
		if len(s.Matchers) > 0 {
			ms := make([]string, len(s.Matchers))
			for j, m := range s.Matchers {
				ms[j] = m.String()
			}
			p += "{" + strings.Join(ms, ",") + "}"
		}
		parts[i] = p
	}
	return strings.Join(parts, " ")
}

func TestParseSelectors(t *testing.T) {
	tests := []struct {
		expr string
		want string
	}{
		{`up`, `up`},
		{`up{job="api"} == 0`, `up{job="api"}`},
		{`rate(http_requests_total{job="api",code=~"5.."}[5m]) > 1`, `http_requests_total{job="api",code=~"5.."}`},
		{`sum by (job) (rate(x_total[5m])) / sum by (job) (rate(y_total[5m]))`, `x_total y_total`},
		{`sum(rate(x_total[5m])) by (job, instance) > 0`, `x_total`},
		{`sum without (instance) (x)`, `x`},
		{`count by (job) (up) > 1`, `up`},
		{`count > 3`, `count`},
		{`a * on(instance) group_left(nodename) node_uname_info`, `a node_uname_info`},
		{`a * on(instance) group_left node_uname_info`, `a node_uname_info`},
		{`a / ignoring(code) group_right b`, `a b`},
		{`a > bool 1 and on() b unless c or d`, `a b c d`},
		{`label_replace(up{job="x"}, "dst", "$1", "src", "(.*)")`, `up{job="x"}`},
		{`histogram_quantile(0.99, sum by (le) (rate(req_bucket{svc='api'}[5m]))) > 0.5`, `req_bucket{svc="api"}`},
		{"rate(x[5m:1m] offset 1h) @ start()", `x`},
		{`x offset -5m`, `x`},
		{`1e-3 * x + 0x1F - .5 + Inf + NaN`, `x`},
		{`{__name__="node_load1", instance="a"}`, `node_load1{instance="a"}`},
		{`{__name__=~"node_cpu.*"}`, `{__name__=~"node_cpu.*"}`},
		{`{"my.metric", code="500"}`, `my.metric{code="500"}`},
		{"x{a=`raw\\d`}", `x{a="raw\\d"}`},
		{`x{a="es\"c\\d"}`, `x{a="es\"c\\d"}`},
		{`x{a!="b", c!~"d" ,}`, `x{a!="b",c!~"d"}`},
		{"x # a comment with {braces} and \"quotes\n + y", `x y`},
		{`job:http_errors:ratio_rate5m{job="api"} > 0.05`, `job:http_errors:ratio_rate5m{job="api"}`},
		{`absent(up{job="api"})`, `up{job="api"}`},
		{`topk by (job) (3, x)`, `x`},
		{`quantile_over_time(0.9, x[1h])`, `x`},
		{`max_over_time(x[5m]) > on(job) group_left() min(y)`, `x y`},
		{`sum by ("weird.label") (x)`, `x`},
		{`x and on (job) y`, `x y`},
		{`vector(1)`, ``},
		{`time() - x_last_success_timestamp_seconds > 3600`, `x_last_success_timestamp_seconds`},
		{`x {a = "b"}`, `x{a="b"}`},
		{`limitk(2, x)`, `x`},
		{`count_values("version", build_info)`, `build_info`},
	}
	for _, tc := range tests {
		sels, err := parseSelectors(tc.expr)
		if err != nil {
			t.Errorf("parseSelectors(%q): %v", tc.expr, err)
			continue
		}
		if got := formatSelectors(sels); got != tc.want {
			t.Errorf("parseSelectors(%q)\n got %s\nwant %s", tc.expr, got, tc.want)
		}
	}
}

func TestParseSelectorsErrors(t *testing.T) {
	for _, expr := range []string{
		`x{a="b"`,
		`x{a="b}`,
		`x{a=b}`,
		`x{a "b"}`,
		`rate(x[5m`,
		`sum(x`,
		`x)`,
		`x}`,
		`"unterminated`,
		"x{a=\"line\nbreak\"}",
		`x{=""}`,
	} {
		if sels, err := parseSelectors(expr); err == nil {
			t.Errorf("parseSelectors(%q) = %s, want an error", expr, formatSelectors(sels))
		}
	}
}

func FuzzParseSelectors(f *testing.F) {
	for _, s := range []string{`sum by (job) (rate(x{a=~"5.."}[5m]))`, `{__name__="a"}`, "x # c\n", `a{b='c\'d'}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		sels, err := parseSelectors(expr)
		if err == nil {
			for _, s := range sels {
				_ = s.Metric
			}
		}
	})
}
