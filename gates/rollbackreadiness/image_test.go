package rollbackreadiness

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/gatetest"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/registry/registrytest"
	"github.com/release-gate/release-gate/internal/testenv"
)

// releases pushes one image per tag to host/app and returns them by tag;
// tags listed together in one string ("v1.2.0 1.2.0") share an image.
func releases(t *testing.T, host string, tags ...string) map[string]v1.Image {
	t.Helper()
	imgs := map[string]v1.Image{}
	for _, group := range tags {
		names := strings.Fields(group)
		img := registrytest.PushImage(t, host+"/app:"+names[0])
		for _, n := range names[1:] {
			registrytest.WriteImage(t, host+"/app:"+n, img)
		}
		for _, n := range names {
			imgs[n] = img
		}
	}
	return imgs
}

func pinned(t *testing.T, host string, img v1.Image) string {
	return host + "/app@" + registrytest.Digest(t, img).String()
}

func TestPreviousImagePasses(t *testing.T) {
	host := registrytest.Start(t, nil)
	imgs := releases(t, host, "v1.4.2", "candidate")
	d := registrytest.Digest(t, imgs["v1.4.2"]).String()

	for _, ref := range []string{host + "/app:v1.4.2", host + "/app@" + d} {
		cnt := registrytest.NewCounter(nil)
		res := gatetest.Run(t, mustGate(t, "previous-image: "+ref+"\ncandidate: "+host+"/app:candidate\ninsecure: true"), testEnv(t.TempDir(), cnt, nil))
		gatetest.Want(t, res, gates.StatusPass, nil, "previous image "+ref+": image "+d+" (HEAD, anonymous)", "rollback image: "+pinned(t, host, imgs["v1.4.2"]))
		if gatetest.Output(res, OutputRollbackImage) != pinned(t, host, imgs["v1.4.2"]) {
			t.Errorf("output: %s", gatetest.Describe(res))
		}
		testenv.MustContain(t, "summary", res.Summary, "roll back to "+ref, pinned(t, host, imgs["v1.4.2"]))
		// One HEAD each for the candidate and the previous image; no GET.
		cnt.Check(t, map[string]int{"HEAD /v2/app/manifests/candidate": 1, "HEAD /v2/app/manifests/" + strings.TrimPrefix(strings.TrimPrefix(ref, host+"/app:"), host+"/app@"): 1}, registrytest.Manifests)
	}
}

func TestPreviousImageFailures(t *testing.T) {
	host := registrytest.Start(t, nil)
	imgs := releases(t, host, "v1.4.2 candidate", "v1.4.1")

	t.Run("missing", func(t *testing.T) {
		cnt := registrytest.NewCounter(nil)
		res := gatetest.Run(t, mustGate(t, "previous-image: "+host+"/app:v1.3.0\ninsecure: true"), testEnv(t.TempDir(), cnt, nil))
		gatetest.Want(t, res, gates.StatusFail, []string{RulePreviousImageMissing},
			"previous image "+host+"/app:v1.3.0 does not exist in the registry (HEAD http://"+host+"/v2/app/manifests/v1.3.0: 404 Not Found",
			"point previous-image at the release running in production")
		if gatetest.Output(res, OutputRollbackImage) != "" {
			t.Errorf("no rollback image when there is none: %s", gatetest.Describe(res))
		}
		cnt.Check(t, map[string]int{"HEAD /v2/app/manifests/v1.3.0": 1}, registrytest.Manifests)
	})
	t.Run("unknown repository", func(t *testing.T) {
		res := gatetest.Run(t, mustGate(t, "previous-image: "+host+"/nope:v1\ninsecure: true"), testEnv(t.TempDir(), nil, nil))
		gatetest.Want(t, res, gates.StatusFail, []string{RulePreviousImageMissing}, "HEAD http://"+host+"/v2/nope/manifests/v1: 404 Not Found")
	})
	t.Run("is the candidate", func(t *testing.T) {
		res := gatetest.Run(t, mustGate(t, "previous-image: "+host+"/app:v1.4.2\ncandidate: "+host+"/app:candidate\ninsecure: true"), testEnv(t.TempDir(), nil, nil))
		gatetest.Want(t, res, gates.StatusFail, []string{RulePreviousIsCandidate},
			"previous image "+host+"/app:v1.4.2 is the candidate "+host+"/app:candidate (both "+registrytest.Digest(t, imgs["candidate"]).String())
		if gatetest.Output(res, OutputRollbackImage) != "" {
			t.Errorf("the candidate is no rollback image: %s", gatetest.Describe(res))
		}
	})
	t.Run("candidate not pushed yet", func(t *testing.T) {
		res := gatetest.Run(t, mustGate(t, "previous-image: "+host+"/app:v1.4.1\ncandidate: "+host+"/app:next\ninsecure: true"), testEnv(t.TempDir(), nil, nil))
		gatetest.Want(t, res, gates.StatusPass, nil, "candidate "+host+"/app:next is not in the registry", "rollback image: "+pinned(t, host, imgs["v1.4.1"]))
	})
}

