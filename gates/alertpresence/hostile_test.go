package alertpresence

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/testenv"
)

// recorder is a server on another origin that records the credentials
// reaching it and answers as an empty Prometheus or Alertmanager would.
type recorder struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []string
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	rec := &recorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.seen = append(rec.seen, fmt.Sprintf("%s Authorization=%q X-Scope-OrgID=%q Cookie=%q Referer=%q",
			r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("X-Scope-OrgID"), r.Header.Get("Cookie"), r.Header.Get("Referer")))
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/rules":
			fmt.Fprint(w, emptyRules)
		case "/api/v2/silences":
			fmt.Fprint(w, `[]`)
		case "/api/v2/status":
			fmt.Fprint(w, `{"config":{"original":"route:\n  receiver: a\nreceivers:\n  - name: a\n    webhook_configs: [{url: 'http://x'}]\n"}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *recorder) requests() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.seen...)
}

// redirecting answers every request with a redirect to the same path at
// target, as a proxy moving the API elsewhere would.
func redirecting(t *testing.T, target string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+r.URL.RequestURI(), http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// The bearer token, the tenant and user:password in the URL never follow
// a redirect to another origin (here another port on the same host, where
// Go's client alone keeps Authorization, and keeps X-Scope-OrgID anywhere).
func TestRedirectKeepsCredentialsHome(t *testing.T) {
	tok := "tok-" + testenv.Random(t, "abcdefghijklmnopqrstuvwxyz", 20)
	pw := "pw-" + testenv.Random(t, "abcdefghijklmnopqrstuvwxyz", 12)
	ws := workspace(t, map[string]string{"r.yml": apiRulesFile})
	for _, tc := range []struct {
		name, section string
	}{
		{"prometheus token and tenant", "prometheus: %s\ntoken-env: TOKEN\ntenant: team-a\nactive-alertmanager: false"},
		{"prometheus user:password", "prometheus: %s\nactive-alertmanager: false"},
		{"alertmanager token", "files: r.yml\nrequire: cpu\nalertmanager: %s\ntoken-env: TOKEN\ntenant: team-a"},
		{"alertmanager user:password", "files: r.yml\nrequire: cpu\nalertmanager: %s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(t)
			front := redirecting(t, rec.srv.URL)
			if strings.HasSuffix(tc.name, "user:password") {
				front = strings.Replace(front, "http://", "http://grafana:"+pw+"@", 1)
			}
			res := runGate(t, fmt.Sprintf(tc.section, front), testEnv(ws, map[string]string{"TOKEN": tok}))
			seen := rec.requests()
			if len(seen) == 0 {
				t.Fatalf("the redirect was not followed:\n%s", dump(res))
			}
			for _, s := range seen {
				if strings.Contains(s, "Authorization=\"B") || strings.Contains(s, "team-a") || strings.Contains(s, "Referer=\"h") {
					t.Errorf("a credential reached another origin: %s", s)
				}
			}
			if strings.Contains(dump(res), tok) || strings.Contains(dump(res), pw) {
				t.Errorf("a secret reached the result:\n%s", dump(res))
			}
		})
	}
}

// A redirect from HTTPS to plain HTTP is refused: the answer could be
// forged on the way.
func TestRedirectDowngradeRefused(t *testing.T) {
	rec := newRecorder(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, rec.srv.URL+r.URL.Path, http.StatusMovedPermanently)
	}))
	defer srv.Close()
	env := testEnv("", map[string]string{"TOKEN": "tok-" + strings.Repeat("t", 12)})
	env.HTTPClient = srv.Client()
	res := runGate(t, "prometheus: "+srv.URL+"\ntoken-env: TOKEN\nactive-alertmanager: false", env)
	wantStatus(t, res, gates.StatusError)
	testenv.MustContain(t, "error", res.Err, "refused to follow the redirect from "+srv.URL+"/api/v1/rules to "+rec.srv.URL+"/api/v1/rules", "plain HTTP")
	if n := len(rec.requests()); n != 0 {
		t.Errorf("the plain-HTTP server got %d requests", n)
	}
}

// A rule evaluated in the future is not "0s ago": the server's clock (or
// its answer) is wrong, and nothing is proved about the rule.
func TestEvaluationInTheFuture(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	rules := func(ruleEval, groupEval string) string {
		return fmt.Sprintf(`{"status":"success","data":{"groups":[{"name":"g","file":"r.yml","interval":60,"lastEvaluation":%q,"rules":[
			{"type":"alerting","name":"HighCPU","query":"rate(node_cpu_seconds_total[5m]) > 1","health":"ok","lastEvaluation":%q}]}]}}`,
			groupEval, ruleEval)
	}
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339Nano) }
	for _, tc := range []struct {
		name string
		body string
		want string // in the error; "" for a pass
	}{
		{"within the skew", rules(at(4*time.Minute), at(4*time.Minute)), ""},
		{"rule ahead", rules(at(time.Hour), at(-time.Minute)), "was last evaluated at 2026-05-01T13:00:00Z, 1h0m0s after this machine's clock (2026-05-01T12:00:00Z)"},
		{"group ahead, rule silent", rules("0001-01-01T00:00:00Z", at(10*time.Minute)), "was last evaluated at 2026-05-01T12:10:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := fakeServer(t, map[string]http.HandlerFunc{"/api/v1/rules": answer(200, "application/json", tc.body)})
			env := testEnv("", nil)
			env.Now = func() time.Time { return now }
			res := runGate(t, "prometheus: "+url+"\nactive-alertmanager: false\nrequire: cpu", env)
			if tc.want == "" {
				wantStatus(t, res, gates.StatusPass)
				return
			}
			wantStatus(t, res, gates.StatusError)
			testenv.MustContain(t, "error", res.Err, "HighCPU (group g) in Prometheus "+url, tc.want, "check the clocks")
		})
	}
}

// A server that sends its answer one byte at a time ends with the gate's
// deadline; the gate returns by itself, without being abandoned.
func TestSlowAnswer(t *testing.T) {
	for _, path := range []string{"/api/v1/rules", "/api/v2/silences"} {
		t.Run(path, func(t *testing.T) {
			slow := func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusOK)
				for i := 0; i < 600; i++ {
					if _, err := w.Write([]byte(" ")); err != nil {
						return
					}
					w.(http.Flusher).Flush()
					select {
					case <-r.Context().Done():
						return
					case <-time.After(time.Second):
					}
				}
			}
			url := fakeServer(t, map[string]http.HandlerFunc{path: slow})
			section := "prometheus: " + url
			ws := ""
			if path == "/api/v2/silences" {
				ws = workspace(t, map[string]string{"r.yml": apiRulesFile})
				section = "files: r.yml\nrequire: cpu\nalertmanager: " + url
			}
			g := newGate(t, section)
			env := testEnv(ws, nil)
			env.HTTPClient = &http.Client{} // only the context bounds it
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			done := make(chan error, 1)
			go func() { _, err := g.Run(ctx, &env); done <- err }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "context deadline exceeded") {
					t.Errorf("want the deadline, got %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the gate ignored its deadline")
			}
		})
	}
}

// A rules API or Alertmanager that echoes the credentials it was sent
// (token-env, the URL's password) where the quoted start of its answer is
// cut shows none of them.
func TestAnswersEchoingCredentials(t *testing.T) {
	tok := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 40)
	pw := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 40)
	for name, c := range map[string]struct {
		status int
		body   string
	}{
		"401, token at the cut":      {http.StatusUnauthorized, strings.Repeat("x", 190) + " " + tok},
		"401, password at the cut":   {http.StatusUnauthorized, strings.Repeat("x", 190) + " " + pw},
		"not JSON, token at the cut": {http.StatusOK, strings.Repeat("x", 190) + " " + tok},
		"401, token escaped":         {http.StatusUnauthorized, `{"error": "` + tok[:20] + `\\` + tok[20:] + `"}`},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(c.status)
				fmt.Fprint(w, c.body)
			}))
			defer srv.Close()
			secret := tok
			if strings.Contains(name, "escaped") {
				secret = tok[:20] + `\` + tok[20:]
			}
			u := strings.Replace(srv.URL, "http://", "http://rg:"+pw+"@", 1)
			res := runGate(t, "prometheus: "+u+"\ntoken-env: PROM_TOKEN\n", testEnv("", map[string]string{"PROM_TOKEN": secret}))
			wantStatus(t, res, gates.StatusError)
			all := dump(res)
			for _, part := range []string{tok[:6], tok[34:], pw[:6], pw[34:]} {
				if strings.Contains(all, part) {
					t.Errorf("part of a credential (%s) is shown:\n%s", part, all)
				}
			}
		})
	}
}

// The Alertmanager's configuration is parsed as YAML, which costs tens of
// times its size in memory: an answer far larger than any configuration
// is an error, not a parse that may exhaust the machine.
func TestAlertmanagerAnswersBounded(t *testing.T) {
	config := "route: {receiver: a}\nreceivers:\n- name: a\n  webhook_configs: [{url: 'http://x'}]\n#" + strings.Repeat(" padding", 3<<20) + "\n"
	status, _ := json.Marshal(map[string]any{"config": map[string]any{"original": config}})
	silences := "[" + strings.Repeat(`{"id":"x","status":{"state":"expired"},"matchers":[{"name":"a","value":"b","isRegex":false}],"endsAt":"2000-01-01T00:00:00Z"},`, 800_000) + `{"id":"y","status":{"state":"expired"},"matchers":[]}]`
	for name, answers := range map[string]map[string]string{
		"status":   {"/api/v2/status": string(status), "/api/v2/silences": "[]"},
		"silences": {"/api/v2/status": `{"config":{"original":"route: {receiver: a}\nreceivers: [{name: a, webhook_configs: [{url: 'http://x'}]}]\n"}}`, "/api/v2/silences": silences},
	} {
		t.Run(name, func(t *testing.T) {
			am := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, answers[r.URL.Path])
			}))
			defer am.Close()
			ws := workspace(t, map[string]string{"r.yml": apiRulesFile})
			res := runGate(t, "files: r.yml\nrequire: [cpu]\nalertmanager: "+am.URL, testEnv(ws, nil))
			wantStatus(t, res, gates.StatusError)
			testenv.MustContain(t, "error", res.Err, "the answer is larger than")
		})
	}
}
