package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
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
// status of each manifest HEAD (for the GET fallback) and Retry-After. Each
// request, from sending it to the last byte of its answer, has at most
// timeout (none when 0): a registry that accepts the connection and never
// answers, or stops half way, costs that, not the whole run.
type registryTransport struct {
	inner    http.RoundTripper
	insecure bool
	timeout  time.Duration
	setting  string // where the timeout is set, for messages

	mu         sync.Mutex
	heads      map[string]int           // manifest URL path -> status of its last HEAD
	retryAfter map[string]time.Duration // host -> Retry-After of its last 429/503
	refused    map[string]bool          // hosts we refused plain HTTP to
}

func newRegistryTransport(inner http.RoundTripper, insecure bool, timeout time.Duration, setting string) *registryTransport {
	if inner == nil {
		inner = http.DefaultTransport
	}
	return &registryTransport{
		inner:      inner,
		insecure:   insecure,
		timeout:    timeout,
		setting:    setting,
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
	if t.timeout <= 0 {
		resp, err := t.inner.RoundTrip(req)
		return t.record(req, resp, err)
	}
	parent := req.Context()
	ctx, cancel := context.WithTimeout(parent, t.timeout)
	resp, err := t.inner.RoundTrip(req.WithContext(ctx))
	// Its own deadline, not the caller's and not Close's cancel.
	timedOut := func() bool { return errors.Is(ctx.Err(), context.DeadlineExceeded) && parent.Err() == nil }
	if err != nil {
		cancel()
		if timedOut() {
			return nil, t.noAnswer(req, false)
		}
		return nil, err
	}
	resp.Body = &timedBody{rc: resp.Body, cancel: cancel, timedOut: timedOut, err: t.noAnswer(req, true)}
	return t.record(req, resp, nil)
}

// noAnswer is the error of a request that ran out of time.
func (t *registryTransport) noAnswer(req *http.Request, headersCame bool) *NoAnswerError {
	u := *req.URL
	u.RawQuery, u.User, u.Fragment = "", nil, ""
	return &NoAnswerError{Host: req.URL.Host, Method: req.Method, URL: u.String(), Timeout: t.timeout, Setting: t.setting, HeadersCame: headersCame}
}

// timedBody ends its request's time limit when it is closed, and says so
// when the limit cut it off.
type timedBody struct {
	rc       io.ReadCloser
	cancel   context.CancelFunc
	timedOut func() bool
	err      *NoAnswerError
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err != nil && err != io.EOF && b.timedOut() { //nolint:errorlint // io.EOF is returned as it is, never wrapped
		return n, b.err
	}
	return n, err
}

func (b *timedBody) Close() error {
	err := b.rc.Close()
	b.cancel()
	return err
}

// NoAnswerError is a request to a registry that got no answer, or not all
// of it, within the time one request may take.
type NoAnswerError struct {
	Host, Method, URL string // URL without its query
	Timeout           time.Duration
	Setting           string // the setting that changes Timeout; may be empty
	HeadersCame       bool   // the answer started but did not finish
}

func (e *NoAnswerError) Error() string {
	what := "did not answer " + e.Method + " " + e.URL
	if e.HeadersCame {
		what = "started answering " + e.Method + " " + e.URL + " but did not finish"
	}
	msg := fmt.Sprintf("registry %s %s within %s", e.Host, what, e.Timeout)
	if e.Setting != "" {
		msg += fmt.Sprintf(" (%s); check that the registry is up and reachable, or raise %s if it is this slow by design", e.Setting, e.Setting)
	} else {
		msg += "; check that the registry is up and reachable"
	}
	return msg
}

// record notes what the library does not tell about an answer.
func (t *registryTransport) record(req *http.Request, resp *http.Response, err error) (*http.Response, error) {
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
