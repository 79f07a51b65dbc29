package staginganalysis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/gatetest"
)

// staging is a real Prometheus holding an hour of backfilled staging data
// for several services, from t0.
type staging struct {
	url string
	t0  time.Time
}

// startStaging backfills (promtool) and starts one Prometheus for the tests
// of this file. The hour lies a few hours back: inside the retention, and
// before anything Prometheus writes itself.
func startStaging(t *testing.T) *staging {
	t.Helper()
	t0 := time.Now().UTC().Truncate(time.Hour).Add(-4 * time.Hour)
	const n = 240 // an hour of samples every 15s
	var b strings.Builder
	b.WriteString("# HELP app_error_ratio Share of requests that failed.\n# TYPE app_error_ratio gauge\n")
	constant := func(v string) func(int, time.Time) string { return func(int, time.Time) string { return v } }
	omSeries(&b, "app_error_ratio", `service="api"`, t0, n, constant("0.001"))
	omSeries(&b, "app_error_ratio", `service="bad"`, t0, n, constant("0.2"))
	omSeries(&b, "app_error_ratio", `service="flap"`, t0, n, func(_ int, at time.Time) string {
		if int(at.Sub(t0)/time.Minute)%2 == 0 {
			return "0.001"
		}
		return "0.2"
	})
	omSeries(&b, "app_error_ratio", `pod="a",service="multi"`, t0, n, constant("0.001"))
	omSeries(&b, "app_error_ratio", `pod="b",service="multi"`, t0, n, constant("0.3"))
	omSeries(&b, "app_error_ratio", `service="mid"`, t0, n, constant("0.03"))
	omSeries(&b, "app_error_ratio", `service="nan"`, t0, n, constant("NaN"))
	omSeries(&b, "app_error_ratio", `service="inf"`, t0, n, constant("+Inf"))
	b.WriteString("# HELP app_latency_seconds p99 latency.\n# TYPE app_latency_seconds gauge\n")
	for i := range 10 {
		omSeries(&b, "app_latency_seconds", fmt.Sprintf(`route="r%d",service="api"`, i), t0, n, constant("0.1"))
	}
	// The image staging runs: old until 19:45, new from 18:00 (a rolling
	// update), as kube-state-metrics reports it.
	b.WriteString("# HELP kube_pod_container_info Running containers.\n# TYPE kube_pod_container_info gauge\n")
	omSeries(&b, "kube_pod_container_info", `container="api",image_id="docker-pullable://ghcr.io/org/api@`+oldDigest+`",pod="api-1"`, t0, 80, constant("1"))
	omSeries(&b, "kube_pod_container_info", `container="api",image_id="docker-pullable://ghcr.io/org/api@`+newDigest+`",pod="api-2"`, t0.Add(18*time.Minute), 168, constant("1"))
	b.WriteString("# EOF\n")
	url := startPrometheus(t, b.String(), "")
	return &staging{url: url, t0: t0}
}

var (
	oldDigest = "sha256:" + strings.Repeat("a1", 32)
	newDigest = "sha256:" + strings.Repeat("b2", 32)
)

func analysis(url, service, extra string) string {
	return fmt.Sprintf("prometheus: %s\nqueries:\n  - name: errors\n    query: app_error_ratio{service=%q}\n%s", url, service, extra)
}

