package healthendpoints

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/httpsafe"
	"github.com/release-gate/release-gate/internal/testenv"
)

// A health endpoint that redirects to a 200 on another origin is not
// healthy, and the credentials from headers-env never reach that origin:
// redirects are not followed.
func TestRedirectElsewhereIsNotHealthy(t *testing.T) {
	var reached atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		w.Write([]byte("ok"))
	}))
	defer elsewhere.Close()
	moved := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	token := "tok-" + testenv.Random(t, "abcdefghijklmnop", 20)
	res := run(t, "base-url: "+moved+"\nheaders-env: {Authorization: AUTH, X-Api-Key: KEY}",
		map[string]string{"AUTH": "Bearer " + token, "KEY": token})
	if res.Status != gates.StatusFail || len(res.Findings) != 2 {
		t.Fatalf("status %s, findings %+v, err %s", res.Status, res.Findings, res.Err)
	}
	testenv.MustContain(t, "finding", res.Findings[0].Message, "answered 307 Temporary Redirect", `"redirects to `+elsewhere.URL+`/health"`)
	if n := reached.Load(); n != 0 {
		t.Errorf("the other origin got %d requests", n)
	}
	if strings.Contains(gatetest.Describe(res), token) {
		t.Errorf("the token reached the result:\n%s", gatetest.Describe(res))
	}
}

// insecure-skip-verify works with the client release-gate gives gates,
// whose transport applies the redirect policy.
func TestInsecureSkipVerifyBehindThePolicy(t *testing.T) {
	srv := httptest.NewTLSServer(&service{})
	t.Cleanup(srv.Close)
	env := testEnv(nil)
	env.HTTPClient = httpsafe.NewClient()
	res := gatetest.Run(t, gateFor(t, "base-url: "+srv.URL+"\ninsecure-skip-verify: true"), env)
	if res.Status != gates.StatusPass {
		t.Errorf("status %s: %s", res.Status, res.Err)
	}
}

// A healthy status followed by a body that trickles in a byte a second
// ends with the gate's deadline: the gate returns by itself.
func TestTricklingBodyHonoursContext(t *testing.T) {
	srv := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		for i := 0; i < 600; i++ {
			if _, err := w.Write([]byte("o")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Second):
			}
		}
	}))
	g := gateFor(t, "base-url: "+srv+"\nrequest-timeout: 10m")
	env := testEnv(nil)
	env.Now = time.Now
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := g.Run(ctx, &env); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "context deadline exceeded") {
			t.Errorf("want the deadline, got %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the gate ignored its deadline")
	}
}
