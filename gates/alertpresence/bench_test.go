package alertpresence

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
)

// benchTemplates are alert expressions in the styles of real rule sets; %s
// is a service name.
var benchTemplates = []string{
	`100 - (avg by (instance) (rate(node_cpu_seconds_total{mode="idle",job="%s"}[2m])) * 100) > 80`,
	`node_memory_MemAvailable_bytes{job="%s"} / node_memory_MemTotal_bytes{job="%s"} * 100 < 10`,
	`sum by (pod) (rate(container_cpu_usage_seconds_total{container!="", namespace="%s"}[5m])) > 0.9`,
	`container_memory_working_set_bytes{container="%s"} / container_spec_memory_limit_bytes{container="%s"} > 0.9`,
	`kube_pod_container_status_last_terminated_reason{reason="OOMKilled", namespace="%s"} == 1`,
	`sum(rate(http_requests_total{job="%s",code=~"5.."}[5m])) / sum(rate(http_requests_total{job="%s"}[5m])) > 0.05`,
	`sum(rate(nginx_ingress_controller_requests{ingress="%s",status=~"5.+"}[5m])) / sum(rate(nginx_ingress_controller_requests{ingress="%s"}[5m])) > 0.05`,
	`sum(rate(envoy_cluster_upstream_rq_xx{envoy_cluster_name="%s",envoy_response_code_class="5"}[5m])) > 1`,
	`sum(rate(grpc_server_handled_total{grpc_service="%s",grpc_code!="OK"}[5m])) > 1`,
	`histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{job="%s"}[5m]))) > 1`,
	`up{job="%s"} == 0`,
	`increase(kube_pod_container_status_restarts_total{namespace="%s"}[15m]) > 3`,
	`node_filesystem_avail_bytes{fstype!="tmpfs",job="%s"} / node_filesystem_size_bytes < 0.1`,
	`sum(rate(http_server_requests_seconds_count{application="%s",outcome="SERVER_ERROR"}[5m])) > 1`,
	`sum(jvm_memory_used_bytes{area="heap",application="%s"}) / sum(jvm_memory_max_bytes{area="heap",application="%s"}) > 0.9`,
	`rate(process_cpu_seconds_total{job="%s"}[5m]) > 0.9 and on(instance) (process_resident_memory_bytes{job="%s"} > 1e9)`,
}

// benchRules makes n rules for n/10 services: per service, seven alerts
// from the templates, two recording rules (one reading the other) and an
// alert on the second.
func benchRules(n int) []*Rule {
	rules := make([]*Rule, 0, n)
	for i := 0; len(rules) < n; i++ {
		svc := fmt.Sprintf("svc-%d", i)
		labels := map[string]string{"service": svc, "severity": "page", "team": fmt.Sprintf("team-%d", i%17)}
		for k := 0; k < 7 && len(rules) < n; k++ {
			tpl := benchTemplates[(i*7+k)%len(benchTemplates)]
			expr := strings.ReplaceAll(tpl, "%s", svc)
			rules = append(rules, &Rule{Name: fmt.Sprintf("Alert%d_%d", i, k), Alert: true, Expr: expr, Labels: labels, Group: svc})
		}
		rate := fmt.Sprintf("job:svc_%d_requests:rate5m", i)
		ratio := fmt.Sprintf("job:svc_%d_errors:ratio_rate5m", i)
		rules = append(rules,
			&Rule{Name: rate, Expr: fmt.Sprintf(`sum by (job, code) (rate(http_requests_total{job="%s"}[5m]))`, svc), Group: svc},
			&Rule{Name: ratio, Expr: fmt.Sprintf(`sum by (job) (%s{code=~"5.."}) / sum by (job) (%s)`, rate, rate), Group: svc},
			&Rule{Name: fmt.Sprintf("Errors%d", i), Alert: true, Expr: ratio + " > 0.05", Labels: labels, Group: svc},
		)
	}
	return rules[:n]
}

