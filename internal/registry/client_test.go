package registry

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/registry/registrytest"
	"github.com/release-gate/release-gate/internal/testenv"
)

// newClient makes a client with fast retries for a plain-HTTP test
// registry, over env.
func newClient(t testing.TB, env *gates.Env, opts ...Option) *Client {
	t.Helper()
	c, err := New(env, append([]Option{WithRetry(fastRetry), WithInsecure(true)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func mustRef(t testing.TB, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustRepo(t testing.TB, s string) name.Repository {
	t.Helper()
	r, err := name.NewRepository(s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestResolveOneHead(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/team/app:v1")
	want := registrytest.Digest(t, img)

	cnt := registrytest.NewCounter(nil)
	env := registrytest.Env(cnt, nil)
	c := newClient(t, &env)
	d, err := c.Resolve(context.Background(), mustRef(t, host+"/team/app:v1"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Digest != want || d.Method != http.MethodHead || d.IsIndex() || d.Manifest != nil {
		t.Errorf("descriptor %+v, want %s by HEAD", d, want)
	}
	if got := d.Pinned().String(); got != host+"/team/app@"+want.String() {
		t.Errorf("pinned %s", got)
	}
	if Kind(d.MediaType) != "image" || c.CredentialsFor(host) != "anonymous" {
		t.Errorf("kind %q, credentials %q", Kind(d.MediaType), c.CredentialsFor(host))
	}
	cnt.Check(t, map[string]int{"HEAD /v2/team/app/manifests/v1": 1}, registrytest.Manifests)
}

// A multi-arch tag resolves to the index's digest, not one of its images'
// (remote.Image(ref).Digest() would answer a child's).
func TestResolveIndex(t *testing.T) {
	host := registrytest.Start(t, nil)
	idx := registrytest.PushIndex(t, host+"/app:multi", "linux/amd64", "linux/arm64/v8")
	env := registrytest.Env(nil, nil)
	c := newClient(t, &env)
	d, err := c.Resolve(context.Background(), mustRef(t, host+"/app:multi"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Digest != registrytest.Digest(t, idx) || !d.IsIndex() || Kind(d.MediaType) != "multi-arch index" {
		t.Errorf("got %s (%s), want the index %s", d.Digest, d.MediaType, registrytest.Digest(t, idx))
	}

	// Get fetches the manifest, from which a platform is picked.
	g, err := c.Get(context.Background(), mustRef(t, host+"/app:multi"))
	if err != nil {
		t.Fatal(err)
	}
	if g.Digest != d.Digest || g.Method != http.MethodGet || !g.IsIndex() {
		t.Errorf("Get: %+v", g)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	child, _ := PickPlatform(m, platform(t, "linux/arm64"))
	if child == nil || child.Platform.Variant != "v8" {
		t.Fatalf("linux/arm64 is linux/arm64/v8: %+v", child)
	}
	if p, ok := ChildPlatform(g.Manifest, child.Digest); !ok || p != "linux/arm64/v8" {
		t.Errorf("ChildPlatform: %q %v", p, ok)
	}
	if child, platforms := PickPlatform(m, platform(t, "linux/s390x")); child != nil || strings.Join(platforms, ",") != "linux/amd64,linux/arm64/v8" {
		t.Errorf("s390x: %v %v", child, platforms)
	}
}

func TestResolveNotFound(t *testing.T) {
	host := registrytest.Start(t, nil)
	registrytest.PushImage(t, host+"/app:v1")
	for _, ref := range []string{host + "/app:v2", host + "/nope:v1", host + "/app@sha256:" + strings.Repeat("a", 64)} {
		cnt := registrytest.NewCounter(nil)
		env := registrytest.Env(cnt, nil)
		_, err := newClient(t, &env).Resolve(context.Background(), mustRef(t, ref))
		var re *Error
		if !errors.Is(err, ErrNotFound) || !errors.As(err, &re) || re.Status != http.StatusNotFound || re.Host != host {
			t.Fatalf("%s: want ErrNotFound, got %#v", ref, err)
		}
		testenv.MustContain(t, "error", err.Error(), ref+" does not exist in registry "+host, "404 Not Found")
		if errors.Is(err, ErrUnexpected) || errors.Is(err, ErrUnauthorized) {
			t.Errorf("an error has one kind: %v", err)
		}
		// One HEAD, no GET after a 404.
		r := mustRef(t, ref)
		cnt.Check(t, map[string]int{"HEAD /v2/" + r.Context().RepositoryStr() + "/manifests/" + r.Identifier(): 1}, registrytest.Manifests)
	}
}

// Every failure the registry can answer has its kind, a message that says
// what to do, and the library's error underneath.
func TestResolveErrorKinds(t *testing.T) {
	pass := "pw-" + strings.Repeat("k", 12)
	for _, tt := range []struct {
		name  string
		wrap  func(http.Handler) http.Handler
		vars  map[string]string
		opts  []Option
		kind  error
		heads int
		want  []string
	}{
		{"401 anonymous", registrytest.Fail(http.StatusUnauthorized, registrytest.IsManifest), nil, nil, ErrUnauthorized, 1,
			[]string{"requires credentials (HEAD http://HOST/v2/app/manifests/v1: 401 Unauthorized) and none were found", "username-env/password-env are not set", "See the README for registry logins"}},
		{"401 with login help", registrytest.Fail(http.StatusUnauthorized, registrytest.IsManifest), nil, []Option{WithLoginHelp("the rollback-readiness section of the README")}, ErrUnauthorized, 1,
			[]string{"See the rollback-readiness section of the README for registry logins"}},
		{"401 refused credentials", registrytest.RequireBasic("robot", pass), map[string]string{"U": "robot", "P": "wrong-" + pass}, []Option{WithCredentialsFrom("U", "P")}, ErrUnauthorized, 1,
			[]string{"refused the credentials from username-env/password-env (U, P)", "allowed to pull HOST/app"}},
		{"403", func(next http.Handler) http.Handler {
			return registrytest.RequireBasic("robot", pass)(registrytest.Fail(http.StatusForbidden, registrytest.IsManifest)(next))
		}, map[string]string{"U": "robot", "P": pass}, []Option{WithCredentialsFrom("U", "P")}, ErrForbidden, 1,
			[]string{"denied access with the credentials from username-env/password-env (U, P)", "403 Forbidden", "may not pull HOST/app"}},
		{"429", registrytest.Fail(http.StatusTooManyRequests, registrytest.IsManifest), nil, nil, ErrRateLimited, 3,
			[]string{"registry HOST keeps failing: HEAD http://HOST/v2/app/manifests/v1: 429 Too Many Requests (after 3 attempts); try again later"}},
		{"503", registrytest.Fail(http.StatusServiceUnavailable, registrytest.IsManifest), nil, nil, ErrUnavailable, 3,
			[]string{"503 Service Unavailable (after 3 attempts)", "try again later"}},
		{"400", registrytest.Fail(http.StatusBadRequest, registrytest.IsManifest), nil, nil, ErrUnexpected, 1,
			[]string{"registry HOST answered HEAD http://HOST/v2/app/manifests/v1: 400 Bad Request"}},
		{"not a registry", func(http.Handler) http.Handler { return http.NotFoundHandler() }, nil, nil, ErrUnexpected, 0,
			[]string{"registry HOST answered GET http://HOST/v2/: 404 Not Found"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			host := registrytest.Seeded(t, tt.wrap, func(host string) { registrytest.PushImage(t, host+"/app:v1") })
			cnt := registrytest.NewCounter(nil)
			env := registrytest.Env(cnt, tt.vars)
			_, err := newClient(t, &env, tt.opts...).Resolve(context.Background(), mustRef(t, host+"/app:v1"))
			var (
				re *Error
				te *transport.Error
			)
			if !errors.Is(err, tt.kind) || !errors.As(err, &re) || !errors.As(err, &te) {
				t.Fatalf("want an *Error of kind %v over a *transport.Error, got %#v", tt.kind, err)
			}
			if errors.Is(err, ErrNotFound) {
				t.Errorf("not ErrNotFound: %v", err)
			}
			if re.Status != te.StatusCode || re.Host != host {
				t.Errorf("status %d host %s", re.Status, re.Host)
			}
			for _, w := range tt.want {
				testenv.MustContain(t, "error", err.Error(), strings.ReplaceAll(w, "HOST", host))
			}
			if strings.Contains(err.Error(), pass) {
				t.Errorf("the password leaked: %v", err)
			}
			want := map[string]int{}
			if tt.heads > 0 {
				want["HEAD /v2/app/manifests/v1"] = tt.heads
			}
			cnt.Check(t, want, registrytest.Manifests)
		})
	}
}

func TestResolveNetworkErrors(t *testing.T) {
	t.Run("unreachable", func(t *testing.T) {
		env := registrytest.Env(nil, nil)
		_, err := newClient(t, &env).Resolve(context.Background(), mustRef(t, "127.0.0.1:1/app:v1"))
		if !errors.Is(err, ErrUnreachable) {
			t.Fatalf("want ErrUnreachable: %#v", err)
		}
		testenv.MustContain(t, "error", err.Error(), "cannot reach registry 127.0.0.1:1", "connection refused")
	})
	t.Run("plain HTTP without insecure", func(t *testing.T) {
		host := registrytest.Start(t, nil)
		registrytest.PushImage(t, host+"/app:v1")
		cnt := registrytest.NewCounter(nil)
		env := registrytest.Env(cnt, nil)
		c, err := New(&env, WithRetry(fastRetry))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Resolve(context.Background(), mustRef(t, host+"/app:v1"))
		if !errors.Is(err, ErrPlainHTTP) {
			t.Fatalf("want ErrPlainHTTP: %#v", err)
		}
		testenv.MustContain(t, "error", err.Error(), "registry "+host+" did not answer over HTTPS", "insecure: true")
		cnt.Check(t, map[string]int{}, registrytest.Manifests)
	})

	host, trusted := registrytest.StartTLS(t)
	registrytest.PushImage(t, host+"/app:v1", remote.WithTransport(trusted))
	t.Run("TLS trusted", func(t *testing.T) {
		env := registrytest.Env(trusted, nil)
		c, err := New(&env, WithRetry(fastRetry))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Resolve(context.Background(), mustRef(t, host+"/app:v1")); err != nil {
			t.Fatalf("want the image over TLS without insecure: %v", err)
		}
	})
	t.Run("TLS unknown authority", func(t *testing.T) {
		env := registrytest.Env(nil, nil)
		c, err := New(&env, WithRetry(fastRetry))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Resolve(context.Background(), mustRef(t, host+"/app:v1"))
		if !errors.Is(err, ErrTLS) {
			t.Fatalf("want ErrTLS: %#v", err)
		}
		testenv.MustContain(t, "error", err.Error(), "TLS with registry "+host+" failed", "certificate", "SSL_CERT_FILE")
	})
}

func TestResolveGETFallback(t *testing.T) {
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
			var img []byte
			host := registrytest.Seeded(t, func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if registrytest.IsManifest(r) && r.Method == http.MethodHead {
						tt.fault(w, r, next)
						return
					}
					next.ServeHTTP(w, r)
				})
			}, func(host string) {
				d := registrytest.Digest(t, registrytest.PushImage(t, host+"/app:v1"))
				img = []byte(d.String())
			})
			cnt := registrytest.NewCounter(nil)
			var d *Descriptor
			res, err := call(t, registrytest.Env(cnt, nil), func(ctx context.Context, c *Client) error {
				var err error
				d, err = c.Resolve(ctx, mustRef(t, host+"/app:v1"))
				return err
			}, WithInsecure(true))
			if err != nil {
				t.Fatal(err)
			}
			if d.Digest.String() != string(img) || d.Method != http.MethodGet || d.Manifest == nil {
				t.Errorf("want the digest by GET: %+v", d)
			}
			testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), "asked with GET instead")
			cnt.Check(t, map[string]int{"HEAD /v2/app/manifests/v1": 1, "GET /v2/app/manifests/v1": 1}, registrytest.Manifests)
		})
	}
}

func TestRetryThenPass(t *testing.T) {
	var heads atomic.Int32
	host := registrytest.Seeded(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if registrytest.IsManifest(r) && r.Method == http.MethodHead && heads.Add(1) <= 2 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			next.ServeHTTP(w, r)
		})
	}, func(host string) { registrytest.PushImage(t, host+"/app:v1") })
	cnt := registrytest.NewCounter(nil)
	res, err := call(t, registrytest.Env(cnt, nil), func(ctx context.Context, c *Client) error {
		_, err := c.Resolve(ctx, mustRef(t, host+"/app:v1"))
		return err
	}, WithInsecure(true))
	if err != nil {
		t.Fatalf("want the digest after retries: %v", err)
	}
	// Retry-After (1s) is capped by the policy's Max (10ms).
	testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), "attempt 1 failed (HEAD http://"+host+"/v2/app/manifests/v1: 429 Too Many Requests); retrying in 10ms", "attempt 2 failed")
	cnt.Check(t, map[string]int{"HEAD /v2/app/manifests/v1": 3}, registrytest.Manifests)
}

