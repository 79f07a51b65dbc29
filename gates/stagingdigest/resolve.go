package stagingdigest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/release-gate/release-gate/gates"
)

// resolver turns image references into digests with as few manifest
// requests as the registry allows: one HEAD per reference, a GET only where
// HEAD cannot answer usefully, or one GET when a platform must be picked
// from an index.
type resolver struct {
	puller   *remote.Puller
	tr       *registryTransport
	creds    *credentials
	retry    retryPolicy
	env      *gates.Env
	platform *v1.Platform
}

func newResolver(ctx context.Context, env *gates.Env, g *Gate) (*resolver, error) {
	creds, err := newCredentials(env, g.cfg)
	if err != nil {
		return nil, err
	}
	var base http.RoundTripper
	if env.HTTPClient != nil {
		base = env.HTTPClient.Transport
	}
	tr := newRegistryTransport(base, g.cfg.Insecure)
	puller, err := remote.NewPuller(
		remote.WithTransport(tr),
		remote.WithAuthFromKeychain(creds.keychain()),
		remote.WithContext(ctx),
		remote.WithUserAgent("release-gate"),
		// The gate retries itself (resolver.retrying), with a backoff that
		// honours the context; the library's sleeps do not.
		remote.WithRetryPredicate(func(error) bool { return false }),
		remote.WithRetryStatusCodes(),
		remote.WithRetryBackoff(remote.Backoff{Steps: 1}),
	)
	if err != nil {
		return nil, fmt.Errorf("setting up the registry client: %w", err)
	}
	return &resolver{puller: puller, tr: tr, creds: creds, retry: g.retry, env: env, platform: g.platform}, nil
}

// resolution is what one reference resolved to.
type resolution struct {
	ref      name.Reference
	desc     v1.Descriptor // the top-level manifest: digest and media type
	manifest []byte        // the manifest, when it was fetched with GET
	method   string        // HEAD or GET
	// child is the platform's image when a platform is configured and the
	// reference is an index.
	child *v1.Descriptor
	// platforms lists the index's platforms when none matched.
	platforms []string
}

// digest is the digest the gate compares: the platform's image's when one
// was picked, else the top-level one.
func (r *resolution) digest() v1.Hash {
	if r.child != nil {
		return r.child.Digest
	}
	return r.desc.Digest
}

func (r *resolution) isIndex() bool { return isIndex(r.desc.MediaType, r.manifest) }

// outcome is a resolution, a missing manifest (a finding) or an error.
type outcome struct {
	res     *resolution
	missing error // the 404, when the registry has no such manifest
	err     error
}

// resolveBoth resolves the candidate and staging references concurrently
// (once when they are the same reference).
func (r *resolver) resolveBoth(ctx context.Context, candidate, staging name.Reference) (outcome, outcome) {
	if candidate.String() == staging.String() {
		o := r.resolveOutcome(ctx, roleCandidate, candidate)
		return o, o
	}
	var c, s outcome
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c = r.resolveOutcome(ctx, roleCandidate, candidate) }()
	go func() { defer wg.Done(); s = r.resolveOutcome(ctx, roleStaging, staging) }()
	wg.Wait()
	return c, s
}

const (
	roleCandidate = "candidate image"
	roleStaging   = "staging image"
)

func (r *resolver) resolveOutcome(ctx context.Context, role string, ref name.Reference) outcome {
	res, err := r.resolve(ctx, ref)
	if err == nil {
		return outcome{res: res}
	}
	if isManifestNotFound(err) {
		return outcome{missing: err}
	}
	return outcome{err: r.explain(ctx, role, ref, err)}
}

// resolve resolves one reference.
func (r *resolver) resolve(ctx context.Context, ref name.Reference) (*resolution, error) {
	if r.platform != nil {
		return r.resolveForPlatform(ctx, ref)
	}
	host := ref.Context().RegistryStr()
	path := manifestPath(ref)
	desc, err := retrying(ctx, r, host, func() (*v1.Descriptor, error) {
		r.tr.forgetHead(path)
		return r.puller.Head(ctx, ref)
	})
	if err == nil {
		return &resolution{ref: ref, desc: *desc, method: http.MethodHead}, nil
	}
	if !headUnusable(r.tr.headStatus(path)) || ctx.Err() != nil {
		return nil, err
	}
	// The registry answered HEAD but not usefully (405, no
	// Docker-Content-Digest): ask with GET, which hashes the manifest itself.
	r.env.Notef("%s: the registry could not answer HEAD usefully (%v); asked with GET instead", ref, err)
	d, err := retrying(ctx, r, host, func() (*remote.Descriptor, error) { return r.puller.Get(ctx, ref) })
	if err != nil {
		return nil, err
	}
	return &resolution{ref: ref, desc: d.Descriptor, manifest: d.Manifest, method: http.MethodGet}, nil
}

