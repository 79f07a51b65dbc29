package healthendpoints

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/attempts"
	"github.com/release-gate/release-gate/internal/testenv"
)

func TestHealthyOnce(t *testing.T) {
	srv := startService(t, &service{})
	res := run(t, "base-url: "+srv.URL, nil)
	if res.Status != gates.StatusPass {
		t.Fatalf("status %s: %s %s %v", res.Status, res.Summary, res.Err, res.Findings)
	}
	if len(res.Notes) != 1 {
		t.Fatalf("notes %q", res.Notes)
	}
	testenv.MustContain(t, "note", res.Notes[0], "attempt 1 at ", "liveness 200 OK in ", "readiness 200 OK in ")
	testenv.MustContain(t, "summary", res.Summary, srv.URL+": liveness and readiness healthy")
}

func TestReadinessFlipsAfterRequests(t *testing.T) {
	s := &service{ready: readyAfter(3)}
	srv := startService(t, s)
	res := run(t, "base-url: "+srv.URL+"\nwait: {interval: 5ms, timeout: 5s}", nil)
	if res.Status != gates.StatusPass {
		t.Fatalf("status %s: %s %s %v", res.Status, res.Summary, res.Err, res.Findings)
	}
	if got := s.readyN.Load(); got != 4 {
		t.Errorf("%d readiness requests, want 4 (3 unready, then ready)", got)
	}
	notes := strings.Join(res.Notes, "\n")
	testenv.MustContain(t, "notes", notes,
		`attempt 1 at `, `readiness 503 Service Unavailable in `, `"db: connection refused"`,
		"attempts 2 to 3 (until ", "the same as attempt 1",
		"attempt 4 at ", "readiness 200 OK")
	testenv.MustContain(t, "summary", res.Summary, "healthy on attempt 4")
}

// A server whose every answer differs (a request id, a timestamp) is not
// noted attempt by attempt past attempts.MaxLines lines: the rest are summed
// up in one line naming the last.
func TestAttemptNotesBounded(t *testing.T) {
	const unready = 3 * attempts.MaxLines
	srv := startService(t, &service{ready: func(i int) (int, string) {
		if i <= unready {
			return 503, fmt.Sprintf("request %d: db: connection refused", i)
		}
		return 200, `{"status":"ready"}`
	}})
	res := run(t, "base-url: "+srv.URL+"\nwait: {interval: 1ms, timeout: 60s}", nil)
	if res.Status != gates.StatusPass {
		t.Fatalf("status %s: %s %s %v", res.Status, res.Summary, res.Err, res.Findings)
	}
	if len(res.Notes) > attempts.MaxLines+1 {
		t.Errorf("%d notes, want at most %d", len(res.Notes), attempts.MaxLines+1)
	}
	notes := strings.Join(res.Notes, "\n")
	testenv.MustContain(t, "notes", notes, `"request 1: db: connection refused"`,
		fmt.Sprintf("to %d (until ", unready+1), "not noted one by one past 50 lines; the last: ", "readiness 200 OK")
	testenv.MustContain(t, "summary", res.Summary, fmt.Sprintf("healthy on attempt %d", unready+1))
}

func TestNotReadyWithoutWait(t *testing.T) {
	srv := startService(t, &service{ready: readyAfter(100)})
	res := run(t, "base-url: "+srv.URL, nil)
	if res.Status != gates.StatusFail || !slices.Equal(gatetest.Rules(res.Findings), []string{"readiness"}) {
		t.Fatalf("status %s, findings %v, err %s", res.Status, res.Findings, res.Err)
	}
	testenv.MustContain(t, "finding", res.Findings[0].Message,
		"readiness "+srv.URL+"/health/ready answered 503 Service Unavailable", `"db: connection refused"`, "expected 2xx", "add wait:")
}

