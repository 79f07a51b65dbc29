package alertpresence

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/release-gate/release-gate/gates"
)

// fullRulesAnswer renders rules as /api/v1/rules answers them, with every
// field Prometheus sends (per its HTTP API documentation and
// web/api/v1): a group's limit and evaluationTime; an alerting rule's
// state, duration, keepFiringFor, annotations and firing alerts; the
// evaluation time of each. pad bytes of runbook text go into each rule's
// annotations, and alerts firing alerts into each alerting rule: fields
// the gate never reads. One rule in fifty failed its last evaluation.
func fullRulesAnswer(rules []*Rule, pad, alerts int) []byte {
	now := time.Now().Add(-time.Second).UTC().Format(time.RFC3339Nano)
	runbook := strings.Repeat("Check the dashboard, then the logs. ", pad/36+1)[:pad]
	var groups []map[string]any
	var cur map[string]any
	for i, r := range rules {
		if cur == nil || cur["name"] != r.Group {
			cur = map[string]any{"name": r.Group, "file": "/etc/prometheus/rules/" + r.Group + ".yml", "interval": 30.0,
				"limit": 0, "evaluationTime": 0.000731, "lastEvaluation": now, "rules": []map[string]any{}}
			groups = append(groups, cur)
		}
		rule := map[string]any{"name": r.Name, "query": r.Expr, "health": "ok", "evaluationTime": 0.00021, "lastEvaluation": now}
		if len(r.Labels) > 0 {
			rule["labels"] = r.Labels
		}
		if i%50 == 49 {
			rule["health"] = "err"
			rule["lastError"] = "found duplicate series for the match group {instance=\"10.0.0.1:9100\"} on the right hand-side of the operation"
		}
		if r.Alert {
			rule["type"] = "alerting"
			rule["state"] = "firing"
			rule["duration"] = 300
			rule["keepFiringFor"] = 0
			rule["annotations"] = map[string]string{"summary": r.Name + " on {{ $labels.instance }}", "description": runbook,
				"runbook_url": "https://runbooks.example.com/" + r.Name}
			var firing []map[string]any
			for k := range alerts {
				firing = append(firing, map[string]any{
					"labels":      map[string]string{"alertname": r.Name, "instance": fmt.Sprintf("10.0.%d.%d:9100", k/250, k%250), "job": "node", "severity": "page"},
					"annotations": map[string]string{"summary": r.Name + " firing", "description": runbook[:min(len(runbook), 512)]},
					"state":       "firing", "activeAt": now, "value": "9.5e+01", "keepFiringSince": now,
				})
			}
			rule["alerts"] = firing
		} else {
			rule["type"] = "recording"
		}
		cur["rules"] = append(cur["rules"].([]map[string]any), rule)
	}
	out, err := json.Marshal(map[string]any{"status": "success", "data": map[string]any{"groups": groups}})
	if err != nil {
		panic(err)
	}
	return out
}

