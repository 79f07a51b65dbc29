package alertpresence

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/testenv"
)

// serviceRules writes alerting rules labelled service=<svc> for the given
// categories. The error-rate alert reads a recording rule, as most real
// error-rate alerts do.
func serviceRules(svc string, cats ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "- name: %s\n  rules:\n", svc)
	severity := "warning"
	if svc == "paging" {
		severity = "page"
	}
	labels := fmt.Sprintf("{service: %s, team: %s, severity: %s}", svc, svc, severity)
	for _, c := range cats {
		switch c {
		case "cpu":
			fmt.Fprintf(&b, "  - alert: %sHighCPU\n    expr: rate(process_cpu_seconds_total{job=%q}[5m]) > 0.9\n    labels: %s\n", title(svc), svc, labels)
		case "memory":
			fmt.Fprintf(&b, "  - alert: %sHighMemory\n    expr: process_resident_memory_bytes{job=%q} > 2e9\n    labels: %s\n", title(svc), svc, labels)
		case "error-rate":
			rec := "job:" + strings.ReplaceAll(svc, "-", "_") + "_errors:ratio_rate5m"
			fmt.Fprintf(&b, "  - record: %s\n    expr: sum by (job) (rate(http_requests_total{job=%q,code=~\"5..\"}[5m])) / sum by (job) (rate(http_requests_total{job=%q}[5m]))\n", rec, svc, svc)
			fmt.Fprintf(&b, "  - alert: %sErrorRate\n    expr: %s > 0.05\n    labels: %s\n", title(svc), rec, labels)
		}
	}
	return b.String()
}

func title(s string) string {
	var out string
	for _, part := range strings.Split(s, "-") {
		out += strings.ToUpper(part[:1]) + part[1:]
	}
	return out
}

// The Alertmanager routes team=nobody to a receiver without integrations,
// severity=page alerts of prod namespaces to one too (so routing depends on
// a label only the series carry), and everything else to a webhook.
const testAlertmanagerConfig = `
route:
  receiver: team
  routes:
    - matchers: ['team="nobody"']
      receiver: blackhole
    - match: {severity: page}
      match_re: {namespace: "prod.*"}
      receiver: blackhole
    - matchers: ['team=~"api|silenced|broken"']
      receiver: team
      continue: true
receivers:
  - name: team
    webhook_configs: [{url: 'http://127.0.0.1:9/hook'}]
  - name: blackhole
`

// brokenCPU loads fine but fails at every evaluation: label_replace makes
// two series with the same labels ("vector cannot contain metrics with the
// same labelset").
const brokenCPU = `  - alert: BrokenHighCPU
    expr: rate(process_cpu_seconds_total{job="broken"}[5m]) > 0.9 or label_replace(label_replace(vector(1), "a", "x", "", "") or label_replace(vector(1), "a", "y", "", ""), "a", "", "", "")
    labels: {service: broken, team: broken, severity: warning}
`

// liveRuleFile is the rule file of the shared Prometheus: one group per
// scenario, told apart by the service label.
func liveRuleFile() string {
	return "groups:\n" +
		serviceRules("api", "cpu", "memory", "error-rate") +
		serviceRules("checkout", "memory", "error-rate") +
		serviceRules("billing", "cpu", "error-rate") +
		serviceRules("search", "cpu", "memory") +
		serviceRules("broken", "memory", "error-rate") + brokenCPU +
		serviceRules("silenced", "cpu", "memory", "error-rate") +
		serviceRules("partly", "cpu", "memory", "error-rate") +
		serviceRules("nobody", "cpu", "memory", "error-rate") +
		serviceRules("paging", "cpu", "memory", "error-rate")
}

