package alertpresence

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/testenv"
)

// stackRules reproduces how published stacks (kube-prometheus, the
// kubernetes and node mixins) write alerts: a warning and a critical
// alert per resource, told apart by severity, and a Watchdog that fires
// always (vector(1)).
const stackRules = `groups:
  - name: api
    rules:
      - alert: ApiCPUWarning
        expr: sum(rate(container_cpu_usage_seconds_total{namespace="api"}[5m])) / sum(kube_pod_container_resource_limits{namespace="api", resource="cpu"}) > 0.8
        labels: {severity: warning, namespace: api}
      - alert: ApiCPUCritical
        expr: sum(rate(container_cpu_usage_seconds_total{namespace="api"}[5m])) / sum(kube_pod_container_resource_limits{namespace="api", resource="cpu"}) > 0.95
        labels: {severity: critical, namespace: api}
      - alert: ApiMemoryWarning
        expr: sum(container_memory_working_set_bytes{namespace="api"}) / sum(kube_pod_container_resource_limits{namespace="api", resource="memory"}) > 0.8
        labels: {severity: warning, namespace: api}
      %s
      - alert: ApiErrorsCritical
        expr: sum(rate(http_requests_total{namespace="api", code=~"5.."}[5m])) / sum(rate(http_requests_total{namespace="api"}[5m])) > 0.05
        labels: {severity: critical, namespace: api}
  - name: general
    rules:
      - alert: Watchdog
        expr: vector(1)
        labels: {severity: none}
`

const memoryCritical = `- alert: ApiMemoryCritical
        expr: sum(container_memory_working_set_bytes{namespace="api"}) / sum(kube_pod_container_resource_limits{namespace="api", resource="memory"}) > 0.95
        labels: {severity: critical, namespace: api}`

// stackAlertmanager routes warnings to a receiver without integrations and
// criticals to a pager, as kube-prometheus's default configuration does
// with its "null" receiver; inhibit is appended.
const stackAlertmanager = `
route:
  receiver: "null"
  routes:
    - matchers: ['alertname="Watchdog"']
      receiver: "null"
    - matchers: ['severity="critical"']
      receiver: pager
receivers:
  - name: "null"
  - name: pager
    webhook_configs: [{url: 'http://127.0.0.1:9/page'}]
`

// TestCategoryNeedsOneRuleThatNotifies: a category is covered by one rule
// that reaches someone; the other rules' problems are warnings, and a
// category whose every rule is routed nowhere fails.
func TestCategoryNeedsOneRuleThatNotifies(t *testing.T) {
	am := startAlertmanager(t, stackAlertmanager)
	section := "files: rules.yml\nselector: {namespace: api}\nalertmanager: " + am.URL

	ws := workspace(t, map[string]string{"rules.yml": fmt.Sprintf(stackRules, memoryCritical)})
	res := runGate(t, section, testEnv(ws, nil))
	wantStatus(t, res, gates.StatusPass)
	warned := map[string]bool{}
	for _, f := range findingsOf(res, ruleRouteBlackhole) {
		if f.Severity != gates.SeverityWarning || !strings.Contains(f.Message, "not blocking") {
			t.Errorf("a warning alert routed to null while the critical one pages must be a warning: %s %s", f.Severity, f.Message)
		}
		warned[strings.Fields(f.Message)[0]] = true
	}
	if !warned["ApiCPUWarning"] || !warned["ApiMemoryWarning"] || len(warned) != 2 {
		t.Errorf("warned about %v, want ApiCPUWarning and ApiMemoryWarning\n%s", warned, dump(res))
	}

	// Without the critical memory alert, memory reaches nobody.
	ws = workspace(t, map[string]string{"rules.yml": fmt.Sprintf(stackRules, "")})
	res = runGate(t, section, testEnv(ws, nil))
	wantStatus(t, res, gates.StatusFail)
	wantErrorRules(t, res, ruleRouteBlackhole)
	if fs := findingsOf(res, ruleRouteBlackhole); len(fs) != 2 || !strings.Contains(dump(res), "ApiMemoryWarning (rules.yml:10:9) is routed to receiver \"null\"") ||
		!strings.Contains(dump(res), "no other rule covers memory") {
		t.Errorf("want the memory warning alert as the error\n%s", dump(res))
	}
}

