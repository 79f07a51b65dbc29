package alertpresence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
)

// holdTimeout is how long a test server holds a request for the others:
// far longer than any run needs, it only turns a gate that sends its
// requests one after another into a failure rather than a hang.
const holdTimeout = 20 * time.Second

// barrier holds each request on its paths until every path has a request
// in flight, proving that they are sent together: a gate that waits for
// one answer before the next request never gets past it.
type barrier struct {
	mu      sync.Mutex
	want    []string
	arrived map[string]int
	all     chan struct{}
}

func newBarrier(paths ...string) *barrier {
	return &barrier{want: paths, arrived: map[string]int{}, all: make(chan struct{})}
}

// hold counts the request in and waits for the others. It returns false,
// having answered 504, when they did not all arrive in time.
func (b *barrier) hold(w http.ResponseWriter, r *http.Request) bool {
	b.mu.Lock()
	b.arrived[r.URL.Path]++
	if len(b.arrived) == len(b.want) {
		select {
		case <-b.all:
		default:
			close(b.all)
		}
	}
	b.mu.Unlock()
	select {
	case <-b.all:
		return true
	case <-r.Context().Done():
		return false
	case <-time.After(holdTimeout):
		http.Error(w, "not every independent request was in flight at once: "+strings.Join(b.missing(), ", ")+" never came", http.StatusGatewayTimeout)
		return false
	}
}

func (b *barrier) missing() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, p := range b.want {
		if b.arrived[p] == 0 {
			out = append(out, p)
		}
	}
	return out
}

// okAlertmanagerConfig routes everything to a receiver that notifies, and
// has an inhibit rule, so that the gate also asks for the firing alerts.
const okAlertmanagerConfig = "route:\n  receiver: pager\nreceivers:\n  - name: pager\n    webhook_configs: [{url: 'http://pager.invalid'}]\n" +
	"inhibit_rules:\n  - source_matchers: [alertname=\"NodeDown\"]\n    target_matchers: [severity=\"ticket\"]\n    equal: [instance]\n"

// fanServers starts a rules API and an Alertmanager whose paths answer
// through the handlers, and returns the gate's section for them: the
// service svc-0 of benchRules, which covers every category.
func fanServers(t *testing.T, handlers map[string]http.HandlerFunc) (section, promURL, amURL string) {
	t.Helper()
	// serve answers the handlers' paths under prefix.
	serve := func(prefix string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if h, ok := handlers[r.URL.Path]; ok && strings.HasPrefix(r.URL.Path, prefix) {
				h(w, r)
				return
			}
			http.NotFound(w, r)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	prom, am := serve("/api/v1/"), serve("/api/v2/")
	return fmt.Sprintf("prometheus: %s\nalertmanager: %s\nselector: {service: svc-0}", prom.URL, am.URL), prom.URL, am.URL
}

// okAnswers are the answers of a healthy setup, per path.
func okAnswers() map[string]string {
	return map[string]string{
		"/api/v1/rules":         string(rulesJSON(benchRules(100))),
		"/api/v1/alertmanagers": `{"status":"success","data":{"activeAlertmanagers":[{"url":"http://am:9093/api/v2/alerts"}],"droppedAlertmanagers":[]}}`,
		"/api/v2/silences":      `[]`,
		"/api/v2/status":        mustJSON(map[string]any{"config": map[string]any{"original": okAlertmanagerConfig}}),
		"/api/v2/alerts":        `[{"labels":{"alertname":"NodeDown","instance":"db-1"},"status":{"state":"active","silencedBy":[],"inhibitedBy":[]}}]`,
	}
}

func writeJSON(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, body)
}