// TestLive runs the gate against one real Prometheus and Alertmanager.
func TestLive(t *testing.T) {
	am := startAlertmanager(t, testAlertmanagerConfig)
	prom := startPrometheus(t, liveRuleFile(), am.Addr)
	createSilence(t, am, "maintenance", map[string]any{"name": "alertname", "value": "SilencedHighCPU", "isRegex": false, "isEqual": true})
	createSilence(t, am, "one noisy host", map[string]any{"name": "alertname", "value": "PartlyHighMemory", "isRegex": false, "isEqual": true},
		map[string]any{"name": "instance", "value": "host-1", "isRegex": false, "isEqual": true})
	// A silence of another service's series only: it must be left out.
	createSilence(t, am, "other", map[string]any{"name": "instance", "value": "host-9", "isRegex": false, "isEqual": true})

	cfg := func(service string, extra ...string) string {
		return fmt.Sprintf("prometheus: %s\nalertmanager: %s\nselector: {service: %s}\n%s", prom.URL, am.URL, service, strings.Join(extra, "\n"))
	}

	t.Run("pass", func(t *testing.T) {
		res := runGate(t, cfg("api"), testEnv("", nil))
		wantStatus(t, res, gates.StatusPass)
		for _, want := range []string{"cpu — Prometheus " + prom.URL + ": ApiHighCPU (group api)", "memory — ", "ApiHighMemory", "error-rate — ", "ApiErrorRate", "→ receiver \"team\""} {
			if !hasNote(res, want) {
				t.Errorf("no note mentions %q\n%s", want, dump(res))
			}
		}
		if !strings.Contains(res.Summary, "cpu, memory, error-rate covered for {service=\"api\"}") {
			t.Errorf("summary %q", res.Summary)
		}
		if len(res.Findings) != 0 {
			t.Errorf("findings on a pass:\n%s", dump(res))
		}
	})

	// Each of these services lacks one category. (Their names must not
	// contain a category's word: recording rules are named after them.)
	for missing, service := range map[string]string{"cpu": "checkout", "memory": "billing", "error-rate": "search"} {
		t.Run("missing "+missing, func(t *testing.T) {
			res := runGate(t, cfg(service), testEnv("", nil))
			wantStatus(t, res, gates.StatusFail)
			wantErrorRules(t, res, ruleCategoryMissing)
			f := findingsOf(res, ruleCategoryMissing)[0]
			if !strings.Contains(f.Message, "no "+missing+" alert for {service=\""+service+"\"}") || !strings.Contains(f.Message, "looked for") {
				t.Errorf("message %q", f.Message)
			}
			if res.Summary != "no "+missing+" alert for {service=\""+service+"\"}" {
				t.Errorf("summary %q", res.Summary)
			}
		})
	}

	t.Run("require a subset", func(t *testing.T) {
		res := runGate(t, cfg("checkout", "require: [memory, error-rate]"), testEnv("", nil))
		wantStatus(t, res, gates.StatusPass)
	})

	t.Run("unhealthy rule", func(t *testing.T) {
		res := runGate(t, cfg("broken"), testEnv("", nil))
		wantStatus(t, res, gates.StatusFail)
		wantErrorRules(t, res, ruleUnhealthy)
		f := findingsOf(res, ruleUnhealthy)[0]
		if !strings.Contains(f.Message, "BrokenHighCPU") || !strings.Contains(f.Message, "same labelset") {
			t.Errorf("message %q", f.Message)
		}
		if res.Summary != "1 rule failing to evaluate (BrokenHighCPU)" {
			t.Errorf("summary %q", res.Summary)
		}
	})

	t.Run("not evaluated recently", func(t *testing.T) {
		env := testEnv("", nil)
		env.Now = func() time.Time { return time.Now().Add(time.Hour) }
		res := runGate(t, cfg("api"), env)
		wantStatus(t, res, gates.StatusFail)
		wantErrorRules(t, res, ruleNotEvaluated, ruleNotEvaluated, ruleNotEvaluated)
		if f := findingsOf(res, ruleNotEvaluated)[0]; !strings.Contains(f.Message, "more than 5m0s") {
			t.Errorf("the default limit is 5m: %q", f.Message)
		}
	})

	t.Run("max-eval-age", func(t *testing.T) {
		env := testEnv("", nil)
		env.Now = func() time.Time { return time.Now().Add(2 * time.Minute) }
		res := runGate(t, cfg("api", "max-eval-age: 1m"), env)
		wantErrorRules(t, res, ruleNotEvaluated, ruleNotEvaluated, ruleNotEvaluated)
		res = runGate(t, cfg("api"), env)
		wantStatus(t, res, gates.StatusPass)
	})

	t.Run("silenced", func(t *testing.T) {
		res := runGate(t, cfg("silenced"), testEnv("", nil))
		wantStatus(t, res, gates.StatusFail)
		wantErrorRules(t, res, ruleSilenced)
		f := findingsOf(res, ruleSilenced)[0]
		for _, want := range []string{"SilencedHighCPU", `alertname="SilencedHighCPU"`, "release-gate-test", "maintenance", "amtool silence expire"} {
			if !strings.Contains(f.Message, want) {
				t.Errorf("message lacks %q: %s", want, f.Message)
			}
		}
	})

	t.Run("partly silenced", func(t *testing.T) {
		res := runGate(t, cfg("partly"), testEnv("", nil))
		wantStatus(t, res, gates.StatusPass)
		ws := findingsOf(res, rulePartlySilenced)
		if len(ws) != 1 || ws[0].Severity != gates.SeverityWarning || !strings.Contains(ws[0].Message, "PartlyHighMemory") {
			t.Errorf("want one partly-silenced warning for PartlyHighMemory\n%s", dump(res))
		}
	})

	t.Run("blackhole receiver", func(t *testing.T) {
		res := runGate(t, cfg("nobody"), testEnv("", nil))
		wantStatus(t, res, gates.StatusFail)
		wantErrorRules(t, res, ruleRouteBlackhole, ruleRouteBlackhole, ruleRouteBlackhole)
		if f := findingsOf(res, ruleRouteBlackhole)[0]; !strings.Contains(f.Message, `receiver "blackhole"`) {
			t.Errorf("message %q", f.Message)
		}
	})

	t.Run("route depends on the series' labels", func(t *testing.T) {
		res := runGate(t, cfg("paging"), testEnv("", nil))
		wantStatus(t, res, gates.StatusPass)
		ws := findingsOf(res, ruleRouteUncertain)
		if len(ws) != 3 || !strings.Contains(ws[0].Message, "namespace") || ws[0].Severity != gates.SeverityWarning {
			t.Errorf("want 3 route-uncertain warnings naming namespace\n%s", dump(res))
		}
	})

	t.Run("files and prometheus are checked each", func(t *testing.T) {
		ws := workspace(t, map[string]string{"rules/api.yml": "groups:\n" + serviceRules("api", "cpu", "memory")})
		res := runGate(t, cfg("api", "files: rules/*.yml"), testEnv(ws, nil))
		wantStatus(t, res, gates.StatusFail)
		wantErrorRules(t, res, ruleCategoryMissing)
		if want := `no error-rate alert for {service="api"} in rule files`; res.Summary != want {
			t.Errorf("summary %q, want %q", res.Summary, want)
		}
		if !hasNote(res, "error-rate — Prometheus "+prom.URL+": ApiErrorRate") || !hasNote(res, "cpu — rule files: ApiHighCPU (rules/api.yml:4:5)") {
			t.Errorf("notes\n%s", dump(res))
		}
	})

	t.Run("without alertmanager", func(t *testing.T) {
		res := runGate(t, fmt.Sprintf("prometheus: %s\nselector: {service: nobody}", prom.URL), testEnv("", nil))
		wantStatus(t, res, gates.StatusPass)
	})

	t.Run("one request per source", func(t *testing.T) {
		promProxy, promHits := countingProxy(t, prom.URL)
		amProxy, amHits := countingProxy(t, am.URL)
		res := runGate(t, fmt.Sprintf("prometheus: %s\nalertmanager: %s\nselector: {service: api}", promProxy, amProxy), testEnv("", nil))
		wantStatus(t, res, gates.StatusPass)
		want := map[string]int{"/api/v1/rules": 1, "/api/v1/alertmanagers": 1}
		if got := promHits(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Prometheus requests %v, want %v", got, want)
		}
		want = map[string]int{"/api/v2/silences": 1, "/api/v2/status": 1}
		if got := amHits(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Alertmanager requests %v, want %v", got, want)
		}
	})

	t.Run("tenant and token", func(t *testing.T) {
		token := "tok-" + strings.Repeat("s3cr3t", 4)
		var mu sync.Mutex
		var seen []http.Header
		target, _ := url.Parse(prom.URL)
		proxy := &httputil.ReverseProxy{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, r.Header.Clone())
			mu.Unlock()
			if r.Header.Get("Authorization") != "Bearer "+token {
				http.Error(w, "bad token "+r.Header.Get("Authorization"), http.StatusUnauthorized)
				return
			}
			proxy.ServeHTTP(w, r)
		}))
		defer srv.Close()
		section := fmt.Sprintf("prometheus: %s/prometheus/api/v1/rules\ntenant: team-a\ntoken-env: PROM_TOKEN\nselector: {service: api}", srv.URL)
		// The base URL keeps its path: a proxy under /prometheus strips it.
		proxy.Rewrite = func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path = strings.TrimPrefix(pr.In.URL.Path, "/prometheus")
			pr.Out.URL.RawPath = ""
		}
		res := runGate(t, section, testEnv("", map[string]string{"PROM_TOKEN": token}))
		wantStatus(t, res, gates.StatusPass)
		mu.Lock()
		if len(seen) != 2 || seen[0].Get("X-Scope-OrgID") != "team-a" {
			t.Errorf("requests %d, X-Scope-OrgID %q", len(seen), seen[0].Get("X-Scope-OrgID"))
		}
		mu.Unlock()

		// A wrong token: the server's answer echoes it, the report must not.
		res = runGate(t, section, testEnv("", map[string]string{"PROM_TOKEN": token + "-wrong"}))
		wantStatus(t, res, gates.StatusError)
		if !strings.Contains(res.Err, "401 Unauthorized") || strings.Contains(res.Err, "s3cr3t") || !strings.Contains(res.Err, "token-env") {
			t.Errorf("error %q: want the status, a hint, and no token", res.Err)
		}
	})
}