// The newest by semantic version: v1.10.0 beats v1.9.3 (a lexical sort
// says otherwise), the candidate's own v1.11.0 and anything newer are not
// previous releases, latest and sha- tags do not match v*.*.*.
func TestNewestTag(t *testing.T) {
	host := registrytest.Start(t, nil)
	imgs := releases(t, host, "v1.2.0", "v1.9.3", "v1.10.0", "v1.11.0 latest sha-abc", "v1.12.0", "v2.0.0-rc.1", "v1")

	cnt := registrytest.NewCounter(nil)
	g := mustGate(t, `
previous:
  repository: `+host+`/app
  tags: "v*.*.*"
candidate: `+host+`/app:v1.11.0
insecure: true
`)
	res := gatetest.Run(t, g, testEnv(t.TempDir(), cnt, nil))
	gatetest.Want(t, res, gates.StatusPass, nil,
		"listed 9 tags of "+host+"/app; 6 match v*.*.*",
		"skipped v1.11.0: it is the candidate",
		"skipped 1 pre-release (set previous.prereleases: true to include them): v2.0.0-rc.1",
		"skipped 1 version not older than the candidate's v1.11.0: v1.12.0",
		"newest tag matching v*.*.* other than the candidate: v1.10.0",
		"rollback image: "+pinned(t, host, imgs["v1.10.0"]))
	if gatetest.Output(res, OutputRollbackImage) != pinned(t, host, imgs["v1.10.0"]) {
		t.Errorf("output: %s", gatetest.Describe(res))
	}
	testenv.MustContain(t, "summary", res.Summary, "roll back to "+host+"/app:v1.10.0")
	// One tag list, the candidate's HEAD and the chosen tag's: nothing else.
	cnt.Check(t, map[string]int{"GET /v2/app/tags/list": 1, "HEAD /v2/app/manifests/v1.11.0": 1, "HEAD /v2/app/manifests/v1.10.0": 1}, registrytest.Manifests, registrytest.TagList)
}

// A candidate tagged by commit carries no version; when its image is
// already tagged as a release, that tag is skipped by digest.
func TestCandidateExcludedByDigest(t *testing.T) {
	host := registrytest.Start(t, nil)
	imgs := releases(t, host, "v1.9.3", "v1.10.0 sha-0123abc", "v1.10.1 v1.10.1-final")
	cand := registrytest.Digest(t, imgs["v1.10.0"]).String()
	registrytest.WriteImage(t, host+"/app:v1.10.1", imgs["v1.10.0"]) // re-tagged: the candidate again

	cnt := registrytest.NewCounter(nil)
	g := mustGate(t, "previous: {repository: "+host+"/app, tags: \"v*.*.*\"}\ncandidate: "+host+"/app:sha-0123abc\ninsecure: true")
	res := gatetest.Run(t, g, testEnv(t.TempDir(), cnt, nil))
	gatetest.Want(t, res, gates.StatusPass, nil,
		"candidate "+host+"/app:sha-0123abc: image "+cand,
		"skipped "+host+"/app:v1.10.1: it is the candidate's image ("+cand+")",
		"skipped "+host+"/app:v1.10.0: it is the candidate's image",
		"newest tag matching v*.*.* other than the candidate: v1.9.3")
	if gatetest.Output(res, OutputRollbackImage) != pinned(t, host, imgs["v1.9.3"]) {
		t.Errorf("output: %s", gatetest.Describe(res))
	}
	cnt.Check(t, map[string]int{
		"GET /v2/app/tags/list":              1,
		"HEAD /v2/app/manifests/sha-0123abc": 1,
		"HEAD /v2/app/manifests/v1.10.1":     1,
		"HEAD /v2/app/manifests/v1.10.0":     1,
		"HEAD /v2/app/manifests/v1.9.3":      1,
	}, registrytest.Manifests, registrytest.TagList)
}