// BenchmarkClassify10k classifies 10,000 rules (parsing, resolving
// recording rules, classifying, and matching the selector): the issue's
// budget is 100 ms.
func BenchmarkClassify10k(b *testing.B) {
	rules := benchRules(10000)
	cl := newClassifier(builtinCategories())
	sel := Selector{{Name: "service", Op: opEq, Value: "svc-42"}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		an := analyze(rules, cl)
		rc := &regexCache{}
		inScope := 0
		for i, r := range rules {
			if r.Alert && sel.matches(r.Labels, an.facts[i].matchers, rc) {
				inScope++
			}
		}
		if inScope != 8 {
			b.Fatalf("%d rules in scope, want 8", inScope)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/10k-rules")
}

// BenchmarkGateLive10k runs the whole gate against a rules API serving
// 10,000 rules: one request, JSON decoding, classification, checks.
func BenchmarkGateLive10k(b *testing.B) {
	body := rulesJSON(benchRules(10000))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/api/v1/alertmanagers" {
			fmt.Fprint(w, `{"status":"success","data":{"activeAlertmanagers":[{"url":"http://am"}]}}`)
			return
		}
		w.Write(body)
	}))
	defer srv.Close()
	g := newGate(b, "prometheus: "+srv.URL+"\nselector: {service: svc-32}")
	env := testEnv("", nil)
	b.SetBytes(int64(len(body)))
	runClean(b, g, env)
}

// runClean runs g in a loop, each run on a copy of env; every run must
// pass without findings.
func runClean(b *testing.B, g *Gate, env gates.Env) {
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e := env
		findings, err := g.Run(context.Background(), &e)
		if err != nil || len(findings) != 0 {
			b.Fatalf("err %v, findings %v", err, findings)
		}
	}
}

// rulesJSON renders rules as /api/v1/rules does, evaluated a second ago.
func rulesJSON(rules []*Rule) []byte {
	type rule struct {
		Type           string            `json:"type"`
		Name           string            `json:"name"`
		Query          string            `json:"query"`
		Labels         map[string]string `json:"labels,omitempty"`
		Health         string            `json:"health"`
		LastEvaluation time.Time         `json:"lastEvaluation"`
	}
	type group struct {
		Name     string  `json:"name"`
		File     string  `json:"file"`
		Interval float64 `json:"interval"`
		Rules    []rule  `json:"rules"`
	}
	var groups []group
	now := time.Now().Add(-time.Second)
	for _, r := range rules {
		if len(groups) == 0 || groups[len(groups)-1].Name != r.Group {
			groups = append(groups, group{Name: r.Group, File: "/etc/prometheus/rules.yml", Interval: 30})
		}
		typ := "recording"
		if r.Alert {
			typ = "alerting"
		}
		g := &groups[len(groups)-1]
		g.Rules = append(g.Rules, rule{Type: typ, Name: r.Name, Query: r.Expr, Labels: r.Labels, Health: "ok", LastEvaluation: now})
	}
	out, _ := json.Marshal(map[string]any{"status": "success", "data": map[string]any{"groups": groups}})
	return out
}

// TestBenchRulesClassified keeps the benchmark honest: its rule set
// classifies as intended.
func TestBenchRulesClassified(t *testing.T) {
	rules := benchRules(100)
	cl := newClassifier(builtinCategories())
	an := analyze(rules, cl)
	counts := map[string]int{}
	for i, r := range rules {
		if an.facts[i].exprErr != nil {
			t.Errorf("%s: %v", r.Expr, an.facts[i].exprErr)
		}
		if r.Alert {
			for _, c := range cl.names(an.facts[i].cats) {
				counts[c]++
			}
		}
	}
	if counts["cpu"] == 0 || counts["memory"] == 0 || counts["error-rate"] < 10 {
		t.Errorf("categories %v", counts)
	}
}

// benchDelay is how long each test server takes to answer a request in
// BenchmarkGateDelayed: about a round trip to a busy server elsewhere.
const benchDelay = 50 * time.Millisecond

