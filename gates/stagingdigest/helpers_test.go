package stagingdigest

import (
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

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
