package alertpresence

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/testenv"
)

// fakeServer answers each path with its handler and 404 otherwise. Fakes
// stand in for faults real servers cannot be made to produce.
func fakeServer(t *testing.T, routes map[string]http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := routes[r.URL.Path]; ok {
			h(w, r)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func answer(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
}

const emptyRules = `{"status":"success","data":{"groups":[]}}`

func TestPrometheusFaults(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    []string
	}{
		{"401", answer(401, "text/plain", "no credentials\n"), []string{"/api/v1/rules: 401 Unauthorized: no credentials", "check token-env"}},
		{"403", answer(403, "text/plain", "tenant denied"), []string{"403 Forbidden: tenant denied", "check token-env, tenant"}},
		{"404", answer(404, "text/plain", "404 page not found"), []string{"404 Not Found", "for Mimir or Cortex add /prometheus"}},
		{"429", answer(429, "text/plain", "slow down"), []string{"429 Too Many Requests: slow down"}},
		{"500", answer(500, "application/json", `{"status":"error","error":"boom"}`), []string{`500 Internal Server Error: {"status":"error","error":"boom"}`}},
		{"503", answer(503, "text/html", "<html>\n<body>maintenance</body>"), []string{"503 Service Unavailable: <html>"}},
		{"html", answer(200, "text/html", "<!DOCTYPE html><title>Login</title>"), []string{"the answer is not JSON", "is this the Prometheus API?", `Content-Type "text/html"`, `starts with "<!DOCTYPE html><title>Login</title>"`}},
		{"status error", answer(200, "application/json", `{"status":"error","errorType":"bad_data","error":"invalid parameter"}`), []string{`Prometheus answered status "error" (bad_data): invalid parameter`}},
		{"no status", answer(200, "application/json", `{"groups":[]}`), []string{"the answer has no status"}},
		{"no groups", answer(200, "application/json", `{"status":"success","data":{}}`), []string{"the answer has no data.groups"}},
		{"null data", answer(200, "application/json", `{"status":"success","data":null}`), []string{"the answer has no data.groups"}},
		{"no data", answer(200, "application/json", `{"status":"success"}`), []string{"the answer has no data.groups"}},
		{"null groups", answer(200, "application/json", `{"status":"success","data":{"groups":null}}`), []string{"the answer has no data.groups"}},
		{"bad groups", answer(200, "application/json", `{"status":"success","data":{"groups":{}}}`), []string{"the answer is not shaped like the Prometheus API's", "(data.groups is a JSON object)"}},
		{"truncated", answer(200, "application/json", `{"status":"success","data":{"gro`), []string{"is not JSON"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := fakeServer(t, map[string]http.HandlerFunc{"/api/v1/rules": tc.handler})
			res := runGate(t, "prometheus: "+url, testEnv("", nil))
			wantStatus(t, res, gates.StatusError)
			if !strings.HasPrefix(res.Err, "GET "+url+"/api/v1/rules: ") {
				t.Errorf("error %q does not name the URL", res.Err)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.Err, w) {
					t.Errorf("error %q lacks %q", res.Err, w)
				}
			}
		})
	}
}

// TestPartialAnswer: a partial answer (Thanos with a ruler down) is shown;
// the rules it lacks are simply missing, which can only fail the gate.
func TestPartialAnswer(t *testing.T) {
	url := fakeServer(t, map[string]http.HandlerFunc{
		"/api/v1/rules": answer(200, "application/json", `{"status":"success","data":{"groups":[]},"warnings":["store ruler-1 unavailable"]}`),
	})
	res := runGate(t, "prometheus: "+url+"\nactive-alertmanager: false", testEnv("", nil))
	wantStatus(t, res, gates.StatusFail)
	if !hasNote(res, "warned: store ruler-1 unavailable") {
		t.Errorf("notes\n%s", dump(res))
	}
}

