package registry

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Descriptor is what a reference resolved to: the top-level manifest's
// digest, media type and size, and how the registry was asked.
type Descriptor struct {
	// Ref is the reference that was resolved.
	Ref name.Reference
	v1.Descriptor
	// Manifest is the manifest itself when it was fetched with GET; nil
	// after a HEAD.
	Manifest []byte
	// Method is http.MethodHead or http.MethodGet.
	Method string
}

// IsIndex reports whether the manifest is an index (multi-arch).
func (d *Descriptor) IsIndex() bool { return IsIndex(d.MediaType, d.Manifest) }

// Pinned is the reference by digest: repository@sha256:….
func (d *Descriptor) Pinned() name.Digest { return d.Ref.Context().Digest(d.Digest.String()) }

// IsIndex reports whether a manifest is an index (multi-arch), from its
// media type or, when the registry sent none, its content.
func IsIndex(mt types.MediaType, manifest []byte) bool {
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

// Kind names a manifest's media type for people.
func Kind(mt types.MediaType) string {
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

// PickPlatform finds the image for p in an index, as docker would pick it:
// the first entry whose platform satisfies p (linux/arm64 matches
// linux/arm64/v8 and the other way round). When none does it returns nil
// and lists the platforms the index has, for a message.
func PickPlatform(idx *v1.IndexManifest, p v1.Platform) (*v1.Descriptor, []string) {
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

// ChildPlatform looks for digest among an index's images and returns its
// platform; ok is false when the index does not hold it.
func ChildPlatform(manifest []byte, digest v1.Hash) (platform string, ok bool) {
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

// manifestPath is the URL path of a reference's manifest.
func manifestPath(ref name.Reference) string {
	return fmt.Sprintf("/v2/%s/manifests/%s", ref.Context().RepositoryStr(), ref.Identifier())
}
