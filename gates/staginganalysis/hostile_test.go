package staginganalysis

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/gatetest"
	"github.com/release-gate/release-gate/internal/testenv"
)

// Answers no real Prometheus gives, but a proxy, a broken store or a hostile
// server can: each ends error (or fail), never pass. The token the request
// carries appears nowhere, even when the server echoes it, nor does a
// secret the server reveals (an AWS key in an error page or message).
func TestHostileAnswers(t *testing.T) {
	token := "tok-" + testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 24)
	leaked := testenv.AWSKey(t)
	vec := func(values ...string) string {
		var parts []string
		for i, v := range values {
			parts = append(parts, fmt.Sprintf(`{"metric":{"pod":"p%d"},"value":[1700000000,%q]}`, i, v))
		}
		return `{"status":"success","data":{"resultType":"vector","result":[` + strings.Join(parts, ",") + `]}}`
	}
	many := make([]string, 51)
	for i := range many {
		many[i] = "0"
	}
	for _, tc := range []struct {
		name   string
		status int
		ctype  string
		body   string
		want   gates.Status
		wants  []string
	}{
		{"healthy (the control)", 200, "application/json", vec("0.001"), gates.StatusPass, []string{"0.001 → successful"}},
		{"NaN", 200, "application/json", vec("NaN"), gates.StatusError, []string{"is NaN, not a finite number"}},
		{"-Inf", 200, "application/json", vec("-Inf"), gates.StatusError, []string{"is -Inf, not a finite number"}},
		{"not a number", 200, "application/json", vec("0.1; rm"), gates.StatusError, []string{`value "0.1; rm" is not a number`}},
		{"a number where a string belongs", 200, "application/json", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,0.001]}]}}`, gates.StatusError, []string{"a sample's value is not a string"}},
		{"one good series, one NaN", 200, "application/json", vec("0.001", "NaN"), gates.StatusError, []string{"series {pod=\"p1\"}", "NaN"}},
		{"an old sample", 200, "application/json", strings.Replace(vec("0.001"), "[1700000000,", "[1000000000,", 1), gates.StatusError, []string{`series {pod="p0"} has its value at 2001-09-09T01:46:40Z, not at 2023-11-14T22:13:20Z`}},
		{"an old scalar", 200, "application/json", `{"status":"success","data":{"resultType":"scalar","result":[1000000000,"0.001"]}}`, gates.StatusError, []string{"series scalar has its value at 2001-09-09T01:46:40Z"}},
		{"a sample a millisecond early", 200, "application/json", strings.Replace(vec("0.001"), "[1700000000,", "[1699999999.999,", 1), gates.StatusError, []string{"not at 2023-11-14T22:13:20Z, the time the query was evaluated at"}},
		{"one series stamped in the future", 200, "application/json", strings.Replace(vec("0.001", "0.002"), `"p1"},"value":[1700000000,`, `"p1"},"value":[1700000060,`, 1), gates.StatusError, []string{`series {pod="p1"} has its value at 2023-11-14T22:14:20Z`}},
		{"a stamp with the milliseconds written out", 200, "application/json", strings.Replace(vec("0.001"), "[1700000000,", "[1700000000.000,", 1), gates.StatusPass, []string{"0.001 → successful"}},
		{"many series", 200, "application/json", vec(many...), gates.StatusError, []string{"51 series, more than max-series (50)"}},
		{"warnings: a partial answer", 200, "application/json", strings.Replace(vec("0.001"), `"data"`, `"warnings":["store 10.0.0.7:10901 did not answer"],"data"`, 1), gates.StatusError, []string{"1 warning(s), so it may be partial: store 10.0.0.7:10901"}},
		{"wrong type", 200, "application/json", `{"status":"success","data":{"resultType":"string","result":[1700000000,"ok"]}}`, gates.StatusError, []string{"the answer is a string"}},
		{"no data field", 200, "application/json", `{"status":"success"}`, gates.StatusError, []string{"not JSON"}},
		{"a vector that is an object", 200, "application/json", `{"status":"success","data":{"resultType":"vector","result":{"0":1}}}`, gates.StatusError, []string{"not shaped like the Prometheus API's"}},
		{"status error in a 200", 200, "application/json", `{"status":"error","errorType":"timeout","error":"query timed out"}`, gates.StatusError, []string{"Prometheus refused the query: timeout: query timed out"}},
		{"HTML login page", 200, "text/html", "<!DOCTYPE html><html><body>Sign in</body></html>", gates.StatusError, []string{"not JSON", "<!DOCTYPE html>"}},
		{"500 echoing the token", 500, "text/plain", "upstream said: Bearer " + token, gates.StatusError, []string{"500 Internal Server Error", "Bearer ***"}},
		{"401", 401, "application/json", `{"status":"error","errorType":"auth","error":"bad token ` + token + `"}`, gates.StatusError, []string{"401 Unauthorized): auth: bad token ***"}},
		{"500 revealing a key", 500, "text/plain", "config dump: aws_access_key_id = " + leaked, gates.StatusError, []string{"500 Internal Server Error", "config dump: aws_access_key_id = ***"}},
		{"a 400 error revealing a key", 400, "application/json", `{"status":"error","errorType":"bad_data","error":"unknown key ` + leaked + `"}`, gates.StatusError, []string{"bad_data: unknown key ***"}},
		{"status error revealing a key", 200, "application/json", `{"status":"error","errorType":"internal","error":"store key ` + leaked + `"}`, gates.StatusError, []string{"refused the query: internal: store key ***"}},
		{"warning revealing a key", 200, "application/json", strings.Replace(vec("0.001"), `"data"`, `"warnings":["store key `+leaked+` expired"],"data"`, 1), gates.StatusError, []string{"may be partial: store key *** expired"}},
		{"not JSON, revealing a key", 200, "text/plain", "key=" + leaked, gates.StatusError, []string{"not JSON", `key=***`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var auth atomic.Value
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				auth.Store(r.Header.Get("Authorization"))
				w.Header().Set("Content-Type", tc.ctype)
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			clk := &fakeClock{now: time.Unix(1700000000, 0)}
			vars := map[string]string{"PROM_TOKEN": token}
			res := runGate(t, "prometheus: "+srv.URL+"\ntoken-env: PROM_TOKEN\nqueries:\n  - query: up\n    success: not (result > 0.01)\n", clk, vars)
			gatetest.Want(t, res, tc.want, nil, tc.wants...)
			gatetest.WantNot(t, res, token)
			gatetest.WantNot(t, res, leaked)
			if got, _ := auth.Load().(string); got != "Bearer "+token {
				t.Errorf("the request carried Authorization %q", got)
			}
		})
	}
}

// An answer larger than the cap is refused whole, not decoded in part.
func TestHugeAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[`)
		chunk := strings.Repeat(`{"metric":{"pod":"x"},"value":[1700000000,"0"]},`, 1000)
		for written := 0; written < maxAnswer+1<<20; written += len(chunk) {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	clk := &fakeClock{now: time.Unix(1700000000, 0)}
	res := runGate(t, "prometheus: "+srv.URL+"\nqueries:\n  - query: up\n    success: result == 0\n    max-series: 1000000\n", clk, nil)
	gatetest.Want(t, res, gates.StatusError, nil, "larger than 32 MiB")
}

