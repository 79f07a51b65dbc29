package rollbackreadiness

import (
	"path"
	"slices"
	"strings"
)

// selection is what the tag list offers as the previous release.
type selection struct {
	matched      int      // tags matching a pattern
	excludedTag  string   // the candidate's own tag, when it matched
	notSemver    []string // matching tags that are not semantic versions
	skippedPre   []string // pre-releases, when they are not wanted
	skippedNewer []string // versions not older than the candidate's
	// groups are the remaining versions, newest first; versions of equal
	// precedence (v1.2.3 and 1.2.3) share a group.
	groups [][]version
}

// selectTags picks the tags that could be the previous release: those
// matching a pattern, other than candTag, and, when the candidate's tag is
// a version, older than it. Order is by semantic version only.
func selectTags(tags []string, p *previousTags, candTag string, candVersion *version) selection {
	var sel selection
	var vs []version
	for _, tag := range tags {
		if !matchesAny(p.patterns, tag) {
			continue
		}
		sel.matched++
		if tag == candTag {
			sel.excludedTag = tag
			continue
		}
		v, ok := parseVersion(tag)
		switch {
		case !ok:
			sel.notSemver = append(sel.notSemver, tag)
		case v.prerelease() && !p.prereleases:
			sel.skippedPre = append(sel.skippedPre, tag)
		case candVersion != nil && v.compare(*candVersion) >= 0:
			sel.skippedNewer = append(sel.skippedNewer, tag)
		default:
			vs = append(vs, v)
		}
	}
	slices.Sort(sel.notSemver)
	slices.Sort(sel.skippedPre)
	slices.Sort(sel.skippedNewer)
	// Newest first; ties in a stable order (by tag) so messages do not
	// change from run to run.
	slices.SortFunc(vs, func(a, b version) int {
		if c := b.compare(a); c != 0 {
			return c
		}
		return strings.Compare(a.tag, b.tag)
	})
	for i := 0; i < len(vs); {
		j := i + 1
		for j < len(vs) && vs[j].compare(vs[i]) == 0 {
			j++
		}
		sel.groups = append(sel.groups, vs[i:j])
		i = j
	}
	return sel
}

func matchesAny(patterns []string, tag string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, tag); ok {
			return true
		}
	}
	return false
}
