package stagingdigest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/registry/registrytest"
	"github.com/release-gate/release-gate/internal/testenv"
)

// skopeo asks skopeo, an independent client, about an image.
func skopeo(t *testing.T, args ...string) []byte {
	t.Helper()
	bin := testenv.LookPath(t, "skopeo")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"inspect", "--tls-verify=false"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("skopeo %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

func TestDockerRegistry(t *testing.T) {
	host := registrytest.StartDistribution(t)
	testenv.LookPath(t, "skopeo")

	img := registrytest.PushImage(t, host+"/team/api:candidate")
	registrytest.WriteImage(t, host+"/team/api:staging", img)
	idx := registrytest.PushIndex(t, host+"/team/api:multi", "linux/amd64", "linux/arm64/v8")
	armImg, err := idx.Image(childDigest(t, idx, "linux/arm64/v8"))
	if err != nil {
		t.Fatal(err)
	}
	registrytest.WriteImage(t, host+"/team/api:staging-arm64", armImg)

	t.Run("single image, cross-checked with skopeo", func(t *testing.T) {
		c := registrytest.NewCounter(nil)
		res := gatetest.Run(t, gateFor(t, refs(host+"/team/api:candidate", host+"/team/api:staging")), registrytest.Env(c, nil))
		if res.Status != gates.StatusPass {
			t.Fatalf("want pass: %s", gatetest.Describe(res))
		}
		for _, tag := range []string{"candidate", "staging"} {
			want := strings.TrimSpace(string(skopeo(t, "--format", "{{.Digest}}", "docker://"+host+"/team/api:"+tag)))
			if gatetest.Output(res, "digest") != want {
				t.Errorf("gate says %s, skopeo says %s for :%s", gatetest.Output(res, "digest"), want, tag)
			}
		}
		c.Check(t, map[string]int{"HEAD /v2/team/api/manifests/candidate": 1, "HEAD /v2/team/api/manifests/staging": 1}, registrytest.Manifests)
	})

	t.Run("index, cross-checked with skopeo --raw", func(t *testing.T) {
		raw := skopeo(t, "--raw", "docker://"+host+"/team/api:multi")
		sum := sha256.Sum256(raw)
		want := "sha256:" + hex.EncodeToString(sum[:])
		c := registrytest.NewCounter(nil)
		res := gatetest.Run(t, gateFor(t, refs(host+"/team/api:multi", host+"/team/api@"+want)), registrytest.Env(c, nil))
		if res.Status != gates.StatusPass || gatetest.Output(res, "digest") != want {
			t.Fatalf("want pass with the index digest %s: %s", want, gatetest.Describe(res))
		}
		c.Check(t, map[string]int{"HEAD /v2/team/api/manifests/multi": 1, "HEAD /v2/team/api/manifests/" + want: 1}, registrytest.Manifests)
	})

	t.Run("platform, cross-checked with skopeo --raw", func(t *testing.T) {
		// skopeo's view: the arm64 entry of the raw index, and the digest of
		// the raw manifest staging points at.
		var index struct {
			Manifests []struct {
				Digest   string
				Platform struct{ OS, Architecture string }
			}
		}
		if err := json.Unmarshal(skopeo(t, "--raw", "docker://"+host+"/team/api:multi"), &index); err != nil {
			t.Fatal(err)
		}
		var inIndex string
		for _, m := range index.Manifests {
			if m.Platform.OS == "linux" && m.Platform.Architecture == "arm64" {
				inIndex = m.Digest
			}
		}
		sum := sha256.Sum256(skopeo(t, "--raw", "docker://"+host+"/team/api:staging-arm64"))
		staged := "sha256:" + hex.EncodeToString(sum[:])

		c := registrytest.NewCounter(nil)
		res := gatetest.Run(t, gateFor(t, refs(host+"/team/api:multi", host+"/team/api:staging-arm64", "platform: linux/arm64")), registrytest.Env(c, nil))
		if res.Status != gates.StatusPass || gatetest.Output(res, "digest") != inIndex || inIndex != staged {
			t.Fatalf("want pass with the arm64 image (skopeo: %s in the index, %s staged): %s", inIndex, staged, gatetest.Describe(res))
		}
		c.Check(t, map[string]int{"GET /v2/team/api/manifests/multi": 1, "GET /v2/team/api/manifests/staging-arm64": 1}, registrytest.Manifests)
	})

	t.Run("index against its image", func(t *testing.T) {
		res := gatetest.Run(t, gateFor(t, refs(host+"/team/api:multi", host+"/team/api:staging-arm64")), registrytest.Env(nil, nil))
		if res.Status != gates.StatusFail {
			t.Fatalf("want fail: %s", gatetest.Describe(res))
		}
		testenv.MustContain(t, "finding", res.Findings[0].Message, "its linux/arm64/v8 image", "set platform: linux/arm64/v8")
	})

	t.Run("staging tag missing", func(t *testing.T) {
		c := registrytest.NewCounter(nil)
		res := gatetest.Run(t, gateFor(t, refs(host+"/team/api:candidate", host+"/team/api:never")), registrytest.Env(c, nil))
		if res.Status != gates.StatusFail || res.Findings[0].Rule != ruleStagingMissing {
			t.Fatalf("want staging-missing: %s", gatetest.Describe(res))
		}
		c.Check(t, map[string]int{"HEAD /v2/team/api/manifests/candidate": 1, "HEAD /v2/team/api/manifests/never": 1}, registrytest.Manifests)
	})

	t.Run("plain HTTP needs insecure", func(t *testing.T) {
		res := gatetest.Run(t, gateFor(t, "image: "+host+"/team/api:candidate\nstaging: "+host+"/team/api:staging"), registrytest.Env(nil, nil))
		if res.Status != gates.StatusError {
			t.Fatalf("want error: %s", gatetest.Describe(res))
		}
		testenv.MustContain(t, "error", res.Err, "insecure: true")
	})
}
