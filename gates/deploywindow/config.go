package deploywindow

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/release-gate/release-gate/config"
)

// Config is the gate's section of the configuration.
type Config struct {
	// Zone is the time zone of windows and freezes that name none.
	Zone string `yaml:"zone"`
	// Windows are the weekly deploy windows: "mon-thu 09:00-16:00 Europe/Berlin".
	Windows []string `yaml:"windows"`
	// Freezes are dated freezes: "2026-12-20 .. 2027-01-04: year-end freeze".
	Freezes []Freeze `yaml:"freezes"`
	// Calendar is an iCalendar file of the repository or an https:// URL
	// whose events are freezes.
	Calendar string `yaml:"calendar"`
	// CalendarURLEnv names an environment variable holding the calendar's
	// https URL, for a secret address (Google's private iCal address,
	// Outlook's published calendar): the URL is masked in every output.
	CalendarURLEnv config.EnvName `yaml:"calendar-url-env"`
	// Override says who may deploy anyway, and how, outside the windows
	// and during any freeze that names no override of its own.
	Override *Override `yaml:"override"`
}

// Freeze is one dated freeze, written as a string
// ("2026-12-20 .. 2027-01-04: year-end freeze"), a one-key mapping (the
// same, unquoted in YAML) or a mapping with dates, reason, zone and
// override.
type Freeze struct {
	Dates    string
	Reason   string
	Zone     string
	Override *Override
	line     int
}

// UnmarshalConfig implements config.Unmarshaler.
func (f *Freeze) UnmarshalConfig(n *yaml.Node) error {
	f.line = n.Line
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			break
		}
		dates, reason, _ := strings.Cut(n.Value, ": ")
		f.Dates, f.Reason = strings.TrimSpace(dates), strings.TrimSpace(reason)
		return nil
	case yaml.MappingNode:
		if len(n.Content) == 2 && !isFreezeKey(n.Content[0].Value) {
			k, v := n.Content[0], n.Content[1]
			if v.Kind != yaml.ScalarNode {
				return config.ErrorAt(v, "want the freeze's reason after the dates, such as \"2026-12-20 .. 2027-01-04: year-end freeze\"")
			}
			f.Dates, f.Reason = strings.TrimSpace(k.Value), strings.TrimSpace(v.Value)
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			switch k.Value {
			case "dates", "reason", "zone":
				if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
					return config.ErrorAt(v, "%s: want a string", k.Value)
				}
				switch k.Value {
				case "dates":
					f.Dates = strings.TrimSpace(v.Value)
				case "reason":
					f.Reason = strings.TrimSpace(v.Value)
				default:
					f.Zone = strings.TrimSpace(v.Value)
				}
			case "override":
				var o Override
				if err := o.UnmarshalConfig(v); err != nil {
					return err
				}
				f.Override = &o
			default:
				return config.ErrorAt(k, "unknown key %q in a freeze; known keys: dates, reason, zone, override", k.Value)
			}
		}
		if f.Dates == "" {
			return config.ErrorAt(n, "a freeze needs dates, such as dates: 2026-12-20 .. 2027-01-04")
		}
		return nil
	}
	return fmt.Errorf("want a freeze such as \"2026-12-20 .. 2027-01-04: year-end freeze\", or a mapping with dates, reason, zone and override")
}

func isFreezeKey(k string) bool {
	switch k {
	case "dates", "reason", "zone", "override":
		return true
	}
	return false
}

// Override says who may deploy anyway, and how: an environment variable
// (set from an action input or a workflow_dispatch input) holding the
// reason, or a pull-request label. Actors, when set, are the GitHub users
// allowed to.
type Override struct {
	Env    string
	Label  string
	Actors []string
}

// UnmarshalConfig implements config.Unmarshaler.
func (o *Override) UnmarshalConfig(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return config.ErrorAt(n, "want a mapping with env (a variable holding the reason), label (a pull-request label) and actors (who may)")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "env":
			if v.Kind != yaml.ScalarNode || !config.ValidEnvName(v.Value) {
				return config.ErrorAt(v, "override.env: want the name of an environment variable, such as RELEASE_GATE_OVERRIDE")
			}
			o.Env = v.Value
		case "label":
			if v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" || v.Tag == "!!null" {
				return config.ErrorAt(v, "override.label: want a label name, such as deploy-during-freeze")
			}
			o.Label = strings.TrimSpace(v.Value)
		case "actors":
			var list []string
			switch v.Kind {
			case yaml.ScalarNode:
				list = []string{v.Value}
			case yaml.SequenceNode:
				for _, it := range v.Content {
					if it.Kind != yaml.ScalarNode {
						return config.ErrorAt(it, "override.actors: want GitHub user names")
					}
					list = append(list, it.Value)
				}
			default:
				return config.ErrorAt(v, "override.actors: want GitHub user names")
			}
			for _, a := range list {
				if strings.TrimSpace(a) == "" {
					return config.ErrorAt(v, "override.actors: want GitHub user names, not an empty one")
				}
				o.Actors = append(o.Actors, strings.TrimSpace(a))
			}
		default:
			return config.ErrorAt(k, "override: unknown key %q; known keys: env, label, actors", k.Value)
		}
	}
	if o.Env == "" && o.Label == "" {
		return config.ErrorAt(n, "say how to override: env (such as RELEASE_GATE_OVERRIDE, holding the reason) and/or label (such as deploy-during-freeze)")
	}
	return nil
}

// loadZone loads an IANA time zone by name. "Local" is refused: the
// runner's zone is not the team's.
func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return nil, fmt.Errorf("want an IANA time zone such as Europe/Berlin, America/New_York or UTC")
	}
	if strings.EqualFold(name, "local") {
		return nil, fmt.Errorf("%q is the zone of the machine the gate runs on, which is not the team's (a hosted runner's is UTC); want an IANA time zone such as Europe/Berlin, America/New_York or UTC", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q; want an IANA time zone such as Europe/Berlin, America/New_York or UTC", name)
	}
	return loc, nil
}

// calendarSource is the calendar key, validated: a repository path or an
// https URL.
func calendarSource(v string) (file, url string, err error) {
	raw := strings.TrimSpace(v)
	lower := strings.ToLower(raw)
	switch {
	case strings.HasPrefix(lower, "https://"):
		return "", raw, nil
	case strings.HasPrefix(lower, "http://"):
		return "", "", fmt.Errorf("%q is plain HTTP, where anyone on the way could empty the freeze calendar; use https://", raw)
	case strings.Contains(raw, "://"):
		return "", "", fmt.Errorf("%q: want an https:// URL or a path in the repository, such as .github/freezes.ics", raw)
	}
	slashed := filepath.ToSlash(raw)
	clean := path.Clean(slashed)
	switch {
	case raw == "":
		return "", "", fmt.Errorf("want an https:// URL or a path in the repository, such as .github/freezes.ics")
	case path.IsAbs(slashed) || filepath.IsAbs(raw):
		return "", "", fmt.Errorf("%q is absolute; want a path relative to the repository, such as .github/freezes.ics", raw)
	case clean == "." || clean == ".." || strings.HasPrefix(clean, "../"):
		return "", "", fmt.Errorf("%q is outside the repository; want a path inside it, such as .github/freezes.ics", raw)
	}
	return clean, "", nil
}
