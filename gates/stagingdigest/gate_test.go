package stagingdigest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/registry"
	"github.com/release-gate/release-gate/internal/registry/registrytest"
	"github.com/release-gate/release-gate/internal/testenv"
)

// refs builds the gate's config for a candidate and a staging reference on
// an insecure (plain HTTP) test registry.
func refs(candidate, staging string, extra ...string) string {
	return fmt.Sprintf("image: %s\nstaging: %s\ninsecure: true\n%s", candidate, staging, strings.Join(extra, "\n"))
}

func TestPassSameImage(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/app:candidate")
	registrytest.WriteImage(t, host+"/app:staging", img)
	want := registrytest.Digest(t, img)

	c := registrytest.NewCounter(nil)
	res := gatetest.Run(t, gateFor(t, refs(host+"/app:candidate", host+"/app:staging")), registrytest.Env(c, nil))
	if res.Status != gates.StatusPass {
		t.Fatalf("want pass: %s", gatetest.Describe(res))
	}
	pinned := host + "/app@" + want.String()
	if gatetest.Output(res, "digest") != want.String() || gatetest.Output(res, "pinned-image") != pinned {
		t.Errorf("outputs: %s", gatetest.Describe(res))
	}
	testenv.MustContain(t, "summary", res.Summary, pinned, host+"/app:staging")
	testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), "pinned image: "+pinned, "HEAD", "anonymous")
	// One HEAD per reference, no GET.
	c.Check(t, map[string]int{"HEAD /v2/app/manifests/candidate": 1, "HEAD /v2/app/manifests/staging": 1}, registrytest.Manifests)
}

func TestPassCandidateByDigest(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/team/app:staging")
	d := registrytest.Digest(t, img)

	c := registrytest.NewCounter(nil)
	res := gatetest.Run(t, gateFor(t, refs(host+"/team/app@"+d.String(), host+"/team/app:staging")), registrytest.Env(c, nil))
	if res.Status != gates.StatusPass || gatetest.Output(res, "pinned-image") != host+"/team/app@"+d.String() {
		t.Fatalf("want pass with the pinned digest: %s", gatetest.Describe(res))
	}
	c.Check(t, map[string]int{"HEAD /v2/team/app/manifests/" + d.String(): 1, "HEAD /v2/team/app/manifests/staging": 1}, registrytest.Manifests)
}

func TestSameReferenceResolvedOnce(t *testing.T) {
	host := registrytest.Start(t, nil)
	registrytest.PushImage(t, host+"/app:v1")
	c := registrytest.NewCounter(nil)
	res := gatetest.Run(t, gateFor(t, refs(host+"/app:v1", host+"/app:v1")), registrytest.Env(c, nil))
	if res.Status != gates.StatusPass {
		t.Fatalf("want pass: %s", gatetest.Describe(res))
	}
	c.Check(t, map[string]int{"HEAD /v2/app/manifests/v1": 1}, registrytest.Manifests)
}

func TestFailDigestsDiffer(t *testing.T) {
	host := registrytest.Start(t, nil)
	cand := registrytest.Digest(t, registrytest.PushImage(t, host+"/app:candidate"))
	stag := registrytest.Digest(t, registrytest.PushImage(t, host+"/app:staging"))

	c := registrytest.NewCounter(nil)
	res := gatetest.Run(t, gateFor(t, refs(host+"/app:candidate", host+"/app:staging")), registrytest.Env(c, nil))
	if res.Status != gates.StatusFail || len(res.Findings) != 1 || res.Findings[0].Rule != ruleDigestMismatch {
		t.Fatalf("want one digest-mismatch finding: %s", gatetest.Describe(res))
	}
	testenv.MustContain(t, "finding", res.Findings[0].Message, host+"/app:candidate", cand.String(), host+"/app:staging", stag.String())
	// A waiver can name the candidate image.
	if got := res.Findings[0].Labels["image"]; got != host+"/app:candidate" {
		t.Errorf("image label %q, want %s", got, host+"/app:candidate")
	}
	if gatetest.Output(res, "pinned-image") != "" {
		t.Errorf("a failing gate must not offer a pinned image: %s", gatetest.Describe(res))
	}
	if gatetest.Output(res, "digest") != cand.String() {
		t.Errorf("the candidate's digest is known and reported: %s", gatetest.Describe(res))
	}
	c.Check(t, map[string]int{"HEAD /v2/app/manifests/candidate": 1, "HEAD /v2/app/manifests/staging": 1}, registrytest.Manifests)
}