// An error text of megabytes, a warning and a series of thousands of
// labels are shown cut short, their secrets still cut out: the token
// carried anywhere in them, a key gitleaks' rules find near the start.
func TestHugeServerTexts(t *testing.T) {
	token := "tok-" + testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 24)
	leaked := testenv.AWSKey(t)
	long := "store key " + leaked + " " + strings.Repeat("x", 2<<20) + token
	labels := map[string]string{}
	for i := range 20000 {
		labels[fmt.Sprintf("l%05d", i)] = token
	}
	metric, err := json.Marshal(labels)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, body string
		want       gates.Status
		wants      []string
	}{
		{"error", `{"status":"error","errorType":"internal","error":"` + long + `"}`, gates.StatusError, []string{"refused the query: internal: store key *** xxx"}},
		{"warning", `{"status":"success","warnings":["` + long + `"],"data":{"resultType":"vector","result":[]}}`, gates.StatusError, []string{"may be partial: store key *** xxx"}},
		{"labels", `{"status":"success","data":{"resultType":"vector","result":[{"metric":` + string(metric) + `,"value":[1700000000,"0.5"]},{"metric":{},"value":[1700000000,"0"]}]}}`, gates.StatusFail, []string{`l00000="***"`, " more}"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := jsonServer(t, tc.body)
			clk := &fakeClock{now: time.Unix(1700000000, 0)}
			res := runGate(t, "prometheus: "+srv.URL+"\ntoken-env: PROM_TOKEN\nqueries:\n  - query: up\n    success: result < 0.01\n", clk, map[string]string{"PROM_TOKEN": token})
			var rules []string
			if tc.want == gates.StatusFail {
				rules = []string{"analysis-failed"}
			}
			gatetest.Want(t, res, tc.want, rules, tc.wants...)
			gatetest.WantNot(t, res, token, leaked, strings.Repeat("x", 400))
			if text := gatetest.Describe(res); len(text) > 8000 {
				t.Errorf("the result shows %d bytes of the answer:\n%.2000s", len(text), text)
			}
		})
	}
}

