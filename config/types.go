package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a length of time written as Go writes durations ("90s",
// "1h30m") or in whole days ("7d", "1d12h").
type Duration time.Duration

// UnmarshalConfig implements Unmarshaler.
func (d *Duration) UnmarshalConfig(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return fmt.Errorf("want a duration such as 30s, 5m, 24h or 7d")
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// maxDays is the most days a duration holds (about 292 years): more would
// wrap around to a negative or small duration, and a max-age of 9999999999d
// must not turn into "any age" or "none".
const maxDays = int(math.MaxInt64 / int64(24*time.Hour))

// ParseDuration parses "90s", "1h30m", "7d" or "1d12h".
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("want a duration such as 30s, 5m, 24h or 7d, got %q", s)
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > maxDays {
			return 0, bad
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	if s == "0" {
		return days, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 || days+v < days {
		return 0, bad
	}
	return days + v, nil
}

// String formats d the way ParseDuration reads it.
func (d Duration) String() string { return time.Duration(d).String() }

// Size is a number of bytes written as 1048576, 1MiB, 1MB (10^6), 512KiB or
// 2G (docker-style K, M, G are powers of 1024).
type Size int64

// UnmarshalConfig implements Unmarshaler.
func (s *Size) UnmarshalConfig(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return fmt.Errorf("want a size such as 512KiB, 10MiB or 1GB")
	}
	v, err := ParseSize(n.Value)
	if err != nil {
		return err
	}
	*s = Size(v)
	return nil
}

var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
}

// ParseSize parses a size such as "10MiB".
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	}
	mult, ok := sizeUnits[unit]
	f, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || f < 0 || math.IsInf(f*mult, 0) || f*mult > math.MaxInt64 {
		return 0, fmt.Errorf("want a size such as 512KiB, 10MiB or 1GB, got %q", s)
	}
	return int64(f * mult), nil
}

// String formats a size in the largest binary unit that divides it.
func (s Size) String() string { return FormatSize(int64(s)) }

// FormatSize formats n bytes for people: 1.5 MiB, 312 B.
func FormatSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// Strings is a list of strings that may also be written as one string.
type Strings []string

// UnmarshalConfig implements Unmarshaler.
func (l *Strings) UnmarshalConfig(n *yaml.Node) error {
	n = resolveAlias(n)
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			*l = nil
			return nil
		}
		*l = Strings{n.Value}
		return nil
	case yaml.SequenceNode:
		out := make(Strings, 0, len(n.Content))
		for _, c := range n.Content {
			c = resolveAlias(c)
			if c.Kind != yaml.ScalarNode || c.Tag == "!!null" {
				return ErrorAt(c, "want a list of strings; this item is %s", describe(c))
			}
			out = append(out, c.Value)
		}
		*l = out
		return nil
	}
	return fmt.Errorf("want a string or a list of strings, got %s", describe(n))
}