// TestIndependentRequestsInFlightTogether: the rules, Alertmanagers,
// silences and status requests are all in flight before any is answered,
// and the alerts request, which needs the status's inhibit rules, follows
// the status's answer. A gate that waits for one answer before sending the
// next request fails here (the first request is held until the others
// come, and answered 504 when they do not).
func TestIndependentRequestsInFlightTogether(t *testing.T) {
	independent := []string{"/api/v1/rules", "/api/v1/alertmanagers", "/api/v2/silences", "/api/v2/status"}
	b := newBarrier(independent...)
	answers := okAnswers()
	statusAnswered := make(chan struct{})
	var mu sync.Mutex
	var alertsAfterStatus []bool
	handlers := map[string]http.HandlerFunc{}
	for _, p := range independent {
		handlers[p] = func(w http.ResponseWriter, r *http.Request) {
			if !b.hold(w, r) {
				return
			}
			writeJSON(w, answers[p])
			if p == "/api/v2/status" {
				close(statusAnswered)
			}
		}
	}
	handlers["/api/v2/alerts"] = func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-statusAnswered:
			mu.Lock()
			alertsAfterStatus = append(alertsAfterStatus, true)
			mu.Unlock()
		default:
			mu.Lock()
			alertsAfterStatus = append(alertsAfterStatus, false)
			mu.Unlock()
		}
		writeJSON(w, answers[r.URL.Path])
	}
	section, _, _ := fanServers(t, handlers)
	res := runGate(t, section, testEnv("", nil))
	wantStatus(t, res, gates.StatusPass)
	if m := b.missing(); len(m) > 0 {
		t.Errorf("requests never made: %v", m)
	}
	for _, p := range independent {
		if n := b.arrived[p]; n != 1 {
			t.Errorf("%s requested %d times, want once", p, n)
		}
	}
	if !slices.Equal(alertsAfterStatus, []bool{true}) {
		t.Errorf("the alerts request, after the status's answer each time: %v, want [true]", alertsAfterStatus)
	}
	if !hasNote(res, "1 inhibit rule, 1 firing or always-firing alert that may inhibit") {
		t.Errorf("the alerts' answer was not read:\n%s", dump(res))
	}
}

// TestFailuresReportedInFixedOrder: when requests fail while others are in
// flight, the error reported is the first in the order rules,
// Alertmanagers, silences, status, alerts, whichever failed first. The
// failing requests are made to answer in both orders, and the request
// before them in that order answers last: a failure must not cancel it.
func TestFailuresReportedInFixedOrder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules int // the rules API's status, answered after both failures
		want  string
	}{
		{"silences and status fail", http.StatusOK, "GET AM/api/v2/silences: 503 Service Unavailable: silences down (try 3)"},
		{"then the rules API fails too", http.StatusBadGateway, "GET PROM/api/v1/rules: 502 Bad Gateway: rules down"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for i := range 6 {
				failed := map[string]chan struct{}{"/api/v2/silences": make(chan struct{}), "/api/v2/status": make(chan struct{})}
				first, second := "/api/v2/silences", "/api/v2/status"
				if i%2 == 1 {
					first, second = second, first
				}
				waitFor := func(w http.ResponseWriter, r *http.Request, ch chan struct{}) bool {
					select {
					case <-ch:
						return true
					case <-r.Context().Done():
						return false
					case <-time.After(holdTimeout):
						http.Error(w, "held too long", http.StatusGatewayTimeout)
						return false
					}
				}
				fail := func(w http.ResponseWriter, p string) {
					switch p {
					case "/api/v2/silences":
						http.Error(w, "silences down (try 3)", http.StatusServiceUnavailable)
					default:
						http.Error(w, "status down", http.StatusInternalServerError)
					}
					w.(http.Flusher).Flush()
					close(failed[p])
				}
				b := newBarrier("/api/v1/rules", "/api/v1/alertmanagers", "/api/v2/silences", "/api/v2/status")
				answers := okAnswers()
				section, promURL, amURL := fanServers(t, map[string]http.HandlerFunc{
					"/api/v1/rules": func(w http.ResponseWriter, r *http.Request) {
						if !b.hold(w, r) || !waitFor(w, r, failed["/api/v2/silences"]) || !waitFor(w, r, failed["/api/v2/status"]) {
							return
						}
						if tc.rules != http.StatusOK {
							http.Error(w, "rules down", tc.rules)
							return
						}
						writeJSON(w, answers[r.URL.Path])
					},
					"/api/v1/alertmanagers": func(w http.ResponseWriter, r *http.Request) {
						if b.hold(w, r) {
							writeJSON(w, answers[r.URL.Path])
						}
					},
					first: func(w http.ResponseWriter, r *http.Request) {
						if b.hold(w, r) {
							fail(w, r.URL.Path)
						}
					},
					second: func(w http.ResponseWriter, r *http.Request) {
						// It fails even when the first failure made the
						// gate give up on it (its answer could no longer be
						// the one reported), which may happen while it is
						// still leaving the barrier: the rules API waits
						// for both failures.
						b.hold(w, r)
						waitFor(w, r, failed[first])
						fail(w, r.URL.Path)
					},
				})
				res := runGate(t, section, testEnv("", nil))
				wantStatus(t, res, gates.StatusError)
				got = append(got, strings.NewReplacer(promURL, "PROM", amURL, "AM").Replace(res.Err))
			}
			for i, g := range got {
				if g != tc.want {
					t.Errorf("run %d: error %q, want %q", i, g, tc.want)
				}
			}
		})
	}
}