// A token longer than the server's texts are clipped to (a JWT or a cloud
// access token): echoed where the gate clips what it shows, not even its
// start is shown.
func TestLongTokenNeverShownInPart(t *testing.T) {
	token := "tok-" + testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 200)
	for name, body := range map[string]string{
		"value":       `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"` + token + `"]}]}}`,
		"label":       `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"` + token + `"},"value":[1700000000,"0.5"]},{"metric":{},"value":[1700000000,"0"]}]}}`,
		"label name":  `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"` + token + `":"a"},"value":[1700000000,"0.5"]},{"metric":{},"value":[1700000000,"0"]}]}}`,
		"status":      `{"status":"` + token + `"}`,
		"result type": `{"status":"success","data":{"resultType":"` + token + `","result":[]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := jsonServer(t, body)
			clk := &fakeClock{now: time.Unix(1700000000, 0)}
			res := runGate(t, "prometheus: "+srv.URL+"\ntoken-env: PROM_TOKEN\nqueries:\n  - query: up\n    success: result < 0.01\n", clk, map[string]string{"PROM_TOKEN": token})
			if res.Status == gates.StatusPass {
				t.Fatalf("want a failure or an error:\n%s", gatetest.Describe(res))
			}
			gatetest.WantNot(t, res, token[:12])
			if !strings.Contains(gatetest.Describe(res), "***") {
				t.Errorf("the token is not shown cut out:\n%s", gatetest.Describe(res))
			}
		})
	}
}

// A key across the end of what of an error text is searched with
// gitleaks' rules, after secrets the rules cut to ***: not even its start
// is shown.
func TestKeyAcrossTheSearchedEnd(t *testing.T) {
	key := testenv.AWSKey(t)
	var text strings.Builder
	text.WriteString(strings.Repeat("x", 29))
	for range 149 {
		text.WriteString(testenv.GitHubToken(t))
	}
	text.WriteString(" " + key + " rejected")
	if at := strings.Index(text.String(), key); at >= 20*300 || at+len(key) <= 20*300 {
		t.Fatalf("the key does not cross the end of the searched part")
	}
	for name, body := range map[string]string{
		"error":   `{"status":"error","errorType":"internal","error":"` + text.String() + `"}`,
		"warning": `{"status":"success","warnings":["` + text.String() + `"],"data":{"resultType":"vector","result":[]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := jsonServer(t, body)
			clk := &fakeClock{now: time.Unix(1700000000, 0)}
			res := runGate(t, "prometheus: "+srv.URL+"\nqueries:\n  - query: up\n    success: result < 0.01\n", clk, nil)
			gatetest.Want(t, res, gates.StatusError, nil, strings.Repeat("x", 29)+"***")
			gatetest.WantNot(t, res, key[:5])
		})
	}
}

