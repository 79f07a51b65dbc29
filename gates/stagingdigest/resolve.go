package stagingdigest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/registry"
)

// resolver turns image references into digests with as few manifest
// requests as the registry allows: one HEAD per reference, a GET only where
// HEAD cannot answer usefully, or one GET when a platform must be picked
// from an index.
type resolver struct {
	client   *registry.Client
	platform *v1.Platform
}

func newResolver(env *gates.Env, g *Gate) (*resolver, error) {
	opts := []registry.Option{
		registry.WithInsecure(g.cfg.Insecure),
		registry.WithRetry(g.retry),
		registry.WithRequestTimeout(g.requestTimeout, "request-timeout"),
		registry.WithLoginHelp("the staging-digest section of the README"),
	}
	if g.cfg.UsernameEnv != "" {
		opts = append(opts, registry.WithCredentialsFrom(string(g.cfg.UsernameEnv), string(g.cfg.PasswordEnv)))
	}
	c, err := registry.New(env, opts...)
	if err != nil {
		return nil, err
	}
	return &resolver{client: c, platform: g.platform}, nil
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

func (r *resolution) isIndex() bool { return registry.IsIndex(r.desc.MediaType, r.manifest) }

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
	if errors.Is(err, registry.ErrNotFound) {
		return outcome{missing: err}
	}
	return outcome{err: explain(role, ref, err)}
}

// resolve resolves one reference.
func (r *resolver) resolve(ctx context.Context, ref name.Reference) (*resolution, error) {
	if r.platform != nil {
		return r.resolveForPlatform(ctx, ref)
	}
	d, err := r.client.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	return &resolution{ref: ref, desc: d.Descriptor, manifest: d.Manifest, method: d.Method}, nil
}

// resolveForPlatform fetches the manifest with one GET and, for an index,
// picks the platform's image from it.
func (r *resolver) resolveForPlatform(ctx context.Context, ref name.Reference) (*resolution, error) {
	d, err := r.client.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	res := &resolution{ref: ref, desc: d.Descriptor, manifest: d.Manifest, method: d.Method}
	if !res.isIndex() {
		return res, nil
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(d.Manifest))
	if err != nil {
		return nil, fmt.Errorf("reading the index %s@%s: %w", ref.Context(), d.Digest, err)
	}
	child, platforms := registry.PickPlatform(idx, *r.platform)
	res.child, res.platforms = child, platforms
	return res, nil
}

// fetchIndex GETs an index by digest, for a message.
func (r *resolver) fetchIndex(ctx context.Context, repo name.Repository, digest v1.Hash) ([]byte, error) {
	d, err := r.client.Get(ctx, repo.Digest(digest.String()))
	if err != nil {
		return nil, err
	}
	return d.Manifest, nil
}