// oracleRules reads a rules answer with a generic JSON decoder, as an
// independent check of what the gate's structs decode.
func oracleRules(t testing.TB, body []byte) []*Rule {
	t.Helper()
	var raw struct {
		Data struct {
			Groups []map[string]any `json:"groups"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	var out []*Rule
	for _, g := range raw.Data.Groups {
		interval, _ := g["interval"].(float64)
		rules, _ := g["rules"].([]any)
		for _, x := range rules {
			m := x.(map[string]any)
			if typ := str(m, "type"); typ != "alerting" && typ != "recording" {
				continue
			}
			r := &Rule{Name: str(m, "name"), Alert: str(m, "type") == "alerting", Expr: str(m, "query"), Group: str(g, "name"), File: str(g, "file"),
				Health: str(m, "health"), LastError: str(m, "lastError"), LastEval: parseEvalTime(str(m, "lastEvaluation")),
				Interval: time.Duration(interval * float64(time.Second))}
			if r.LastEval.IsZero() {
				r.LastEval = parseEvalTime(str(g, "lastEvaluation"))
			}
			if ls, ok := m["labels"].(map[string]any); ok {
				r.Labels = map[string]string{}
				for k, v := range ls {
					r.Labels[k] = v.(string)
				}
			}
			out = append(out, r)
		}
	}
	return out
}

// wantSameRules compares the rules the gate decoded with the oracle's.
func wantSameRules(t testing.TB, got, want []*Rule) {
	t.Helper()
	if len(want) == 0 {
		t.Fatal("the oracle read no rules")
	}
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("decoded rules differ from a generic decoding of the answer (-want +got):\n%s", d)
	}
}

func serveBody(t *testing.T, body []byte) *apiClient {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return newAPIClient(srv.Client(), u, "Prometheus", "", "")
}

// TestLargeAnswerWithUnreadFields: an answer whose bytes are mostly
// fields the gate does not read (long annotations, hundreds of firing
// alerts per rule) decodes to exactly the rules a generic decoder reads
// from it, and the gate still decides on them.
func TestLargeAnswerWithUnreadFields(t *testing.T) {
	rules := benchRules(2000)
	body := fullRulesAnswer(rules, 4<<10, 20)
	if len(body) < 24<<20 {
		t.Fatalf("the answer has %d MiB, want a large one", len(body)>>20)
	}
	lr, err := fetchRules(context.Background(), serveBody(t, body))
	if err != nil {
		t.Fatal(err)
	}
	if len(lr.rules) != len(rules) || lr.skipped != 0 {
		t.Fatalf("%d rules (%d skipped), want %d", len(lr.rules), lr.skipped, len(rules))
	}
	wantSameRules(t, lr.rules, oracleRules(t, body))

	// svc-0's rules are healthy and cover every category: a pass.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()
	res := runGate(t, "prometheus: "+srv.URL+"\nactive-alertmanager: false\nselector: {service: svc-0}", testEnv("", nil))
	wantStatus(t, res, gates.StatusPass)
	// svc-4's error-rate alert (rule 49) failed its last evaluation.
	res = runGate(t, "prometheus: "+srv.URL+"\nactive-alertmanager: false\nselector: {service: svc-4}\nrequire: [error-rate]", testEnv("", nil))
	if f := findingsOf(res, ruleUnhealthy); len(f) != 1 || !strings.Contains(f[0].Message, "found duplicate series for the match group") {
		t.Errorf("the unhealthy rule's lastError is not read:\n%s", dump(res))
	}
}

// TestAlertmanagerAnswersWithUnreadFields: the Alertmanager's alerts,
// silences and status, with every field its v2 API sends (receivers,
// fingerprints, inhibitedBy, cluster peers, version information), decode
// to what the gate reads.
func TestAlertmanagerAnswersWithUnreadFields(t *testing.T) {
	now := time.Now().UTC()
	pad := strings.Repeat("runbook text ", 4096)
	var alerts []map[string]any
	for i := range 500 {
		alerts = append(alerts, map[string]any{
			"labels":       map[string]string{"alertname": "NodeDown", "instance": fmt.Sprintf("db-%d", i)},
			"annotations":  map[string]string{"description": pad},
			"receivers":    []map[string]string{{"name": "pager"}},
			"fingerprint":  fmt.Sprintf("%016x", i),
			"startsAt":     now.Add(-time.Hour),
			"updatedAt":    now,
			"endsAt":       now.Add(time.Hour),
			"generatorURL": "http://prometheus:9090/graph?g0.expr=up+%3D%3D+0",
			"status":       map[string]any{"state": "suppressed", "silencedBy": []string{"s-1"}, "inhibitedBy": []string{fmt.Sprintf("%016x", i+1)}, "mutedBy": []string{}},
		})
	}
	silences := []map[string]any{{
		"id": "s-1", "status": map[string]string{"state": "active"}, "updatedAt": now,
		"matchers":  []map[string]any{{"name": "alertname", "value": "NodeDown", "isRegex": false, "isEqual": true}},
		"createdBy": "oncall", "comment": pad[:200], "startsAt": now.Add(-time.Minute), "endsAt": now.Add(time.Hour),
	}}
	status := map[string]any{
		"cluster":     map[string]any{"name": "01HX", "status": "ready", "peers": []map[string]string{{"name": "01HX", "address": "10.0.0.1:9094"}}},
		"versionInfo": map[string]string{"version": "0.28.1", "revision": "b2099eaa", "branch": "HEAD", "buildUser": "root@x", "buildDate": "20250307-15:05:18", "goVersion": "go1.23.7"},
		"config":      map[string]string{"original": okAlertmanagerConfig},
		"uptime":      now.Add(-24 * time.Hour),
	}
	answers := map[string]string{"/api/v2/alerts": mustJSON(alerts), "/api/v2/silences": mustJSON(silences), "/api/v2/status": mustJSON(status)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, answers[r.URL.Path]) }))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	c := newAPIClient(srv.Client(), u, "Alertmanager", "", "")
	ctx := context.Background()

	firing, err := fetchAlerts(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(firing) != len(alerts) {
		t.Fatalf("%d alerts, want %d", len(firing), len(alerts))
	}
	for i, a := range firing {
		if want := map[string]string{"alertname": "NodeDown", "instance": fmt.Sprintf("db-%d", i)}; !cmp.Equal(a.labels, want) {
			t.Errorf("alert %d: labels %v, want %v", i, a.labels, want)
		}
	}
	sl, err := fetchSilences(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(sl) != 1 || sl[0].ID != "s-1" || sl[0].State != stateActive || sl[0].CreatedBy != "oncall" || sl[0].Comment != pad[:200] ||
		!sl[0].EndsAt.Equal(now.Add(time.Hour)) || len(sl[0].Matchers) != 1 || sl[0].Matchers[0].String() != `alertname="NodeDown"` {
		t.Errorf("silences %+v", sl)
	}
	rt, err := fetchRouting(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(rt.inhibits) != 1 || !rt.notifies(routeOutcome{receivers: []string{"pager"}}) {
		t.Errorf("routing: %d inhibit rules, pager notifies: %v", len(rt.inhibits), rt.notifies(routeOutcome{receivers: []string{"pager"}}))
	}
}

// TestRealPrometheusAnswerDecoded: the answer of a real Prometheus, with
// firing alerts, annotations and recording rules, decodes to exactly what
// a generic decoder reads from it.
func TestRealPrometheusAnswerDecoded(t *testing.T) {
	rules := "groups:\n" + serviceRules("api", "cpu", "memory", "error-rate") + `- name: firing
  rules:
  - record: job:up:sum
    expr: sum by (job) (vector(1))
    labels: {team: core}
  - alert: AlwaysFiring
    expr: vector(1)
    labels: {severity: none, service: api}
    annotations:
      summary: '{{ $labels.instance }} always fires'
      description: '` + strings.Repeat("long runbook text ", 500) + `'
  - alert: BadVector
    expr: 'vector(1) + on() (vector(1) or label_replace(vector(1), "b", "y", "", ""))'
`
	prom := startPrometheus(t, rules, "")
	u, _ := url.Parse(prom.URL)
	c := newAPIClient(http.DefaultClient, u, "Prometheus", "", "")
	lr, err := fetchRules(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(prom.URL + "/api/v1/rules")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"alerts":[{`) || !strings.Contains(string(body), "long runbook text") {
		t.Fatalf("the answer has no firing alert or annotations to skip: %.300s", body)
	}
	want := oracleRules(t, body)
	// The two requests are a moment apart: evaluation times and health
	// may have moved on.
	ignore := cmpopts.IgnoreFields(Rule{}, "LastEval", "Health", "LastError")
	if d := cmp.Diff(want, lr.rules, cmpopts.EquateEmpty(), ignore); d != "" {
		t.Errorf("decoded rules differ from a generic decoding of the answer (-want +got):\n%s", d)
	}
	bad := 0
	for _, r := range lr.rules {
		if r.LastEval.IsZero() {
			t.Errorf("%s: no evaluation time", r.Name)
		}
		if r.Name == "BadVector" && r.Health == "err" && strings.Contains(r.LastError, "found duplicate series for the match group") {
			bad++
		}
	}
	if bad != 1 {
		for _, r := range lr.rules {
			t.Logf("%s: health %q, lastError %q", r.Name, r.Health, r.LastError)
		}
		t.Errorf("BadVector's failed evaluation was not read")
	}
}