// A server that fails once in three evaluations: the analysis cannot
// decide; it does not pass on the two answers it got.
func TestFlakyServer(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 2 {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"0.001"]}}`)
	}))
	defer srv.Close()
	clk := &fakeClock{now: time.Unix(1700000000, 0)}
	res := runGate(t, "prometheus: "+srv.URL+"\nqueries:\n  - query: up\n    success: result < 0.01\n    count: 3\n    interval: 1m\n", clk, nil)
	gatetest.Want(t, res, gates.StatusError, nil, "503 Service Unavailable: overloaded", "#1 2023-11-14T22:13:20Z: 0.001 → successful")
}

// A redirect to another origin is followed without the token; one from
// HTTPS to plain HTTP is refused.
func TestRedirects(t *testing.T) {
	token := "tok-" + testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 24)
	var mu sync.Mutex
	var seen []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		io.WriteString(w, `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"0.001"]}}`)
	}))
	defer other.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusFound)
	}))
	defer redirector.Close()
	clk := &fakeClock{now: time.Unix(1700000000, 0)}
	vars := map[string]string{"PROM_TOKEN": token}
	body := "token-env: PROM_TOKEN\nqueries:\n  - query: up\n    success: result < 0.01\n"
	res := runGate(t, "prometheus: "+redirector.URL+"\n"+body, clk, vars)
	gatetest.Want(t, res, gates.StatusPass, nil)
	if len(seen) != 1 || seen[0] != "" {
		t.Errorf("the other origin got Authorization %q", seen)
	}

	tlsRedirector := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusFound)
	}))
	defer tlsRedirector.Close()
	env := envAt(clk, vars)
	env.HTTPClient = tlsRedirector.Client()
	res = gatetest.Run(t, gateFor(t, "prometheus: "+tlsRedirector.URL+"\n"+body, clk, vars), env)
	gatetest.Want(t, res, gates.StatusError, nil, "refused to follow the redirect", "leaves HTTPS for plain HTTP")
	gatetest.WantNot(t, res, token)
	if len(seen) != 1 {
		t.Errorf("the plain-HTTP server got %d requests", len(seen))
	}
}

// An Alertmanager that answers something else cannot vouch for staging.
func TestHostileAlertmanager(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"HTML", "<html>login</html>", "not JSON"},
		{"an object", `{"alerts":[]}`, "not shaped like the Alertmanager API's"},
		{"alerts without status", `[{"labels":{"alertname":"X","service":"api"}}]`, "no labels or status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, tc.body) }))
			defer srv.Close()
			clk := &fakeClock{now: time.Unix(1700000000, 0)}
			res := runGate(t, "alertmanager: "+srv.URL+"\nno-firing-alerts: {selector: {service: api}}\n", clk, nil)
			gatetest.Want(t, res, gates.StatusError, nil, tc.want)
		})
	}
}

// A firing alert whose labels reveal a secret is reported without it.
func TestFiringAlertRevealingASecret(t *testing.T) {
	leaked := testenv.AWSKey(t)
	body := `[{"labels":{"alertname":"KeyRotationFailed","service":"api","detail":"aws_access_key_id=` + leaked + `"},"status":{"state":"active"}}]`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
	defer srv.Close()
	clk := &fakeClock{now: time.Unix(1700000000, 0)}
	res := runGate(t, "alertmanager: "+srv.URL+"\nno-firing-alerts: {selector: {service: api}}\n", clk, nil)
	gatetest.Want(t, res, gates.StatusFail, []string{"alert-firing"}, "alert KeyRotationFailed is firing", "aws_access_key_id=***")
	gatetest.WantNot(t, res, leaked)

	// Across where the label's value or the alert's name is cut short.
	pad := strings.Repeat("x", 85)
	for name, labels := range map[string]string{
		"label": `"alertname":"KeyRotationFailed","detail":"` + pad + ` ` + leaked + `"`,
		"name":  `"alertname":"` + pad + ` ` + leaked + `"`,
	} {
		t.Run(name, func(t *testing.T) {
			body := `[{"labels":{"service":"api",` + labels + `},"status":{"state":"active"}}]`
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
			defer srv.Close()
			res := runGate(t, "alertmanager: "+srv.URL+"\nno-firing-alerts: {selector: {service: api}}\n", clk, nil)
			gatetest.Want(t, res, gates.StatusFail, []string{"alert-firing"}, pad+" ***")
			gatetest.WantNot(t, res, leaked[:8])
		})
	}
}

// A window whose answer has two series labelled alike (they differed only
// in __name__): both are judged, the failing one is not overwritten by the
// healthy one. A point off the window's steps is refused.
func TestHostileWindow(t *testing.T) {
	pts := func(v string) string {
		return fmt.Sprintf(`[[1699999880,%q],[1699999940,%q],[1700000000,%q]]`, v, v, v)
	}
	for _, tc := range []struct {
		name, result string
		want         gates.Status
		wants        []string
	}{
		{"alike labels", `[{"metric":{"__name__":"a","pod":"x"},"values":` + pts("0.9") + `},{"metric":{"__name__":"b","pod":"x"},"values":` + pts("0.001") + `}]`,
			gates.StatusFail, []string{"3 of 3 evaluations failed", `series {pod="x"} was 0.9`}},
		{"off the steps", `[{"metric":{},"values":[[1699999881,"0.001"]]}]`, gates.StatusError, []string{"not a step of the window"}},
		{"a gap", `[{"metric":{},"values":[[1699999880,"0.001"],[1700000000,"0.001"]]}]`, gates.StatusError, []string{"no data at 2023-11-14T22:12:20Z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"status":"success","data":{"resultType":"matrix","result":`+tc.result+`}}`)
			}))
			defer srv.Close()
			clk := &fakeClock{now: time.Unix(1700000000, 0)}
			res := runGate(t, "prometheus: "+srv.URL+"\nqueries:\n  - query: up\n    success: result < 0.01\n    window: 2m\n", clk, nil)
			gatetest.Want(t, res, tc.want, nilIfPass(tc.want), tc.wants...)
		})
	}
}

