package registry

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// registryTransport sits between go-containerregistry and the Env's
// transport. It refuses plain HTTP unless the gate sets insecure (the library
// would otherwise fall back to HTTP for localhost and private addresses), and
// it remembers what the registry said where the library does not tell: the
// status of each manifest HEAD (for the GET fallback) and Retry-After.
type registryTransport struct {
	inner    http.RoundTripper
	insecure bool

	mu         sync.Mutex
	heads      map[string]int           // manifest URL path -> status of its last HEAD
	retryAfter map[string]time.Duration // host -> Retry-After of its last 429/503
	refused    map[string]bool          // hosts we refused plain HTTP to
}

func newRegistryTransport(inner http.RoundTripper, insecure bool) *registryTransport {
	if inner == nil {
		inner = http.DefaultTransport
	}
	return &registryTransport{
		inner:      inner,
		insecure:   insecure,
		heads:      map[string]int{},
		retryAfter: map[string]time.Duration{},
		refused:    map[string]bool{},
	}
}

// RoundTrip implements http.RoundTripper.
func (t *registryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !t.insecure {
		t.mu.Lock()
		t.refused[req.URL.Host] = true
		t.mu.Unlock()
		return nil, &plainHTTPRefused{host: req.URL.Host}
	}
	resp, err := t.inner.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if req.Method == http.MethodHead && strings.Contains(req.URL.Path, "/manifests/") {
		t.heads[req.URL.Path] = resp.StatusCode
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After")); ok {
			t.retryAfter[req.URL.Host] = d
		}
	}
	return resp, nil
}

// plainHTTPRefused is a plain-HTTP request the gate did not send.
type plainHTTPRefused struct{ host string }

func (e *plainHTTPRefused) Error() string {
	return fmt.Sprintf("plain HTTP to %s refused: set insecure: true if this registry really serves plain HTTP", e.host)
}

// headStatus is the status of the last HEAD of the manifest at path; 0 when
// no HEAD got an answer.
func (t *registryTransport) headStatus(path string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.heads[path]
}

// forgetHead drops what is known about the manifest at path, before a new
// attempt.
func (t *registryTransport) forgetHead(path string) {
	t.mu.Lock()
	delete(t.heads, path)
	t.mu.Unlock()
}

// retryAfterFor is the delay the host last asked for, if any.
func (t *registryTransport) retryAfterFor(host string) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	d, ok := t.retryAfter[host]
	return d, ok
}

// refusedHTTP reports whether plain HTTP to host was refused.
func (t *registryTransport) refusedHTTP(host string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.refused[host]
}

// parseRetryAfter reads a Retry-After given in seconds (the HTTP-date form
// is rare from registries and ignored).
func parseRetryAfter(v string) (time.Duration, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}