func TestLivePrometheus(t *testing.T) {
	s := startStaging(t)
	at := s.t0.Add(30 * time.Minute)
	for _, tc := range []struct {
		name    string
		service string
		extra   string
		now     time.Time
		vars    map[string]string
		status  gates.Status
		rules   []string
		wants   []string
		slept   int // waits the gate asked for
	}{
		{name: "success", service: "api", extra: "    success: result < 0.01\n    count: 3\n    interval: 1m\n",
			status: gates.StatusPass, wants: []string{"errors #3 " + at.Add(2*time.Minute).Format(time.RFC3339) + ": 0.001 → successful", "3 successful, 0 failed", "1 of 1 analyses passed"}, slept: 2},
		{name: "failure", service: "bad", extra: "    success: result < 0.01\n    count: 3\n    interval: 1m\n",
			status: gates.StatusFail, rules: []string{ruleAnalysisFailed}, wants: []string{"errors: 1 of 1 evaluations failed", "the result was 0.2, which does not meet result < 0.01"}, slept: 0},
		{name: "flapping beyond the limit", service: "flap", extra: "    success: result < 0.01\n    count: 4\n    interval: 1m\n    failure-limit: 1\n",
			status: gates.StatusFail, rules: []string{ruleAnalysisFailed}, wants: []string{"2 of 4 evaluations failed (failure-limit 1)", "#2 " + at.Add(time.Minute).Format(time.RFC3339) + ": 0.2 → failed", "chart ▁█▁█"}, slept: 3},
		{name: "flapping within the limit", service: "flap", extra: "    success: result < 0.01\n    count: 4\n    interval: 1m\n    failure-limit: 2\n",
			status: gates.StatusPass, wants: []string{"2 successful, 2 failed"}, slept: 3},
		{name: "every series must hold", service: "multi", extra: "    success: result < 0.01\n",
			status: gates.StatusFail, rules: []string{ruleAnalysisFailed}, wants: []string{`series {pod="b", service="multi"} was 0.3`}},
		{name: "no data", service: "absent", extra: "    success: result < 0.01\n",
			status: gates.StatusError, wants: []string{"no data: the query returned no series"}},
		{name: "no data is never a pass, even with a negated condition", service: "absent", extra: "    success: not (result > 0.01)\n",
			status: gates.StatusError, wants: []string{"no data"}},
		{name: "NaN", service: "nan", extra: "    success: not (result > 0.01)\n",
			status: gates.StatusError, wants: []string{"is NaN, not a finite number"}},
		{name: "Inf", service: "inf", extra: "    success: result > 0\n",
			status: gates.StatusError, wants: []string{"is +Inf, not a finite number"}},
		{name: "inconclusive", service: "mid", extra: "    success: result < 0.01\n    failure: result >= 0.05\n",
			status: gates.StatusError, wants: []string{"1 of 1 evaluations were inconclusive", "meets neither result < 0.01 nor result >= 0.05"}},
		{name: "window", service: "api", extra: "    success: result < 0.01\n    window: 10m\n",
			status: gates.StatusPass, wants: []string{"window 10m0s, step 1m0s, 11 points): 11 successful"}},
		{name: "window flapping", service: "flap", extra: "    success: result < 0.01\n    window: 10m\n    failure-limit: 4\n",
			status: gates.StatusFail, rules: []string{ruleAnalysisFailed}, wants: []string{"5 of 11 evaluations failed (failure-limit 4)"}},
		{name: "window past the data", service: "api", extra: "    success: result < 0.01\n    window: 20m\n", now: s.t0.Add(75 * time.Minute),
			status: gates.StatusError, wants: []string{"no data at " + s.t0.Add(65*time.Minute).Format(time.RFC3339)}},
		{name: "deployed-at clamps a window", service: "flap", extra: "    success: result < 0.01\n    window: 30m\n    failure-limit: 2\n",
			vars: map[string]string{"DEPLOYED_AT": at.Add(-7 * time.Minute).Format(time.RFC3339)},
			// 30m of flapping would fail; since deployment + 5m only
			// 3 points (28, 29, 30), one failed.
			status: gates.StatusPass, wants: []string{"3 points): 2 successful, 1 failed"}},
		{name: "deployed-at too recent", service: "api", extra: "    success: result < 0.01\n",
			vars:   map[string]string{"DEPLOYED_AT": at.Add(-2 * time.Minute).Format(time.RFC3339)},
			status: gates.StatusError, wants: []string{"would read data from before deployed-at"}},
		{name: "deployed-at in the future", service: "api", extra: "    success: result < 0.01\n",
			vars:   map[string]string{"DEPLOYED_AT": at.Add(time.Hour).Format(time.RFC3339)},
			status: gates.StatusError, wants: []string{"is in the future"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := at
			if !tc.now.IsZero() {
				now = tc.now
			}
			clk := &fakeClock{now: now}
			body := analysis(s.url, tc.service, tc.extra)
			if tc.vars != nil {
				body += "deployed-at: ${DEPLOYED_AT}\n"
			}
			res := runGate(t, body, clk, tc.vars)
			gatetest.Want(t, res, tc.status, tc.rules, tc.wants...)
			// The flapping series is drawn for the job summary as it was read.
			if tc.name == "flapping beyond the limit" {
				if len(res.Charts) != 1 || fmt.Sprint(res.Charts[0].Values) != "[0.001 0.2 0.001 0.2]" {
					t.Errorf("charts %+v, want the four values read", res.Charts)
				}
			}
			if len(clk.slept) != tc.slept {
				t.Errorf("the gate waited %d times (%v), want %d", len(clk.slept), clk.slept, tc.slept)
			}
		})
	}
}

