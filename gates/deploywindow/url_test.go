package deploywindow

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/gatetest"
	"github.com/release-gate/release-gate/internal/httpsafe"
)

// calendarServer serves handler over TLS and returns its URL and an Env
// whose client trusts it, through release-gate's HTTP policy.
func calendarServer(t *testing.T, handler http.HandlerFunc, now string, vars map[string]string) (string, gates.Env) {
	t.Helper()
	srv := httptest.NewTLSServer(handler)
	t.Cleanup(srv.Close)
	env := testEnv(t.TempDir(), at(t, now), vars)
	env.HTTPClient = httpsafe.Client(srv.Client())
	return srv.URL, env
}

func TestCalendarURL(t *testing.T) {
	const now = "2026-12-25T12:00:00Z" // Christmas freeze in googleCalendar
	serve := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/calendar; charset=UTF-8")
		_, _ = w.Write([]byte(googleCalendar))
	}
	url, env := calendarServer(t, serve, now, nil)
	r := gatetest.Run(t, mustGate(t, "calendar: "+url+"/calendar/ical/team/basic.ics\n"), env)
	gatetest.Want(t, r, gates.StatusFail, []string{RuleFrozen}, "Christmas freeze")
	if r.Findings[0].Pos.File != "" {
		t.Errorf("a URL's event is annotated on %q; want no file", r.Findings[0].Pos.File)
	}

	// The same server on a day without a freeze passes: the URL is read.
	env.Now = func() time.Time { return at(t, "2026-11-25T12:00:00Z") }
	gatetest.Want(t, gatetest.Run(t, mustGate(t, "calendar: "+url+"/basic.ics\n"), env), gates.StatusPass, nil, "freeze occurrence")
}

// A calendar server that fails, lies or stalls makes the gate an error:
// without the calendar, the freezes are unknown.
func TestCalendarURLFaults(t *testing.T) {
	const now = "2026-11-25T12:00:00Z" // no freeze: a fault must not pass
	big := googleCalendar + strings.Repeat("X-PAD:"+strings.Repeat("x", 70)+"\r\n", maxCalendarBytes/78+10)
	for _, c := range []struct {
		name    string
		handler http.HandlerFunc
		timeout time.Duration
		want    string
	}{
		{"server error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }, 0, "answered 500"},
		{"not found", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, 0, "answered 404"},
		{"redirect to plain HTTP", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://"+r.Host+"/basic.ics", http.StatusFound)
		}, 0, "refused a redirect"},
		{"login page", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("<html><form>Sign in</form></html>"))
		}, 0, "is not an iCalendar file"},
		{"empty answer", func(w http.ResponseWriter, r *http.Request) {}, 0, "is empty"},
		{"too large", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(big)) }, 0, "larger than 8 MiB"},
		{"stalls", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, 500 * time.Millisecond, "timed out"},
	} {
		t.Run(c.name, func(t *testing.T) {
			url, env := calendarServer(t, c.handler, now, nil)
			r := gatetest.Run(t, mustGate(t, "calendar: "+url+"/basic.ics\n"), env, gatetest.Options{Timeout: c.timeout})
			gatetest.Want(t, r, gates.StatusError, nil, c.want)
		})
	}
}

// A secret calendar address (Google's private iCal address) comes from a
// variable and never shows in any output, whatever happens.
func TestCalendarURLEnvIsMasked(t *testing.T) {
	const secretPath = "/calendar/ical/team%40example.com/private-5f3c9a0d1e2b4c6a8f7e9d0c1b2a3f4e/basic.ics"
	for _, c := range []struct {
		name   string
		status int
		want   gates.Status
	}{{"ok", 200, gates.StatusPass}, {"server error", 503, gates.StatusError}, {"redirect", 302, gates.StatusError}} {
		t.Run(c.name, func(t *testing.T) {
			handler := func(w http.ResponseWriter, r *http.Request) {
				switch c.status {
				case 200:
					_, _ = w.Write([]byte(googleCalendar))
				case 302:
					http.Redirect(w, r, "http://"+r.Host+r.URL.Path+"?again", http.StatusFound)
				default:
					http.Error(w, "unavailable", c.status)
				}
			}
			url, env := calendarServer(t, handler, "2026-11-25T12:00:00Z", nil)
			env.Getenv = func(k string) string {
				if k == "FREEZE_CALENDAR_URL" {
					return url + secretPath
				}
				return ""
			}
			r := gatetest.Run(t, mustGate(t, "calendar-url-env: FREEZE_CALENDAR_URL\n"), env)
			if r.Status != c.want {
				t.Fatalf("status %s; want %s\n%s", r.Status, c.want, gatetest.Describe(r))
			}
			gatetest.WantNot(t, r, "private-5f3c9a0d1e2b4c6a8f7e9d0c1b2a3f4e", secretPath)
		})
	}
	// An event whose summary quotes the address, where the summary is cut:
	// the address is masked before the cut, so no part of it is shown.
	for _, into := range []int{10, 30} {
		var url string
		handler := func(w http.ResponseWriter, r *http.Request) {
			quoted := url + secretPath
			filler := strings.Repeat("x", 120-len("Christmas freeze see ")-strings.Index(quoted, "private-")-into)
			_, _ = w.Write([]byte(strings.Replace(googleCalendar, "SUMMARY:Christmas freeze", "SUMMARY:Christmas freeze see "+filler+quoted, 1)))
		}
		u, env := calendarServer(t, handler, "2026-12-25T12:00:00Z", map[string]string{})
		url = u
		env.Getenv = func(k string) string {
			if k == "FREEZE_CALENDAR_URL" {
				return url + secretPath
			}
			return ""
		}
		r := gatetest.Run(t, mustGate(t, "calendar-url-env: FREEZE_CALENDAR_URL\n"), env)
		gatetest.Want(t, r, gates.StatusFail, []string{RuleFrozen}, "Christmas freeze see xxx", "***")
		gatetest.WantNot(t, r, "private-5f3c9a0d1e2b4c6a8f7e9d0c1b2a3f4e"[:into])
	}
	// Unset: an error, not a calendar without freezes.
	env := testEnv(t.TempDir(), at(t, "2026-11-25T12:00:00Z"), nil)
	gatetest.Want(t, gatetest.Run(t, mustGate(t, "calendar-url-env: FREEZE_CALENDAR_URL\n"), env), gates.StatusError, nil, "FREEZE_CALENDAR_URL is empty or unset")
}
