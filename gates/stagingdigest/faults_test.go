package stagingdigest

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/registry"
	"github.com/release-gate/release-gate/internal/registry/registrytest"
	"github.com/release-gate/release-gate/internal/testenv"
)

// The fault handlers wrap the real in-process registry and change only what
// a real registry cannot be made to do on demand.

// seedRegistry pushes app:v1 through a plain registry and serves the same
// storage behind wrap: faults apply to the gate only.
func seedRegistry(t *testing.T, wrap func(http.Handler) http.Handler) (host string) {
	t.Helper()
	return registrytest.Seeded(t, wrap, func(host string) { registrytest.PushImage(t, host+"/app:v1") })
}

func sameRef(host string, extra ...string) string {
	return refs(host+"/app:v1", host+"/app:v1", extra...)
}

func TestAuthAnonymousRefused(t *testing.T) {
	host := seedRegistry(t, registrytest.RequireBasic("u", "p"))
	c := registrytest.NewCounter(nil)
	res := gatetest.Run(t, gateFor(t, refs(host+"/app:v1", host+"/app:staging")), registrytest.Env(c, map[string]string{"HOME": t.TempDir()}))
	if res.Status != gates.StatusError {
		t.Fatalf("want error: %s", gatetest.Describe(res))
	}
	testenv.MustContain(t, "error", res.Err, "registry "+host+" requires credentials", "401 Unauthorized", "none were found",
		"username-env/password-env are not set", "no docker config at ", "staging-digest section of the README")
	// 401 is never retried as a GET.
	c.Check(t, map[string]int{"HEAD /v2/app/manifests/v1": 1, "HEAD /v2/app/manifests/staging": 1}, registrytest.Manifests)
}

func TestAuthEnvCredentials(t *testing.T) {
	pass := "pw-" + strings.Repeat("x", 12)
	host := seedRegistry(t, registrytest.RequireBasic("deployer", pass))
	body := sameRef(host, "username-env: REG_USER", "password-env: REG_PASS")

	t.Run("accepted", func(t *testing.T) {
		m := &gates.Masker{}
		res := gatetest.Run(t, gateFor(t, body), registrytest.Env(nil, map[string]string{"REG_USER": "deployer", "REG_PASS": pass}), gatetest.Options{Masker: m})
		if res.Status != gates.StatusPass {
			t.Fatalf("want pass: %s", gatetest.Describe(res))
		}
		testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), "credentials: username-env/password-env (REG_USER, REG_PASS)")
		if m.Redact("x"+pass+"x") != "x***x" {
			t.Errorf("the password was not registered as a secret")
		}
	})
	t.Run("refused", func(t *testing.T) {
		wrong := "wrong-" + strings.Repeat("y", 12)
		c := registrytest.NewCounter(nil)
		env := registrytest.Env(c, map[string]string{"REG_USER": "deployer", "REG_PASS": wrong})
		res := gatetest.Run(t, gateFor(t, body), env)
		if res.Status != gates.StatusError {
			t.Fatalf("want error: %s", gatetest.Describe(res))
		}
		testenv.MustContain(t, "error", res.Err, "refused the credentials from username-env/password-env (REG_USER, REG_PASS)", "401")
		if strings.Contains(gatetest.Describe(res), wrong) {
			t.Errorf("the password leaked: %s", gatetest.Describe(res))
		}
		c.Check(t, map[string]int{"HEAD /v2/app/manifests/v1": 1}, registrytest.Manifests)
	})
	t.Run("variable empty", func(t *testing.T) {
		c := registrytest.NewCounter(nil)
		res := gatetest.Run(t, gateFor(t, body), registrytest.Env(c, map[string]string{"REG_USER": "deployer"}))
		if res.Status != gates.StatusError {
			t.Fatalf("want error: %s", gatetest.Describe(res))
		}
		testenv.MustContain(t, "error", res.Err, "password-env names REG_PASS, which is empty or not set")
		if len(c.Requests()) != 0 {
			t.Errorf("no request without the credentials the config asks for: %v", c.Requests())
		}
	})
}