// TestCancelledWhileInFlight: a run cancelled while every request is in
// flight ends in an error, the first request's, never a pass.
func TestCancelledWhileInFlight(t *testing.T) {
	b := newBarrier("/api/v1/rules", "/api/v1/alertmanagers", "/api/v2/silences", "/api/v2/status")
	hang := func(w http.ResponseWriter, r *http.Request) {
		if b.hold(w, r) {
			<-r.Context().Done()
		}
	}
	section, promURL, _ := fanServers(t, map[string]http.HandlerFunc{
		"/api/v1/rules": hang, "/api/v1/alertmanagers": hang, "/api/v2/silences": hang, "/api/v2/status": hang,
	})
	g := newGate(t, section)
	env := testEnv("", nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-b.all
		cancel()
	}()
	_, err := g.Run(ctx, &env)
	if err == nil || err.Error() != "GET "+promURL+"/api/v1/rules: context canceled" {
		t.Errorf("error %v, want the rules request's cancellation", err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
}

// panickingTransport panics on one path, as a bug in a request's code
// would.
type panickingTransport struct{ path string }

func (p panickingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == p.path {
		panic("boom in " + p.path)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestRequestPanicIsAnError: a panic in one of the concurrent requests
// reaches the runner, which reports the gate as an error, instead of
// crashing the process from a goroutine it cannot recover.
func TestRequestPanicIsAnError(t *testing.T) {
	answers := okAnswers()
	handlers := map[string]http.HandlerFunc{}
	for p, body := range answers {
		handlers[p] = func(w http.ResponseWriter, r *http.Request) { writeJSON(w, body) }
	}
	section, _, _ := fanServers(t, handlers)
	for _, path := range []string{"/api/v2/silences", "/api/v2/alerts"} {
		env := testEnv("", nil)
		env.HTTPClient = &http.Client{Transport: panickingTransport{path}}
		res := runGate(t, section, env)
		wantStatus(t, res, gates.StatusError)
		if want := "internal error (panic: boom in " + path + ")"; !strings.Contains(res.Err, want) {
			t.Errorf("error %q lacks %q", res.Err, want)
		}
		if !hasNote(res, "stack of the panic in a request:") || !hasNote(res, "concurrent_test.go") {
			t.Errorf("the request's stack is not kept:\n%s", dump(res))
		}
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestCredentialErrorsInOrder: a missing token is reported where its
// server's requests come in the order. The Prometheus token's absence
// stops every request; the Alertmanager's lets the rules API's error,
// which comes first, be the one reported, as when requests went one after
// another.
func TestCredentialErrorsInOrder(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	answers := okAnswers()
	handler := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, r.URL.Path)
			mu.Unlock()
			if status != http.StatusOK {
				http.Error(w, "rules down", status)
				return
			}
			writeJSON(w, answers[r.URL.Path])
		}
	}
	for _, tc := range []struct {
		name     string
		settings string
		rules    int
		want     string
		requests bool
	}{
		{"Prometheus token unset", "token-env: PROM_TOKEN\nalertmanager-token-env: AM_TOKEN", http.StatusOK,
			"token-env: the environment variable PROM_TOKEN is not set or empty", false},
		{"Alertmanager token unset", "alertmanager-token-env: AM_TOKEN", http.StatusOK,
			"alertmanager-token-env: the environment variable AM_TOKEN is not set or empty", true},
		{"Alertmanager token unset, rules API failing", "alertmanager-token-env: AM_TOKEN", http.StatusInternalServerError,
			"/api/v1/rules: 500 Internal Server Error: rules down", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			handlers := map[string]http.HandlerFunc{}
			for p := range answers {
				handlers[p] = handler(http.StatusOK)
			}
			handlers["/api/v1/rules"] = handler(tc.rules)
			section, _, _ := fanServers(t, handlers)
			res := runGate(t, section+"\n"+tc.settings, testEnv("", nil))
			wantStatus(t, res, gates.StatusError)
			if !strings.Contains(res.Err, tc.want) {
				t.Errorf("error %q lacks %q", res.Err, tc.want)
			}
			mu.Lock()
			defer mu.Unlock()
			if tc.requests != (len(seen) > 0) || slices.ContainsFunc(seen, func(p string) bool { return strings.HasPrefix(p, "/api/v2/") }) {
				t.Errorf("requests made: %v", seen)
			}
		})
	}
}
