package backup

import (
	"strings"

	"github.com/release-gate/release-gate/config"
)

// BuildSet validates c, decoded from key (a dotted path such as "backup")
// of s, for a gate that embeds one set under a key of its own section
// (rollback-readiness' backup): declare a field of type *SetConfig in the
// gate's config struct and pass it here. It validates exactly as
// backup-freshness validates its own sets: the same defaults and
// rules, errors positioned at the offending key. The set keeps the name c
// gives it, or none.
func BuildSet(s *config.Section, key string, c SetConfig) (Set, error) {
	key = strings.TrimSuffix(key, ".")
	set, err := BuildSetWithDefaults(s, key+".", c, SetConfig{})
	if err != nil {
		return Set{}, err
	}
	set.Name = c.Name
	return set, nil
}
