package stagingdigest

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/registry"
)

// fastRetry keeps retry tests quick.
var fastRetry = registry.RetryPolicy{Attempts: 3, Initial: time.Millisecond, Factor: 2, Max: 10 * time.Millisecond}

// parseSection parses a whole configuration file and returns the gate's
// section.
func parseSection(t testing.TB, file string) *config.Section {
	t.Helper()
	f, err := config.Parse("release-gate.yml", []byte(file), config.Options{Gates: []string{Name}})
	if err != nil {
		t.Fatalf("parsing config: %v", err)
	}
	s := f.Section(Name)
	if s == nil {
		t.Fatalf("no %s section in:\n%s", Name, file)
	}
	return s
}

// gateFor builds the gate from the YAML of its section body (indented
// under gates.staging-digest).
func gateFor(t testing.TB, body string, opts ...option) *Gate {
	t.Helper()
	opts = append([]option{withRetry(fastRetry)}, opts...)
	g, err := newGate(parseSection(t, sectionFile(body)), opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g
}

func sectionFile(body string) string {
	var b strings.Builder
	b.WriteString("version: 1\ngates:\n  staging-digest:\n")
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		b.WriteString("    " + line + "\n")
	}
	return b.String()
}

// counter counts the requests that reach the network, by method and path.
type counter struct {
	inner http.RoundTripper
	mu    sync.Mutex
	reqs  []string
}

func newCounter(inner http.RoundTripper) *counter {
	if inner == nil {
		inner = http.DefaultTransport
	}
	return &counter{inner: inner}
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.reqs = append(c.reqs, r.Method+" "+r.URL.Path)
	c.mu.Unlock()
	return c.inner.RoundTrip(r)
}

// manifests counts manifest requests ("HEAD /v2/app/manifests/v1" -> 1).
func (c *counter) manifests() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[string]int{}
	for _, r := range c.reqs {
		if strings.Contains(r, "/manifests/") {
			m[r]++
		}
	}
	return m
}

// checkManifests fails unless the manifest requests were exactly want.
func (c *counter) checkManifests(t testing.TB, want map[string]int) {
	t.Helper()
	got := c.manifests()
	if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(want)) {
		t.Errorf("manifest requests:\n got  %v\n want %v", sorted(got), sorted(want))
	}
}

func sorted(m map[string]int) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s x%d", k, v))
	}
	sort.Strings(out)
	return out
}

// testEnv is an Env whose environment is vars only (no docker config of the
// machine running the tests) and whose HTTP goes through rt.
func testEnv(rt http.RoundTripper, vars map[string]string) gates.Env {
	return gates.Env{
		Workspace:  "/nonexistent",
		Now:        time.Now,
		HTTPClient: &http.Client{Transport: rt},
		Getenv:     func(k string) string { return vars[k] },
	}
}

// run runs the gate the way release-gate does and returns what users see.
func run(t testing.TB, g gates.Gate, env gates.Env) gates.Result {
	t.Helper()
	return runMasked(t, g, env, &gates.Masker{})
}

func runMasked(t testing.TB, g gates.Gate, env gates.Env, m *gates.Masker) gates.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := gates.Runner{Masker: m}
	return r.Run(ctx, env, []gates.Job{{Gate: g}})[0]
}

func output(r gates.Result, name string) string {
	for _, o := range r.Outputs {
		if o.Name == name {
			return o.Value
		}
	}
	return ""
}

// describe prints a result for failure messages.
func describe(r gates.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status %s, summary %q, err %q", r.Status, r.Summary, r.Err)
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "\n  finding %s: %s", f.Rule, f.Message)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\n  note: %s", n)
	}
	for _, o := range r.Outputs {
		fmt.Fprintf(&b, "\n  output %s=%s", o.Name, o.Value)
	}
	return b.String()
}

// startRegistry starts go-containerregistry's registry in-process, wrapped
// by wrap when not nil, and returns its host:port.
func startRegistry(t testing.TB, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	h := registryHandler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// registryHandler is go-containerregistry's in-process registry, quiet.
func registryHandler() http.Handler {
	return ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
}

// pushImage pushes a random single-platform image to ref and returns it.
func pushImage(t testing.TB, ref string) v1.Image {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	writeImage(t, ref, img)
	return img
}

func writeImage(t testing.TB, ref string, img v1.Image) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
}

// pushIndex pushes a multi-arch index with one random image per platform
// (or the given images) and returns it.
func pushIndex(t testing.TB, ref string, platforms []string, imgs ...v1.Image) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for i, p := range platforms {
		plat, err := v1.ParsePlatform(p)
		if err != nil {
			t.Fatal(err)
		}
		var img v1.Image
		if i < len(imgs) {
			img = imgs[i]
		} else if img, err = random.Image(256, 1); err != nil {
			t.Fatal(err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: plat}})
	}
	idx := mutate.AppendManifests(empty.Index, adds...)
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatalf("pushing index %s: %v", ref, err)
	}
	return idx
}

func digestOf(t testing.TB, x interface{ Digest() (v1.Hash, error) }) v1.Hash {
	t.Helper()
	h, err := x.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// childDigest is the digest of the index's image for platform p.
func childDigest(t testing.TB, idx v1.ImageIndex, p string) v1.Hash {
	t.Helper()
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range m.Manifests {
		if d.Platform != nil && d.Platform.String() == p {
			return d.Digest
		}
	}
	t.Fatalf("no %s image in the index", p)
	return v1.Hash{}
}

func mustContain(t testing.TB, what, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, s)
		}
	}
}
