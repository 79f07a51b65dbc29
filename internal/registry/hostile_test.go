package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/release-gate/release-gate/internal/registry/registrytest"
	"github.com/release-gate/release-gate/internal/testenv"
)

// A proxy or login page answering HEAD with 200 and a Docker-Content-Digest
// header is not a manifest, whatever digest it claims: only a HEAD labelled
// as an image manifest or index is believed; anything else is asked again
// with GET, which hashes what it gets and refuses what is not a manifest.
func TestResolveHeadNotAManifest(t *testing.T) {
	// forged is a digest the proxy claims: another image's, say staging's.
	forged := "sha256:" + strings.Repeat("ab", 32)
	for _, tt := range []struct {
		name        string
		contentType string
		getToo      bool   // the proxy answers GET with its page too
		note        string // why GET was asked
	}{
		{"login page, HEAD only", "text/html; charset=utf-8", false, `answered HEAD with Content-Type "text/html; charset=utf-8"`},
		{"login page everywhere", "text/html; charset=utf-8", true, ""},
		{"generic JSON", "application/json", false, `answered HEAD with Content-Type "application/json"`},
		{"no Content-Type", "", false, "response did not include Content-Type header"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			proxy := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if registrytest.IsManifest(r) && (r.Method == http.MethodHead || tt.getToo) {
						w.Header()["Content-Type"] = []string{tt.contentType}
						w.Header().Set("Docker-Content-Digest", forged)
						page := "<html><body>Please sign in</body></html>"
						w.Header().Set("Content-Length", fmt.Sprint(len(page)))
						if r.Method == http.MethodGet {
							w.Write([]byte(page))
						}
						return
					}
					next.ServeHTTP(w, r)
				})
			}
			var real string
			host := registrytest.Seeded(t, proxy, func(host string) {
				real = registrytest.Digest(t, registrytest.PushImage(t, host+"/app:v1")).String()
			})
			var d *Descriptor
			res, err := call(t, registrytest.Env(nil, nil), func(ctx context.Context, c *Client) error {
				var err error
				d, err = c.Resolve(ctx, mustRef(t, host+"/app:v1"))
				return err
			}, WithInsecure(true))
			if d != nil && d.Digest.String() == forged {
				t.Fatalf("the forged digest was believed: %+v", d)
			}
			if tt.getToo {
				if !errors.Is(err, ErrUnexpected) {
					t.Fatalf("want ErrUnexpected, got %v, %+v", err, d)
				}
				testenv.MustContain(t, "error", err.Error(), "with something that is not an image manifest")
				return
			}
			if err != nil || d.Digest.String() != real || d.Method != http.MethodGet {
				t.Fatalf("want %s by GET, got %+v, %v", real, d, err)
			}
			testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), tt.note, "asked with GET instead")
		})
	}
}