func TestTimeoutReportsLastAnswer(t *testing.T) {
	srv := startService(t, &service{
		live:  func(int) (int, string) { return 500, "panic: \x1b[31mnil map\x00 " + strings.Repeat("x", 500) },
		ready: readyAfter(1000),
	})
	res := run(t, "base-url: "+srv.URL+"\nwait: {interval: 2ms, timeout: 60ms}", nil)
	if res.Status != gates.StatusFail || !slices.Equal(gatetest.Rules(res.Findings), []string{"liveness", "readiness"}) {
		t.Fatalf("status %s, findings %v, err %s", res.Status, res.Findings, res.Err)
	}
	live, ready := res.Findings[0].Message, res.Findings[1].Message
	testenv.MustContain(t, "liveness", live, "liveness "+srv.URL+"/health answered 500 Internal Server Error (the last of ", "attempts over ", `"panic: [31mnil map xxx`, "…", "Liveness should not depend on other services")
	testenv.MustContain(t, "readiness", ready, "answered 503 Service Unavailable (the last of", "a dependency (database, cache, ...) is not ready")
	if strings.ContainsAny(live, "\x1b\x00") || len(live) > 600 {
		t.Errorf("excerpt not sanitized or bounded: %q", live)
	}
	testenv.MustContain(t, "summary", res.Summary, "liveness and readiness not healthy")
}

// A flapping endpoint never gives steady: 3 healthy rounds in a row.
func TestSteadyCounting(t *testing.T) {
	flap := startService(t, &service{ready: flapping})
	res := run(t, "base-url: "+flap.URL+"\nwait: {interval: 2ms, timeout: 100ms, steady: 3}", nil)
	if res.Status != gates.StatusFail {
		t.Fatalf("status %s: %s %s", res.Status, res.Summary, res.Err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Rule != "readiness" {
		t.Fatalf("findings %+v", res.Findings)
	}
	msg := res.Findings[0].Message
	if !strings.Contains(msg, "is not steady") && !strings.Contains(msg, "answered 503") {
		t.Errorf("message %q", msg)
	}
	if strings.Contains(msg, "answered 503") {
		testenv.MustContain(t, "finding", msg, "(it was healthy on attempt ")
	}
	testenv.MustContain(t, "finding", msg, `"cache: timeout"`)

	stable := &service{}
	srv := startService(t, stable)
	res = run(t, "base-url: "+srv.URL+"\nwait: {interval: 2ms, timeout: 5s, steady: 3}", nil)
	if res.Status != gates.StatusPass || stable.readyN.Load() != 3 {
		t.Errorf("status %s after %d rounds: %s", res.Status, stable.readyN.Load(), res.Err)
	}
	testenv.MustContain(t, "summary", res.Summary, "healthy 3 times in a row")

	// Healthy from the fourth round on: steady 3 is reached on round 6.
	late := &service{ready: readyAfter(3)}
	srv = startService(t, late)
	res = run(t, "base-url: "+srv.URL+"\nwait: {interval: 2ms, timeout: 5s, steady: 3}", nil)
	if res.Status != gates.StatusPass || late.readyN.Load() != 6 {
		t.Errorf("status %s after %d rounds", res.Status, late.readyN.Load())
	}
}

// The last round is healthy but the streak is too short: a finding that
// names the round that broke it.
func TestNotSteadyNamesTheBrokenRound(t *testing.T) {
	srv := startService(t, &service{ready: func(i int) (int, string) {
		if i%3 == 0 {
			return 503, "warming up"
		}
		return 200, "ok"
	}})
	// Rounds 1-2 healthy, 3 not, 4-5 healthy, 6 not, ...; with steady 3 and
	// a bound of 4 rounds (timeout 4ms / interval 2ms + 2), the last round
	// (4) is healthy with a streak of 1.
	g := gateFor(t, "base-url: "+srv.URL+"\nwait: {interval: 2ms, timeout: 4ms, steady: 3}")
	env := testEnv(nil)
	frozen := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	env.Now = func() time.Time { return frozen } // the clock never moves: the attempt bound stops the wait
	res := gatetest.Run(t, g, env)
	if res.Status != gates.StatusFail || len(res.Findings) != 1 {
		t.Fatalf("status %s, findings %+v, err %s", res.Status, res.Findings, res.Err)
	}
	testenv.MustContain(t, "finding", res.Findings[0].Message, "is not steady: 1 healthy round(s) in a row of the 3", "attempt 3 got 503 Service Unavailable", `"warming up"`)
	testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), "attempt 1 at 03:04:05.000Z")
}