// TestAlwaysFiringInhibitor: an inhibit rule whose source matches an alert
// that fires always mutes its targets for good; with equal labels the
// always-firing alert lacks, it mutes nothing.
func TestAlwaysFiringInhibitor(t *testing.T) {
	ws := workspace(t, map[string]string{"rules.yml": fmt.Sprintf(stackRules, memoryCritical)})
	tests := []struct {
		name, inhibit string
		want          gates.Status
		inhibited     int
	}{
		{"mutes every critical", `inhibit_rules:
  - source_matchers: ['alertname="Watchdog"']
    target_matchers: ['severity=~"warning|critical"']
`, gates.StatusFail, 5},
		{"equal namespace the watchdog lacks", `inhibit_rules:
  - source_matchers: ['alertname="Watchdog"']
    target_matchers: ['severity=~"warning|critical"']
    equal: [namespace]
`, gates.StatusPass, 0},
		{"kube-prometheus InfoInhibitor targets info only", `inhibit_rules:
  - source_matchers: ['alertname="InfoInhibitor"']
    target_matchers: ['severity="info"']
    equal: [namespace]
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity=~"warning|info"']
    equal: [namespace, alertname]
  - target_matchers: ['alertname="InfoInhibitor"']
`, gates.StatusPass, 0},
		{"old-style match", `inhibit_rules:
  - source_match: {severity: none}
    target_match_re: {severity: "critical"}
`, gates.StatusFail, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			am := startAlertmanager(t, stackAlertmanager+tc.inhibit)
			res := runGate(t, "files: rules.yml\nselector: {namespace: api}\nalertmanager: "+am.URL, testEnv(ws, nil))
			wantStatus(t, res, tc.want)
			fs := findingsOf(res, ruleInhibited)
			if len(fs) != tc.inhibited {
				t.Errorf("%d rules inhibited, want %d\n%s", len(fs), tc.inhibited, dump(res))
			}
			for _, f := range fs {
				if !strings.Contains(f.Message, "alerting rule Watchdog (rules.yml:") || !strings.Contains(f.Message, "fires always") {
					t.Errorf("the finding does not name the always-firing source: %s", f.Message)
				}
			}
		})
	}
}