func TestFailMissing(t *testing.T) {
	host := registrytest.Start(t, nil)
	registrytest.PushImage(t, host+"/app:candidate")
	registrytest.PushImage(t, host+"/app:other")

	t.Run("staging", func(t *testing.T) {
		c := registrytest.NewCounter(nil)
		res := gatetest.Run(t, gateFor(t, refs(host+"/app:candidate", host+"/app:never-validated")), registrytest.Env(c, nil))
		if res.Status != gates.StatusFail || len(res.Findings) != 1 || res.Findings[0].Rule != ruleStagingMissing {
			t.Fatalf("want one staging-missing finding: %s", gatetest.Describe(res))
		}
		testenv.MustContain(t, "finding", res.Findings[0].Message, host+"/app:never-validated", "staging never validated it", "404")
		// No GET after a 404.
		c.Check(t, map[string]int{"HEAD /v2/app/manifests/candidate": 1, "HEAD /v2/app/manifests/never-validated": 1}, registrytest.Manifests)
	})
	t.Run("candidate", func(t *testing.T) {
		c := registrytest.NewCounter(nil)
		res := gatetest.Run(t, gateFor(t, refs(host+"/app:not-pushed", host+"/app:other")), registrytest.Env(c, nil))
		if res.Status != gates.StatusFail || len(res.Findings) != 1 || res.Findings[0].Rule != ruleCandidateMissing {
			t.Fatalf("want one candidate-missing finding: %s", gatetest.Describe(res))
		}
		testenv.MustContain(t, "finding", res.Findings[0].Message, host+"/app:not-pushed", "does not exist")
		if gatetest.Output(res, "digest") != "" {
			t.Errorf("no digest output for a missing candidate: %s", gatetest.Describe(res))
		}
		c.Check(t, map[string]int{"HEAD /v2/app/manifests/not-pushed": 1, "HEAD /v2/app/manifests/other": 1}, registrytest.Manifests)
	})
	t.Run("unknown repository", func(t *testing.T) {
		res := gatetest.Run(t, gateFor(t, refs(host+"/nope:v1", host+"/app:other")), registrytest.Env(nil, nil))
		if res.Status != gates.StatusFail || res.Findings[0].Rule != ruleCandidateMissing {
			t.Fatalf("want candidate-missing: %s", gatetest.Describe(res))
		}
	})
}

// A multi-arch index and one of its own images are different digests: the
// finding says so, names the platform and suggests platform:.
func TestFailIndexAgainstItsChild(t *testing.T) {
	host := registrytest.Start(t, nil)
	idx := registrytest.PushIndex(t, host+"/app:candidate", "linux/amd64", "linux/arm64/v8")
	arm := childDigest(t, idx, "linux/arm64/v8")
	armImg, err := idx.Image(arm)
	if err != nil {
		t.Fatal(err)
	}
	registrytest.WriteImage(t, host+"/app:staging", armImg)

	for _, tt := range []struct{ name, cand, stag, idxRole string }{
		{"candidate is the index", host + "/app:candidate", host + "/app:staging", "The candidate"},
		{"staging is the index", host + "/app:staging", host + "/app:candidate", "The staging image"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := registrytest.NewCounter(nil)
			res := gatetest.Run(t, gateFor(t, refs(tt.cand, tt.stag)), registrytest.Env(c, nil))
			if res.Status != gates.StatusFail || len(res.Findings) != 1 {
				t.Fatalf("want one finding: %s", gatetest.Describe(res))
			}
			testenv.MustContain(t, "finding", res.Findings[0].Message, registrytest.Digest(t, idx).String(), arm.String(),
				tt.idxRole+" is a multi-arch index", "its linux/arm64/v8 image", "set platform: linux/arm64/v8")
			// One HEAD per reference, plus one GET of the index to explain.
			c.Check(t, map[string]int{
				"HEAD /v2/app/manifests/candidate":                              1,
				"HEAD /v2/app/manifests/staging":                                1,
				"GET /v2/app/manifests/" + registrytest.Digest(t, idx).String(): 1,
			}, registrytest.Manifests)
		})
	}
}

