package stagingdigest

import (
	"context"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/release-gate/release-gate/internal/registry/registrytest"
)

// The gate's Run against the in-process registry, beside its anchor: two
// independent remote.Head calls (what two `crane digest` runs do, minus
// process start-up). Compare ns/op of the two in one run:
//
//	go test -run '^$' -bench . ./gates/stagingdigest/
func benchRegistry(b *testing.B) (host string) {
	b.Helper()
	host = registrytest.Start(b, nil)
	img := registrytest.PushImage(b, host+"/app:candidate")
	registrytest.WriteImage(b, host+"/app:staging", img)
	return host
}

func BenchmarkRun(b *testing.B) {
	host := benchRegistry(b)
	g := gateFor(b, refs(host+"/app:candidate", host+"/app:staging"))
	c := registrytest.NewCounter(nil)
	env := registrytest.Env(c, nil)
	ctx := context.Background()
	for b.Loop() {
		if f, err := g.Run(ctx, &env); err != nil || len(f) != 0 {
			b.Fatalf("want pass: %v %v", f, err)
		}
	}
	b.StopTimer()
	n := 0
	for _, v := range c.Counted(registrytest.Manifests) {
		n += v
	}
	b.ReportMetric(float64(n)/float64(b.N), "manifest-requests/op")
	b.ReportMetric(float64(len(c.Requests()))/float64(b.N), "requests/op")
}

func BenchmarkAnchorTwoHeads(b *testing.B) {
	host := benchRegistry(b)
	var refs []name.Reference
	for _, s := range []string{host + "/app:candidate", host + "/app:staging"} {
		r, err := name.ParseReference(s, name.Insecure)
		if err != nil {
			b.Fatal(err)
		}
		refs = append(refs, r)
	}
	c := registrytest.NewCounter(nil)
	for b.Loop() {
		for _, r := range refs {
			if _, err := remote.Head(r, remote.WithTransport(c)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(c.Requests()))/float64(b.N), "requests/op")
}