func TestAuthDockerConfig(t *testing.T) {
	pass := "dc-" + strings.Repeat("z", 12)
	host := seedRegistry(t, registrytest.RequireBasic("robot", pass))
	auth := base64.StdEncoding.EncodeToString([]byte("robot:" + pass))
	cfg := `{"auths": {"https://` + host + `/v1/": {"auth": "` + auth + `"}, "other.example.com": {"auth": "eDp5"}}}`

	t.Run("DOCKER_CONFIG", func(t *testing.T) {
		dir := t.TempDir()
		path := registrytest.WriteDockerConfig(t, dir, cfg)
		m := &gates.Masker{}
		res := gatetest.Run(t, gateFor(t, sameRef(host)), registrytest.Env(nil, map[string]string{"DOCKER_CONFIG": dir, "HOME": "/nonexistent"}), gatetest.Options{Masker: m})
		if res.Status != gates.StatusPass {
			t.Fatalf("want pass: %s", gatetest.Describe(res))
		}
		testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), "docker config "+path+` (auths entry "https://`+host+`/v1/")`)
		if m.Redact(pass) != "***" || m.Redact(auth) != "***" {
			t.Errorf("the docker config's secrets were not registered")
		}
	})
	t.Run("HOME", func(t *testing.T) {
		home := t.TempDir()
		registrytest.WriteDockerConfig(t, filepath.Join(home, ".docker"), cfg)
		res := gatetest.Run(t, gateFor(t, sameRef(host)), registrytest.Env(nil, map[string]string{"HOME": home}))
		if res.Status != gates.StatusPass {
			t.Fatalf("want pass: %s", gatetest.Describe(res))
		}
	})
	t.Run("no entry for the registry", func(t *testing.T) {
		dir := t.TempDir()
		path := registrytest.WriteDockerConfig(t, dir, `{"auths": {"other.example.com": {"auth": "eDp5"}}}`)
		res := gatetest.Run(t, gateFor(t, sameRef(host)), registrytest.Env(nil, map[string]string{"DOCKER_CONFIG": dir}))
		if res.Status != gates.StatusError {
			t.Fatalf("want error: %s", gatetest.Describe(res))
		}
		testenv.MustContain(t, "error", res.Err, "docker config "+path+" has no entry for "+host)
	})
	t.Run("not JSON", func(t *testing.T) {
		dir := t.TempDir()
		path := registrytest.WriteDockerConfig(t, dir, `{"auths": `)
		c := registrytest.NewCounter(nil)
		res := gatetest.Run(t, gateFor(t, sameRef(host)), registrytest.Env(c, map[string]string{"DOCKER_CONFIG": dir}))
		if res.Status != gates.StatusError {
			t.Fatalf("want error: %s", gatetest.Describe(res))
		}
		testenv.MustContain(t, "error", res.Err, "reading docker config "+path+": not valid JSON")
		c.Check(t, map[string]int{}, registrytest.Manifests)
	})
}

func TestAuthDockerConfigForbidden(t *testing.T) {
	pass := "dc-" + strings.Repeat("q", 12)
	host := seedRegistry(t, func(next http.Handler) http.Handler {
		return registrytest.RequireBasic("robot", pass)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if registrytest.IsManifest(r) {
				http.Error(w, `{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`, http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
		}))
	})
	dir := t.TempDir()
	path := registrytest.WriteDockerConfig(t, dir, `{"auths": {"`+host+`": {"username": "robot", "password": "`+pass+`"}}}`)
	c := registrytest.NewCounter(nil)
	res := gatetest.Run(t, gateFor(t, sameRef(host)), registrytest.Env(c, map[string]string{"DOCKER_CONFIG": dir}))
	if res.Status != gates.StatusError {
		t.Fatalf("want error: %s", gatetest.Describe(res))
	}
	testenv.MustContain(t, "error", res.Err, "registry "+host+" denied access with the credentials from docker config "+path, "403 Forbidden", "may not pull")
	c.Check(t, map[string]int{"HEAD /v2/app/manifests/v1": 1}, registrytest.Manifests)
}

