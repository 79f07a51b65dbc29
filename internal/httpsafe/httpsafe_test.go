package httpsafe

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// sink is a server on another origin that records what reaches it.
type sink struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []http.Header
}

func newSink(t *testing.T, tls bool) *sink {
	t.Helper()
	s := &sink{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, r.Header.Clone())
		s.mu.Unlock()
		io.WriteString(w, "sink")
	})
	if tls {
		s.srv = httptest.NewTLSServer(h)
	} else {
		s.srv = httptest.NewServer(h)
	}
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) received() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]http.Header(nil), s.reqs...)
}

// redirector answers every request with a redirect to target.
func redirector(t *testing.T, tls bool, target string) *httptest.Server {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, http.StatusFound)
	})
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv
}

// credentialed is a GET carrying every kind of credential a gate sends.
func credentialed(t *testing.T, rawURL string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer tok-"+strings.Repeat("z", 8))
	req.Header.Set("X-Scope-OrgID", "tenant-a")
	req.Header.Set("X-Api-Key", "key-"+strings.Repeat("k", 8))
	req.Header.Set("X-Amz-Security-Token", "session-"+strings.Repeat("s", 8))
	req.Header.Set("Cookie", "session=abc")
	req.Header.Set("Accept", "application/json")
	return req
}

var credentialHeaders = []string{"Authorization", "X-Scope-Orgid", "X-Api-Key", "X-Amz-Security-Token", "Cookie", "Referer"}

func leaked(h http.Header) []string {
	var out []string
	for _, k := range credentialHeaders {
		if v := h.Get(k); v != "" {
			out = append(out, k+": "+v)
		}
	}
	return out
}

// transportFor trusts the test servers' certificate (valid for
// example.com and *.example.com) and dials every name to 127.0.0.1, so
// that host names (a subdomain) can be tested.
func transportFor(srv *httptest.Server) *http.Transport {
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
	}
	return tr
}

func withHost(t *testing.T, rawURL, host string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = net.JoinHostPort(host, u.Port())
	return u.String()
}

// Go's own client keeps credentials for another port, a subdomain and
// custom headers everywhere; through the policy none reaches another
// origin, and the request still gets there.
func TestCrossOriginRedirectStripsCredentials(t *testing.T) {
	for _, tc := range []struct {
		name       string
		from, to   string // host names
		tls        bool
		userInfo   bool
		goLeaksToo bool // Go's client alone leaks Authorization here
	}{
		{name: "another port", from: "127.0.0.1", to: "127.0.0.1", goLeaksToo: true},
		{name: "subdomain", from: "example.com", to: "cdn.example.com", tls: true, goLeaksToo: true},
		{name: "another host", from: "reg.example.com", to: "cdn.example.com", tls: true},
		{name: "user info", from: "127.0.0.1", to: "127.0.0.1", userInfo: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSink(t, tc.tls)
			target := withHost(t, s.srv.URL, tc.to) + "/blob?sig=abc"
			r := redirector(t, tc.tls, target)
			start := withHost(t, r.URL, tc.from) + "/v2/x?token=q"
			if tc.userInfo {
				start = strings.Replace(start, "://", "://grafana:pw-"+strings.Repeat("p", 6)+"@", 1)
			}
			tr := transportFor(r)
			request := func() *http.Request {
				req := credentialed(t, start)
				if tc.userInfo {
					req.Header.Del("Authorization") // basic auth from the URL instead
				}
				return req
			}

			// Go's client alone, for contrast.
			resp, err := (&http.Client{Transport: tr}).Do(request())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := s.received()
			if len(got) != 1 {
				t.Fatalf("the sink got %d requests", len(got))
			}
			if goLeaks := got[0].Get("Authorization") != ""; goLeaks != tc.goLeaksToo {
				t.Errorf("Go's client alone sent Authorization: %v; this test assumes %v", goLeaks, tc.goLeaksToo)
			}

			resp, err = (&http.Client{Transport: NewTransport(tr)}).Do(request())
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != "sink" {
				t.Errorf("the redirect was not followed: %q", body)
			}
			got = s.received()
			if l := leaked(got[1]); len(l) > 0 {
				t.Errorf("credentials reached another origin: %q", l)
			}
			if got[1].Get("Accept") != "application/json" {
				t.Errorf("Accept was dropped: %v", got[1])
			}
		})
	}
}

