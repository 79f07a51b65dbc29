// Package registrytest starts go-containerregistry's registry in-process
// (or the distribution registry) for tests, pushes images to it, wraps it
// with faults a real registry cannot be made to produce on demand, counts
// the requests a client makes, and gives the client an environment apart
// from the docker config of the machine running the tests.
package registrytest

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Handler is go-containerregistry's in-process registry, quiet.
func Handler() http.Handler {
	return registry.New(registry.Logger(log.New(io.Discard, "", 0)))
}

// Start starts the in-process registry over plain HTTP on 127.0.0.1,
// wrapped by wrap when not nil, and returns its host:port. It stops when
// the test ends.
func Start(t testing.TB, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	h := Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// StartTLS starts the in-process registry over HTTPS with a certificate of
// its own, and returns its host:port and the one transport that trusts
// that certificate. It stops when the test ends.
func StartTLS(t testing.TB) (host string, trusted http.RoundTripper) {
	t.Helper()
	srv := httptest.NewUnstartedServer(Handler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes clients refuse
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "https://"), srv.Client().Transport
}

// Silent listens on 127.0.0.1 and returns its host:port: it accepts every
// connection and never sends a byte (nor closes it) until the test ends,
// like a registry behind a stuck proxy.
func Silent(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() { _, _ = io.Copy(io.Discard, c) }() // reads, never answers
		}
	}()
	return l.Addr().String()
}

// StallBody answers the requests match selects with their status and
// headers and the first bytes of the body, then sends nothing more until
// the client gives up.
func StallBody(match func(*http.Request) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !match(r) {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			body := rec.Body.Bytes()
			_, _ = w.Write(body[:min(len(body), 10)])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		})
	}
}

// Seeded starts the registry, lets seed push to it unhindered, then serves
// the same storage behind wrap: faults apply to the client under test only.
func Seeded(t testing.TB, wrap func(http.Handler) http.Handler, seed func(host string)) string {
	t.Helper()
	var wrapped atomic.Bool
	host := Start(t, func(h http.Handler) http.Handler {
		faulty := wrap(h)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if wrapped.Load() {
				faulty.ServeHTTP(w, r)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	seed(host)
	wrapped.Store(true)
	return host
}

// PushImage pushes a random single-platform image to ref and returns it.
// A plain-HTTP registry needs no opts; StartTLS's needs
// remote.WithTransport(trusted).
func PushImage(t testing.TB, ref string, opts ...remote.Option) v1.Image {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	WriteImage(t, ref, img, opts...)
	return img
}

// WriteImage pushes img to ref (another tag for the same image, say), with
// opts as PushImage.
func WriteImage(t testing.TB, ref string, img v1.Image, opts ...remote.Option) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, opts...); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
}

// PushIndex pushes a multi-arch index with a random image per platform
// (os/arch[/variant]) and returns it.
func PushIndex(t testing.TB, ref string, platforms ...string) v1.ImageIndex {
	t.Helper()
	return PushIndexOf(t, ref, platforms)
}

// PushIndexOf pushes a multi-arch index with an image per platform
// (os/arch[/variant]) and returns it: imgs[i] for platforms[i], a random
// image for the platforms past the end of imgs.
func PushIndexOf(t testing.TB, ref string, platforms []string, imgs ...v1.Image) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for i, p := range platforms {
		plat, err := v1.ParsePlatform(p)
		if err != nil {
			t.Fatal(err)
		}
		var img v1.Image
		if i < len(imgs) {
			img = imgs[i]
		} else if img, err = random.Image(256, 1); err != nil {
			t.Fatal(err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: plat}})
	}
	idx := mutate.AppendManifests(empty.Index, adds...)
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatalf("pushing index %s: %v", ref, err)
	}
	return idx
}

// Digest is x's digest (an image or an index).
func Digest(t testing.TB, x interface{ Digest() (v1.Hash, error) }) v1.Hash {
	t.Helper()
	h, err := x.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// The parts of a request's path that make it a manifest request or a tag
// listing; Counter.Counted and Counter.Check select requests by them.
const (
	Manifests = "/manifests/"
	TagList   = "/tags/list"
)

// IsManifest reports whether r is a manifest request.
func IsManifest(r *http.Request) bool { return strings.Contains(r.URL.Path, Manifests) }

// IsTagList reports whether r lists a repository's tags.
func IsTagList(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, TagList) }