func TestPlatform(t *testing.T) {
	host := registrytest.Start(t, nil)
	idx := registrytest.PushIndex(t, host+"/app:candidate", "linux/amd64", "linux/arm64/v8")
	amd := childDigest(t, idx, "linux/amd64")
	amdImg, err := idx.Image(amd)
	if err != nil {
		t.Fatal(err)
	}
	registrytest.WriteImage(t, host+"/app:staging-amd64", amdImg)
	// A rebuilt index sharing the amd64 image but not the arm64 one.
	other := registrytest.PushIndexOf(t, host+"/app:staging-index", []string{"linux/amd64", "linux/arm64/v8"}, amdImg)

	t.Run("index against its image", func(t *testing.T) {
		c := registrytest.NewCounter(nil)
		res := gatetest.Run(t, gateFor(t, refs(host+"/app:candidate", host+"/app:staging-amd64", "platform: linux/amd64")), registrytest.Env(c, nil))
		if res.Status != gates.StatusPass {
			t.Fatalf("want pass: %s", gatetest.Describe(res))
		}
		if gatetest.Output(res, "digest") != amd.String() || gatetest.Output(res, "pinned-image") != host+"/app@"+amd.String() {
			t.Errorf("outputs are the platform's image: %s", gatetest.Describe(res))
		}
		testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), registrytest.Digest(t, idx).String(), "its linux/amd64 image is "+amd.String())
		// One GET per reference, no HEAD.
		c.Check(t, map[string]int{"GET /v2/app/manifests/candidate": 1, "GET /v2/app/manifests/staging-amd64": 1}, registrytest.Manifests)
	})
	t.Run("two indexes sharing the platform's image", func(t *testing.T) {
		res := gatetest.Run(t, gateFor(t, refs(host+"/app:candidate", host+"/app:staging-index", "platform: linux/amd64")), registrytest.Env(nil, nil))
		if res.Status != gates.StatusPass {
			t.Fatalf("want pass: %s", gatetest.Describe(res))
		}
	})
	t.Run("two indexes differing for the platform", func(t *testing.T) {
		res := gatetest.Run(t, gateFor(t, refs(host+"/app:candidate", host+"/app:staging-index", "platform: linux/arm64")), registrytest.Env(nil, nil))
		if res.Status != gates.StatusFail || res.Findings[0].Rule != ruleDigestMismatch {
			t.Fatalf("want a mismatch: %s", gatetest.Describe(res))
		}
		testenv.MustContain(t, "finding", res.Findings[0].Message, "for linux/arm64",
			childDigest(t, idx, "linux/arm64/v8").String(), childDigest(t, other, "linux/arm64/v8").String(),
			"in index "+registrytest.Digest(t, idx).String())
	})
	t.Run("platform missing", func(t *testing.T) {
		res := gatetest.Run(t, gateFor(t, refs(host+"/app:candidate", host+"/app:staging-amd64", "platform: linux/s390x")), registrytest.Env(nil, nil))
		if res.Status != gates.StatusFail || res.Findings[0].Rule != rulePlatformMissing {
			t.Fatalf("want platform-missing: %s", gatetest.Describe(res))
		}
		testenv.MustContain(t, "finding", res.Findings[0].Message, "without a linux/s390x image", "linux/amd64, linux/arm64/v8")
		if gatetest.Output(res, "digest") != "" {
			t.Errorf("no digest for a platform the index lacks: %s", gatetest.Describe(res))
		}
	})
	t.Run("platform missing from a large index", func(t *testing.T) {
		// The registry's platform names are listed the first 20 only, each
		// cut short: an index of thousands would otherwise make a finding
		// (one per reference) megabytes long.
		platforms := []string{"linux/" + strings.Repeat("y", 200)}
		for i := 1; i < 25; i++ {
			platforms = append(platforms, fmt.Sprintf("linux/a%02d", i))
		}
		registrytest.PushIndex(t, host+"/app:large", platforms...)
		res := gatetest.Run(t, gateFor(t, refs(host+"/app:large", host+"/app:large", "platform: linux/s390x")), registrytest.Env(nil, nil))
		if res.Status != gates.StatusFail || res.Findings[0].Rule != rulePlatformMissing {
			t.Fatalf("want platform-missing: %s", gatetest.Describe(res))
		}
		msg := res.Findings[0].Message
		testenv.MustContain(t, "finding", msg, "it has: linux/"+strings.Repeat("y", 54)+"…, linux/a01, ", "linux/a19 and 5 more")
		if strings.Contains(msg, "linux/a20") || strings.Contains(msg, strings.Repeat("y", 55)) {
			t.Errorf("more than 20 platforms, or a whole long one, listed: %s", msg)
		}
	})
	t.Run("a platform echoing the registry password across the cut", func(t *testing.T) {
		// The masking of the reports knows the password whole only: it is
		// masked before the platform is cut short.
		pw := "pw-" + testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 40)
		registrytest.PushIndex(t, host+"/app:echo", "linux/"+strings.Repeat("a", 44)+pw, "linux/arm64")
		vars := map[string]string{"REG_USER": "ci", "REG_PW": pw}
		res := gatetest.Run(t, gateFor(t, refs(host+"/app:echo", host+"/app:echo", "platform: linux/s390x", "username-env: REG_USER", "password-env: REG_PW")), registrytest.Env(nil, vars))
		if res.Status != gates.StatusFail || res.Findings[0].Rule != rulePlatformMissing {
			t.Fatalf("want platform-missing: %s", gatetest.Describe(res))
		}
		testenv.MustContain(t, "finding", res.Findings[0].Message, "linux/"+strings.Repeat("a", 44)+"***")
		if all := gatetest.Describe(res); strings.Contains(all, pw[:6]) {
			t.Errorf("part of the password is shown:\n%s", all)
		}
	})
}

