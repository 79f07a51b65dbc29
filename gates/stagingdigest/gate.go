package stagingdigest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/plural"
	"github.com/release-gate/release-gate/internal/promapi"
	"github.com/release-gate/release-gate/internal/registry"
)

// Gate proves that the candidate image is, digest for digest, the one
// staging validated.
type Gate struct {
	cfg            Config
	image, staging name.Reference
	platform       *v1.Platform
	jsonPath       []string
	interval       time.Duration
	retry          registry.RetryPolicy
	requestTimeout time.Duration
}

// option changes a gate's defaults (tests use fast retries).
type option func(*Gate)

func withRetry(p registry.RetryPolicy) option { return func(g *Gate) { g.retry = p } }

// Name implements gates.Gate.
func (g *Gate) Name() string { return Name }

// Finding rules.
const (
	ruleCandidateMissing = "candidate-missing"
	ruleStagingMissing   = "staging-missing"
	rulePlatformMissing  = "platform-missing"
	ruleDigestMismatch   = "digest-mismatch"
)

// Run implements gates.Gate.
func (g *Gate) Run(ctx context.Context, env *gates.Env) ([]gates.Finding, error) {
	findings, err := g.run(ctx, env)
	// Every finding is about the candidate image: a waiver can name it.
	for i := range findings {
		findings[i].Labels = map[string]string{"image": g.image.String()}
	}
	return findings, err
}

func (g *Gate) run(ctx context.Context, env *gates.Env) ([]gates.Finding, error) {
	r, err := newResolver(env, g)
	if err != nil {
		return nil, err
	}
	cand, stag := r.resolveBoth(ctx, g.image, g.staging)

	var findings []gates.Finding
	if cand.missing != nil {
		findings = append(findings, finding(ruleCandidateMissing, fmt.Sprintf(
			"candidate image %s does not exist in the registry (%s): push it before this gate runs, or fix image", g.image, registry.ShortError(cand.missing))))
	}
	if stag.missing != nil {
		findings = append(findings, finding(ruleStagingMissing, fmt.Sprintf(
			"staging image %s does not exist in the registry (%s): staging never validated it; check the staging reference", g.staging, registry.ShortError(stag.missing))))
	}
	errs := joinErrors(cand.err, stag.err)
	for _, x := range []struct {
		role string
		o    outcome
	}{{roleCandidate, cand}, {roleStaging, stag}} {
		if res := x.o.res; res != nil {
			g.noteResolution(env, x.role, res, r)
			if g.platform != nil && res.isIndex() && res.child == nil {
				findings = append(findings, finding(rulePlatformMissing, fmt.Sprintf(
					"%s %s is a multi-arch index (%s) without a %s image; it has: %s", x.role, res.ref, res.desc.Digest, g.platform, platformList(ctx, env, res.platforms))))
			}
		}
	}
	if cand.res != nil && !(g.platform != nil && cand.res.isIndex() && cand.res.child == nil) {
		env.SetOutput("digest", cand.res.digest().String())
	}
	if errs != nil {
		return findings, errs
	}
	if len(findings) > 0 {
		return findings, nil
	}

	c, s := cand.res, stag.res
	if c.digest() != s.digest() {
		return []gates.Finding{finding(ruleDigestMismatch, g.mismatch(ctx, r, c, s))}, nil
	}
	if g.cfg.StagingEndpoint != nil {
		want := []v1.Hash{c.digest()}
		if c.child != nil {
			want = append(want, c.desc.Digest)
		}
		f, err := g.checkEndpoint(ctx, env, want)
		if err != nil {
			return nil, err
		}
		if f != nil {
			return []gates.Finding{*f}, nil
		}
	}
	pinned := registry.RepositorySpelling(g.cfg.Image) + "@" + c.digest().String()
	env.SetOutput("pinned-image", pinned)
	env.Notef("pinned image: %s", pinned)
	how := "the digest staging validated"
	if g.cfg.StagingEndpoint != nil {
		how += " and runs"
	}
	if g.platform != nil {
		how = fmt.Sprintf("the %s image staging validated", g.platform)
		if g.cfg.StagingEndpoint != nil {
			how += " and runs"
		}
	}
	env.SetSummary("deploy %s: %s (%s)", pinned, how, g.staging)
	return nil, nil
}

