package backup

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/release-gate/release-gate/config"
)

// SetConfig is one backup set as written in a configuration file: name,
// location, pattern, pgbackrest, max-age, min-size, max-shrink, verify,
// max-decompressed, endpoint, path-style, region and request-timeout. Pointers tell "not
// set" (inherit a default) from a zero value.
type SetConfig struct {
	Name            string            `yaml:"name"`
	Location        string            `yaml:"location"`
	Pattern         string            `yaml:"pattern"`
	PgBackRest      *PgBackRestConfig `yaml:"pgbackrest"`
	MaxAge          *config.Duration  `yaml:"max-age"`
	MinSize         *config.Size      `yaml:"min-size"`
	MaxShrink       *percentage       `yaml:"max-shrink"`
	Verify          *verifyList       `yaml:"verify"`
	MaxDecompressed *config.Size      `yaml:"max-decompressed"`
	Endpoint        string            `yaml:"endpoint"`
	PathStyle       *bool             `yaml:"path-style"`
	Region          string            `yaml:"region"`
	RequestTimeout  *config.Duration  `yaml:"request-timeout"`
}

// DefaultPattern selects every object (checksum sidecars never count).
const DefaultPattern = "*"

// PgBackRestConfig is a set's pgbackrest key.
type PgBackRestConfig struct {
	InfoFile string         `yaml:"info-file"`
	Command  config.Strings `yaml:"command"`
	Stanza   string         `yaml:"stanza"`
	Type     config.Strings `yaml:"type"`
}

// BuildSetWithDefaults validates one set's own keys, decoded at prefix (a
// dotted path ending in "." such as "backups[0].", or "" for the section's
// top level) of s, over the defaults: keys own leaves unset take their
// value from defaults. Errors are positioned at the offending key.
func BuildSetWithDefaults(s *config.Section, prefix string, own, defaults SetConfig) (Set, error) {
	set := Set{Name: own.Name, Location: own.Location, Pattern: own.Pattern}
	key := func(k string) string { return prefix + k }
	if set.Location != "" && own.PgBackRest != nil {
		return set, s.Errorf(key("pgbackrest"), "a set reads either a location or pgbackrest, not both; list them as two sets under backups")
	}
	if set.Location == "" && own.PgBackRest == nil {
		return set, s.Errorf(strings.TrimSuffix(prefix, "."), "set location (a directory or s3://bucket/prefix) or pgbackrest")
	}

	maxAge := firstPtr(own.MaxAge, defaults.MaxAge)
	if maxAge == nil {
		return set, s.Errorf(strings.TrimSuffix(prefix, "."), "set max-age: how old the newest backup may be (for example 24h or 7d)")
	}
	if *maxAge <= 0 {
		return set, s.Errorf(key("max-age"), "must be positive")
	}
	set.MaxAge = time.Duration(*maxAge)
	if v := firstPtr(own.MinSize, defaults.MinSize); v != nil {
		set.MinSize = int64(*v)
	}
	if v := firstPtr(own.MaxShrink, defaults.MaxShrink); v != nil {
		set.MaxShrink, set.CheckShrink = float64(*v), true
	}

	if own.PgBackRest != nil {
		for _, k := range []keySet{{"pattern", own.Pattern != ""}, {"verify", own.Verify != nil}, {"max-decompressed", own.MaxDecompressed != nil},
			{"endpoint", own.Endpoint != ""}, {"path-style", own.PathStyle != nil}, {"region", own.Region != ""}, {"request-timeout", own.RequestTimeout != nil}} {
			if k.set {
				return set, s.Errorf(key(k.key), "%s does not apply to a pgbackrest set", k.key)
			}
		}
		pb, err := buildPgBackRest(s, key("pgbackrest."), own.PgBackRest)
		if err != nil {
			return set, err
		}
		set.PgBackRest = pb
		if set.Name == "" && prefix != "" {
			set.Name = "pgbackrest " + firstNonEmpty(pb.Stanza, "info")
		}
		return set, nil
	}

	loc, err := ParseLocation(set.Location)
	if err != nil {
		return set, s.Errorf(key("location"), "%v", err)
	}
	if set.Pattern == "" {
		set.Pattern = DefaultPattern
	}
	if err := checkPattern(set.Pattern); err != nil {
		return set, s.Errorf(key("pattern"), "%v", err)
	}
	if v := firstPtr(own.Verify, defaults.Verify); v != nil {
		set.Checksum, set.Decompress = v.checksum, v.decompress
	}
	if v := firstPtr(own.MaxDecompressed, defaults.MaxDecompressed); v != nil {
		if *v <= 0 {
			return set, s.Errorf(key("max-decompressed"), "must be positive")
		}
		set.MaxDecompressed = int64(*v)
	}
	if loc.IsS3() {
		set.S3 = S3Options{Endpoint: firstNonEmpty(own.Endpoint, defaults.Endpoint), Region: firstNonEmpty(own.Region, defaults.Region)}
		if v := firstPtr(own.PathStyle, defaults.PathStyle); v != nil {
			set.S3.PathStyle = *v
		}
		if v := firstPtr(own.RequestTimeout, defaults.RequestTimeout); v != nil {
			if *v <= 0 {
				k := key("request-timeout")
				if own.RequestTimeout == nil {
					k = "request-timeout"
				}
				return set, s.Errorf(k, "must be positive")
			}
			set.S3.RequestTimeout = time.Duration(*v)
		}
		if set.S3.Endpoint != "" {
			if err := checkEndpoint(set.S3.Endpoint); err != nil {
				k := key("endpoint")
				if own.Endpoint == "" {
					k = "endpoint"
				}
				return set, s.Errorf(k, "%v", err)
			}
		}
	} else {
		for _, k := range []keySet{{"endpoint", own.Endpoint != ""}, {"path-style", own.PathStyle != nil}, {"region", own.Region != ""}, {"request-timeout", own.RequestTimeout != nil}} {
			if k.set {
				return set, s.Errorf(key(k.key), "%s applies to s3:// locations only; %q is a directory", k.key, set.Location)
			}
		}
	}
	if set.Name == "" && prefix != "" {
		set.Name = strings.TrimSuffix(set.Location, "/") + "/" + set.Pattern
	}
	return set, nil
}