// TestInhibitionAsAlertmanagerMutes: alerts are posted to a real
// Alertmanager with inhibit rules, and which of them it reports inhibited
// is the ground truth for the gate's verdict on the same rules.
func TestInhibitionAsAlertmanagerMutes(t *testing.T) {
	cfg := `
route:
  receiver: team
receivers:
  - name: team
    webhook_configs: [{url: 'http://127.0.0.1:9/hook'}]
inhibit_rules:
  - source_matchers: [alertname="Source0"]
    target_matchers: [case="0"]
  - source_matchers: [alertname="Source1"]
    target_matchers: [case="1"]
    equal: [team]
  - source_matchers: [alertname="Source2"]
    target_matchers: [case="2"]
    equal: [team]
  - source_matchers: [alertname="NotFiring"]
    target_matchers: [case="3"]
  - source_matchers: [alertname="Source4"]
    target_matchers: [case="4"]
    equal: [zone]
  - source_matchers: [team="api"]
    target_matchers: [case="5"]
  - source_matchers: [alertname=~"Source.*"]
    target_matchers: [severity="info"]
`
	sources := []map[string]string{
		{"alertname": "Source0"},
		{"alertname": "Source1", "team": "api"},
		{"alertname": "Source2", "team": "web"},
		{"alertname": "Source4"},
	}
	const cases = 6
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: cases\n    rules:\n")
	var alerts []map[string]any
	post := func(ls map[string]string) {
		alerts = append(alerts, map[string]any{"labels": ls,
			"startsAt": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
			"endsAt":   time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	}
	for i := 0; i < cases; i++ {
		name := fmt.Sprintf("Case%d", i)
		fmt.Fprintf(&rules, "      - alert: %s\n        expr: vector(1) > 0\n        labels: {case: '%d', team: api, severity: page, %s: cpu}\n", name, i, overrideLabel)
		post(map[string]string{"alertname": name, "case": fmt.Sprint(i), "team": "api", "severity": "page", overrideLabel: "cpu"})
	}
	for _, s := range sources {
		post(s)
	}
	ws := workspace(t, map[string]string{"rules.yml": rules.String()})
	am := startAlertmanager(t, cfg)
	body, _ := json.Marshal(alerts)
	resp, err := http.Post(am.URL+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("posting alerts: %s", resp.Status)
	}
	var inhibited []string
	poll(t, "the posted alerts, inhibition applied", func() bool {
		var got []struct {
			Labels map[string]string `json:"labels"`
			Status struct {
				InhibitedBy []string `json:"inhibitedBy"`
			} `json:"status"`
		}
		if !getJSON(am.URL+"/api/v2/alerts", &got) || len(got) != len(alerts) {
			return false
		}
		inhibited = nil
		for _, a := range got {
			if len(a.Status.InhibitedBy) > 0 && strings.HasPrefix(a.Labels["alertname"], "Case") {
				inhibited = append(inhibited, a.Labels["alertname"])
			}
		}
		return len(inhibited) > 0
	})
	sort.Strings(inhibited)

	res := runGate(t, "files: rules.yml\nrequire: cpu\nalertmanager: "+am.URL, testEnv(ws, nil))
	var gate []string
	for _, f := range findingsOf(res, ruleInhibited) {
		gate = append(gate, strings.Fields(f.Message)[0])
	}
	sort.Strings(gate)
	if strings.Join(gate, " ") != strings.Join(inhibited, " ") {
		t.Errorf("the gate calls inhibited %v; the Alertmanager inhibits %v\n%s", gate, inhibited, dump(res))
	}
	if len(inhibited) < 3 {
		t.Errorf("the Alertmanager inhibits only %v: the cases do not test what they mean to", inhibited)
	}
	if len(findingsOf(res, rulePartlyInhibited)) != 0 {
		t.Errorf("every label is known, nothing is partly inhibited\n%s", dump(res))
	}
}

// TestInhibitFaults: with inhibit rules, the gate must read the alerts
// the Alertmanager holds; when it cannot, it has no verdict. A hostile
// alert's labels are quoted only in part.
func TestInhibitFaults(t *testing.T) {
	ws := workspace(t, map[string]string{"r.yml": apiRulesFile})
	cfg := "route:\n  receiver: a\nreceivers:\n  - name: a\n    webhook_configs: [{url: 'http://x'}]\ninhibit_rules:\n  - source_matchers: [alertname=\"Storm\"]\n    target_matchers: [team=\"api\"]\n"
	body, _ := json.Marshal(map[string]any{"config": map[string]any{"original": cfg}})
	status := answer(200, "application/json", string(body))
	silences := answer(200, "application/json", `[]`)

	url := fakeServer(t, map[string]http.HandlerFunc{"/api/v2/silences": silences, "/api/v2/status": status,
		"/api/v2/alerts": answer(500, "text/plain", "broken")})
	res := runGate(t, "files: r.yml\nrequire: cpu\nalertmanager: "+url, testEnv(ws, nil))
	wantStatus(t, res, gates.StatusError)
	if !strings.Contains(res.Err, "/api/v2/alerts: 500 Internal Server Error: broken") {
		t.Errorf("error %q does not name the alerts endpoint", res.Err)
	}

	huge := strings.Repeat("x", 100000)
	alerts, _ := json.Marshal([]map[string]any{{"labels": map[string]string{"alertname": "Storm", "noise": huge}, "status": map[string]any{"state": "active"}}})
	url = fakeServer(t, map[string]http.HandlerFunc{"/api/v2/silences": silences, "/api/v2/status": status,
		"/api/v2/alerts": answer(200, "application/json", string(alerts))})
	res = runGate(t, "files: r.yml\nrequire: cpu\nalertmanager: "+url, testEnv(ws, nil))
	wantStatus(t, res, gates.StatusFail)
	fs := findingsOf(res, ruleInhibited)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "alert Storm{noise=\"xxx") {
		t.Fatalf("want ApiHighCPU inhibited by the Storm alert\n%s", dump(res))
	}
	if len(fs[0].Message) > 1000 {
		t.Errorf("the finding quotes %d bytes of a server's alert", len(fs[0].Message))
	}
}

// manyRules is a rule file of blocked warning and covering critical CPU
// alerts, as a stack that writes one alert per workload would have.
func manyRules(warnings, criticals int) string {
	var b strings.Builder
	b.WriteString("groups:\n  - name: api\n    rules:\n")
	for i := range warnings {
		fmt.Fprintf(&b, "      - alert: CPUWarning%d\n        expr: sum(rate(container_cpu_usage_seconds_total{namespace=\"api\", pod=\"p%d\"}[5m])) > 0.8\n        labels: {severity: warning, namespace: api}\n", i, i)
	}
	for i := range criticals {
		fmt.Fprintf(&b, "      - alert: CPUCritical%d\n        expr: sum(rate(container_cpu_usage_seconds_total{namespace=\"api\", pod=\"p%d\"}[5m])) > 0.95\n        labels: {severity: critical, namespace: api}\n", i, i)
	}
	return b.String()
}

// TestManyBlockedRulesNameTheirCover: each blocked rule of a covered
// category names the first rules that cover it and counts the others,
// the same text for every blocked rule.
func TestManyBlockedRulesNameTheirCover(t *testing.T) {
	am := startAlertmanager(t, stackAlertmanager)
	const warnings, criticals = 30, maxNamesInNote + 3
	ws := workspace(t, map[string]string{"rules.yml": manyRules(warnings, criticals)})
	res := runGate(t, "files: rules.yml\nselector: {namespace: api}\nrequire: cpu\nalertmanager: "+am.URL, testEnv(ws, nil))
	wantStatus(t, res, gates.StatusPass)
	var shown []string
	for i := range maxNamesInNote {
		shown = append(shown, fmt.Sprintf("CPUCritical%d (rules.yml:%d:9)", i, 4+3*(warnings+i)))
	}
	want := fmt.Sprintf("; not blocking: cpu stays covered by %s and 3 more", strings.Join(shown, ", "))
	fs := findingsOf(res, ruleRouteBlackhole)
	if len(fs) != warnings {
		t.Fatalf("%d findings, want one per warning rule (%d)\n%s", len(fs), warnings, dump(res))
	}
	for _, f := range fs {
		if f.Severity != gates.SeverityWarning || !strings.HasSuffix(f.Message, want) {
			t.Errorf("%s %q, want a warning ending %q", f.Severity, f.Message, want)
		}
	}
}

// An alert whose labels echo the Alertmanager's credentials, longer than
// the part of an alert a finding quotes, shows no part of them.
func TestInhibitingAlertEchoingCredentials(t *testing.T) {
	pw := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 300)
	ws := workspace(t, map[string]string{"r.yml": apiRulesFile})
	cfg := "route:\n  receiver: a\nreceivers:\n  - name: a\n    webhook_configs: [{url: 'http://x'}]\ninhibit_rules:\n  - source_matchers: [alertname=\"Storm\"]\n    target_matchers: [team=\"api\"]\n"
	body, _ := json.Marshal(map[string]any{"config": map[string]any{"original": cfg}})
	alerts, _ := json.Marshal([]map[string]any{{"labels": map[string]string{"alertname": "Storm", "echo": pw}, "status": map[string]any{"state": "active"}}})
	url := fakeServer(t, map[string]http.HandlerFunc{"/api/v2/silences": answer(200, "application/json", `[]`),
		"/api/v2/status": answer(200, "application/json", string(body)), "/api/v2/alerts": answer(200, "application/json", string(alerts))})
	url = strings.Replace(url, "http://", "http://rg:"+pw+"@", 1)
	res := runGate(t, "files: r.yml\nrequire: cpu\nalertmanager: "+url, testEnv(ws, nil))
	wantStatus(t, res, gates.StatusFail)
	if fs := findingsOf(res, ruleInhibited); len(fs) != 1 || !strings.Contains(fs[0].Message, `alert Storm{echo="***"}`) {
		t.Fatalf("want ApiHighCPU inhibited by the Storm alert, its label cut out\n%s", dump(res))
	}
	if all := dump(res); strings.Contains(all, pw[:8]) {
		t.Errorf("part of the Alertmanager's password is shown:\n%s", all)
	}
}