// noteResolution records what a reference resolved to.
func (g *Gate) noteResolution(env *gates.Env, role string, res *resolution, r *resolver) {
	host := res.ref.Context().RegistryStr()
	switch {
	case res.child != nil:
		env.Notef("%s %s: %s %s; its %s image is %s (%s, %s)", role, res.ref, registry.Kind(res.desc.MediaType), res.desc.Digest, g.platform, res.child.Digest, res.method, r.client.CredentialsFor(host))
	default:
		env.Notef("%s %s: %s %s (%s, %s)", role, res.ref, registry.Kind(res.desc.MediaType), res.desc.Digest, res.method, r.client.CredentialsFor(host))
	}
}

// mismatch explains differing digests. When one side is an index and the
// other one of its images, it says so (one more GET, for the index) and
// suggests platform:.
func (g *Gate) mismatch(ctx context.Context, r *resolver, c, s *resolution) string {
	if g.platform != nil {
		return fmt.Sprintf("for %s, candidate %s is %s%s but staging %s is %s%s: this is not the image staging validated",
			g.platform, c.ref, c.digest(), inIndex(c), s.ref, s.digest(), inIndex(s))
	}
	base := fmt.Sprintf("candidate %s is %s but staging %s is %s: this is not the image staging validated",
		c.ref, c.desc.Digest, s.ref, s.desc.Digest)
	idx, img, idxRole, imgRole := c, s, "the candidate", "the staging image"
	if !c.isIndex() {
		idx, img, idxRole, imgRole = s, c, "the staging image", "the candidate"
	}
	if !idx.isIndex() || img.isIndex() {
		if c.isIndex() && s.isIndex() {
			base += " (both are multi-arch indexes)"
		}
		return base
	}
	manifest := idx.manifest
	if manifest == nil {
		var err error
		manifest, err = r.fetchIndex(ctx, idx.ref.Context(), idx.desc.Digest)
		if err != nil {
			return base + fmt.Sprintf(" (%s is a multi-arch index and %s a single image; could not read the index to compare further: %v)", idxRole, imgRole, err)
		}
	}
	platform, ok := registry.ChildPlatform(manifest, img.desc.Digest)
	if !ok {
		return base + fmt.Sprintf(" (%s is a multi-arch index, %s a single image that is not in it)", idxRole, imgRole)
	}
	if platform == "" {
		return base + fmt.Sprintf(". %s is a multi-arch index and %s is one of its images: compare the same level (both the index, or set platform: to compare one platform's image)", capitalize(idxRole), imgRole)
	}
	return base + fmt.Sprintf(". %s is a multi-arch index and %s is its %s image: the same build compared at different levels; set platform: %s to compare that platform's image, or point both at the index",
		capitalize(idxRole), imgRole, platform, platform)
}

func capitalize(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func inIndex(r *resolution) string {
	if r.child != nil {
		return fmt.Sprintf(" (in index %s)", r.desc.Digest)
	}
	return ""
}

func finding(rule, msg string) gates.Finding {
	return gates.Finding{Rule: rule, Severity: gates.SeverityError, Message: msg}
}

// platformList lists an index's platforms (the registry's text) for a
// platform-missing finding: the first few, each with the credentials
// masked and the other secrets redacted before it is cut short, and how
// many more.
func platformList(ctx context.Context, env *gates.Env, list []string) string {
	if len(list) == 0 {
		return "no labelled platforms"
	}
	return plural.First(len(list), maxListed, func(k int) string {
		return promapi.Excerpt(ctx, []byte(env.Masked(list[k])), nil, maxNameShown)
	})
}

// maxListed bounds the items a message lists from a server's answer (an
// object's keys, an index's platforms): one with thousands must not make
// the message megabytes long.
const maxListed = 20