// Plain HTTP is never implied, not even for 127.0.0.1 (go-containerregistry
// would fall back to it).
func TestPlainHTTPNeedsInsecure(t *testing.T) {
	host := registrytest.Start(t, nil)
	registrytest.PushImage(t, host+"/app:v1")
	c := registrytest.NewCounter(nil)
	res := gatetest.Run(t, gateFor(t, "image: "+host+"/app:v1\nstaging: "+host+"/app:v1"), registrytest.Env(c, nil))
	if res.Status != gates.StatusError {
		t.Fatalf("want error: %s", gatetest.Describe(res))
	}
	testenv.MustContain(t, "error", res.Err, "registry "+host+" did not answer over HTTPS", "insecure: true")
	for r := range c.Counted(registrytest.Manifests) {
		t.Errorf("no manifest request may be made: %s", r)
	}
	for _, r := range c.Requests() {
		if !strings.HasPrefix(r, "GET /v2/") {
			t.Errorf("unexpected request %s", r)
		}
	}
}

func TestTLSRegistry(t *testing.T) {
	// A TLS registry: the gate needs no insecure, only a trusted certificate.
	host, trusted := registrytest.StartTLS(t)
	registrytest.PushImage(t, host+"/app:v1", remote.WithTransport(trusted))

	body := "image: " + host + "/app:v1\nstaging: " + host + "/app:v1"
	t.Run("trusted", func(t *testing.T) {
		c := registrytest.NewCounter(trusted)
		res := gatetest.Run(t, gateFor(t, body), registrytest.Env(c, nil))
		if res.Status != gates.StatusPass {
			t.Fatalf("want pass: %s", gatetest.Describe(res))
		}
	})
	t.Run("unknown authority", func(t *testing.T) {
		res := gatetest.Run(t, gateFor(t, body), registrytest.Env(nil, nil))
		if res.Status != gates.StatusError {
			t.Fatalf("want error: %s", gatetest.Describe(res))
		}
		testenv.MustContain(t, "error", res.Err, "TLS with registry "+host+" failed", "certificate", "SSL_CERT_FILE")
	})
}

func TestDigestHelpers(t *testing.T) {
	raw := []byte(`{"schemaVersion":2,"manifests":[]}`)
	sum := sha256.Sum256(raw)
	if !registry.IsIndex("", raw) || registry.IsIndex("", []byte(`{"schemaVersion":2,"layers":[]}`)) {
		t.Error("an index without a media type is recognised by its manifests")
	}
	h, err := parseDigestValue("ghcr.io/org/api@sha256:" + hex.EncodeToString(sum[:]))
	if err != nil || h.Hex != hex.EncodeToString(sum[:]) {
		t.Errorf("parseDigestValue: %v %v", h, err)
	}
}