// A redirect within the origin keeps the credentials, and so does a chain
// that comes back to it.
func TestSameOriginKeepsCredentials(t *testing.T) {
	var mu sync.Mutex
	var auth []string
	var other *httptest.Server
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		switch r.URL.Path {
		case "/a":
			http.Redirect(w, r, "/b", http.StatusFound)
		case "/b":
			http.Redirect(w, r, other.URL+"/c", http.StatusFound)
		default:
			io.WriteString(w, "done")
		}
	}))
	defer srv.Close()
	other = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, "other "+r.Header.Get("Authorization"))
		mu.Unlock()
		http.Redirect(w, r, srv.URL+"/d", http.StatusFound)
	}))
	defer other.Close()

	req := credentialed(t, srv.URL+"/a")
	resp, err := NewClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	tok := req.Header.Get("Authorization")
	want := []string{"/a " + tok, "/b " + tok, "other ", "/d " + tok}
	if strings.Join(auth, "|") != strings.Join(want, "|") {
		t.Errorf("Authorization seen:\n got  %q\n want %q", auth, want)
	}
}

// A redirect from HTTPS to plain HTTP is refused, on the same host too,
// and names both URLs without their query strings or user info.
func TestDowngradeRefused(t *testing.T) {
	s := newSink(t, false)
	r := redirector(t, true, s.srv.URL+"/final?sig=secret-sig")
	start := strings.Replace(r.URL, "://", "://user:pw-"+strings.Repeat("q", 6)+"@", 1) + "/start?token=secret-tok"
	c := Client(r.Client())
	_, err := c.Do(credentialed(t, start))
	var re *RedirectError
	if !errors.As(err, &re) {
		t.Fatalf("want a RedirectError, got %v", err)
	}
	if re.From != r.URL+"/start" || re.To != s.srv.URL+"/final" {
		t.Errorf("from %q to %q", re.From, re.To)
	}
	for _, secret := range []string{"secret-sig", "secret-tok", "pw-"} {
		if strings.Contains(re.Error(), secret) {
			t.Errorf("the error shows %s: %v", secret, re)
		}
	}
	if n := len(s.received()); n != 0 {
		t.Errorf("the plain-HTTP server got %d requests", n)
	}
}

func TestOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://Example.com/x":       "https://example.com:443",
		"https://example.com:443/y":   "https://example.com:443",
		"http://example.com":          "http://example.com:80",
		"https://example.com:8443":    "https://example.com:8443",
		"https://[::1]:5000/v2/":      "https://[::1]:5000",
		"https://user:pw@example.com": "https://example.com:443",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := Origin(u); got != want {
			t.Errorf("Origin(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestNewTransportOnce(t *testing.T) {
	tr := NewTransport(nil)
	if NewTransport(tr) != tr {
		t.Error("wrapped twice")
	}
	if Inner(tr) != http.DefaultTransport {
		t.Error("Inner does not reach the wrapped transport")
	}
	c := &http.Client{}
	if Client(c) == c || c.Transport != nil {
		t.Error("Client changed its argument")
	}
}

// A body (an OAuth form with a refresh token, say) never follows a 307 to
// another origin; within the origin it does.
func TestBodyNotRedirectedAcrossOrigins(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	record := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, r.Host+" "+string(b))
		mu.Unlock()
	}
	other := httptest.NewServer(http.HandlerFunc(record))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/here":
			http.Redirect(w, r, "/there", http.StatusTemporaryRedirect)
		case "/away":
			http.Redirect(w, r, other.URL+"/token", http.StatusTemporaryRedirect)
		default:
			record(w, r)
		}
	}))
	defer srv.Close()
	c := NewClient()
	form := "grant_type=refresh_token&refresh_token=rt-" + strings.Repeat("r", 8)
	resp, err := c.Post(srv.URL+"/here", "application/x-www-form-urlencoded", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, err = c.Post(srv.URL+"/away", "application/x-www-form-urlencoded", strings.NewReader(form))
	var re *RedirectError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "would send the request's body") {
		t.Errorf("want a RedirectError, got %v", err)
	}
	want := []string{strings.TrimPrefix(srv.URL, "http://") + " " + form}
	if strings.Join(bodies, "|") != strings.Join(want, "|") {
		t.Errorf("bodies received:\n got  %q\n want %q", bodies, want)
	}
}