// BenchmarkGateDelayed runs the whole gate against a rules API and an
// Alertmanager that answer each request after benchDelay: what it shows is
// how many of those delays a run waits for in a row. With inhibit rules
// the run makes five requests (rules, Alertmanagers, silences, status,
// then alerts); without, four.
func BenchmarkGateDelayed(b *testing.B) {
	const route = "route:\n  receiver: pager\nreceivers:\n  - name: pager\n    webhook_configs: [{url: 'http://pager.invalid'}]\n"
	const inhibit = "inhibit_rules:\n  - source_matchers: [alertname=\"NodeDown\"]\n    target_matchers: [severity=\"ticket\"]\n    equal: [instance]\n"
	rules := rulesJSON(benchRules(100))
	for _, bc := range []struct{ name, config string }{{"inhibit", route + inhibit}, {"no-inhibit", route}} {
		b.Run(bc.name, func(b *testing.B) {
			status, _ := json.Marshal(map[string]any{"config": map[string]any{"original": bc.config}})
			answers := map[string][]byte{
				"/api/v1/rules":         rules,
				"/api/v1/alertmanagers": []byte(`{"status":"success","data":{"activeAlertmanagers":[{"url":"http://am"}]}}`),
				"/api/v2/silences":      []byte(`[]`),
				"/api/v2/status":        status,
				"/api/v2/alerts":        []byte(`[{"labels":{"alertname":"NodeDown","instance":"db-1"}}]`),
			}
			delayed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
					return
				case <-time.After(benchDelay):
				}
				w.Header().Set("Content-Type", "application/json")
				w.Write(answers[r.URL.Path])
			})
			prom := httptest.NewServer(delayed)
			defer prom.Close()
			am := httptest.NewServer(delayed)
			defer am.Close()
			g := newGate(b, fmt.Sprintf("prometheus: %s\nalertmanager: %s\nselector: {service: svc-0}", prom.URL, am.URL))
			runClean(b, g, testEnv("", nil))
			b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(benchDelay), "delays/op")
		})
	}
}

// BenchmarkDecodeRules10k decodes a rules answer of 10,000 rules as
// Prometheus sends it, annotations and firing alerts included, into what
// the gate reads.
func BenchmarkDecodeRules10k(b *testing.B) {
	body := fullRulesAnswer(benchRules(10000), 256, 2)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var d promRulesData
		env := promEnvelope{Data: &d}
		if err := json.Unmarshal(body, &env); err != nil || d.Groups == nil || len(*d.Groups) != 1000 {
			b.Fatalf("err %v", err)
		}
	}
}

// BenchmarkDecodeAlerts5k decodes an Alertmanager's answer of 5,000
// alerts, with annotations and status, into what the gate reads.
func BenchmarkDecodeAlerts5k(b *testing.B) {
	now := time.Now().UTC()
	var alerts []map[string]any
	for i := range 5000 {
		alerts = append(alerts, map[string]any{
			"labels":      map[string]string{"alertname": "NodeDown", "instance": fmt.Sprintf("db-%d", i), "job": "node", "severity": "page"},
			"annotations": map[string]string{"summary": "db is down", "description": "Check the node exporter, then the host."},
			"receivers":   []map[string]string{{"name": "pager"}},
			"fingerprint": fmt.Sprintf("%016x", i),
			"startsAt":    now, "updatedAt": now, "endsAt": now,
			"generatorURL": "http://prometheus:9090/graph?g0.expr=up+%3D%3D+0",
			"status":       map[string]any{"state": "active", "silencedBy": []string{}, "inhibitedBy": []string{}, "mutedBy": []string{}},
		})
	}
	body, _ := json.Marshal(alerts)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var raw []amAlert
		if err := json.Unmarshal(body, &raw); err != nil || len(raw) != 5000 {
			b.Fatalf("err %v", err)
		}
	}
}