// Errors from a real Prometheus: a query it refuses, a range vector where a
// number is wanted, a string, and a server that is gone.
func TestLivePrometheusErrors(t *testing.T) {
	s := startStaging(t)
	clk := &fakeClock{now: s.t0.Add(30 * time.Minute)}
	for _, tc := range []struct{ name, query, want string }{
		{"syntax", `app_error_ratio{`, "400 Bad Request): bad_data: invalid parameter"},
		{"range vector", `app_error_ratio{service="api"}[5m]`, "the answer is a matrix, want a vector or scalar"},
		{"string", `"ok"`, "the answer is a string, want a vector or scalar"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := fmt.Sprintf("prometheus: %s\nqueries:\n  - query: '%s'\n    success: result < 1\n", s.url, tc.query)
			gatetest.Want(t, runGate(t, body, clk, nil), gates.StatusError, nil, tc.want)
		})
	}
	t.Run("scalar", func(t *testing.T) {
		body := fmt.Sprintf("prometheus: %s\nqueries:\n  - query: 'scalar(sum(app_error_ratio{service=\"api\"}))'\n    success: result == 0.001\n", s.url)
		gatetest.Want(t, runGate(t, body, clk, nil), gates.StatusPass, nil, "0.001 → successful")
	})
	t.Run("unreachable", func(t *testing.T) {
		body := "prometheus: http://127.0.0.1:1\nqueries:\n  - query: up\n    success: result == 1\n"
		gatetest.Want(t, runGate(t, body, clk, nil), gates.StatusError, nil, "Prometheus is unreachable")
	})
}