// A key gitleaks' rules find in an inhibiting alert's labels, across where
// the quote of the alert is cut, shows no part of it.
func TestInhibitingAlertRevealingAKeyAtTheCut(t *testing.T) {
	key := testenv.AWSKey(t)
	ws := workspace(t, map[string]string{"r.yml": apiRulesFile})
	cfg := "route:\n  receiver: a\nreceivers:\n  - name: a\n    webhook_configs: [{url: 'http://x'}]\ninhibit_rules:\n  - source_matchers: [alertname=\"Storm\"]\n    target_matchers: [team=\"api\"]\n"
	body, _ := json.Marshal(map[string]any{"config": map[string]any{"original": cfg}})
	echo := strings.Repeat("x", 170) + " " + key
	alerts, _ := json.Marshal([]map[string]any{{"labels": map[string]string{"alertname": "Storm", "echo": echo}, "status": map[string]any{"state": "active"}}})
	url := fakeServer(t, map[string]http.HandlerFunc{"/api/v2/silences": answer(200, "application/json", `[]`),
		"/api/v2/status": answer(200, "application/json", string(body)), "/api/v2/alerts": answer(200, "application/json", string(alerts))})
	res := runGate(t, "files: r.yml\nrequire: cpu\nalertmanager: "+url, testEnv(ws, nil))
	wantStatus(t, res, gates.StatusFail)
	if fs := findingsOf(res, ruleInhibited); len(fs) != 1 || !strings.Contains(fs[0].Message, `alert Storm{echo="xxx`) {
		t.Fatalf("want ApiHighCPU inhibited by the Storm alert\n%s", dump(res))
	}
	if all := dump(res); strings.Contains(all, key[:8]) {
		t.Errorf("part of the key is shown:\n%s", all)
	}
}

