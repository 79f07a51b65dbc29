package stagingdigest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/registry/registrytest"
	"github.com/release-gate/release-gate/internal/testenv"
)

// stagingService is a staging deployment's /version endpoint; answer says
// what its n-th call (from 1) returns.
func stagingService(t *testing.T, answer func(n int, w http.ResponseWriter)) (url string, calls *atomic.Int32) {
	t.Helper()
	calls = &atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer(int(calls.Add(1)), w)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/version", calls
}

func versionJSON(digest string) func(int, http.ResponseWriter) {
	return func(_ int, w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"service": "api", "build": {"digest": %q, "commit": "abc"}}`, digest)
	}
}

func endpointConfig(host, url string, extra ...string) string {
	return refs(host+"/app:candidate", host+"/app:staging",
		append([]string{fmt.Sprintf("staging-endpoint: {url: %q, json-path: build.digest}", url)}, extra...)...)
}

func TestEndpointPass(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/app:candidate")
	registrytest.WriteImage(t, host+"/app:staging", img)
	d := registrytest.Digest(t, img).String()

	for _, value := range []string{d, host + "/app@" + d, "registry.staging.internal/app:candidate@" + d} {
		url, _ := stagingService(t, versionJSON(value))
		res := gatetest.Run(t, gateFor(t, endpointConfig(host, url)), registrytest.Env(nil, nil))
		if res.Status != gates.StatusPass {
			t.Fatalf("%s: want pass: %s", value, gatetest.Describe(res))
		}
		testenv.MustContain(t, "summary", res.Summary, "staging validated and runs")
		testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), "staging-endpoint attempt 1", "staging runs the candidate")
	}
}

func TestEndpointMismatch(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/app:candidate")
	registrytest.WriteImage(t, host+"/app:staging", img)
	old := registrytest.Digest(t, registrytest.PushImage(t, host+"/app:previous")).String()
	url, calls := stagingService(t, versionJSON(old))

	res := gatetest.Run(t, gateFor(t, endpointConfig(host, url)), registrytest.Env(nil, nil))
	if res.Status != gates.StatusFail || len(res.Findings) != 1 || res.Findings[0].Rule != "staging-not-running" {
		t.Fatalf("want staging-not-running: %s", gatetest.Describe(res))
	}
	testenv.MustContain(t, "finding", res.Findings[0].Message, url, "reports "+old, registrytest.Digest(t, img).String(), "add wait:")
	if calls.Load() != 1 {
		t.Errorf("without wait the endpoint is read once, not %d times", calls.Load())
	}
	if gatetest.Output(res, "pinned-image") != "" {
		t.Errorf("no pinned image when staging runs something else")
	}
}

// With wait, the gate re-reads until staging shows the candidate.
func TestEndpointWaitRollout(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/app:candidate")
	registrytest.WriteImage(t, host+"/app:staging", img)
	d := registrytest.Digest(t, img).String()
	old := registrytest.Digest(t, registrytest.PushImage(t, host+"/app:previous")).String()
	url, calls := stagingService(t, func(n int, w http.ResponseWriter) {
		switch n {
		case 1:
			versionJSON(old)(n, w)
		case 2:
			w.WriteHeader(http.StatusBadGateway) // pods restarting
		default:
			versionJSON(d)(n, w)
		}
	})
	res := gatetest.Run(t, gateFor(t, endpointConfig(host, url, "wait: {interval: 5ms, timeout: 10s}")), registrytest.Env(nil, nil))
	if res.Status != gates.StatusPass {
		t.Fatalf("want pass: %s", gatetest.Describe(res))
	}
	notes := strings.Join(res.Notes, "\n")
	testenv.MustContain(t, "notes", notes, "attempt 1", old+", not the candidate", "attempt 2", "502 Bad Gateway", "attempt 3", "staging runs the candidate")
	if calls.Load() != 3 {
		t.Errorf("%d reads, want 3", calls.Load())
	}
}

func TestEndpointWaitTimeout(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/app:candidate")
	registrytest.WriteImage(t, host+"/app:staging", img)
	old := registrytest.Digest(t, registrytest.PushImage(t, host+"/app:previous")).String()

	t.Run("still the old image", func(t *testing.T) {
		url, calls := stagingService(t, versionJSON(old))
		res := gatetest.Run(t, gateFor(t, endpointConfig(host, url, "wait: {interval: 2ms, timeout: 30ms}")), registrytest.Env(nil, nil))
		if res.Status != gates.StatusFail || res.Findings[0].Rule != "staging-not-running" {
			t.Fatalf("want staging-not-running: %s", gatetest.Describe(res))
		}
		n := int(calls.Load())
		testenv.MustContain(t, "finding", res.Findings[0].Message, fmt.Sprintf("last of %d attempts over", n))
		if n < 2 {
			t.Fatalf("%d reads; want several", n)
		}
		// The first read is noted in full, the same answer since in one line.
		same := fmt.Sprintf("staging-endpoint attempts 2 to %d (until ", n)
		if n == 2 {
			same = "staging-endpoint attempt 2 ("
		}
		notes := strings.Join(res.Notes, "\n")
		testenv.MustContain(t, "notes", notes, "staging-endpoint attempt 1 (", old+", not the candidate", same, "the same as attempt 1")
		if c := strings.Count(notes, old); c != 1 {
			t.Errorf("the old digest is noted %d times, want once:\n%s", c, notes)
		}
	})
	t.Run("endpoint failing", func(t *testing.T) {
		url, _ := stagingService(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) })
		res := gatetest.Run(t, gateFor(t, endpointConfig(host, url, "wait: {interval: 2ms, timeout: 20ms}")), registrytest.Env(nil, nil))
		if res.Status != gates.StatusError {
			t.Fatalf("a failing endpoint cannot prove anything: %s", gatetest.Describe(res))
		}
		testenv.MustContain(t, "error", res.Err, "reading staging-endpoint: GET "+url+": 503 Service Unavailable (last of")
	})
}

func TestEndpointFaults(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/app:candidate")
	registrytest.WriteImage(t, host+"/app:staging", img)

	for _, tt := range []struct {
		name   string
		answer func(int, http.ResponseWriter)
		want   []string
	}{
		{"status", func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) }, []string{"404 Not Found"}},
		{"not JSON", func(_ int, w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>maintenance</html>"))
		}, []string{"not JSON", "text/html", "<html>maintenance"}},
		{"path missing", func(_ int, w http.ResponseWriter) { w.Write([]byte(`{"build": {"sha": "x", "tag": "y"}}`)) }, []string{`json-path build.digest: no key "digest" at build (keys there: sha, tag)`}},
		{"path through a string", func(_ int, w http.ResponseWriter) { w.Write([]byte(`{"build": "abc"}`)) }, []string{`build is a string, so "digest" does not select anything`}},
		{"not a string", func(_ int, w http.ResponseWriter) { w.Write([]byte(`{"build": {"digest": 42}}`)) }, []string{"is a number, not a digest string"}},
		{"not a digest", func(_ int, w http.ResponseWriter) { w.Write([]byte(`{"build": {"digest": "v1.2.3"}}`)) }, []string{`is "v1.2.3", not a digest`}},
		{"too big", func(_ int, w http.ResponseWriter) {
			w.Write([]byte(`{"pad": "` + strings.Repeat("x", maxEndpointBody) + `"}`))
		}, []string{"larger than"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url, _ := stagingService(t, tt.answer)
			res := gatetest.Run(t, gateFor(t, endpointConfig(host, url)), registrytest.Env(nil, nil))
			if res.Status != gates.StatusError {
				t.Fatalf("want error: %s", gatetest.Describe(res))
			}
			testenv.MustContain(t, "error", res.Err, append([]string{"reading staging-endpoint: GET " + url}, tt.want...)...)
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		res := gatetest.Run(t, gateFor(t, endpointConfig(host, "http://127.0.0.1:1/version")), registrytest.Env(nil, nil))
		if res.Status != gates.StatusError {
			t.Fatalf("want error: %s", gatetest.Describe(res))
		}
		testenv.MustContain(t, "error", res.Err, "GET http://127.0.0.1:1/version: dial tcp 127.0.0.1:1")
	})
	t.Run("query string kept out of messages", func(t *testing.T) {
		url, _ := stagingService(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusForbidden) })
		res := gatetest.Run(t, gateFor(t, endpointConfig(host, url+"?token=hunter2hunter2")), registrytest.Env(nil, nil))
		if res.Status != gates.StatusError || strings.Contains(gatetest.Describe(res), "hunter2") {
			t.Fatalf("want an error without the query: %s", gatetest.Describe(res))
		}
	})
}

// A hanging endpoint costs one attempt, not the whole wait; the gate's
// context ends the wait.
func TestEndpointHang(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/app:candidate")
	registrytest.WriteImage(t, host+"/app:staging", img)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	g := gateFor(t, endpointConfig(host, srv.URL, "wait: {interval: 5ms, timeout: 100ms}", "request-timeout: 20ms"))
	res := gatetest.Run(t, g, registrytest.Env(nil, nil))
	if res.Status != gates.StatusError {
		t.Fatalf("want error: %s", gatetest.Describe(res))
	}
	testenv.MustContain(t, "error", res.Err, "GET "+srv.URL+": no answer within 20ms (request-timeout)", "last of")
	// The first timed-out attempt is noted in full, the others as the same.
	testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), "staging-endpoint attempt 1 (", "no answer within 20ms", "the same as attempt 1")

	g = gateFor(t, endpointConfig(host, srv.URL, "wait: {interval: 5ms, timeout: 1h}"))
	env := registrytest.Env(nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := g.Run(ctx, &env); err == nil || ctx.Err() == nil {
		t.Errorf("the gate's context must end the wait: %v", err)
	}
}

func TestLookupJSONPath(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(`{"images": [{"digest": "a"}, {"digest": "b"}], "x": null}`), &doc); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"images[1].digest": "b", "images.0.digest": "a"} {
		steps, _ := parseJSONPath(path)
		if v, err := lookupJSONPath(doc, steps); err != nil || v != want {
			t.Errorf("%s = %v, %v", path, v, err)
		}
	}
	for path, want := range map[string]string{
		"images[2].digest": "images is a list of 2",
		"x.y":              "x is null",
		"nope":             `no key "nope" at the top level (keys there: images, x)`,
	} {
		steps, _ := parseJSONPath(path)
		if _, err := lookupJSONPath(doc, steps); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", path, err, want)
		}
	}
}

// What the endpoint answers is quoted in errors only with secrets cut out,
// even where the quote is cut short.
func TestEndpointAnswerSecretsHidden(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/app:candidate")
	registrytest.WriteImage(t, host+"/app:staging", img)
	key := testenv.AWSKey(t)
	pw := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 20)

	for _, tt := range []struct {
		name   string
		answer func(int, http.ResponseWriter)
		secret string
	}{
		{"not JSON", func(_ int, w http.ResponseWriter) {
			w.Write([]byte("boot failed: aws_access_key_id=" + key + " rejected by STS\n"))
		}, key},
		{"URL password", func(_ int, w http.ResponseWriter) {
			w.Write([]byte("db down: postgres://app:" + pw + "@db.internal:5432/app\n"))
		}, pw},
		{"json-path value", func(_ int, w http.ResponseWriter) {
			w.Write([]byte(`{"build": {"digest": "aws_access_key_id=` + key + `"}}`))
		}, key},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url, _ := stagingService(t, tt.answer)
			res := gatetest.Run(t, gateFor(t, endpointConfig(host, url)), registrytest.Env(nil, nil))
			if res.Status != gates.StatusError {
				t.Fatalf("want error: %s", gatetest.Describe(res))
			}
			// Not even the part of it that fits in the quote.
			if strings.Contains(gatetest.Describe(res), tt.secret[:12]) {
				t.Errorf("the secret reached the result: %s", gatetest.Describe(res))
			}
		})
	}
}

// A redirect whose address the client cannot read is quoted in the
// client's error: the query values the request carried, which it may
// echo, are cut out of it.
func TestEndpointBadRedirectHidesQueryValues(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/app:candidate")
	registrytest.WriteImage(t, host+"/app:staging", img)
	token := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 40)
	url, _ := stagingService(t, func(_ int, w http.ResponseWriter) {
		w.Header().Set("Location", "http://x/%zz?access="+token)
		w.WriteHeader(http.StatusFound)
	})
	res := gatetest.Run(t, gateFor(t, endpointConfig(host, url+"?access="+token)), registrytest.Env(nil, nil))
	if res.Status != gates.StatusError {
		t.Fatalf("want error: %s", gatetest.Describe(res))
	}
	gatetest.Want(t, res, gates.StatusError, nil, "Location header")
	gatetest.WantNot(t, res, token[:12])
}
