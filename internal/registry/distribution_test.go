package registry

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/internal/registry/registrytest"
)

// The CNCF distribution registry (Debian's docker-registry): tags, digests
// and a missing repository as a real registry answers them.
func TestDistribution(t *testing.T) {
	host := registrytest.StartDistribution(t)
	img := registrytest.PushImage(t, host+"/team/api:v1.0.0")
	registrytest.WriteImage(t, host+"/team/api:latest", img)
	idx := registrytest.PushIndex(t, host+"/team/api:v2.0.0", "linux/amd64", "linux/arm64")

	cnt := registrytest.NewCounter(nil)
	env := registrytest.Env(cnt, nil)
	c := newClient(t, &env)
	tags, err := c.ListTags(context.Background(), mustRepo(t, host+"/team/api"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(tags)
	if strings.Join(tags, ",") != "latest,v1.0.0,v2.0.0" {
		t.Errorf("tags %v", tags)
	}
	for tag, want := range map[string]string{"latest": registrytest.Digest(t, img).String(), "v2.0.0": registrytest.Digest(t, idx).String()} {
		d, err := c.Resolve(context.Background(), mustRef(t, host+"/team/api:"+tag))
		if err != nil || d.Digest.String() != want {
			t.Errorf("%s: %v %v, want %s", tag, d, err, want)
		}
	}
	cnt.Check(t, map[string]int{"GET /v2/team/api/tags/list": 1, "HEAD /v2/team/api/manifests/latest": 1, "HEAD /v2/team/api/manifests/v2.0.0": 1}, registrytest.TagList, registrytest.Manifests)

	_, err = c.ListTags(context.Background(), mustRepo(t, host+"/team/nope"))
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown repository: want ErrNotFound, got %#v", err)
	}
	_, err = c.Resolve(context.Background(), mustRef(t, host+"/team/api:v9.9.9"))
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown tag: want ErrNotFound, got %#v", err)
	}
}