// Waits between attempts honour the context's deadline: a long backoff is
// not slept through.
func TestRetryHonoursDeadline(t *testing.T) {
	host := registrytest.Seeded(t, registrytest.Fail(http.StatusBadGateway, registrytest.IsManifest),
		func(host string) { registrytest.PushImage(t, host+"/app:v1") })
	env := registrytest.Env(nil, nil)
	c := newClient(t, &env, WithRetry(RetryPolicy{Attempts: 5, Initial: time.Hour, Factor: 2, Max: time.Hour}))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.Resolve(ctx, mustRef(t, host+"/app:v1"))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("want ErrUnavailable: %#v", err)
	}
	testenv.MustContain(t, "error", err.Error(), "502 Bad Gateway (gave up after 1 attempts: the next would start after the gate's timeout)")
	if ctx.Err() != nil {
		t.Errorf("the client waited for its deadline instead of giving up: %v", err)
	}
}

// A registry that never answers ends with the caller's context, not an
// explained registry error.
func TestHang(t *testing.T) {
	host := registrytest.Seeded(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if registrytest.IsManifest(r) || registrytest.IsTagList(r) {
				<-r.Context().Done()
				return
			}
			next.ServeHTTP(w, r)
		})
	}, func(host string) { registrytest.PushImage(t, host+"/app:v1") })
	env := registrytest.Env(nil, nil)
	c := newClient(t, &env)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Resolve(ctx, mustRef(t, host+"/app:v1"))
	var re *Error
	if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &re) {
		t.Errorf("want the context's deadline, got %#v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := c.ListTags(ctx, mustRepo(t, host+"/app")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ListTags: want the context's deadline, got %#v", err)
	}
}