func TestRedirectIsNotHealthy(t *testing.T) {
	srv := startService(t, &service{})
	redirect := http.NewServeMux()
	redirect.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/login?next=/health", http.StatusFound)
	})
	redirect.Handle("/", &service{})
	rsrv := startServer(t, redirect)
	res := run(t, "liveness: "+rsrv+"/health\nreadiness: "+srv.URL+"/health/ready", nil)
	if res.Status != gates.StatusFail || !slices.Equal(gatetest.Rules(res.Findings), []string{"liveness"}) {
		t.Fatalf("status %s, findings %+v, err %s", res.Status, res.Findings, res.Err)
	}
	testenv.MustContain(t, "finding", res.Findings[0].Message, "answered 302 Found", `"redirects to `+rsrv+`/login"`, "point liveness at the final URL")

	// A redirect can be expected explicitly.
	res = run(t, "liveness: "+rsrv+"/health\nreadiness: "+srv.URL+"/health/ready\nexpect-status: [2xx, 302]", nil)
	if res.Status != gates.StatusPass {
		t.Errorf("with 302 expected: %s %+v", res.Status, res.Findings)
	}
}

func TestHangingServerPerRequestTimeout(t *testing.T) {
	srv := hangingServer(t)
	res := run(t, "base-url: "+srv.URL+"\nrequest-timeout: 30ms", nil)
	if res.Status != gates.StatusError {
		t.Fatalf("status %s, findings %+v", res.Status, res.Findings)
	}
	testenv.MustContain(t, "error", res.Err, "liveness "+srv.URL+"/health never answered (once): no answer within 30ms (request-timeout)", "readiness "+srv.URL+"/health/ready never answered")
}

