package stagingdigest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/configtest"
	"github.com/release-gate/release-gate/internal/registry"
)

// fastRetry keeps retry tests quick.
var fastRetry = registry.RetryPolicy{Attempts: 3, Initial: time.Millisecond, Factor: 2, Max: 10 * time.Millisecond}

// gateFor builds the gate from its section's body (unindented YAML).
func gateFor(t testing.TB, body string, opts ...option) *Gate {
	t.Helper()
	opts = append([]option{withRetry(fastRetry)}, opts...)
	g, err := newGate(configtest.Section(t, Name, body, nil), opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g
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
