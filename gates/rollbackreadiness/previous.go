package rollbackreadiness

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/release-gate/release-gate/internal/plural"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/registry"
)

// checkImage proves that the image to roll back to exists and resolves to
// a digest, and that it is not the candidate.
func (g *Gate) checkImage(ctx context.Context, env *gates.Env) partResult {
	opts := []registry.Option{
		registry.WithInsecure(g.cfg.Insecure),
		registry.WithRetry(g.retry),
		registry.WithLoginHelp("the rollback-readiness section of the README"),
	}
	if g.cfg.UsernameEnv != "" {
		opts = append(opts, registry.WithCredentialsFrom(string(g.cfg.UsernameEnv), string(g.cfg.PasswordEnv)))
	}
	c, err := registry.New(env, opts...)
	if err != nil {
		return partResult{err: err}
	}
	var cand *registry.Descriptor
	if g.candidate != nil {
		if cand, err = resolveCandidate(ctx, env, c, g.candidate); err != nil {
			return partResult{err: err}
		}
	}
	if g.previousImage != nil {
		return g.checkPreviousImage(ctx, env, c, cand)
	}
	return g.checkPreviousTags(ctx, env, c, cand)
}

// resolveCandidate resolves the candidate; nil when the registry does not
// have it (yet), in which case no image can be it.
func resolveCandidate(ctx context.Context, env *gates.Env, c *registry.Client, ref name.Reference) (*registry.Descriptor, error) {
	d, err := c.Resolve(ctx, ref)
	switch {
	case errors.Is(err, registry.ErrNotFound):
		env.Notef("candidate %s is not in the registry (%s), so no image to roll back to can be it", ref, registry.ShortError(err))
		return nil, nil
	case err != nil:
		return nil, explain("resolving candidate image", ref, err)
	}
	noteImage(env, c, "candidate", d)
	return d, nil
}

func (g *Gate) checkPreviousImage(ctx context.Context, env *gates.Env, c *registry.Client, cand *registry.Descriptor) partResult {
	ref := g.previousImage
	d, err := c.Resolve(ctx, ref)
	switch {
	case errors.Is(err, registry.ErrNotFound):
		return partResult{findings: []gates.Finding{finding(RulePreviousImageMissing, gates.Pos{},
			"previous image %s does not exist in the registry (%s): a rollback to it would fail; push it again, or point previous-image at the release running in production",
			ref, registry.ShortError(err))}}
	case err != nil:
		return partResult{err: explain("resolving previous image", ref, err)}
	}
	noteImage(env, c, "previous image", d)
	if cand != nil && d.Digest == cand.Digest {
		return partResult{findings: []gates.Finding{finding(RulePreviousIsCandidate, gates.Pos{},
			"previous image %s is the candidate %s (both %s): rolling back to it would change nothing; point previous-image at the release before this one",
			ref, g.candidate, d.Digest)}}
	}
	return rollbackTo(env, g.cfg.PreviousImage, ref.String(), d)
}