func TestCredentialsFrom(t *testing.T) {
	pass := "pw-" + strings.Repeat("c", 12)
	host := registrytest.Seeded(t, registrytest.RequireBasic("deployer", pass), func(host string) { registrytest.PushImage(t, host+"/app:v1") })

	env := registrytest.Env(nil, map[string]string{"REG_USER": "deployer", "REG_PASS": pass})
	c := newClient(t, &env, WithCredentialsFrom("REG_USER", "REG_PASS"))
	if _, err := c.Resolve(context.Background(), mustRef(t, host+"/app:v1")); err != nil {
		t.Fatal(err)
	}
	if got := c.CredentialsFor(host); got != "credentials: username-env/password-env (REG_USER, REG_PASS)" {
		t.Errorf("CredentialsFor: %q", got)
	}

	cnt := registrytest.NewCounter(nil)
	env = registrytest.Env(cnt, map[string]string{"REG_USER": "deployer"})
	_, err := New(&env, WithCredentialsFrom("REG_USER", "REG_PASS"))
	if err == nil || !strings.Contains(err.Error(), "password-env names REG_PASS, which is empty or not set") {
		t.Errorf("want an error for the empty variable, got %v", err)
	}
	if len(cnt.Requests()) != 0 {
		t.Errorf("New makes no request: %v", cnt.Requests())
	}
}