func TestPrereleases(t *testing.T) {
	host := registrytest.Start(t, nil)
	imgs := releases(t, host, "v1.0.0", "v2.0.0-rc.1", "v2.0.0-rc.2", "build")
	body := "previous: {repository: " + host + "/app, tags: \"v*\", prereleases: %s}\ncandidate: " + host + "/app:build\ninsecure: true"
	res := gatetest.Run(t, mustGate(t, strings.Replace(body, "%s", "false", 1)), testEnv(t.TempDir(), nil, nil))
	gatetest.Want(t, res, gates.StatusPass, nil, "newest tag matching v* other than the candidate: v1.0.0")
	res = gatetest.Run(t, mustGate(t, strings.Replace(body, "%s", "true", 1)), testEnv(t.TempDir(), nil, nil))
	gatetest.Want(t, res, gates.StatusPass, nil, "newest tag matching v* other than the candidate: v2.0.0-rc.2")
	if gatetest.Output(res, OutputRollbackImage) != pinned(t, host, imgs["v2.0.0-rc.2"]) {
		t.Errorf("output: %s", gatetest.Describe(res))
	}
}

func TestTagFailures(t *testing.T) {
	host := registrytest.Start(t, nil)
	releases(t, host, "v1.4.0", "v1.4", "v1", "latest", "v1.5.0 candidate", "2.0.0", "v2.0.0")
	for _, tt := range []struct {
		name, body string
		rule       string
		want       []string
	}{
		{"floating tags match", `tags: "v*"`, RuleTagsNotSemver, []string{
			"2 tags of HOST/app match v* but are not semantic versions (v1, v1.4)", "will not guess", `such as "v*.*.*"`, "previous-image"}},
		{"nothing matches", `tags: "release-*"`, RuleNoPreviousTag, []string{
			"no tag of HOST/app matches release-* (8 tags listed: 2.0.0, candidate, latest, v1, v1.4, v1.4.0, v1.5.0, v2.0.0)", "there is no release to roll back to"}},
		{"only the candidate matches", `tags: "v1.5.*"`, RuleNoPreviousTag, []string{
			"no tag of HOST/app matching v1.5.* is a release older than the candidate and a different image"}},
		{"same version, different images", `tags: ["v2.*.*", "2.*.*"]`, RulePreviousTagAmbiguous, []string{
			"tags HOST/app:2.0.0 and HOST/app:v2.0.0 are the same version but different images", "will not guess"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := "previous:\n  repository: " + host + "/app\n  " + tt.body + "\ncandidate: " + host + "/app:candidate\ninsecure: true"
			res := gatetest.Run(t, mustGate(t, body), testEnv(t.TempDir(), nil, nil))
			var wants []string
			for _, w := range tt.want {
				wants = append(wants, strings.ReplaceAll(w, "HOST", host))
			}
			gatetest.Want(t, res, gates.StatusFail, []string{tt.rule}, wants...)
			if gatetest.Output(res, OutputRollbackImage) != "" {
				t.Errorf("no rollback image: %s", gatetest.Describe(res))
			}
		})
	}
	t.Run("unknown repository", func(t *testing.T) {
		res := gatetest.Run(t, mustGate(t, "previous: {repository: "+host+"/nope, tags: \"v*.*.*\"}\ncandidate: "+host+"/app:candidate\ninsecure: true"), testEnv(t.TempDir(), nil, nil))
		gatetest.Want(t, res, gates.StatusFail, []string{RuleNoPreviousTag}, "repository "+host+"/nope does not exist in the registry", "404 Not Found", "check previous.repository")
	})
	t.Run("same version, same image", func(t *testing.T) {
		host := registrytest.Start(t, nil)
		imgs := releases(t, host, "v3.0.0 3.0.0", "next")
		res := gatetest.Run(t, mustGate(t, "previous: {repository: "+host+"/app, tags: [\"v*.*.*\", \"[0-9]*.*.*\"]}\ncandidate: "+host+"/app:next\ninsecure: true"), testEnv(t.TempDir(), nil, nil))
		gatetest.Want(t, res, gates.StatusPass, nil, "rollback image: "+pinned(t, host, imgs["3.0.0"]))
	})
}

