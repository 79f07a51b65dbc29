package stagingdigest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/registry/registrytest"
	"github.com/release-gate/release-gate/internal/testenv"
)

// The staging endpoint's user:password and query-string token never reach
// another origin its redirect leads to (Go's client sends the query along
// in the Referer); a redirect from HTTPS to plain HTTP is refused.
func TestEndpointRedirectKeepsCredentialsHome(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/app:candidate")
	registrytest.WriteImage(t, host+"/app:staging", img)
	d := registrytest.Digest(t, img).String()

	var mu sync.Mutex
	var seen []string
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, fmt.Sprintf("Authorization=%q Referer=%q", r.Header.Get("Authorization"), r.Header.Get("Referer")))
		mu.Unlock()
		versionJSON(d)(0, w)
	}))
	defer elsewhere.Close()
	moved := func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusFound)
	}
	front := httptest.NewServer(http.HandlerFunc(moved))
	defer front.Close()

	pw := "pw-" + testenv.Random(t, "abcdefghijklmnop", 12)
	tok := "tok-" + testenv.Random(t, "abcdefghijklmnop", 12)
	url := strings.Replace(front.URL, "http://", "http://staging:"+pw+"@", 1) + "/version?token=" + tok
	res := run(t, gateFor(t, endpointConfig(host, url)), registrytest.Env(nil, nil))
	if res.Status != gates.StatusPass {
		t.Fatalf("want pass: %s", describe(res))
	}
	mu.Lock()
	got := append([]string(nil), seen...)
	mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("the other origin got %d requests", len(got))
	}
	for _, secret := range []string{pw, tok, "Basic "} {
		if strings.Contains(got[0], secret) {
			t.Errorf("a credential reached another origin: %s", got[0])
		}
	}

	tlsFront := httptest.NewTLSServer(http.HandlerFunc(moved))
	defer tlsFront.Close()
	env := registrytest.Env(tlsFront.Client().Transport, nil)
	res = run(t, gateFor(t, endpointConfig(host, tlsFront.URL+"/version")), env)
	if res.Status != gates.StatusError {
		t.Fatalf("want error: %s", describe(res))
	}
	testenv.MustContain(t, "error", res.Err, "refused to follow the redirect from "+tlsFront.URL+"/version to "+elsewhere.URL+"/version", "plain HTTP")
}

// A staging endpoint whose body trickles in a byte a second ends with the
// gate's deadline: the gate returns by itself.
func TestEndpointTrickles(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/app:candidate")
	registrytest.WriteImage(t, host+"/app:staging", img)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		for i := 0; i < 600; i++ {
			if _, err := w.Write([]byte(" ")); err != nil {
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
	defer srv.Close()
	g := gateFor(t, endpointConfig(host, srv.URL+"/version"), withEndpointTimeout(time.Hour))
	env := registrytest.Env(nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
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
