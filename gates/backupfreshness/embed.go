package backupfreshness

import (
	"strings"

	"github.com/release-gate/release-gate/config"
)

// SetConfig is one backup set as written in a configuration file, for
// another gate that embeds a set under a key of its own section
// (rollback-readiness' backup). It has the keys of this gate's single-set
// form: name, location, pattern, pgbackrest, max-age, min-size,
// max-shrink, verify, max-decompressed, endpoint, path-style and region.
// Declare a field of type *SetConfig in the gate's config struct and pass
// it to BuildSet.
type SetConfig setConfig

// BuildSet validates c, decoded from key (a dotted path such as "backup")
// of s, exactly as this gate validates its own sets: the same defaults and
// rules, errors positioned at the offending key. The set keeps the name c
// gives it, or none.
func BuildSet(s *config.Section, key string, c SetConfig) (Set, error) {
	key = strings.TrimSuffix(key, ".")
	set, err := buildSet(s, key+".", setConfig(c), setConfig{})
	if err != nil {
		return Set{}, err
	}
	set.Name = c.Name
	return set, nil
}