// A token server in front of the registry, as Docker Hub, GHCR and most
// registries work: the credentials go to the realm, the token to the
// registry.
func TestAuthBearerToken(t *testing.T) {
	pass := "bt-" + strings.Repeat("w", 12)
	const token = "registry-token-0123456789"
	var realm atomic.Value
	host := seedRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/token" {
				if u, p, ok := r.BasicAuth(); !ok || u != "robot" || p != pass {
					http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}`, http.StatusUnauthorized)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"token": "` + token + `"}`))
				return
			}
			if r.Header.Get("Authorization") != "Bearer "+token {
				w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm.Load().(string)+`",service="test"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	realm.Store("http://" + host + "/token")
	body := refs(host+"/app:v1", host+"/app:v1", "username-env: U", "password-env: P")

	c := registrytest.NewCounter(nil)
	res := gatetest.Run(t, gateFor(t, body), registrytest.Env(c, map[string]string{"U": "robot", "P": pass}))
	if res.Status != gates.StatusPass {
		t.Fatalf("want pass: %s", gatetest.Describe(res))
	}
	c.Check(t, map[string]int{"HEAD /v2/app/manifests/v1": 1}, registrytest.Manifests)

	res = gatetest.Run(t, gateFor(t, body), registrytest.Env(nil, map[string]string{"U": "robot", "P": "wrong-password-here"}))
	if res.Status != gates.StatusError {
		t.Fatalf("want error: %s", gatetest.Describe(res))
	}
	testenv.MustContain(t, "error", res.Err, "refused the credentials from username-env/password-env (U, P)", "/token: 401 Unauthorized", "UNAUTHORIZED: bad credentials")
}

func TestRetryThenPass(t *testing.T) {
	var heads atomic.Int32
	host := seedRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if registrytest.IsManifest(r) && r.Method == http.MethodHead && heads.Add(1) <= 2 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	c := registrytest.NewCounter(nil)
	res := gatetest.Run(t, gateFor(t, sameRef(host)), registrytest.Env(c, nil))
	if res.Status != gates.StatusPass {
		t.Fatalf("want pass after retries: %s", gatetest.Describe(res))
	}
	notes := strings.Join(res.Notes, "\n")
	testenv.MustContain(t, "notes", notes, "attempt 1 failed (HEAD http://"+host+"/v2/app/manifests/v1: 429 Too Many Requests); retrying in 10ms", "attempt 2 failed")
	c.Check(t, map[string]int{"HEAD /v2/app/manifests/v1": 3}, registrytest.Manifests)
}

func TestRetryGivesUp(t *testing.T) {
	host := seedRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if registrytest.IsManifest(r) {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	c := registrytest.NewCounter(nil)
	res := gatetest.Run(t, gateFor(t, refs(host+"/app:v1", host+"/app:staging")), registrytest.Env(c, nil))
	if res.Status != gates.StatusError {
		t.Fatalf("want error: %s", gatetest.Describe(res))
	}
	testenv.MustContain(t, "error", res.Err, "registry "+host+" keeps failing", "503 Service Unavailable (after 3 attempts)", "try again later")
	c.Check(t, map[string]int{"HEAD /v2/app/manifests/v1": 3, "HEAD /v2/app/manifests/staging": 3}, registrytest.Manifests)
}

// The ping of an insecure registry tries HTTPS and HTTP; its 503 is found in
// the library's list of errors and retried too.
func TestRetryPing(t *testing.T) {
	var pings atomic.Int32
	host := seedRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v2/" && pings.Add(1) <= 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	res := gatetest.Run(t, gateFor(t, sameRef(host)), registrytest.Env(nil, nil))
	if res.Status != gates.StatusPass {
		t.Fatalf("want pass after a retried ping: %s", gatetest.Describe(res))
	}
	testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), "GET http://"+host+"/v2/: 503 Service Unavailable")
}

// Waits between attempts honour the gate's deadline: a long backoff is not
// slept through.
func TestRetryHonoursDeadline(t *testing.T) {
	host := seedRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if registrytest.IsManifest(r) {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	g := gateFor(t, sameRef(host), withRetry(registry.RetryPolicy{Attempts: 5, Initial: time.Hour, Factor: 2, Max: time.Hour}))
	env := registrytest.Env(nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := g.Run(ctx, &env)
	if err == nil {
		t.Fatal("want an error")
	}
	testenv.MustContain(t, "error", err.Error(), "502 Bad Gateway (gave up after 1 attempts: the next would start after the gate's timeout)")
	if ctx.Err() != nil {
		t.Errorf("the gate waited for its deadline instead of giving up: %v", err)
	}
}

func TestGETFallback(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault func(w http.ResponseWriter, r *http.Request, next http.Handler)
	}{
		{"HEAD not allowed", func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			w.WriteHeader(http.StatusMethodNotAllowed)
		}},
		{"no Docker-Content-Digest", func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			next.ServeHTTP(registrytest.StripDigest{ResponseWriter: w}, r)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			host := seedRegistry(t, func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if registrytest.IsManifest(r) && r.Method == http.MethodHead {
						tt.fault(w, r, next)
						return
					}
					next.ServeHTTP(w, r)
				})
			})
			c := registrytest.NewCounter(nil)
			res := gatetest.Run(t, gateFor(t, sameRef(host)), registrytest.Env(c, nil))
			if res.Status != gates.StatusPass {
				t.Fatalf("want pass: %s", gatetest.Describe(res))
			}
			testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), "asked with GET instead", "(GET, anonymous)")
			c.Check(t, map[string]int{"HEAD /v2/app/manifests/v1": 1, "GET /v2/app/manifests/v1": 1}, registrytest.Manifests)
		})
	}
}

func TestNotARegistry(t *testing.T) {
	host := seedRegistry(t, func(next http.Handler) http.Handler {
		return http.NotFoundHandler()
	})
	res := gatetest.Run(t, gateFor(t, sameRef(host)), registrytest.Env(nil, nil))
	if res.Status != gates.StatusError {
		t.Fatalf("a 404 for /v2/ is not a missing image: %s", gatetest.Describe(res))
	}
	testenv.MustContain(t, "error", res.Err, "registry "+host+" answered GET http://"+host+"/v2/: 404 Not Found")
}

func TestGarbageIndex(t *testing.T) {
	host := seedRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if registrytest.IsManifest(r) {
				w.Header().Set("Content-Type", "application/vnd.oci.image.index.v1+json")
				w.Write([]byte("<html>not an index</html>"))
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	res := gatetest.Run(t, gateFor(t, sameRef(host, "platform: linux/amd64")), registrytest.Env(nil, nil))
	if res.Status != gates.StatusError {
		t.Fatalf("want error: %s", gatetest.Describe(res))
	}
	testenv.MustContain(t, "error", res.Err, "reading the index")
}

func TestUnreachable(t *testing.T) {
	host := registrytest.Start(t, nil)
	res := gatetest.Run(t, gateFor(t, refs("127.0.0.1:1/app:v1", host+"/app:v1")), registrytest.Env(nil, nil))
	if res.Status != gates.StatusError {
		t.Fatalf("want error: %s", gatetest.Describe(res))
	}
	testenv.MustContain(t, "error", res.Err, "cannot reach registry 127.0.0.1:1", "connection refused")
}

func TestHang(t *testing.T) {
	host := seedRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if registrytest.IsManifest(r) {
				<-r.Context().Done()
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	g := gateFor(t, sameRef(host))

	env := registrytest.Env(nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := g.Run(ctx, &env)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("want the context's deadline, got %v", err)
	}

	res := gatetest.Run(t, g, registrytest.Env(nil, nil), gatetest.Options{Timeout: 200 * time.Millisecond})
	if res.Status != gates.StatusError || !strings.Contains(res.Err, "timed out after 200ms") {
		t.Errorf("want a timeout error: %s", gatetest.Describe(res))
	}
}

// A registry that accepts the connection and never answers, or sends an
// answer's headers and then nothing, ends the gate with an error naming it
// after request-timeout, long before the gate's own timeout; so does a
// staging endpoint that stops after its headers.
func TestRequestTimeout(t *testing.T) {
	silent := registrytest.Silent(t)
	stalled := seedRegistry(t, registrytest.StallBody(func(r *http.Request) bool {
		return r.Method == http.MethodGet && registrytest.IsManifest(r)
	}))
	good := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, good+"/app:candidate")
	registrytest.WriteImage(t, good+"/app:staging", img)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "200")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"build": `))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	endpoint := srv.URL + "/version"
	for name, tc := range map[string]struct {
		body string
		want []string
	}{
		"registry: no answer": {sameRef(silent, "request-timeout: 100ms"),
			[]string{"registry " + silent + " did not answer GET", "within 100ms (request-timeout)", "raise request-timeout"}},
		"registry: headers, then nothing": {sameRef(stalled, "request-timeout: 100ms", "platform: linux/amd64"),
			[]string{"registry " + stalled + " started answering GET http://" + stalled + "/v2/app/manifests/v1 but did not finish within 100ms (request-timeout)", "raise request-timeout"}},
		"endpoint: headers, then nothing": {endpointConfig(good, endpoint, "request-timeout: 100ms"),
			[]string{"GET " + endpoint + ": the answer did not finish within 100ms (request-timeout)"}},
	} {
		t.Run(name, func(t *testing.T) {
			res := gatetest.Run(t, gateFor(t, tc.body), registrytest.Env(nil, nil), gatetest.Options{Timeout: time.Minute})
			if res.Status != gates.StatusError {
				t.Fatalf("want error: %s", gatetest.Describe(res))
			}
			testenv.MustContain(t, "error", res.Err, tc.want...)
		})
	}
}

// A proxy or login page answering 200 with HTML for every manifest must not
// make two tags (one of them never pushed) "resolve" to the same digest.
func TestLoginPageIsNotAManifest(t *testing.T) {
	host := seedRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if registrytest.IsManifest(r) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Write([]byte("<html><body>Please sign in</body></html>"))
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	res := gatetest.Run(t, gateFor(t, refs(host+"/app:v1", host+"/app:staging")), registrytest.Env(nil, nil))
	if res.Status != gates.StatusError {
		t.Fatalf("want error: %s", gatetest.Describe(res))
	}
	testenv.MustContain(t, "error", res.Err, "is not an image manifest")
	if gatetest.Output(res, "pinned-image") != "" || gatetest.Output(res, "digest") != "" {
		t.Errorf("no digest from a login page: %s", gatetest.Describe(res))
	}
}