// countingProxy forwards to target and counts requests per path.
func countingProxy(t *testing.T, target string) (string, func() map[string]int) {
	t.Helper()
	u, _ := url.Parse(target)
	proxy := httputil.NewSingleHostReverseProxy(u)
	var mu sync.Mutex
	hits := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		out := map[string]int{}
		for k, v := range hits {
			out[k] = v
		}
		return out
	}
}

// TestLiveNoActiveAlertmanager: a Prometheus with no Alertmanager sends
// alerts nowhere.
func TestLiveNoActiveAlertmanager(t *testing.T) {
	prom := startPrometheus(t, "groups:\n"+serviceRules("api", "cpu", "memory", "error-rate"), "")
	res := runGate(t, fmt.Sprintf("prometheus: %s\nselector: {service: api}", prom.URL), testEnv("", nil))
	wantStatus(t, res, gates.StatusFail)
	wantErrorRules(t, res, ruleNoAlertmanager)
	if !strings.Contains(res.Summary, "no active Alertmanager") {
		t.Errorf("summary %q", res.Summary)
	}
	res = runGate(t, fmt.Sprintf("prometheus: %s\nselector: {service: api}\nactive-alertmanager: false", prom.URL), testEnv("", nil))
	wantStatus(t, res, gates.StatusPass)
}

// TestLiveServerDown: an unreachable Prometheus or Alertmanager is an error
// naming the URL, never a pass.
func TestLiveServerDown(t *testing.T) {
	down := "http://" + testenv.FreeAddr(t)
	res := runGate(t, "prometheus: "+down, testEnv("", nil))
	wantStatus(t, res, gates.StatusError)
	if !strings.Contains(res.Err, "GET "+down+"/api/v1/rules") || !strings.Contains(res.Err, "unreachable") {
		t.Errorf("error %q", res.Err)
	}

	prom := startPrometheus(t, "groups:\n"+serviceRules("api", "cpu", "memory", "error-rate"), "")
	res = runGate(t, fmt.Sprintf("prometheus: %s\nactive-alertmanager: false\nalertmanager: %s", prom.URL, down), testEnv("", nil))
	wantStatus(t, res, gates.StatusError)
	if !strings.Contains(res.Err, "GET "+down+"/api/v2/silences") || !strings.Contains(res.Err, "Alertmanager is unreachable") {
		t.Errorf("error %q", res.Err)
	}
}
