package rollbackreadiness

import (
	"slices"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	for tag, ok := range map[string]bool{
		"v1.4.2": true, "1.4.2": true, "v0.0.0": true, "v10.20.30": true,
		"v2.0.0-rc.1": true, "1.0.0-alpha-a.b-c": true, "1.0.0+build.5": true, "1.0.0-0": true,
		"v1": false, "v1.4": false, "v1.4.2.1": false, "latest": false, "sha-abc123": false,
		"v01.4.2": false, "1.04.2": false, "1.0.0-01": false, "1.0.0-": false, "1.0.0-a..b": false,
		"V1.4.2": false, "vv1.4.2": false, "1.4.x": false, "": false, "v1.4.2_build": false,
	} {
		if _, got := parseVersion(tag); got != ok {
			t.Errorf("parseVersion(%q) ok = %v, want %v", tag, got, ok)
		}
	}
	// A registry answers with tags of any length; semver refuses one over
	// 256 bytes before parsing it.
	if _, ok := parseVersion("v1.0.0-" + strings.Repeat("a.", 200) + "a"); ok {
		t.Error("a 400-byte pre-release is a version")
	}
}

// The ordering of semver.org's example, shuffled, and numbers that a
// lexical sort gets wrong.
func TestVersionOrder(t *testing.T) {
	want := []string{
		"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
		"1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "v1.2.0", "v1.9.0", "v1.10.0", "v1.10.1", "v2.0.0",
	}
	tags := slices.Clone(want)
	slices.Reverse(tags)
	tags[2], tags[7] = tags[7], tags[2]
	vs := make([]version, len(tags))
	for i, tag := range tags {
		v, ok := parseVersion(tag)
		if !ok {
			t.Fatalf("%s is a version", tag)
		}
		vs[i] = v
	}
	slices.SortFunc(vs, version.compare)
	var got []string
	for _, v := range vs {
		got = append(got, v.tag)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("order:\n got  %v\n want %v", got, want)
	}
	a, _ := parseVersion("v1.2.3")
	b, _ := parseVersion("1.2.3+build.7")
	if a.compare(b) != 0 || b.compare(a) != 0 {
		t.Error("a v and build metadata do not change precedence")
	}
	if pre, _ := parseVersion("v2.0.0-rc.1"); !pre.prerelease() || a.prerelease() {
		t.Error("prerelease()")
	}
}