func nilIfPass(s gates.Status) []string {
	if s == gates.StatusFail {
		return []string{ruleAnalysisFailed}
	}
	return nil
}

// A condition that fails when it runs (an index out of range, a memory
// budget) cannot decide.
func TestConditionRuntimeError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"2"]}}`)
	}))
	defer srv.Close()
	clk := &fakeClock{now: time.Unix(1700000000, 0)}
	for cond, want := range map[string]string{
		"[1, 2][5] < result":                     "index out of range: 5 (array length is 2)",
		"(1..100000000000) == nil || result > 0": "memory budget exceeded",
	} {
		res := runGate(t, "prometheus: "+srv.URL+"\nqueries:\n  - query: up\n    success: '"+cond+"'\n", clk, nil)
		gatetest.Want(t, res, gates.StatusError, nil, "evaluating the condition on series", want)
	}
}

// Queries run at once, but no more than maxQueriesAtOnce answers are read
// and decoded at once: each may be 32 MB, and costs several times that
// to decode.
func TestAnswersHeldAtOnceBounded(t *testing.T) {
	var inFlight, most atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(20 * time.Millisecond) // so that the requests overlap
		io.WriteString(w, `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"0.001"]}}`)
	}))
	defer srv.Close()
	var cfg strings.Builder
	cfg.WriteString("prometheus: " + srv.URL + "\nqueries:\n")
	for i := range 3 * maxQueriesAtOnce {
		fmt.Fprintf(&cfg, "  - query: up%d\n    success: result < 0.01\n", i)
	}
	res := runGate(t, cfg.String(), &fakeClock{now: time.Unix(1700000000, 0)}, nil)
	gatetest.Want(t, res, gates.StatusPass, nil)
	if m := most.Load(); m > maxQueriesAtOnce {
		t.Errorf("%d queries answered at once, want at most %d", m, maxQueriesAtOnce)
	}
}

// Of an alert's labels, only those shown are searched for secrets: an
// answer may carry hundreds of thousands, and each search of a long one
// costs up to a third of a millisecond.
func TestOnlyShownLabelsSearched(t *testing.T) {
	labels := map[string]string{}
	for i := range 10000 {
		labels[fmt.Sprintf("l%05d", i)] = strings.Repeat("v", 150)
	}
	searched := 0
	out := formatLabels(labels, nil, func(s string, n int) string { searched++; return s })
	shown := strings.Count(out, `="`)
	if searched != 2*shown || shown > 20 || !strings.HasSuffix(out, fmt.Sprintf("… %d more}", 10000-shown)) {
		t.Errorf("%d labels shown, %d names and values searched: %.200s", shown, searched, out)
	}
}

// An instant query is evaluated at a whole second, which every server
// reads exactly and stamps its answer with, whatever the clock's
// fraction of a second.
func TestInstantQueryAtAWholeSecond(t *testing.T) {
	var asked atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Store(r.FormValue("time"))
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[%s,"0.001"]}]}}`, r.FormValue("time"))
	}))
	defer srv.Close()
	clk := &fakeClock{now: time.Unix(1700000000, 987654321)}
	res := runGate(t, "prometheus: "+srv.URL+"\nqueries:\n  - query: up\n    success: result < 0.01\n", clk, nil)
	gatetest.Want(t, res, gates.StatusPass, nil)
	if got, _ := asked.Load().(string); got != "1700000000.000" {
		t.Errorf("evaluated at %q, want 1700000000.000", got)
	}
}

// jsonServer answers every request with body, as JSON.
func jsonServer(t *testing.T, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}
