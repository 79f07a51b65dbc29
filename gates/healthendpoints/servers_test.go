package healthendpoints

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/release-gate/release-gate/internal/testenv"
)

// service is a deployment's health endpoints: liveness and readiness
// answer from functions of the request count.
type service struct {
	live  func(n int) (int, string)
	ready func(n int) (int, string)

	liveN, readyN atomic.Int64
	mu            sync.Mutex
	headers       []http.Header
}

func healthy(int) (int, string) { return 200, "ok" }

// readyAfter is not ready for the first n requests.
func readyAfter(n int) func(int) (int, string) {
	return func(i int) (int, string) {
		if i <= n {
			return 503, "db: connection refused"
		}
		return 200, `{"status":"ready"}`
	}
}

// flapping alternates healthy and unhealthy.
func flapping(i int) (int, string) {
	if i%2 == 0 {
		return 503, "cache: timeout"
	}
	return 200, "ok"
}

func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.headers = append(s.headers, r.Header.Clone())
	s.mu.Unlock()
	var f func(int) (int, string)
	var n int64
	switch r.URL.Path {
	case "/health":
		f, n = s.live, s.liveN.Add(1)
	case "/health/ready":
		f, n = s.ready, s.readyN.Add(1)
	default:
		http.NotFound(w, r)
		return
	}
	if f == nil {
		f = healthy
	}
	code, body := f(int(n))
	w.WriteHeader(code)
	fmt.Fprint(w, body)
}

func startService(t *testing.T, s *service) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv
}

// hangingServer accepts requests and never answers until the request is
// given up.
func hangingServer(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

// closingServer accepts connections and closes them without a word.
func closingServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 1024)
			_, _ = c.Read(buf)
			c.Close()
		}
	}()
	return "http://" + l.Addr().String()
}

// refusedURL is an address nothing listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	return "http://" + testenv.FreeAddr(t)
}

func startServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
