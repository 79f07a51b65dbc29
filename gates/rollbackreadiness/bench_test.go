package rollbackreadiness

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/release-gate/release-gate/internal/registry/registrytest"
)

// The gate's image part (list the tags, pick the newest release by
// version, resolve it and the candidate) against the in-process registry,
// beside its anchor: what a script with crane does (crane ls, then crane
// digest of the chosen tag and of the candidate), minus process start-up
// and minus choosing. Compare ns/op and requests/op in one run:
//
//	go test -run '^$' -bench . ./gates/rollbackreadiness/
func benchRegistry(b *testing.B) string {
	b.Helper()
	host := registrytest.Start(b, nil)
	img := registrytest.PushImage(b, host+"/app:candidate")
	for i := 0; i < 50; i++ {
		registrytest.WriteImage(b, fmt.Sprintf("%s/app:v1.%d.0", host, i), img)
	}
	registrytest.PushImage(b, host+"/app:v0.9.0")
	return host
}

func BenchmarkRunTags(b *testing.B) {
	host := benchRegistry(b)
	g := mustGate(b, "previous: {repository: "+host+"/app, tags: \"v*.*.*\"}\ncandidate: "+host+"/app:sha-new\ninsecure: true")
	cnt := registrytest.NewCounter(nil)
	env := testEnv(b.TempDir(), cnt, nil)
	ctx := context.Background()
	for b.Loop() {
		if f, err := g.Run(ctx, &env); err != nil || len(f) != 0 {
			b.Fatalf("want pass: %v %v", f, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(cnt.Requests()))/float64(b.N), "requests/op")
}

func BenchmarkAnchorListAndTwoHeads(b *testing.B) {
	host := benchRegistry(b)
	repo, err := name.NewRepository(host+"/app", name.Insecure)
	if err != nil {
		b.Fatal(err)
	}
	cnt := registrytest.NewCounter(nil)
	for b.Loop() {
		if _, err := remote.List(repo, remote.WithTransport(cnt)); err != nil {
			b.Fatal(err)
		}
		for _, tag := range []string{"v1.49.0", "sha-new"} {
			_, err := remote.Head(repo.Tag(tag), remote.WithTransport(cnt))
			if err != nil && tag != "sha-new" {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(cnt.Requests()))/float64(b.N), "requests/op")
}
