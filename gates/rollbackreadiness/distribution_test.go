package rollbackreadiness

import (
	"testing"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/registry/registrytest"
)

// Against the CNCF distribution registry (Debian's docker-registry): the
// newest release other than the candidate, by version and by digest.
func TestDistributionRegistry(t *testing.T) {
	host := registrytest.StartDistribution(t)
	imgs := releases(t, host, "v0.9.0", "v0.10.0", "v0.11.0 sha-feed", "latest")
	cnt := registrytest.NewCounter(nil)
	res := gatetest.Run(t, mustGate(t, "previous: {repository: "+host+"/app, tags: \"v*.*.*\"}\ncandidate: "+host+"/app:sha-feed\ninsecure: true"), testEnv(t.TempDir(), cnt, nil))
	gatetest.Want(t, res, gates.StatusPass, nil,
		"listed 5 tags of "+host+"/app; 3 match v*.*.*",
		"skipped "+host+"/app:v0.11.0: it is the candidate's image",
		"newest tag matching v*.*.* other than the candidate: v0.10.0")
	if gatetest.Output(res, OutputRollbackImage) != pinned(t, host, imgs["v0.10.0"]) {
		t.Errorf("output: %s", gatetest.Describe(res))
	}
	cnt.Check(t, map[string]int{
		"GET /v2/app/tags/list":           1,
		"HEAD /v2/app/manifests/sha-feed": 1,
		"HEAD /v2/app/manifests/v0.11.0":  1,
		"HEAD /v2/app/manifests/v0.10.0":  1,
	}, registrytest.Manifests, registrytest.TagList)

	res = gatetest.Run(t, mustGate(t, "previous-image: "+host+"/app:v0.8.0\ninsecure: true"), testEnv(t.TempDir(), nil, nil))
	gatetest.Want(t, res, gates.StatusFail, []string{RulePreviousImageMissing}, "404 Not Found")
}
