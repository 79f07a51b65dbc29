package rollbackreadiness

import (
	"strings"

	"github.com/Masterminds/semver/v3"
)

// version is a tag read as a semantic version (semver.org 2.0.0, with an
// optional leading v): v1.4.2, 1.4.2, v2.0.0-rc.1.
type version struct {
	tag string
	v   *semver.Version
}

// parseVersion reads tag as a semantic version. Partial versions (v1,
// v1.4), leading zeros, empty identifiers and anything else are not
// versions: semver's strict parser, after one leading v.
func parseVersion(tag string) (version, bool) {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(tag, "v"))
	if err != nil {
		return version{tag: tag}, false
	}
	return version{tag: tag, v: v}, true
}

// prerelease reports whether v is a pre-release (v2.0.0-rc.1).
func (v version) prerelease() bool { return v.v.Prerelease() != "" }

// compare orders versions by semver precedence: -1, 0 or +1. Tags that
// differ only in a v or build metadata compare equal.
func (v version) compare(w version) int { return v.v.Compare(w.v) }