// Fail answers status to the requests match selects (every one when match
// is nil), with a registry-style error body for 4xx; the others reach the
// registry.
func Fail(status int, match func(*http.Request) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if match != nil && !match(r) {
				next.ServeHTTP(w, r)
				return
			}
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			}
			if status >= 400 && status < 500 && r.Method != http.MethodHead {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				fmt.Fprintf(w, `{"errors":[{"code":"TEST","message":"injected %d"}]}`, status)
				return
			}
			w.WriteHeader(status)
		})
	}
}

// RequireBasic answers 401 with a Basic challenge unless the request
// carries user:pass.
func RequireBasic(user, pass string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, p, ok := r.BasicAuth()
			if !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// StripDigest drops Docker-Content-Digest from the response it writes, as
// some registries and proxies do.
type StripDigest struct{ http.ResponseWriter }

// WriteHeader implements http.ResponseWriter.
func (s StripDigest) WriteHeader(code int) {
	s.Header().Del("Docker-Content-Digest")
	s.ResponseWriter.WriteHeader(code)
}

// Counter is an http.RoundTripper that records the requests reaching the
// network, as "METHOD /path".
type Counter struct {
	inner http.RoundTripper
	mu    sync.Mutex
	reqs  []string
}

// NewCounter counts requests sent through inner (http.DefaultTransport
// when nil).
func NewCounter(inner http.RoundTripper) *Counter {
	if inner == nil {
		inner = http.DefaultTransport
	}
	return &Counter{inner: inner}
}

// RoundTrip implements http.RoundTripper.
func (c *Counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.reqs = append(c.reqs, r.Method+" "+r.URL.Path)
	c.mu.Unlock()
	return c.inner.RoundTrip(r)
}

// Requests returns the requests made so far.
func (c *Counter) Requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.reqs...)
}

// Counted counts the requests whose path contains one of parts, such as
// Manifests ("HEAD /v2/app/manifests/v1" -> 1).
func (c *Counter) Counted(parts ...string) map[string]int {
	m := map[string]int{}
	for _, r := range c.Requests() {
		for _, p := range parts {
			if strings.Contains(r, p) {
				m[r]++
				break
			}
		}
	}
	return m
}

// Check fails the test unless the requests whose path contains one of
// parts (such as Manifests and TagList) were exactly want.
func (c *Counter) Check(t testing.TB, want map[string]int, parts ...string) {
	t.Helper()
	got := c.Counted(parts...)
	if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(want)) {
		t.Errorf("requests:\n got  %v\n want %v", sorted(got), sorted(want))
	}
}

func sorted(m map[string]int) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s x%d", k, v))
	}
	sort.Strings(out)
	return out
}

// TokenAuth makes a registry ask for bearer tokens, as Docker Hub and GHCR
// do. Every request but those to /token needs "Bearer Token"; the 401
// challenge names /token on the host the client asked as the realm. /token
// answers {"token": Token} to a GET with basic User:Pass, and
// {"access_token": Token} to a POST whose form has refresh_token=Refresh
// (the OAuth flow identity tokens use). Tokens is when set, a handler for
// /token in place of this one (one that redirects, say).
type TokenAuth struct {
	User, Pass, Refresh, Token string
	Tokens                     http.Handler
}

// Wrap puts the authentication in front of next.
func (a TokenAuth) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			if a.Tokens != nil {
				a.Tokens.ServeHTTP(w, r)
				return
			}
			a.ServeToken(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+a.Token {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="http://%s/token",service="test"`, r.Host))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ServeToken is the token endpoint itself.
func (a TokenAuth) ServeToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err == nil && r.PostForm.Get("refresh_token") == a.Refresh && a.Refresh != "" {
			fmt.Fprintf(w, `{"access_token":%q}`, a.Token)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if u, p, ok := r.BasicAuth(); ok && u == a.User && p == a.Pass {
		fmt.Fprintf(w, `{"token":%q}`, a.Token)
		return
	}
	w.WriteHeader(http.StatusUnauthorized)
}
