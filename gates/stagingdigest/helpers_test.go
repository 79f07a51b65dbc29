package stagingdigest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

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
