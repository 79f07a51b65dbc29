package staginganalysis

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/gatetest"
)

// benchStaging is a real Prometheus with backfilled data and the ten
// queries of a typical analysis (one per route).
func benchStaging(b *testing.B) (string, time.Time, []string) {
	b.Helper()
	t0 := time.Now().UTC().Truncate(time.Hour).Add(-4 * time.Hour)
	var sb strings.Builder
	sb.WriteString("# TYPE app_latency_seconds gauge\n")
	var queries []string
	for i := range 10 {
		omSeries(&sb, "app_latency_seconds", fmt.Sprintf(`route="r%d",service="api"`, i), t0, 240, func(int, time.Time) string { return "0.1" })
		queries = append(queries, fmt.Sprintf(`max(app_latency_seconds{service="api",route="r%d"})`, i))
	}
	sb.WriteString("# EOF\n")
	return startPrometheus(b, sb.String(), ""), t0.Add(30 * time.Minute), queries
}

// BenchmarkAnalysis10 runs a ten-query analysis (one evaluation each)
// through the gate; BenchmarkPlainLoop10 sends the same ten instant queries
// one after the other with net/http, as a curl loop would: the anchor.
func BenchmarkAnalysis10(b *testing.B) {
	u, at, queries := benchStaging(b)
	var body strings.Builder
	body.WriteString("prometheus: " + u + "\nqueries:\n")
	for i, q := range queries {
		fmt.Fprintf(&body, "  - name: latency-%d\n    query: '%s'\n    success: result < 0.5\n", i, q)
	}
	clk := &fakeClock{now: at}
	g := gateFor(b, body.String(), clk, nil)
	b.ResetTimer()
	for b.Loop() {
		res := gatetest.Run(b, g, envAt(clk, nil))
		if res.Status != gates.StatusPass {
			b.Fatal(gatetest.Describe(res))
		}
	}
	b.ReportMetric(float64(g.Requests()), "requests/op")
}

func BenchmarkPlainLoop10(b *testing.B) {
	u, at, queries := benchStaging(b)
	hc := &http.Client{}
	b.ResetTimer()
	for b.Loop() {
		for _, q := range queries {
			v := url.Values{"query": {q}, "time": {formatTime(at)}}
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, u+"/api/v1/query?"+v.Encode(), nil)
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(data), `"0.1"`) {
				b.Fatalf("unexpected answer %s", data)
			}
		}
	}
	b.ReportMetric(10, "requests/op")
}
