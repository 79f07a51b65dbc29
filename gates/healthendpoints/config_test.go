package healthendpoints

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/internal/configtest"
	"github.com/release-gate/release-gate/internal/testenv"
)

func TestConfigDefaults(t *testing.T) {
	g := gateFor(t, "base-url: https://staging.example.com")
	if g.liveness.String() != "https://staging.example.com/health" || g.readiness.String() != "https://staging.example.com/health/ready" {
		t.Errorf("urls %s %s", g.liveness, g.readiness)
	}
	if g.expect.String() != "2xx" || !g.expect.has(204) || g.expect.has(302) || g.expect.has(503) {
		t.Errorf("expect %s", g.expect)
	}
	if g.requestTimeout != 5*time.Second || g.waitTimeout != 0 || g.steady != 1 {
		t.Errorf("timeouts %s %s steady %d", g.requestTimeout, g.waitTimeout, g.steady)
	}
	d := Definition()
	if d.Name != "health-endpoints" || d.Checklist == "" || g.Name() != d.Name {
		t.Errorf("definition %+v", d)
	}
}

func TestConfigValid(t *testing.T) {
	g := gateFor(t, `
base-url: https://staging.example.com/api/
liveness: /livez
readiness: https://ready.example.com:8443/ready?full=1
expect-status: [200, 204, "3xx"]
headers-env: {Authorization: STAGING_AUTH, X-Api-Key: API_KEY}
insecure-skip-verify: true
request-timeout: 250ms
wait: {interval: 2s, timeout: 1m, steady: 3}
`)
	if g.liveness.String() != "https://staging.example.com/api/livez" {
		t.Errorf("liveness %s", g.liveness)
	}
	if g.readiness.String() != "https://ready.example.com:8443/ready?full=1" {
		t.Errorf("readiness %s", g.readiness)
	}
	if g.expect.String() != "200, 204, 3xx" || !g.expect.has(301) || g.expect.has(201) {
		t.Errorf("expect %s", g.expect)
	}
	if g.requestTimeout != 250*time.Millisecond || g.interval != 2*time.Second || g.waitTimeout != time.Minute || g.steady != 3 {
		t.Errorf("timing %s %s %s %d", g.requestTimeout, g.interval, g.waitTimeout, g.steady)
	}

	// Absolute URLs need no base-url; a path keeps its query.
	g = gateFor(t, "liveness: http://10.0.0.5:8080/healthz\nreadiness: http://10.0.0.5:8080/readyz")
	if g.liveness.String() != "http://10.0.0.5:8080/healthz" {
		t.Errorf("liveness %s", g.liveness)
	}
	g = gateFor(t, "base-url: http://svc\nreadiness: /ready?deps=db,cache\nexpect-status: 200-204\nwait: {timeout: 2s}")
	if g.readiness.String() != "http://svc/ready?deps=db,cache" || g.expect.String() != "200-204" || g.interval != 2*time.Second {
		t.Errorf("readiness %s expect %s interval %s", g.readiness, g.expect, g.interval)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string // position first
	}{
		{"no base for default paths", "request-timeout: 1s\n", []string{"release-gate.yml:3:3", "/health is a path; set base-url"}},
		{"no base for a path", "liveness: http://x/h\nreadiness: /ready\n", []string{"release-gate.yml:5:16", "/ready is a path; set base-url"}},
		{"bad base", "base-url: staging.example.com\n", []string{"release-gate.yml:4:15", "want an http:// or https:// URL"}},
		{"no scheme", "base-url: 127.0.0.1:18080\n", []string{"release-gate.yml:4:15", "got a value without a scheme: write http:// or https:// before the host"}},
		{"base password hidden", "base-url: 'ftp://user:hunter2@x'\n", []string{"release-gate.yml:4:15", "ftp://user:xxxxx@x"}},
		{"bad probe url", "base-url: https://x\nreadiness: 'ftp://x/ready'\n", []string{"release-gate.yml:5:16", "want an http:// or https:// URL"}},
		{"empty probe", "base-url: https://x\nliveness: ''\n", []string{"release-gate.yml:5:15", "want a path such as /health"}},
		{"bad status", "base-url: https://x\nexpect-status: [200, 2xy]\n", []string{"release-gate.yml:5:26", `want a status such as 200, 2xx or 200-204, got "2xy"`}},
		{"status out of range", "base-url: https://x\nexpect-status: 700\n", []string{"release-gate.yml:5:20", "not a range of HTTP statuses"}},
		{"reversed range", "base-url: https://x\nexpect-status: 299-200\n", []string{"release-gate.yml:5:20", "not a range"}},
		{"empty statuses", "base-url: https://x\nexpect-status: []\n", []string{"release-gate.yml:5:20", "at least one status"}},
		{"header value in file", "base-url: https://x\nheaders-env: {Authorization: 'Bearer abc.def'}\n", []string{"release-gate.yml:5:34", "never holds credentials"}},
		{"bad header", "base-url: https://x\nheaders-env: {'X Key': K}\n", []string{"release-gate.yml:5:28", "not an HTTP header name"}},
		{"negative request timeout", "base-url: https://x\nrequest-timeout: -1s\n", []string{"release-gate.yml:5:22", "want a duration"}},
		{"wait without timeout", "base-url: https://x\nwait: {interval: 1s}\n", []string{"release-gate.yml:5:11", `missing required key "timeout"`}},
		{"interval over timeout", "base-url: https://x\nwait: {interval: 2m, timeout: 1m}\n", []string{"release-gate.yml:5:22", "at most wait.timeout"}},
		{"steady zero", "base-url: https://x\nwait: {timeout: 1m, steady: 0}\n", []string{"release-gate.yml:5:33", "1 or more"}},
		{"steady too long", "base-url: https://x\nwait: {interval: 30s, timeout: 1m, steady: 4}\n", []string{"release-gate.yml:5:48", "longer than wait.timeout"}},
		{"wait past gate timeout", "base-url: https://x\ntimeout: 1m\nwait: {timeout: 5m}\n", []string{"release-gate.yml:6:21", "not shorter than the gate's timeout"}},
		{"unknown key", "base-url: https://x\nreadyness: /r\n", []string{"release-gate.yml:5:5", `unknown key "readyness"`, `did you mean "readiness"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newGate(configtest.Section(t, Name, tt.body, nil))
			configtest.WantError(t, err, tt.want[0], tt.want[1:]...)
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "abc.def") {
				t.Errorf("error shows a credential: %v", err)
			}
		})
	}
}

func TestExcerpt(t *testing.T) {
	cases := map[string]string{
		"":                                  "",
		"  ok\n":                            "ok",
		"db: connection refused\r\n\ttrace": "db: connection refused trace",
		"a\x1b[31mred\x00b":                 "a [31mred b",
		"bad \xff\xfe utf8":                 "bad utf8",
		strings.Repeat("é", 150):            strings.Repeat("é", 100) + "…",
	}
	for in, want := range cases {
		if got := excerpt([]byte(in)); got != want {
			t.Errorf("excerpt(%q) = %q, want %q", in, got, want)
		}
	}
}

// A query string may hold a token (the gate leaves it out of every message
// at run time); configuration errors, printed before anything is masked,
// leave it out too.
func TestConfigErrorsHideQuery(t *testing.T) {
	secret := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 24)
	for _, body := range []string{
		"liveness: /health?token=${T}\n",                         // a path without base-url
		"base-url: staging.example.com/?token=${T}\n",            // no scheme
		"base-url: https://x\nreadiness: 'ftp://x/r?token=${T}'", // wrong scheme
		"base-url: 'https://x/?token=${T}#top'\n",                // a fragment
	} {
		_, err := newGate(configtest.Section(t, Name, body, func(k string) string {
			if k == "T" {
				return secret
			}
			return ""
		}))
		if err == nil {
			t.Fatalf("no error for:\n%s", body)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows the token: %v", err)
		}
	}
}

// Every mistake in the section is reported at once, in file order.
func TestConfigErrorsAllAtOnce(t *testing.T) {
	body := "base-url: https://x\nliveness: ftp://y/health\nheaders-env: {'X Key': K, 'Y Key': L}\nwait: {timeout: 1m, steady: 0}\n"
	_, err := newGate(configtest.Section(t, Name, body, nil))
	var list config.Errors
	if !errors.As(err, &list) {
		t.Fatalf("got %T %v; want config.Errors", err, err)
	}
	var keys []string
	for _, e := range list {
		keys = append(keys, strings.SplitN(strings.TrimPrefix(e.Msg, "gates.health-endpoints."), ":", 2)[0])
	}
	if want := "liveness headers-env.X Key headers-env.Y Key wait.steady"; strings.Join(keys, " ") != want {
		t.Errorf("keys %q, want %q:\n%v", keys, want, err)
	}
}