func (g *Gate) checkPreviousTags(ctx context.Context, env *gates.Env, c *registry.Client, cand *registry.Descriptor) partResult {
	p := g.previous
	tags, err := c.ListTags(ctx, p.repo)
	switch {
	case errors.Is(err, registry.ErrNotFound):
		return partResult{findings: []gates.Finding{finding(RuleNoPreviousTag, gates.Pos{},
			"repository %s does not exist in the registry (%s): there is no release to roll back to; check previous.repository",
			p.repo, registry.ShortError(err))}}
	case err != nil:
		return partResult{err: explain("listing the tags of", p.repo, err)}
	}
	sel := selectTags(tags, p, g.candidateTag(), g.candidateVersion())
	patterns := strings.Join(p.patterns, ", ")
	env.Notef("listed %s of %s; %d match %s", plural.Count(len(tags), "tag"), p.repo, sel.matched, patterns)
	if sel.excludedTag != "" {
		env.Notef("skipped %s: it is the candidate", sel.excludedTag)
	}
	if len(sel.skippedPre) > 0 {
		env.Notef("skipped %s (set previous.prereleases: true to include them): %s", plural.Count(len(sel.skippedPre), "pre-release"), sample(sel.skippedPre))
	}
	if len(sel.skippedNewer) > 0 {
		env.Notef("skipped %s not older than the candidate's %s: %s", plural.Count(len(sel.skippedNewer), "version"), g.candidateVersion().tag, sample(sel.skippedNewer))
	}
	if len(sel.notSemver) > 0 {
		return partResult{findings: []gates.Finding{finding(RuleTagsNotSemver, gates.Pos{},
			"%d tags of %s match %s but are not semantic versions (%s): release-gate orders tags by semantic version only and will not guess which is newest; narrow previous.tags to release versions (such as \"v*.*.*\"), or name the image with previous-image",
			len(sel.notSemver), p.repo, patterns, sample(sel.notSemver))}}
	}

	for _, group := range sel.groups {
		var keep []*registry.Descriptor
		for _, v := range group {
			ref := p.repo.Tag(v.tag)
			d, err := c.Resolve(ctx, ref)
			switch {
			case errors.Is(err, registry.ErrNotFound):
				return partResult{err: fmt.Errorf("resolving %s: the registry listed the tag but has no manifest for it (%s); was it deleted during the check? Run again", ref, registry.ShortError(err))}
			case err != nil:
				return partResult{err: explain("resolving previous release", ref, err)}
			}
			if cand != nil && d.Digest == cand.Digest {
				env.Notef("skipped %s: it is the candidate's image (%s)", ref, d.Digest)
				continue
			}
			noteImage(env, c, "tag", d)
			keep = append(keep, d)
		}
		if len(keep) == 0 {
			continue
		}
		for _, d := range keep[1:] {
			if d.Digest != keep[0].Digest {
				return partResult{findings: []gates.Finding{finding(RulePreviousTagAmbiguous, gates.Pos{},
					"tags %s and %s are the same version but different images (%s, %s): release-gate will not guess which one to roll back to; delete or retag one, narrow previous.tags, or name the image with previous-image",
					keep[0].Ref, d.Ref, keep[0].Digest, d.Digest)}}
			}
		}
		env.Notef("newest tag matching %s other than the candidate: %s", patterns, keep[0].Ref.Identifier())
		return rollbackTo(env, g.cfg.Previous.Repository, keep[0].Ref.String(), keep[0])
	}

	why := fmt.Sprintf("no tag of %s matches %s", p.repo, patterns)
	if sel.matched > 0 {
		why = fmt.Sprintf("no tag of %s matching %s is a release older than the candidate and a different image", p.repo, patterns)
	}
	return partResult{findings: []gates.Finding{finding(RuleNoPreviousTag, gates.Pos{},
		"%s (%d tags listed: %s): there is no release to roll back to; push the release running in production with a matching tag, fix previous.tags, or name the image with previous-image",
		why, len(tags), sample(slices.Sorted(slices.Values(tags))))}}
}

// candidateTag is the candidate's tag when it is a tag of the repository
// the previous release is looked for in; "" otherwise.
func (g *Gate) candidateTag() string {
	t, ok := g.candidate.(name.Tag)
	if !ok || g.previous == nil || t.Context().String() != g.previous.repo.String() {
		return ""
	}
	return t.TagStr()
}

// candidateVersion is the candidate's tag read as a version, when it is
// one (in whichever repository): releases not older than it are not
// previous releases.
func (g *Gate) candidateVersion() *version {
	t, ok := g.candidate.(name.Tag)
	if !ok {
		return nil
	}
	v, ok := parseVersion(t.TagStr())
	if !ok {
		return nil
	}
	return &v
}

// rollbackTo records the image to roll back to: a note, the rollback-image
// output (the repository as the user wrote it, pinned by digest) and the
// part's summary.
func rollbackTo(env *gates.Env, spelled, ref string, d *registry.Descriptor) partResult {
	pinned := registry.RepositorySpelling(spelled) + "@" + d.Digest.String()
	env.SetOutput(OutputRollbackImage, pinned)
	env.Notef("rollback image: %s", pinned)
	return partResult{summary: fmt.Sprintf("roll back to %s (%s)", ref, pinned)}
}

// noteImage records what a reference resolved to.
func noteImage(env *gates.Env, c *registry.Client, role string, d *registry.Descriptor) {
	env.Notef("%s %s: %s %s (%s, %s)", role, d.Ref, registry.Kind(d.MediaType), d.Digest, d.Method, c.CredentialsFor(d.Ref.Context().RegistryStr()))
}

// explain prefixes a registry failure with what the gate was doing.
func explain(doing string, what fmt.Stringer, err error) error {
	return fmt.Errorf("%s %q: %w", doing, what.String(), err)
}

// sample lists up to ten items for a message.
func sample(items []string) string {
	const limit = 10
	if len(items) == 0 {
		return "none"
	}
	return plural.First(len(items), limit, func(k int) string { return items[k] })
}