func TestListTags(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/team/app:v1.0.0")
	for _, tag := range []string{"v1.1.0", "latest", "sha-abc"} {
		registrytest.WriteImage(t, host+"/team/app:"+tag, img)
	}
	cnt := registrytest.NewCounter(nil)
	env := registrytest.Env(cnt, nil)
	c := newClient(t, &env)
	tags, err := c.ListTags(context.Background(), mustRepo(t, host+"/team/app"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(tags)
	if strings.Join(tags, ",") != "latest,sha-abc,v1.0.0,v1.1.0" {
		t.Errorf("tags %v", tags)
	}
	cnt.Check(t, map[string]int{"GET /v2/team/app/tags/list": 1}, registrytest.TagList, registrytest.Manifests)

	_, err = c.ListTags(context.Background(), mustRepo(t, host+"/team/nope"))
	var re *Error
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &re) || re.Status != http.StatusNotFound {
		t.Fatalf("want ErrNotFound: %#v", err)
	}
	testenv.MustContain(t, "error", err.Error(), "repository "+host+"/team/nope does not exist in registry "+host, "404 Not Found", "NAME_UNKNOWN")
}

// Registries page long tag lists (GHCR, Harbor): every page is read.
func TestListTagsPages(t *testing.T) {
	host := registrytest.Start(t, pageTags(2))
	img := registrytest.PushImage(t, host+"/app:t0")
	for i := 1; i < 5; i++ {
		registrytest.WriteImage(t, host+"/app:t"+strconv.Itoa(i), img)
	}
	cnt := registrytest.NewCounter(nil)
	env := registrytest.Env(cnt, nil)
	tags, err := newClient(t, &env).ListTags(context.Background(), mustRepo(t, host+"/app"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tags, ",") != "t0,t1,t2,t3,t4" {
		t.Errorf("tags %v", tags)
	}
	cnt.Check(t, map[string]int{"GET /v2/app/tags/list": 3}, registrytest.TagList)
}

// pageTags serves tag lists n at a time with a Link to the next page, as
// the distribution spec says.
func pageTags(n int) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !registrytest.IsTagList(r) {
				next.ServeHTTP(w, r)
				return
			}
			q := r.URL.Query()
			q.Set("n", strconv.Itoa(n))
			r2 := r.Clone(r.Context())
			r2.URL.RawQuery = q.Encode()
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r2)
			var page struct{ Tags []string }
			if rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &page) == nil && len(page.Tags) == n {
				link := url.Values{"n": {strconv.Itoa(n)}, "last": {page.Tags[n-1]}}
				w.Header().Set("Link", "<"+r.URL.Path+"?"+link.Encode()+`>; rel="next"`)
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
		})
	}
}