// The gate's context ends a wait on a hanging server at once, whatever
// request-timeout and wait say.
func TestHangingServerHonoursContext(t *testing.T) {
	srv := hangingServer(t)
	g := gateFor(t, "base-url: "+srv.URL+"\nrequest-timeout: 1h\nwait: {interval: 1h, timeout: 2h}")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan gates.Result, 1)
	go func() { done <- gatetest.Run(t, g, testEnv(nil), gatetest.Options{Ctx: ctx}) }()
	select {
	case res := <-done:
		if res.Status != gates.StatusError {
			t.Errorf("status %s", res.Status)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the gate ignored its context")
	}

	// Cancelled while waiting between attempts.
	svc := &service{ready: readyAfter(1000)}
	s := startService(t, svc)
	g = gateFor(t, "base-url: "+s.URL+"\nwait: {interval: 1h, timeout: 2h}")
	ctx, cancel = context.WithCancel(context.Background())
	go func() {
		for svc.readyN.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	res := gatetest.Run(t, g, testEnv(nil), gatetest.Options{Ctx: ctx})
	if res.Status != gates.StatusError {
		t.Errorf("status %s", res.Status)
	}
	testenv.MustContain(t, "error", res.Err, "interrupted")
}

func TestNothingAnswers(t *testing.T) {
	refused := refusedURL(t)
	res := run(t, "base-url: "+refused+"\nwait: {interval: 2ms, timeout: 20ms}", nil)
	if res.Status != gates.StatusError {
		t.Fatalf("status %s, findings %+v", res.Status, res.Findings)
	}
	testenv.MustContain(t, "error", res.Err, "liveness "+refused+"/health never answered (in ", "attempts over", "connection refused", "readiness "+refused+"/health/ready never answered")

	closing := closingServer(t)
	res = run(t, "base-url: "+closing, nil)
	if res.Status != gates.StatusError {
		t.Fatalf("status %s, findings %+v", res.Status, res.Findings)
	}
	testenv.MustContain(t, "error", res.Err, "never answered (once): the server closed the connection without answering")

	res = run(t, "base-url: http://release-gate-test.invalid\nrequest-timeout: 2s", nil)
	if res.Status != gates.StatusError {
		t.Fatalf("status %s, findings %+v", res.Status, res.Findings)
	}
	testenv.MustContain(t, "error", res.Err, "http://release-gate-test.invalid/health never answered")
}

// One probe answers and the other does not: the unanswered one makes the
// gate error; the other's verdict is still shown.
func TestOneProbeNeverAnswers(t *testing.T) {
	srv := startService(t, &service{live: func(int) (int, string) { return 500, "boom" }})
	res := run(t, "liveness: "+srv.URL+"/health\nreadiness: "+refusedURL(t)+"/ready", nil)
	if res.Status != gates.StatusError || !slices.Equal(gatetest.Rules(res.Findings), []string{"liveness"}) {
		t.Fatalf("status %s, findings %+v", res.Status, res.Findings)
	}
	testenv.MustContain(t, "error", res.Err, "readiness http://127.0.0.1:", "never answered")
}

func TestSelfSignedTLS(t *testing.T) {
	srv := httptest.NewTLSServer(&service{})
	t.Cleanup(srv.Close)
	res := run(t, "base-url: "+srv.URL, nil)
	if res.Status != gates.StatusError {
		t.Fatalf("status %s, findings %+v", res.Status, res.Findings)
	}
	testenv.MustContain(t, "error", res.Err, "never answered", "certificate", "insecure-skip-verify: true")

	res = run(t, "base-url: "+srv.URL+"\ninsecure-skip-verify: true", nil)
	if res.Status != gates.StatusPass {
		t.Errorf("with insecure-skip-verify: %s %s", res.Status, res.Err)
	}
}

func TestHeadersFromEnvironmentAreMasked(t *testing.T) {
	token := "s3cr3t-" + strings.Repeat("k", 20)
	s := &service{ready: func(int) (int, string) { return 401, "bad credentials: Bearer " + token }}
	srv := startService(t, s)
	res := run(t, "base-url: "+srv.URL+"\nheaders-env: {Authorization: STAGING_AUTH, X-Env: STAGE}", map[string]string{"STAGING_AUTH": "Bearer " + token, "STAGE": "staging-eu"})
	if res.Status != gates.StatusFail {
		t.Fatalf("status %s: %s", res.Status, res.Err)
	}
	s.mu.Lock()
	got := s.headers[0].Get("Authorization")
	s.mu.Unlock()
	if got != "Bearer "+token {
		t.Errorf("Authorization sent: %q", got)
	}
	all := gatetest.Describe(res)
	if strings.Contains(all, token) {
		t.Errorf("the token reached the report:\n%s", all)
	}
	testenv.MustContain(t, "finding", res.Findings[0].Message, "answered 401 Unauthorized", "***", "headers-env")

	res = run(t, "base-url: "+srv.URL+"\nheaders-env: {Authorization: STAGING_AUTH}", nil)
	if res.Status != gates.StatusError {
		t.Fatalf("status %s", res.Status)
	}
	testenv.MustContain(t, "error", res.Err, "headers-env: Authorization names STAGING_AUTH, which is empty or not set")
}

// A long wait prints progress lines (the clock here jumps a second on
// every reading).
func TestProgressOnLongWaits(t *testing.T) {
	s := &service{ready: readyAfter(4)}
	srv := startService(t, s)
	g := gateFor(t, "base-url: "+srv.URL+"\nwait: {interval: 1ms, timeout: 1h}")
	env := testEnv(nil)
	var mu sync.Mutex
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	env.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Second)
		return clock
	}
	var progress []string
	res := gatetest.Run(t, g, env, gatetest.Options{Progress: &progress})
	if res.Status != gates.StatusPass {
		t.Fatalf("status %s: %s", res.Status, res.Err)
	}
	if len(progress) == 0 {
		t.Fatal("no progress line")
	}
	testenv.MustContain(t, "progress", progress[0], "waiting for "+srv.URL+"/health and "+srv.URL+"/health/ready: attempt ", "readiness 503", "left")
}