// For a signed schema 1 manifest the library takes the digest from the
// Docker-Content-Digest header instead of the content: such an answer proves
// nothing and is refused.
func TestGetSchema1SignedRefused(t *testing.T) {
	forged := "sha256:" + strings.Repeat("cd", 32)
	proxy := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if registrytest.IsManifest(r) {
				w.Header().Set("Content-Type", string(types.DockerManifestSchema1Signed))
				w.Header().Set("Docker-Content-Digest", forged)
				w.Write([]byte(`{"schemaVersion":1,"name":"app","tag":"v1","fsLayers":[],"signatures":[]}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	host := registrytest.Seeded(t, proxy, func(host string) { registrytest.PushImage(t, host+"/app:v1") })
	env := registrytest.Env(nil, nil)
	c := newClient(t, &env)
	for name, f := range map[string]func(context.Context, *Client) (*Descriptor, error){
		"Get": func(ctx context.Context, c *Client) (*Descriptor, error) {
			return c.Get(ctx, mustRef(t, host+"/app:v1"))
		},
		"Resolve": func(ctx context.Context, c *Client) (*Descriptor, error) {
			return c.Resolve(ctx, mustRef(t, host+"/app:v1"))
		},
	} {
		d, err := f(context.Background(), c)
		if !errors.Is(err, ErrUnexpected) {
			t.Fatalf("%s: want ErrUnexpected, got %+v, %v", name, d, err)
		}
		testenv.MustContain(t, "error", err.Error(), "signed schema 1 manifest", "cannot check against its content")
	}
}

// A tag list that never ends is cut off at maxAnswer, with an error that
// says so, instead of filling the memory until the deadline.
func TestListTagsEndless(t *testing.T) {
	endless := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !registrytest.IsTagList(r) {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			if _, err := w.Write([]byte(`{"name":"app","tags":["t0"`)); err != nil {
				return
			}
			chunk := []byte(strings.Repeat(`,"tag-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"`, 1000))
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		})
	}
	host := registrytest.Seeded(t, endless, func(host string) { registrytest.PushImage(t, host+"/app:v1") })
	env := registrytest.Env(nil, nil)
	c := newClient(t, &env)
	_, err := c.ListTags(context.Background(), mustRepo(t, host+"/app"))
	if err == nil {
		t.Fatal("an endless tag list was read")
	}
	testenv.MustContain(t, "error", err.Error(), "the answer to GET http://"+host+"/v2/app/tags/list is larger than 32 MiB")
}

// A GET answered with the real manifest but a Docker-Content-Digest
// header that names another digest resolves to the digest of what was
// read: the header is not believed.
func TestGetDigestHeaderDisagrees(t *testing.T) {
	forged := "sha256:" + strings.Repeat("ef", 32)
	lying := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if registrytest.IsManifest(r) && r.Method == http.MethodGet {
				next.ServeHTTP(forgeDigest{ResponseWriter: w, digest: forged}, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	var real string
	host := registrytest.Seeded(t, lying, func(host string) {
		real = registrytest.Digest(t, registrytest.PushImage(t, host+"/app:v1")).String()
	})
	env := registrytest.Env(nil, nil)
	d, err := newClient(t, &env).Get(context.Background(), mustRef(t, host+"/app:v1"))
	if err != nil || d.Digest.String() != real {
		t.Fatalf("want %s, got %+v, %v", real, d, err)
	}
}

// forgeDigest replaces the Docker-Content-Digest header of the answer.
type forgeDigest struct {
	http.ResponseWriter
	digest string
}

func (f forgeDigest) WriteHeader(code int) {
	f.Header().Set("Docker-Content-Digest", f.digest)
	f.ResponseWriter.WriteHeader(code)
}

// A tag list whose pages never end (each links to the next, or back to
// itself) is cut off with an error rather than followed until the memory
// or the deadline runs out.
func TestListTagsEndlessPages(t *testing.T) {
	for _, tt := range []struct {
		name string
		next func(page int) string
		want string
	}{
		{"the same page again", func(int) string { return "last=t999" }, "links back to a page it already gave"},
		{"always another page", func(p int) string { return fmt.Sprintf("last=p%d", p) }, "more than 1048576 tags"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var page atomic.Int64
			endless := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if !registrytest.IsTagList(r) {
						next.ServeHTTP(w, r)
						return
					}
					p := page.Add(1)
					tags := make([]string, 1000)
					for i := range tags {
						tags[i] = fmt.Sprintf("p%d-t%d", p, i)
					}
					body, _ := json.Marshal(map[string]any{"name": "app", "tags": tags})
					w.Header().Set("Link", "<"+r.URL.Path+"?n=1000&"+tt.next(int(p))+`>; rel="next"`)
					w.Header().Set("Content-Type", "application/json")
					w.Write(body)
				})
			}
			host := registrytest.Seeded(t, endless, func(host string) { registrytest.PushImage(t, host+"/app:v1") })
			env := registrytest.Env(nil, nil)
			c := newClient(t, &env)
			done := make(chan error, 1)
			go func() { _, err := c.ListTags(context.Background(), mustRepo(t, host+"/app")); done <- err }()
			select {
			case err := <-done:
				if !errors.Is(err, ErrUnexpected) {
					t.Fatalf("want ErrUnexpected, got %v", err)
				}
				testenv.MustContain(t, "error", err.Error(), tt.want)
			case <-time.After(60 * time.Second):
				t.Fatal("the listing never ended")
			}
		})
	}
}

// A registry that accepts the connection and never answers, or sends the
// headers of an answer and then nothing, costs one request timeout, not the
// caller's whole deadline, and the error names the registry, the timeout
// and the setting that changes it.
func TestRequestTimeout(t *testing.T) {
	silent := registrytest.Silent(t)
	stalled := registrytest.Seeded(t, registrytest.StallBody(func(r *http.Request) bool {
		return r.Method == http.MethodGet && registrytest.IsManifest(r)
	}), func(host string) { registrytest.PushImage(t, host+"/app:v1") })
	for name, tc := range map[string]struct {
		host string
		call func(ctx context.Context, c *Client, ref string) error
		want string
	}{
		"no answer": {silent, func(ctx context.Context, c *Client, ref string) error {
			_, err := c.Resolve(ctx, mustRef(t, ref))
			return err
		}, "did not answer GET"},
		"headers, then nothing": {stalled, func(ctx context.Context, c *Client, ref string) error {
			_, err := c.Get(ctx, mustRef(t, ref))
			return err
		}, "started answering GET http://" + stalled + "/v2/app/manifests/v1 but did not finish within 100ms"},
	} {
		t.Run(name, func(t *testing.T) {
			env := registrytest.Env(nil, nil)
			c := newClient(t, &env, WithRequestTimeout(100*time.Millisecond, "request-timeout"))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := tc.call(ctx, c, tc.host+"/app:v1")
			if !errors.Is(err, ErrNoAnswer) {
				t.Fatalf("want ErrNoAnswer, got %#v", err)
			}
			if ctx.Err() != nil {
				t.Fatalf("the caller's deadline ended the call: %v", err)
			}
			testenv.MustContain(t, "error", err.Error(), "registry "+tc.host, tc.want, "within 100ms (request-timeout)", "raise request-timeout")
		})
	}
}