// Registry failures are errors (no verdict), never a pass or a "missing".
func TestRegistryFaults(t *testing.T) {
	tagsBody := func(host string) string {
		return "previous: {repository: " + host + "/app, tags: \"v*.*.*\"}\ncandidate: " + host + "/app:candidate\ninsecure: true"
	}
	imageBody := func(host string) string { return "previous-image: " + host + "/app:v1.0.0\ninsecure: true" }
	for _, tt := range []struct {
		name string
		wrap func(http.Handler) http.Handler
		body func(host string) string
		want []string
	}{
		{"401 on the tag list", registrytest.Fail(http.StatusUnauthorized, registrytest.IsTagList), tagsBody, []string{
			`listing the tags of "HOST/app": registry HOST requires credentials (GET http://HOST/v2/app/tags/list: 401 Unauthorized (TEST: injected 401)) and none were found`,
			"See the rollback-readiness section of the README for registry logins"}},
		{"403 on the candidate", registrytest.Fail(http.StatusForbidden, func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/manifests/candidate") }), tagsBody, []string{
			`resolving candidate image "HOST/app:candidate": registry HOST requires credentials (HEAD http://HOST/v2/app/manifests/candidate: 403 Forbidden) and none were found`}},
		{"503 on manifests", registrytest.Fail(http.StatusServiceUnavailable, registrytest.IsManifest), imageBody, []string{
			`resolving previous image "HOST/app:v1.0.0": registry HOST keeps failing: HEAD http://HOST/v2/app/manifests/v1.0.0: 503 Service Unavailable (after 3 attempts); try again later`}},
		{"429 on the chosen tag", registrytest.Fail(http.StatusTooManyRequests, func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/manifests/v1.0.0") }), tagsBody, []string{
			`resolving previous release "HOST/app:v1.0.0": registry HOST keeps failing`, "429 Too Many Requests (after 3 attempts)"}},
		{"tag list not JSON", func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if registrytest.IsTagList(r) {
					w.Write([]byte("<html>sign in</html>"))
					return
				}
				next.ServeHTTP(w, r)
			})
		}, tagsBody, []string{"answered GET /v2/app/tags/list with something that is not a tag list"}},
		{"not a registry", func(http.Handler) http.Handler { return http.NotFoundHandler() }, imageBody, []string{
			"registry HOST answered GET http://HOST/v2/: 404 Not Found"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			host := registrytest.Seeded(t, tt.wrap, func(host string) { releases(t, host, "v1.0.0", "candidate") })
			res := gatetest.Run(t, mustGate(t, tt.body(host)), testEnv(t.TempDir(), nil, nil))
			var wants []string
			for _, w := range tt.want {
				wants = append(wants, strings.ReplaceAll(w, "HOST", host))
			}
			gatetest.Want(t, res, gates.StatusError, nil, wants...)
			if gatetest.Output(res, OutputRollbackImage) != "" {
				t.Errorf("no rollback image without a verdict: %s", gatetest.Describe(res))
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		res := gatetest.Run(t, mustGate(t, "previous-image: 127.0.0.1:1/app:v1\ninsecure: true"), testEnv(t.TempDir(), nil, nil))
		gatetest.Want(t, res, gates.StatusError, nil, "cannot reach registry 127.0.0.1:1", "connection refused")
	})
	t.Run("plain HTTP without insecure", func(t *testing.T) {
		host := registrytest.Start(t, nil)
		releases(t, host, "v1.0.0")
		res := gatetest.Run(t, mustGate(t, "previous-image: "+host+"/app:v1.0.0"), testEnv(t.TempDir(), nil, nil))
		gatetest.Want(t, res, gates.StatusError, nil, "did not answer over HTTPS", "insecure: true")
	})
	t.Run("credentials not set", func(t *testing.T) {
		cnt := registrytest.NewCounter(nil)
		res := gatetest.Run(t, mustGate(t, "previous-image: ghcr.io/org/api:v1\nusername-env: REG_USER\npassword-env: REG_PASS"), testEnv(t.TempDir(), cnt, nil))
		gatetest.Want(t, res, gates.StatusError, nil, "username-env names REG_USER and password-env names REG_PASS, which is empty or not set")
		if len(cnt.Requests()) != 0 {
			t.Errorf("no request without the credentials the config names: %v", cnt.Requests())
		}
	})
}