// An unhealthy answer's excerpt goes into the report: secrets in it are cut.
func TestExcerptHidesSecrets(t *testing.T) {
	password := "pw-" + strings.Repeat("q7", 8)
	key := "AKIA" + rand.Text()[:16] // built at run time, never committed
	srv := startService(t, &service{
		ready: func(int) (int, string) {
			return 503, "db: dial postgres://app:" + password + "@db:5432/app: refused; aws " + key
		},
	})
	res := run(t, "base-url: "+srv.URL, nil)
	if res.Status != gates.StatusFail {
		t.Fatalf("status %s, err %s", res.Status, res.Err)
	}
	msg := res.Findings[0].Message + strings.Join(res.Notes, "\n")
	if strings.Contains(msg, password) || strings.Contains(msg, key) {
		t.Errorf("a secret reached the report: %q", msg)
	}
	testenv.MustContain(t, "finding", res.Findings[0].Message, "postgres://app:***@db:5432/app: refused")
}

// A secret the body holds encoded (base64, as a Basic header or a
// Kubernetes secret's data) is cut out as well.
func TestExcerptHidesEncodedSecrets(t *testing.T) {
	tok := testenv.GitHubToken(t)
	encoded := base64.StdEncoding.EncodeToString([]byte("deploy:" + tok))
	srv := startService(t, &service{
		ready: func(int) (int, string) {
			return 503, "upstream refused Authorization: Basic " + encoded
		},
	})
	res := run(t, "base-url: "+srv.URL, nil)
	if res.Status != gates.StatusFail {
		t.Fatalf("status %s, err %s", res.Status, res.Err)
	}
	msg := res.Findings[0].Message + strings.Join(res.Notes, "\n")
	if strings.Contains(msg, encoded) || strings.Contains(msg, tok) {
		t.Errorf("a secret reached the report: %q", msg)
	}
	testenv.MustContain(t, "finding", res.Findings[0].Message, "upstream refused Authorization: Basic ***")
}

// The excerpt is cut to 200 bytes; a secret the cut falls in is cut out
// all the same, not shown by halves.
func TestExcerptHidesSecretsAtTheCut(t *testing.T) {
	key := "AKIA" + rand.Text()[:16]
	for name, body := range map[string]string{
		"the excerpt's cut": strings.Repeat("x", 170) + " aws_access_key_id=" + key + " rejected",
		// White space the excerpt collapses, up to where the body read
		// is cut.
		"the body read's cut": strings.Repeat(" ", maxBodyRead+maxCutSecret-10) + key,
		// The same, across where the margin read past it is dropped.
		"where the margin is dropped": strings.Repeat(" ", maxBodyRead-10) + key + " " + strings.Repeat("x", maxCutSecret),
	} {
		t.Run(name, func(t *testing.T) {
			srv := startService(t, &service{ready: func(int) (int, string) { return 503, body }})
			res := run(t, "base-url: "+srv.URL, nil)
			if res.Status != gates.StatusFail {
				t.Fatalf("status %s, err %s", res.Status, res.Err)
			}
			msg := res.Findings[0].Message + strings.Join(res.Notes, "\n")
			if strings.Contains(msg, key[:8]) {
				t.Errorf("part of a secret reached the report: %q", msg)
			}
		})
	}
}