func TestAlertmanagersEndpointFaults(t *testing.T) {
	for name, tc := range map[string]struct {
		handler http.HandlerFunc
		want    string
	}{
		"404":     {answer(404, "text/plain", "404 page not found"), "404 Not Found: 404 page not found; if this server does not report its Alertmanagers (Thanos Query, Mimir, Cortex, vmalert), set active-alertmanager: false"},
		"no data": {answer(200, "application/json", `{"status":"success","data":{}}`), "the answer has no data.activeAlertmanagers"},
		"500":     {answer(500, "text/plain", "oops"), "/api/v1/alertmanagers: 500 Internal Server Error: oops"},
	} {
		t.Run(name, func(t *testing.T) {
			url := fakeServer(t, map[string]http.HandlerFunc{
				"/api/v1/rules":         answer(200, "application/json", emptyRules),
				"/api/v1/alertmanagers": tc.handler,
			})
			res := runGate(t, "prometheus: "+url, testEnv("", nil))
			wantStatus(t, res, gates.StatusError)
			if !strings.Contains(res.Err, tc.want) {
				t.Errorf("error %q lacks %q", res.Err, tc.want)
			}
			if name == "500" && strings.Contains(res.Err, "active-alertmanager") {
				t.Errorf("a server error is not a missing endpoint: %q", res.Err)
			}
		})
	}
}

func TestAlertmanagerFaults(t *testing.T) {
	ws := workspace(t, map[string]string{"r.yml": apiRulesFile})
	okSilences := answer(200, "application/json", `[]`)
	okStatus := answer(200, "application/json", `{"config":{"original":"route:\n  receiver: a\nreceivers:\n  - name: a\n    webhook_configs: [{url: 'http://x'}]\n"}}`)
	for name, tc := range map[string]struct {
		silences, status http.HandlerFunc
		want             string
	}{
		"silences 500":     {answer(500, "text/plain", "broken"), okStatus, "/api/v2/silences: 500 Internal Server Error: broken"},
		"silences html":    {answer(200, "text/html", "<html>"), okStatus, "the answer is not JSON (Content-Type \"text/html\"; starts with \"<html>\")"},
		"silences 404":     {answer(404, "text/plain", "not found"), okStatus, "for Mimir add /alertmanager"},
		"status 401":       {okSilences, answer(401, "text/plain", "who are you"), "/api/v2/status: 401 Unauthorized: who are you"},
		"no config":        {okSilences, answer(200, "application/json", `{"uptime":"x"}`), "the answer has no config.original"},
		"bad yaml":         {okSilences, answer(200, "application/json", `{"config":{"original":"route: [\n"}}`), "reading the configuration from GET"},
		"no route":         {okSilences, answer(200, "application/json", `{"config":{"original":"receivers: []\n"}}`), "no routes provided"},
		"bad matcher":      {okSilences, answer(200, "application/json", `{"config":{"original":"route:\n  receiver: a\n  routes:\n    - matchers: ['team']\n"}}`), `bad matcher format: team`},
		"bad regex":        {okSilences, answer(200, "application/json", `{"config":{"original":"route:\n  receiver: a\n  routes:\n    - match_re: {team: '(a'}\n"}}`), "error parsing regexp: missing closing )"},
		"no root receiver": {okSilences, answer(200, "application/json", `{"config":{"original":"route:\n  group_by: [a]\n"}}`), "root route must specify a default receiver"},
	} {
		t.Run(name, func(t *testing.T) {
			url := fakeServer(t, map[string]http.HandlerFunc{"/api/v2/silences": tc.silences, "/api/v2/status": tc.status})
			res := runGate(t, "files: r.yml\nrequire: cpu\nalertmanager: "+url, testEnv(ws, nil))
			wantStatus(t, res, gates.StatusError)
			if !strings.Contains(res.Err, tc.want) {
				t.Errorf("error %q lacks %q", res.Err, tc.want)
			}
		})
	}
}

// TestHang: a server that never answers is cut off by the gate's timeout
// and reported as an error.
func TestHang(t *testing.T) {
	release := make(chan struct{})
	url := fakeServer(t, map[string]http.HandlerFunc{"/api/v1/rules": func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}})
	defer close(release)
	g := newGate(t, "prometheus: "+url)
	env := testEnv("", nil)
	env.HTTPClient = &http.Client{} // no client timeout: only the context stops it
	res := (&gates.Runner{}).Run(context.Background(), env, []gates.Job{{Gate: g, Timeout: 300 * time.Millisecond}})[0]
	wantStatus(t, res, gates.StatusError)
	if !strings.Contains(res.Err, "timed out") {
		t.Errorf("error %q", res.Err)
	}

	// Called directly, the gate returns the context's error itself.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	e := env
	_, err := g.Run(ctx, &e)
	if err == nil || !strings.Contains(err.Error(), "GET "+url+"/api/v1/rules: context deadline exceeded") {
		t.Errorf("error %v", err)
	}
}

