package stagingdigest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/configtest"
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
	res := gatetest.Run(t, gateFor(t, endpointConfig(host, url)), registrytest.Env(nil, nil))
	if res.Status != gates.StatusPass {
		t.Fatalf("want pass: %s", gatetest.Describe(res))
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
	res = gatetest.Run(t, gateFor(t, endpointConfig(host, tlsFront.URL+"/version")), env)
	if res.Status != gates.StatusError {
		t.Fatalf("want error: %s", gatetest.Describe(res))
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
	g := gateFor(t, endpointConfig(host, srv.URL+"/version", "request-timeout: 1h"))
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

// Later steps paste pinned-image into shell scripts
// (run: ./deploy.sh "${{ steps.gate.outputs.pinned-image }}"), so it is
// only ever a well-formed image reference. A registry name the library
// would accept, such as one holding $(...), is refused where it is
// configured: behind a proxy, which resolves any name, the gate would
// otherwise pass and hand the command on.
func TestOutputsAreOnlyImageReferences(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/org/api:candidate")
	registrytest.WriteImage(t, host+"/org/api:staging", img)
	proxy := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, host) // every name leads to the registry
	}}
	reference := regexp.MustCompile(`^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+@sha256:[0-9a-f]{64}$`)
	for _, reg := range []string{"registry.test$(id)", "registry.test;id", "registry.test&&id", "registry.test'\"", "gh\u0441r.io"} {
		body := fmt.Sprintf("image: %s/org/api:candidate\nstaging: %s/org/api:staging\ninsecure: true\n", reg, reg)
		g, err := newGate(configtest.Section(t, Name, body, nil), withRetry(fastRetry))
		if err == nil {
			res := gatetest.Run(t, g, registrytest.Env(proxy, nil))
			if out := gatetest.Output(res, "pinned-image"); out != "" && !reference.MatchString(out) {
				t.Errorf("registry %q: pinned-image is %q", reg, out)
			} else {
				t.Errorf("registry %q was accepted: %s", reg, gatetest.Describe(res))
			}
			continue
		}
		testenv.MustContain(t, "error", err.Error(), "image", "registry name")
	}
}

// An endpoint that echoes the credentials of its URL (the password, a
// token in the query string) at the point where the quoted start of its
// answer is cut shows none of them.
func TestEndpointEchoesItsCredentials(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/app:candidate")
	registrytest.WriteImage(t, host+"/app:staging", img)
	pw := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 32)
	tok := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 32)
	for name, answer := range map[string]string{
		"not JSON, password at the cut": strings.Repeat("x", 50) + " " + pw,
		"not JSON, token at the cut":    strings.Repeat("x", 52) + " " + tok,
		"digest, token escaped":         `{"build": {"digest": "` + strings.Repeat("x", 100) + `\"` + tok + `"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, answer)
			}))
			defer srv.Close()
			url := strings.Replace(srv.URL, "http://", "http://staging:"+pw+"@", 1) + "/version?token=" + tok
			res := gatetest.Run(t, gateFor(t, endpointConfig(host, url)), registrytest.Env(nil, nil))
			if res.Status != gates.StatusError {
				t.Fatalf("want error: %s", gatetest.Describe(res))
			}
			all := gatetest.Describe(res)
			for _, part := range []string{pw[:6], pw[26:], tok[:6], tok[26:]} {
				if strings.Contains(all, part) {
					t.Errorf("part of a credential (%s) is shown:\n%s", part, all)
				}
			}
		})
	}
}

// An endpoint answering an object of many long keys, one holding a
// secret, read again and again by a wait: the keys listed are the first
// 20, each cut to a few dozen bytes of valid UTF-8 with the secret cut out,
// and the reads after the first, all the same, are one note. The whole
// result stays a few kilobytes instead of growing by megabytes per read.
func TestEndpointManyLongKeys(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/app:candidate")
	registrytest.WriteImage(t, host+"/app:staging", img)
	tok := testenv.GitHubToken(t)
	doc := map[string]int{}
	for i := range 30 {
		k := fmt.Sprintf("k%02d ", i) + strings.Repeat("é", 15000) // 2 bytes each: a cut may fall inside one
		if i == 5 {
			k = fmt.Sprintf("k%02d ", i) + tok + " " + strings.Repeat("x", 30000)
		}
		doc[k] = i
	}
	body, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	url, calls := stagingService(t, func(_ int, w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	res := gatetest.Run(t, gateFor(t, endpointConfig(host, url, "wait: {interval: 1ms, timeout: 100ms}")), registrytest.Env(nil, nil))
	if res.Status != gates.StatusError {
		t.Fatalf("want error: %s", gatetest.Describe(res))
	}
	if calls.Load() < 2 {
		t.Fatalf("%d reads; want several", calls.Load())
	}
	all := gatetest.Describe(res)
	testenv.MustContain(t, "error", res.Err, `no key "build" at the top level (keys there: k00 éé`, "k19 éé", "and 10 more", "(last of")
	testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), "the same as attempt 1")
	if strings.Contains(all, tok[4:16]) {
		t.Errorf("part of the secret in a key is shown:\n%.2000s", all)
	}
	if strings.Contains(all, "k20 ") {
		t.Errorf("more than 20 keys are listed:\n%.2000s", all)
	}
	if !utf8.ValidString(all) {
		t.Errorf("a key was cut inside a character:\n%.2000s", all)
	}
	if len(all) > 10_000 {
		t.Errorf("the result is %d bytes after %d reads:\n%.2000s", len(all), calls.Load(), all)
	}
}