// postAlerts fires alerts in a real Alertmanager, as Prometheus would.
func postAlerts(t *testing.T, am string, labels ...map[string]string) {
	t.Helper()
	var list []map[string]any
	for _, l := range labels {
		list = append(list, map[string]any{"labels": l, "startsAt": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
			"endsAt": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	}
	body, _ := json.Marshal(list)
	resp, err := http.Post(am+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("posting alerts: %s", resp.Status)
	}
}

func TestLiveAlertmanager(t *testing.T) {
	am := startAlertmanager(t)
	clk := &fakeClock{now: time.Now()}
	body := "alertmanager: " + am + "\nno-firing-alerts:\n  selector: {service: api}\n"
	postAlerts(t, am,
		map[string]string{"alertname": "Watchdog", "service": "api"},
		map[string]string{"alertname": "HighErrorRate", "service": "web"})
	gatetest.Want(t, runGate(t, body, clk, nil), gates.StatusPass, nil, "no alert of the service is firing", "0 alert(s)")

	postAlerts(t, am, map[string]string{"alertname": "HighErrorRate", "service": "api", "severity": "page"})
	res := runGate(t, body, clk, nil)
	gatetest.Want(t, res, gates.StatusFail, []string{ruleAlertFiring},
		`alert HighErrorRate is firing in staging's Alertmanager: {alertname="HighErrorRate", service="api", severity="page"}`)
	gatetest.WantNot(t, res, "Watchdog is firing", `service="web"`)

	// A silence does not make staging healthy.
	sil, _ := json.Marshal(map[string]any{"matchers": []map[string]any{{"name": "alertname", "value": "HighErrorRate", "isRegex": false}},
		"startsAt": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "endsAt": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		"createdBy": "test", "comment": "quiet"})
	resp, err := http.Post(am+"/api/v2/silences", "application/json", bytes.NewReader(sil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	gatetest.Want(t, runGate(t, body, clk, nil), gates.StatusFail, []string{ruleAlertFiring}, "(suppressed)")
}

// Without an Alertmanager, firing alerts are read from Prometheus.
func TestLivePrometheusAlerts(t *testing.T) {
	url := startPrometheus(t, "", "groups:\n  - name: g\n    rules:\n      - alert: ApiDown\n        expr: vector(1)\n        labels: {service: api}\n      - alert: Watchdog\n        expr: vector(1)\n        labels: {service: api}\n")
	clk := &fakeClock{now: time.Now()}
	body := "prometheus: " + url + "\nno-firing-alerts:\n  selector: {service: api}\n"
	deadline := time.Now().Add(30 * time.Second)
	var res gates.Result
	for {
		res = runGate(t, body, clk, nil)
		if res.Status != gates.StatusPass || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // until the rule has been evaluated
	}
	gatetest.Want(t, res, gates.StatusFail, []string{ruleAlertFiring}, `alert ApiDown is firing in staging's Prometheus: {alertname="ApiDown", service="api"}`)
}

// since-digest reads from staging's own metrics since when it has run only
// the candidate, and the analysis reads nothing older.
func TestLiveSinceDigest(t *testing.T) {
	s := startStaging(t)
	since := func(digest string) string {
		return "since-digest:\n  digest: " + digest + "\n  query: kube_pod_container_info{container=\"api\"}\n  label: image_id\n  search: 2h\n"
	}
	window := "    success: result < 0.01\n    window: 30m\n"
	for _, tc := range []struct {
		name   string
		now    time.Duration // after t0
		digest string
		status gates.Status
		wants  []string
	}{
		// The old image's last sample (19:45) is seen until 24:45: the
		// candidate alone from 25:00, and the window from 30:00 (lookback).
		{"candidate", 40 * time.Minute, newDigest, gates.StatusPass, []string{
			"since-digest: staging has run only " + newDigest + " since " + s.t0.Add(25*time.Minute).Format(time.RFC3339),
			"window 30m0s shortened to 10m0s: staging has run the candidate since " + s.t0.Add(25*time.Minute).UTC().Format(time.RFC3339) + ", and the window starts lookback (5m0s) after; step 1m0s, 11 points): 11 successful"}},
		{"the old image", 40 * time.Minute, oldDigest, gates.StatusError, []string{"staging does not run only " + oldDigest + " now (only other images at "}},
		{"mid-rollout", 22 * time.Minute, newDigest, gates.StatusError, []string{"(another image too at " + s.t0.Add(22*time.Minute).Format(time.RFC3339)}},
		{"too soon", 27 * time.Minute, newDigest, gates.StatusError, []string{"less than lookback (5m0s)"}},
		{"not a digest", 40 * time.Minute, "latest", gates.StatusError, []string{`digest "latest" is not a sha256:<64 hex> digest`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &fakeClock{now: s.t0.Add(tc.now)}
			res := runGate(t, analysis(s.url, "api", window)+since(tc.digest), clk, nil)
			gatetest.Want(t, res, tc.status, nil, tc.wants...)
		})
	}
}