// keySet says whether a key was written.
type keySet struct {
	key string
	set bool
}

var pgbackrestTypes = []string{"full", "diff", "incr"}

func buildPgBackRest(s *config.Section, prefix string, c *PgBackRestConfig) (*PgBackRest, error) {
	pb := &PgBackRest{InfoFile: c.InfoFile, Stanza: c.Stanza}
	if c.InfoFile != "" && len(c.Command) > 0 {
		return nil, s.Errorf(prefix+"command", "set info-file or command, not both")
	}
	pb.Command = []string(c.Command)
	if len(pb.Command) == 1 && strings.ContainsAny(pb.Command[0], " \t") {
		pb.Command = strings.Fields(pb.Command[0]) // no shell: split on spaces
	}
	if len(c.Command) > 0 && len(pb.Command) == 0 || len(pb.Command) > 0 && pb.Command[0] == "" {
		return nil, s.Errorf(prefix+"command", "empty command")
	}
	for i, t := range c.Type {
		if !slices.Contains(pgbackrestTypes, t) {
			return nil, s.Errorf(fmt.Sprintf("%stype[%d]", prefix, i), "%q is not a backup type; want full, diff or incr", t)
		}
	}
	pb.Types = []string(c.Type)
	return pb, nil
}

func firstPtr[T any](vals ...*T) *T {
	for _, v := range vals {
		if v != nil {
			return v
		}
	}
	return nil
}

// percentage is a fraction written as a percentage: "20%".
type percentage float64

// UnmarshalConfig implements config.Unmarshaler.
func (p *percentage) UnmarshalConfig(n *yaml.Node) error {
	bad := fmt.Errorf("want a percentage such as 20%%, got %q", n.Value)
	if n.Kind != yaml.ScalarNode || !strings.HasSuffix(strings.TrimSpace(n.Value), "%") {
		return bad
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(n.Value), "%")), 64)
	if err != nil || f < 0 || f > 100 {
		return bad
	}
	*p = percentage(f / 100)
	return nil
}

// verifyList is the verify key: checksum, decompress, or both.
type verifyList struct {
	checksum, decompress bool
}

// UnmarshalConfig implements config.Unmarshaler.
func (v *verifyList) UnmarshalConfig(n *yaml.Node) error {
	var items []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag != "!!null" {
			items = []*yaml.Node{n}
		}
	case yaml.SequenceNode:
		items = n.Content
	default:
		return fmt.Errorf("want a list of checks: checksum, decompress")
	}
	*v = verifyList{}
	for _, it := range items {
		switch it.Value {
		case "checksum":
			v.checksum = true
		case "decompress":
			v.decompress = true
		default:
			return fmt.Errorf("unknown check %q (line %d); want checksum, decompress", it.Value, it.Line)
		}
	}
	return nil
}
