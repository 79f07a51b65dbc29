package registry

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// ParseReference parses an image reference strictly: the registry and a tag
// or a digest must be written out (no implied docker.io, library/ or
// latest). With insecure the reference may be served over plain HTTP.
// Errors say what a strict reference would look like.
func ParseReference(s string, insecure bool) (name.Reference, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("want an image reference such as ghcr.io/org/api:1.2.3 or ghcr.io/org/api@sha256:…, got nothing")
	}
	ref, err := name.ParseReference(s, nameOptions(insecure)...)
	if err == nil {
		if err := checkRegistryName(ref.Context().RegistryStr()); err != nil {
			return nil, fmt.Errorf("%q: %w", s, err)
		}
		return ref, nil
	}
	// Say what a strict reference would look like, when a lenient parse
	// understands the text.
	weak, werr := name.ParseReference(s, name.WeakValidation)
	if lower := lowercaseRepository(s); werr != nil && lower != s {
		if _, err := name.ParseReference(lower, nameOptions(insecure)...); err == nil {
			return nil, fmt.Errorf("%q is not an image reference: its repository name must be lowercase; write %s", s, lower)
		}
	}
	if werr != nil {
		return nil, fmt.Errorf("%q is not an image reference (%v); want registry/repository:tag or registry/repository@sha256:…", s, werr)
	}
	if !hasTagOrDigest(s) {
		return nil, fmt.Errorf("%q names no tag or digest; write the tag (%s:TAG) or the digest (%s@sha256:…): release-gate never assumes :latest", s, s, s)
	}
	sep := ":"
	if _, ok := weak.(name.Digest); ok {
		sep = "@"
	}
	return nil, fmt.Errorf("%q does not name its registry; write it in full: %s%s%s", s, fullRepository(weak.Context()), sep, weak.Identifier())
}

// lowercaseRepository returns s with its repository path (after the
// registry, before the tag or digest) in lower case.
func lowercaseRepository(s string) string {
	slash := strings.IndexByte(s, '/')
	if slash < 0 {
		return s
	}
	rest := s[slash+1:]
	end := len(rest)
	if at := strings.IndexByte(rest, '@'); at >= 0 {
		end = at
	} else if colon := strings.LastIndexByte(rest, ':'); colon > strings.LastIndexByte(rest, '/') {
		end = colon
	}
	return s[:slash+1] + strings.ToLower(rest[:end]) + rest[end:]
}

// ParseRepository parses a repository name strictly: the registry must be
// written out, and there is no tag or digest.
func ParseRepository(s string, insecure bool) (name.Repository, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return name.Repository{}, fmt.Errorf("want a repository such as ghcr.io/org/api, got nothing")
	}
	if hasTagOrDigest(s) {
		return name.Repository{}, fmt.Errorf("%q names a tag or digest; want the repository alone, such as %s", s, RepositorySpelling(s))
	}
	repo, err := name.NewRepository(s, nameOptions(insecure)...)
	if err == nil {
		if err := checkRegistryName(repo.RegistryStr()); err != nil {
			return name.Repository{}, fmt.Errorf("%q: %w", s, err)
		}
		return repo, nil
	}
	weak, werr := name.NewRepository(s, name.WeakValidation)
	if werr != nil {
		return name.Repository{}, fmt.Errorf("%q is not a repository name (%v); want registry/repository, such as ghcr.io/org/api", s, werr)
	}
	return name.Repository{}, fmt.Errorf("%q does not name its registry; write it in full: %s", s, fullRepository(weak))
}

// registryName is a registry as docker's reference grammar writes it: a
// DNS name (labels of letters, digits and inner hyphens) or an IPv6
// address in brackets, with an optional port.
var registryName = regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$`)

// checkRegistryName refuses a registry name docker would not accept.
// go-containerregistry takes any RFC 3986 authority, which may hold $( ),
// ;, & and quotes, or letters of other scripts that look like ASCII ones
// (ghсr.io with a Cyrillic с): gates hand references on in step outputs
// that later steps paste into shell scripts, and a reader should see the
// registry the configuration really names.
func checkRegistryName(reg string) error {
	if registryName.MatchString(reg) {
		return nil
	}
	return fmt.Errorf("%+q is not a registry name: want a host name such as ghcr.io or registry.example.com:5000 (letters, digits, dots and hyphens, and a port), or an IP address", reg)
}

func nameOptions(insecure bool) []name.Option {
	opts := []name.Option{name.StrictValidation}
	if insecure {
		opts = append(opts, name.Insecure)
	}
	return opts
}

// fullRepository spells a repository with its registry as users write it
// (docker.io, not index.docker.io).
func fullRepository(repo name.Repository) string {
	full := repo.Name()
	if strings.HasPrefix(full, name.DefaultRegistry+"/") {
		full = "docker.io/" + strings.TrimPrefix(full, name.DefaultRegistry+"/")
	}
	return full
}

// hasTagOrDigest reports whether the last path element of s carries a tag or
// a digest (a registry port does not count).
func hasTagOrDigest(s string) bool {
	if strings.Contains(s, "@") {
		return true
	}
	last := s[strings.LastIndex(s, "/")+1:]
	return strings.Contains(last, ":")
}

// RepositorySpelling is the repository of a reference as the user wrote it
// (docker.io/library/nginx, not index.docker.io/library/nginx).
func RepositorySpelling(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s = s[:i]
	}
	slash := strings.LastIndexByte(s, '/')
	if i := strings.LastIndexByte(s, ':'); i > slash {
		s = s[:i]
	}
	return s
}