// headUnusable reports whether a HEAD status means "ask with GET": the
// method is not supported, or the answer was a success the library could
// not use (no digest header). Never on 401, 403 or 404.
func headUnusable(status int) bool {
	switch {
	case status == http.StatusMethodNotAllowed, status == http.StatusNotImplemented:
		return true
	case status >= 200 && status < 300:
		return true
	}
	return false
}

// resolveForPlatform fetches the manifest with one GET and, for an index,
// picks the platform's image from it.
func (r *resolver) resolveForPlatform(ctx context.Context, ref name.Reference) (*resolution, error) {
	d, err := retrying(ctx, r, ref.Context().RegistryStr(), func() (*remote.Descriptor, error) { return r.puller.Get(ctx, ref) })
	if err != nil {
		return nil, err
	}
	res := &resolution{ref: ref, desc: d.Descriptor, manifest: d.Manifest, method: http.MethodGet}
	if !res.isIndex() {
		return res, nil
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(d.Manifest))
	if err != nil {
		return nil, fmt.Errorf("reading the index %s@%s: %w", ref.Context(), d.Digest, err)
	}
	child, platforms := pickPlatform(idx, *r.platform)
	res.child, res.platforms = child, platforms
	return res, nil
}

// pickPlatform finds the image for p in an index, as docker would pick it:
// the first entry whose platform satisfies p (linux/arm64 matches
// linux/arm64/v8 and the other way round). It also lists the platforms the
// index has, for a message when none matches.
func pickPlatform(idx *v1.IndexManifest, p v1.Platform) (*v1.Descriptor, []string) {
	var platforms []string
	for i := range idx.Manifests {
		m := &idx.Manifests[i]
		if m.Platform == nil || m.Platform.OS == "unknown" {
			continue // attestations and unlabelled entries
		}
		if platformMatches(*m.Platform, p) {
			return m, nil
		}
		platforms = append(platforms, m.Platform.String())
	}
	return nil, platforms
}

func platformMatches(have, want v1.Platform) bool {
	if have.Satisfies(want) {
		return true
	}
	// arm64 is arm64/v8 whether or not the variant is written.
	if have.OS == want.OS && have.Architecture == "arm64" && want.Architecture == "arm64" {
		return (have.Variant == "" || have.Variant == "v8") && (want.Variant == "" || want.Variant == "v8")
	}
	return false
}

// childPlatform looks for digest among an index's images and returns its
// platform; ok is false when the index does not hold it.
func childPlatform(manifest []byte, digest v1.Hash) (platform string, ok bool) {
	idx, err := v1.ParseIndexManifest(bytes.NewReader(manifest))
	if err != nil {
		return "", false
	}
	for _, m := range idx.Manifests {
		if m.Digest == digest {
			if m.Platform != nil {
				return m.Platform.String(), true
			}
			return "", true
		}
	}
	return "", false
}

// fetchIndex GETs an index by digest, once, for a message.
func (r *resolver) fetchIndex(ctx context.Context, repo name.Repository, digest v1.Hash) ([]byte, error) {
	d, err := r.puller.Get(ctx, repo.Digest(digest.String()))
	if err != nil {
		return nil, err
	}
	return d.Manifest, nil
}

// isIndex reports whether a manifest is an index (multi-arch), from its
// media type or, when the registry sent none, its content.
func isIndex(mt types.MediaType, manifest []byte) bool {
	if mt.IsIndex() {
		return true
	}
	if mt != "" || manifest == nil {
		return false
	}
	var probe struct {
		MediaType types.MediaType `json:"mediaType"`
		Manifests []any           `json:"manifests"`
	}
	if json.Unmarshal(manifest, &probe) != nil {
		return false
	}
	return probe.MediaType.IsIndex() || (probe.MediaType == "" && probe.Manifests != nil)
}

// manifestPath is the URL path of a reference's manifest.
func manifestPath(ref name.Reference) string {
	return fmt.Sprintf("/v2/%s/manifests/%s", ref.Context().RepositoryStr(), ref.Identifier())
}

// kind names a manifest's media type for people.
func kind(mt types.MediaType) string {
	switch {
	case mt.IsIndex():
		return "multi-arch index"
	case mt.IsSchema1():
		return "schema 1 manifest"
	case mt.IsImage():
		return "image"
	case mt == "":
		return "manifest"
	}
	return string(mt)
}
