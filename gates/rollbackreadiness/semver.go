package rollbackreadiness

import (
	"strconv"
	"strings"
)

// version is a tag read as a semantic version (semver.org 2.0.0, with an
// optional leading v): v1.4.2, 1.4.2, v2.0.0-rc.1.
type version struct {
	tag                 string
	major, minor, patch uint64
	pre                 []string // pre-release identifiers; none for a release
}

// parseVersion reads tag as a semantic version. Partial versions (v1,
// v1.4), leading zeros and anything else are not versions.
func parseVersion(tag string) (version, bool) {
	v := version{tag: tag}
	s := strings.TrimPrefix(tag, "v")
	s, _, _ = strings.Cut(s, "+") // build metadata: no part in ordering
	core, pre, hasPre := strings.Cut(s, "-")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return v, false
	}
	nums := []*uint64{&v.major, &v.minor, &v.patch}
	for i, p := range parts {
		n, ok := numeric(p)
		if !ok {
			return v, false
		}
		*nums[i] = n
	}
	if hasPre {
		v.pre = strings.Split(pre, ".")
		for _, id := range v.pre {
			if !validIdentifier(id) {
				return v, false
			}
		}
	}
	return v, true
}

// numeric parses a numeric identifier: digits, no leading zero.
func numeric(s string) (uint64, bool) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// validIdentifier checks a pre-release identifier: [0-9A-Za-z-]+, and no
// leading zero when numeric.
func validIdentifier(s string) bool {
	if s == "" {
		return false
	}
	digits := true
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '-':
			digits = false
		default:
			return false
		}
	}
	return !digits || len(s) == 1 || s[0] != '0'
}

// prerelease reports whether v is a pre-release (v2.0.0-rc.1).
func (v version) prerelease() bool { return len(v.pre) > 0 }

// compare orders versions by semver precedence: -1, 0 or +1. Tags that
// differ only in a v or build metadata compare equal.
func (v version) compare(w version) int {
	for _, d := range [][2]uint64{{v.major, w.major}, {v.minor, w.minor}, {v.patch, w.patch}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(v.pre) == 0 && len(w.pre) == 0:
		return 0
	case len(v.pre) == 0:
		return 1 // a release follows its pre-releases
	case len(w.pre) == 0:
		return -1
	}
	for i := 0; i < len(v.pre) && i < len(w.pre); i++ {
		if c := compareIdentifier(v.pre[i], w.pre[i]); c != 0 {
			return c
		}
	}
	switch {
	case len(v.pre) < len(w.pre):
		return -1
	case len(v.pre) > len(w.pre):
		return 1
	}
	return 0
}

// compareIdentifier orders pre-release identifiers: numbers numerically
// and before words, words in ASCII order.
func compareIdentifier(a, b string) int {
	na, aNum := numeric(a)
	nb, bNum := numeric(b)
	switch {
	case aNum && bNum:
		switch {
		case na < nb:
			return -1
		case na > nb:
			return 1
		}
		return 0
	case aNum:
		return -1
	case bNum:
		return 1
	}
	return strings.Compare(a, b)
}
