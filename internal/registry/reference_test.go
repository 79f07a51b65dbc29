package registry

import (
	"strings"
	"testing"

	"github.com/release-gate/release-gate/internal/testenv"
)

func TestRepoSpelling(t *testing.T) {
	for in, want := range map[string]string{
		"ghcr.io/org/api:v1":                  "ghcr.io/org/api",
		"localhost:5000/api:v1":               "localhost:5000/api",
		"localhost:5000/api@sha256:abc":       "localhost:5000/api",
		"docker.io/library/nginx:1.25@sha256": "docker.io/library/nginx",
	} {
		if got := RepositorySpelling(in); got != want {
			t.Errorf("RepositorySpelling(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseReference(t *testing.T) {
	digest := "sha256:" + strings.Repeat("b", 64)
	for _, tt := range []struct {
		in       string
		insecure bool
		want     string // the parsed reference, or substrings of the error after "!"
	}{
		{"ghcr.io/org/api:v1.2.3", false, "ghcr.io/org/api:v1.2.3"},
		{" ghcr.io/org/api@" + digest + " ", false, "ghcr.io/org/api@" + digest},
		{"localhost:5000/api:v1", true, "localhost:5000/api:v1"},
		{"", false, "!got nothing"},
		{"ghcr.io/org/api", false, "!names no tag or digest|never assumes :latest"},
		{"localhost:5000/api", false, "!names no tag or digest"},
		{"nginx:1.25", false, "!does not name its registry|docker.io/library/nginx:1.25"},
		{"docker.io/nginx@" + digest, false, "!docker.io/library/nginx@" + digest},
		{"ghcr.io/Org/API:v1", false, "!must be lowercase|write ghcr.io/org/api:v1"},
		{"ghcr.io/Octo-Org/api@" + digest, false, "!must be lowercase|write ghcr.io/octo-org/api@" + digest},
		{"localhost:5000/My/Api:V1", true, "!must be lowercase|write localhost:5000/my/api:V1"},
		{"ghcr.io/org/api:V1.2-RC", false, "ghcr.io/org/api:V1.2-RC"}, // tags may have capitals
		{"ghcr.io/Org/API:bad tag", false, "!is not an image reference"},
		{"[::1]:5000/api:v1", true, "[::1]:5000/api:v1"},
		{"Registry.Example.COM:443/org/api:v1", false, "Registry.Example.COM:443/org/api:v1"},
		{"my-registry.example.com/org/api:v1", false, "my-registry.example.com/org/api:v1"},
		// A registry name is a DNS name or an address: the library accepts
		// any RFC 3986 authority, whose characters a shell runs, and
		// letters that look like others.
		{"registry.test$(id)/org/api:v1", false, "!registry name|registry.test$(id)"},
		{"registry.test&&id/org/api:v1", false, "!registry name"},
		{"registry.test'\"/org/api:v1", false, "!registry name"},
		{"registry.test;x/org/api:v1", false, "!"},
		{"gh\u0441r.io/org/api:v1", false, "!registry name"},
		{"-registry.test/org/api:v1", false, "!"},
		{"registry.test./org/api:v1", false, "!"},
	} {
		ref, err := ParseReference(tt.in, tt.insecure)
		if w, bad := strings.CutPrefix(tt.want, "!"); bad {
			if err == nil {
				t.Errorf("%q: want an error, got %s", tt.in, ref)
				continue
			}
			testenv.MustContain(t, "error", err.Error(), strings.Split(w, "|")...)
			continue
		}
		if err != nil || ref.String() != tt.want {
			t.Errorf("%q: got %v, %v; want %s", tt.in, ref, err, tt.want)
		}
	}
	if ref, _ := ParseReference("127.0.0.1:5000/api:v1", true); ref.Context().Scheme() != "http" {
		t.Error("insecure references may use plain HTTP")
	}
}

func TestParseRepository(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"ghcr.io/org/api", "ghcr.io/org/api"},
		{"localhost:5000/team/api", "localhost:5000/team/api"},
		{"", "!got nothing"},
		{"ghcr.io/org/api:v1", "!names a tag or digest|such as ghcr.io/org/api"},
		{"ghcr.io/org/api@sha256:" + strings.Repeat("c", 64), "!names a tag or digest"},
		{"org/api", "!does not name its registry|write it in full: docker.io/org/api"},
		{"ghcr.io/Org/api", "!is not a repository name"},
		{"registry.test$(id)/org/api", "!registry name"},
		{"gh\u0441r.io/org/api", "!registry name"},
	} {
		repo, err := ParseRepository(tt.in, false)
		if w, bad := strings.CutPrefix(tt.want, "!"); bad {
			if err == nil {
				t.Errorf("%q: want an error, got %s", tt.in, repo)
				continue
			}
			testenv.MustContain(t, "error", err.Error(), strings.Split(w, "|")...)
			continue
		}
		if err != nil || repo.String() != tt.want {
			t.Errorf("%q: got %v, %v; want %s", tt.in, repo, err, tt.want)
		}
	}
}