func TestListTagsFaults(t *testing.T) {
	for _, tt := range []struct {
		name  string
		wrap  func(http.Handler) http.Handler
		kind  error
		lists int
		want  string
	}{
		{"401", registrytest.Fail(http.StatusUnauthorized, registrytest.IsTagList), ErrUnauthorized, 1, "registry HOST requires credentials (GET http://HOST/v2/app/tags/list: 401 Unauthorized"},
		{"403", registrytest.Fail(http.StatusForbidden, registrytest.IsTagList), ErrForbidden, 1, "403 Forbidden"},
		{"503", registrytest.Fail(http.StatusServiceUnavailable, registrytest.IsTagList), ErrUnavailable, 3, "GET http://HOST/v2/app/tags/list: 503 Service Unavailable (after 3 attempts)"},
		{"not JSON", func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if registrytest.IsTagList(r) {
					w.Write([]byte("<html>login</html>"))
					return
				}
				next.ServeHTTP(w, r)
			})
		}, ErrUnexpected, 1, "registry HOST answered GET /v2/app/tags/list with something that is not a tag list"},
		{"tags not a list", func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if registrytest.IsTagList(r) {
					w.Write([]byte(`{"name": "app", "tags": "v1"}`))
					return
				}
				next.ServeHTTP(w, r)
			})
		}, ErrUnexpected, 1, "is not a tag list"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			host := registrytest.Seeded(t, tt.wrap, func(host string) { registrytest.PushImage(t, host+"/app:v1") })
			cnt := registrytest.NewCounter(nil)
			env := registrytest.Env(cnt, nil)
			_, err := newClient(t, &env).ListTags(context.Background(), mustRepo(t, host+"/app"))
			if !errors.Is(err, tt.kind) {
				t.Fatalf("want %v: %#v", tt.kind, err)
			}
			testenv.MustContain(t, "error", err.Error(), strings.ReplaceAll(tt.want, "HOST", host))
			cnt.Check(t, map[string]int{"GET /v2/app/tags/list": tt.lists}, registrytest.TagList)
		})
	}
}

// A proxy or login page that answers 200 with HTML for every manifest is
// not a registry answering: the library would hash the page, and two tags
// would "resolve" to the same digest.
func TestResolveNotAManifest(t *testing.T) {
	loginPage := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if registrytest.IsManifest(r) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Write([]byte("<html><body>Please sign in</body></html>"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	host := registrytest.Seeded(t, loginPage, func(host string) { registrytest.PushImage(t, host+"/app:v1") })
	env := registrytest.Env(nil, nil)
	c := newClient(t, &env)
	for _, tt := range []struct {
		name string
		call func(context.Context, name.Reference) (*Descriptor, error)
	}{{"Resolve", c.Resolve}, {"Get", c.Get}} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := tt.call(context.Background(), mustRef(t, host+"/app:v1"))
			var re *Error
			if !errors.Is(err, ErrUnexpected) || !errors.As(err, &re) {
				t.Fatalf("want ErrUnexpected, got %v %#v", d, err)
			}
			testenv.MustContain(t, "error", err.Error(), "registry "+host+" answered GET http://"+host+"/v2/app/manifests/v1 with something that is not an image manifest", `Content-Type "text/html; charset=utf-8"`)
		})
	}
}
