package registry

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/release-gate/release-gate/internal/httpsafe"
	"github.com/release-gate/release-gate/internal/registry/registrytest"
	"github.com/release-gate/release-gate/internal/testenv"
)

// elsewhere is a server on another origin (a CDN, say) that records every
// credential reaching it: Authorization headers and request bodies.
type elsewhere struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []string
}

func newElsewhere(t *testing.T, h http.Handler) *elsewhere {
	t.Helper()
	e := &elsewhere{}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.seen = append(e.seen, r.Method+" "+r.URL.Path+" auth="+r.Header.Get("Authorization")+" body="+string(body))
		e.mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *elsewhere) requests() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.seen...)
}

// at is the server's URL under another host name (dialled to 127.0.0.1).
func (e *elsewhere) at(name string) string {
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(e.srv.URL, "http://"))
	return "http://" + net.JoinHostPort(name, port)
}

// namedHosts dials every host name to 127.0.0.1, so that tests can give
// their servers names (the library refuses token redirects to private IP
// addresses, as it should).
func namedHosts() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
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

// redirectTo answers the requests match selects with a 307 to the same
// path at base.
func redirectTo(base string, match func(*http.Request) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if match(r) {
				http.Redirect(w, r, base+r.URL.RequestURI(), http.StatusTemporaryRedirect)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// A registry that sends manifest requests or token requests to another
// origin (another port, another host) never sees them carry the
// registry's credentials, whether basic, a bearer token, or an identity
// token's OAuth exchange. go-containerregistry adds credentials per host
// in its own transport: this checks that, and that its token exchange,
// which does set a body, goes through the redirect policy.
func TestRedirectNeverCarriesCredentials(t *testing.T) {
	user, pass := "ci", "pw-"+testenv.Random(t, "abcdefghijklmnop", 12)
	token := "tok-" + testenv.Random(t, "abcdefghijklmnop", 16)
	refresh := "rt-" + testenv.Random(t, "abcdefghijklmnop", 16)
	auth := registrytest.TokenAuth{User: user, Pass: pass, Refresh: refresh, Token: token}

	for _, tt := range []struct {
		name string
		// front builds what sits in front of the registry, given the other
		// origin's base URL.
		front func(other string) func(http.Handler) http.Handler
		// tokens makes the other origin a token server rather than a CDN.
		tokens bool
		// identity logs in with an identity token (OAuth) rather than
		// user:password.
		identity  bool
		otherHost string
		// wantErr is the error expected; refused says the policy refused
		// the redirect (rather than the other origin, without credentials).
		wantErr string
		refused bool
	}{
		{name: "basic, manifests on another port", otherHost: "reg.example.com",
			front: func(other string) func(http.Handler) http.Handler {
				return chain(registrytest.RequireBasic(user, pass), redirectTo(other, registrytest.IsManifest))
			}},
		{name: "basic, manifests on another host", otherHost: "cdn.example.com",
			front: func(other string) func(http.Handler) http.Handler {
				return chain(registrytest.RequireBasic(user, pass), redirectTo(other, registrytest.IsManifest))
			}},
		{name: "bearer, manifests on another port", otherHost: "reg.example.com",
			front: func(other string) func(http.Handler) http.Handler {
				return chain(auth.Wrap, redirectTo(other, registrytest.IsManifest))
			}},
		{name: "bearer, token server on another port", otherHost: "reg.example.com", tokens: true,
			front: func(other string) func(http.Handler) http.Handler {
				a := auth
				a.Tokens = http.RedirectHandler(other+"/token", http.StatusTemporaryRedirect)
				return a.Wrap
			},
			wantErr: "/token: 401 Unauthorized"},
		{name: "identity token, token server on another host", otherHost: "tokens.example.com", tokens: true, identity: true,
			front: func(other string) func(http.Handler) http.Handler {
				a := auth
				a.Tokens = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, other+r.URL.RequestURI(), http.StatusTemporaryRedirect)
				})
				return a.Wrap
			},
			wantErr: "would send the request's body, which may hold credentials, to another origin", refused: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := registrytest.Handler()
			seed := httptest.NewServer(h)
			defer seed.Close()
			want := registrytest.Digest(t, registrytest.PushImage(t, strings.TrimPrefix(seed.URL, "http://")+"/app:v1"))

			var otherHandler http.Handler = h
			if tt.tokens {
				otherHandler = http.HandlerFunc(auth.ServeToken)
			}
			other := newElsewhere(t, otherHandler)
			var front http.Handler = h
			front = tt.front(other.at(tt.otherHost))(front)
			fsrv := httptest.NewServer(front)
			defer fsrv.Close()
			_, port, _ := net.SplitHostPort(strings.TrimPrefix(fsrv.URL, "http://"))
			host := "reg.example.com:" + port

			vars := map[string]string{"REG_USER": user, "REG_PASS": pass}
			opts := []Option{WithInsecure(true), WithCredentialsFrom("REG_USER", "REG_PASS")}
			if tt.identity {
				dir := t.TempDir()
				registrytest.WriteDockerConfig(t, dir, `{"auths": {"`+host+`": {"username": "<token>", "identitytoken": "`+refresh+`"}}}`)
				vars = map[string]string{"DOCKER_CONFIG": dir}
				opts = []Option{WithInsecure(true)}
			}
			var d *Descriptor
			_, err := call(t, registrytest.Env(namedHosts(), vars), func(ctx context.Context, c *Client) error {
				var err error
				d, err = c.Resolve(ctx, mustRef(t, host+"/app:v1"))
				return err
			}, opts...)

			seen := other.requests()
			for _, s := range seen {
				for _, secret := range []string{pass, token, refresh, "Basic "} {
					if strings.Contains(s, secret) {
						t.Errorf("a credential reached %s: %s", other.srv.URL, s)
					}
				}
			}
			if tt.wantErr != "" {
				var re *httpsafe.RedirectError
				if err == nil || errors.As(err, &re) != tt.refused {
					t.Fatalf("want an error (refused redirect: %v), got %+v, %v", tt.refused, d, err)
				}
				testenv.MustContain(t, "error", err.Error(), tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("resolve: %v (the other origin saw %q)", err, seen)
			}
			if d.Digest != want || len(seen) == 0 {
				t.Errorf("resolved %s (want %s) with %d requests to the other origin", d.Digest, want, len(seen))
			}
		})
	}
}

// chain applies wrappers so that the first is outermost.
func chain(ws ...func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		for i := len(ws) - 1; i >= 0; i-- {
			h = ws[i](h)
		}
		return h
	}
}