// A server may echo the credentials it was sent (headers-env, the URL's
// password) in its answer. They are cut out of the body before the excerpt
// is cut short: the final redaction knows them only whole, and would let
// the half the cut leaves through.
func TestExcerptHidesOwnCredentialsAtTheCut(t *testing.T) {
	token := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 40)
	password := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 40)
	for name, c := range map[string]struct {
		body string
		pad  int
	}{
		"header at the cut":   {token, 190},
		"password at the cut": {password, 185},
		"header escaped":      {`"` + token[:20] + `\` + token[20:] + `"`, 10},
		// White space the excerpt collapses, up to where the body read
		// is cut, or the end of the margin read past it: the header across
		// that end.
		"header across the cut":                    {token, -maxBodyRead + 10},
		"header across the end of the margin":      {token, -maxBodyRead - maxCutSecret + 10},
		"header just within the end of the margin": {token, -maxBodyRead - maxCutSecret + 45},
	} {
		t.Run(name, func(t *testing.T) {
			var body string
			if c.pad >= 0 {
				body = strings.Repeat("x", c.pad) + " " + c.body + " rejected"
			} else {
				body = strings.Repeat(" ", -c.pad) + c.body
			}
			srv := startService(t, &service{ready: func(int) (int, string) { return 401, body }})
			u := strings.Replace(srv.URL, "http://", "http://probe:"+password+"@", 1)
			env := map[string]string{"STAGING_AUTH": "Token " + token[:20] + `\` + token[20:]}
			if name != "header escaped" {
				env["STAGING_AUTH"] = "Token " + token
			}
			res := run(t, "base-url: "+u+"\nheaders-env: {Authorization: STAGING_AUTH}", env)
			if res.Status != gates.StatusFail {
				t.Fatalf("status %s: %s", res.Status, res.Err)
			}
			all := gatetest.Describe(res)
			for _, part := range []string{token[:8], token[12:20], token[32:], password[:8], password[32:]} {
				if strings.Contains(all, part) {
					t.Errorf("part of a credential (%s) reached the report:\n%s", part, all)
				}
			}
		})
	}
}

// A redirect whose address the client cannot read is quoted in the
// client's error, which the attempt's note cuts short: a credential the
// server echoed there, across that cut, shows no part of it.
func TestBadRedirectHidesOwnCredentials(t *testing.T) {
	token := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 40)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "http://x/%zz/"+strings.Repeat("a", 1918)+r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	res := run(t, "base-url: "+srv.URL+"\nheaders-env: {Authorization: STAGING_AUTH}", map[string]string{"STAGING_AUTH": "Token " + token})
	if res.Status != gates.StatusError && res.Status != gates.StatusFail {
		t.Fatalf("status %s: %s", res.Status, res.Err)
	}
	all := gatetest.Describe(res)
	if !strings.Contains(all, "Location header") {
		t.Fatalf("the client's error is not shown:\n%s", all)
	}
	if strings.Contains(all, token[:8]) {
		t.Errorf("part of a credential reached the report:\n%s", all[max(len(all)-3000, 0):])
	}
}

// A long credential echoed URL-encoded, which makes it several times
// longer, across the end of what is read of the body: none of it shown.
func TestExcerptHidesEncodedCredentialAtTheReadEnd(t *testing.T) {
	token := strings.Repeat("+/", 150) + testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 300)
	encoded := url.QueryEscape(token)
	for _, at := range []int{maxBodyRead - 40, maxBodyRead + maxCutSecret - 40, maxBodyRead + len(token) - 40} {
		body := strings.Repeat(" ", at) + encoded
		srv := startService(t, &service{ready: func(int) (int, string) { return 503, body }})
		res := run(t, "base-url: "+srv.URL+"\nheaders-env: {X-Token: STAGING_TOKEN}", map[string]string{"STAGING_TOKEN": token})
		if res.Status != gates.StatusFail {
			t.Fatalf("status %s: %s", res.Status, res.Err)
		}
		if all := gatetest.Describe(res); strings.Contains(all, encoded[:12]) || strings.Contains(all, token[300:312]) {
			t.Errorf("the token, URL-encoded at byte %d, is shown in part:\n%.600s", at, all)
		}
	}
}