// An Alertmanager whose configuration echoes its credentials where the
// configuration's parser quotes only the start of a value: no part of
// them is shown.
func TestConfigurationEchoingCredentials(t *testing.T) {
	pw := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 40)
	ws := workspace(t, map[string]string{"r.yml": apiRulesFile})
	cfg := "route:\n  receiver: a\n  continue: " + pw + "\nreceivers:\n  - name: a\n    webhook_configs: [{url: 'http://x'}]\n"
	body, _ := json.Marshal(map[string]any{"config": map[string]any{"original": cfg}})
	url := fakeServer(t, map[string]http.HandlerFunc{"/api/v2/silences": answer(200, "application/json", `[]`),
		"/api/v2/status": answer(200, "application/json", string(body)), "/api/v2/alerts": answer(200, "application/json", `[]`)})
	url = strings.Replace(url, "http://", "http://rg:"+pw+"@", 1)
	res := runGate(t, "files: r.yml\nrequire: cpu\nalertmanager: "+url, testEnv(ws, nil))
	all := dump(res)
	if !strings.Contains(all, "reading the configuration") {
		t.Fatalf("want the configuration refused:\n%s", all)
	}
	if strings.Contains(all, pw[:6]) {
		t.Errorf("part of the Alertmanager's password is shown:\n%s", all)
	}
}