func TestCredentials(t *testing.T) {
	pass := "pw-" + strings.Repeat("r", 12)
	host := registrytest.Seeded(t, registrytest.RequireBasic("deployer", pass), func(host string) { releases(t, host, "v1.0.0") })
	body := "previous-image: " + host + "/app:v1.0.0\ninsecure: true\nusername-env: REG_USER\npassword-env: REG_PASS"
	m := &gates.Masker{}
	res := gatetest.Run(t, mustGate(t, body), testEnv(t.TempDir(), nil, map[string]string{"REG_USER": "deployer", "REG_PASS": pass}), gatetest.Options{Masker: m})
	gatetest.Want(t, res, gates.StatusPass, nil, "(HEAD, credentials: username-env/password-env (REG_USER, REG_PASS))")
	if m.Redact("x"+pass) != "x***" {
		t.Error("the password was not registered as a secret")
	}

	res = gatetest.Run(t, mustGate(t, body), testEnv(t.TempDir(), nil, map[string]string{"REG_USER": "deployer", "REG_PASS": "wrong-" + pass}))
	gatetest.Want(t, res, gates.StatusError, nil, "refused the credentials from username-env/password-env (REG_USER, REG_PASS)")
	if strings.Contains(gatetest.Describe(res), pass) {
		t.Errorf("the password leaked: %s", gatetest.Describe(res))
	}
}

// A registry that hangs ends with the gate's timeout: an error, not a pass.
func TestHang(t *testing.T) {
	host := registrytest.Seeded(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if registrytest.IsTagList(r) {
				<-r.Context().Done()
				return
			}
			next.ServeHTTP(w, r)
		})
	}, func(host string) { releases(t, host, "v1.0.0", "candidate") })
	g := mustGate(t, "previous: {repository: "+host+"/app, tags: \"v*.*.*\"}\ncandidate: "+host+"/app:candidate\ninsecure: true")

	env := testEnv(t.TempDir(), nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := g.Run(ctx, &env); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("want the context's deadline, got %v", err)
	}
	res := gatetest.Run(t, g, testEnv(t.TempDir(), nil, nil), gatetest.Options{Timeout: 200 * time.Millisecond})
	if res.Status != gates.StatusError || !strings.Contains(res.Err, "timed out after 200ms") {
		t.Errorf("want a timeout error: %s", gatetest.Describe(res))
	}
}

// A candidate in another repository (a staging repository) is not excluded
// by tag name, but its version still bounds what counts as previous.
func TestCandidateInAnotherRepository(t *testing.T) {
	host := registrytest.Start(t, nil)
	imgs := releases(t, host, "v1.0.0", "v1.1.0")
	registrytest.PushImage(t, host+"/staging/app:v1.1.0")
	res := gatetest.Run(t, mustGate(t, "previous: {repository: "+host+"/app, tags: \"v*.*.*\"}\ncandidate: "+host+"/staging/app:v1.1.0\ninsecure: true"), testEnv(t.TempDir(), nil, nil))
	gatetest.Want(t, res, gates.StatusPass, nil,
		"skipped 1 version not older than the candidate's v1.1.0: v1.1.0",
		"newest tag matching v*.*.* other than the candidate: v1.0.0")
	if gatetest.Output(res, OutputRollbackImage) != pinned(t, host, imgs["v1.0.0"]) || strings.Contains(gatetest.Describe(res), "it is the candidate\n") {
		t.Errorf("output: %s", gatetest.Describe(res))
	}
}