func TestCredentials(t *testing.T) {
	var auth []string
	url := fakeServer(t, map[string]http.HandlerFunc{"/api/v1/rules": func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		http.Error(w, "denied for "+r.Header.Get("Authorization"), http.StatusForbidden)
	}})

	res := runGate(t, "prometheus: "+url+"\ntoken-env: PROM_TOKEN", testEnv("", nil))
	wantStatus(t, res, gates.StatusError)
	if !strings.Contains(res.Err, "token-env: the environment variable PROM_TOKEN is not set or empty") || len(auth) != 0 {
		t.Errorf("error %q after %d requests: an unset token fails before any request", res.Err, len(auth))
	}

	// user:password in the URL: sent as basic auth, masked everywhere.
	pw := "pw-" + strings.Repeat("x9", 6)
	u := strings.Replace(url, "http://", "http://grafana:"+pw+"@", 1)
	res = runGate(t, "prometheus: "+u, testEnv("", nil))
	wantStatus(t, res, gates.StatusError)
	if strings.Contains(dump(res), pw) || len(auth) != 1 || !strings.HasPrefix(auth[0], "Basic ") {
		t.Errorf("password leaked or not sent (auth %q):\n%s", auth, dump(res))
	}
}

// TestEvaluationAge: by default a rule may go three group intervals (at
// least 5m) without evaluation; a rule never evaluated fails. Prometheus
// cannot be made to report these quickly, so a fake serves them.
func TestEvaluationAge(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	rules := func(interval int, health string, lastEval time.Time) string {
		return fmt.Sprintf(`{"status":"success","data":{"groups":[{"name":"g","file":"r.yml","interval":%d,"rules":[
			{"type":"alerting","name":"HighCPU","query":"rate(node_cpu_seconds_total[5m]) > 1","health":%q,"lastEvaluation":%q}]}]}}`,
			interval, health, lastEval.Format(time.RFC3339Nano))
	}
	tests := []struct {
		name     string
		body     string
		want     string // the finding's message part, "" for a pass
		settings string
	}{
		{"recent", rules(60, "ok", now.Add(-4*time.Minute)), "", ""},
		{"older than 5m", rules(60, "ok", now.Add(-6*time.Minute)), "was last evaluated 6m0s ago (at 2026-05-01T11:54:00Z), more than 5m0s", ""},
		{"slow group: 3 intervals", rules(600, "ok", now.Add(-29*time.Minute)), "", ""},
		{"slow group, stuck", rules(600, "ok", now.Add(-31*time.Minute)), "more than 30m0s", ""},
		{"max-eval-age", rules(600, "ok", now.Add(-2*time.Minute)), "more than 1m0s", "max-eval-age: 1m"},
		{"never evaluated", rules(60, "unknown", time.Time{}), "has not been evaluated yet (health unknown)", ""},
		{"ok, never evaluated", rules(60, "ok", time.Time{}), "has not been evaluated yet (health ok)", ""},
		{"no health", rules(60, "", now), "has not been evaluated yet (health not reported)", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := fakeServer(t, map[string]http.HandlerFunc{"/api/v1/rules": answer(200, "application/json", tc.body)})
			env := testEnv("", nil)
			env.Now = func() time.Time { return now }
			res := runGate(t, "prometheus: "+url+"\nactive-alertmanager: false\nrequire: cpu\n"+tc.settings, env)
			if tc.want == "" {
				wantStatus(t, res, gates.StatusPass)
				return
			}
			wantErrorRules(t, res, ruleNotEvaluated)
			if f := findingsOf(res, ruleNotEvaluated); len(f) == 1 && !strings.Contains(f[0].Message, tc.want) {
				t.Errorf("message %q lacks %q", f[0].Message, tc.want)
			}
		})
	}
}

// A server's answer is quoted in errors only with secrets cut out, even
// where the quote is cut short.
func TestAnswerSecretsHidden(t *testing.T) {
	key := testenv.AWSKey(t)
	pad := strings.Repeat("x", 170)
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"error page", answer(502, "text/plain", "upstream config: aws_access_key_id="+key+"\n")},
		{"cut short", answer(502, "text/plain", pad+" aws_access_key_id="+key+"\n")},
		{"not JSON", answer(200, "text/plain", "debug: aws_access_key_id="+key+"\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := fakeServer(t, map[string]http.HandlerFunc{"/api/v1/rules": tc.handler})
			res := runGate(t, "prometheus: "+url, testEnv("", nil))
			wantStatus(t, res, gates.StatusError)
			if strings.Contains(dump(res), key[:8]) {
				t.Errorf("the secret reached the result: %s", dump(res))
			}
		})
	}
}
