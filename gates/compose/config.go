// Package compose is the compose gate: every service of the repository's
// docker compose files has a complete healthcheck, waits for the services
// it depends on to be healthy, rotates its logs, and keeps no literal
// secret in its environment. Files are loaded with the compose-spec library
// (extends, include, interpolation, profiles and override files as
// docker compose config does); findings point at the file and line.
package compose

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/glob"
)

// Name is the gate's key in the configuration.
const Name = "compose"

// DefaultFiles are the compose files looked for at the workspace root when
// the configuration names none: docker compose's own names and their
// override siblings.
var DefaultFiles = []string{
	"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml",
	"compose.override.yaml", "compose.override.yml", "docker-compose.override.yaml", "docker-compose.override.yml",
}

// Config is the gate's section of the configuration.
type Config struct {
	// Files are globs relative to the workspace (** matches directories).
	// A base file and its *.override.* siblings in one directory are
	// loaded as one project, as docker compose does. Default: DefaultFiles.
	Files *globList `yaml:"files"`
	// Projects lists explicit projects: files merged in the given order,
	// like docker compose -f a.yml -f b.yml.
	Projects []pathList `yaml:"projects"`
	// Profiles are the profiles to activate; by default COMPOSE_PROFILES
	// (the environment's, else the project's .env), else ["*"], every
	// service.
	// An empty list checks only services without a profile, as
	// docker compose does when no profile is named.
	Profiles *profileList `yaml:"profiles"`
	// Rules sets each rule to off, warn or error (the default).
	Rules Rules `yaml:"rules"`
	// AllowNoHealthcheck names services that may go without a
	// healthcheck (one-shot jobs, tools).
	AllowNoHealthcheck serviceNames `yaml:"allow-no-healthcheck"`
	// AllowedLogDrivers are logging drivers accepted as they are, because
	// they ship logs off the host (fluentd, awslogs, gelf, ...).
	AllowedLogDrivers driverNames `yaml:"allowed-log-drivers"`
}

// Rules sets the level of each rule.
type Rules struct {
	Healthcheck        Level `yaml:"healthcheck"`
	DependsOnHealthy   Level `yaml:"depends-on-healthy"`
	Logging            Level `yaml:"logging"`
	EnvironmentSecrets Level `yaml:"environment-secrets"`
}

// Rule ids, as findings and the rules key name them.
const (
	ruleHealthcheck        = "healthcheck"
	ruleDependsOnHealthy   = "depends-on-healthy"
	ruleLogging            = "logging"
	ruleEnvironmentSecrets = "environment-secrets"
)

// Level is what a rule's findings do: off, warn or error.
type Level string

// Levels of a rule.
const (
	LevelOff   Level = "off"
	LevelWarn  Level = "warn"
	LevelError Level = "error"
)

var allLevels = []Level{LevelOff, LevelWarn, LevelError}

// UnmarshalConfig implements config.Unmarshaler.
func (l *Level) UnmarshalConfig(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return fmt.Errorf("want off, warn or error")
	}
	v := Level(strings.ToLower(strings.TrimSpace(n.Value)))
	if n.Tag == "!!bool" && v == "false" {
		v = LevelOff // YAML reads a bare off as false
	}
	if !slices.Contains(allLevels, v) {
		return fmt.Errorf("want off, warn or error, got %q", n.Value)
	}
	*l = v
	return nil
}

// severity is the severity of the rule's findings; ok is false when the
// rule is off.
func (l Level) severity() (sev gates.Severity, ok bool) {
	switch l {
	case LevelOff:
		return "", false
	case LevelWarn:
		return gates.SeverityWarning, true
	}
	return gates.SeverityError, true
}

// serviceNameRE is what docker compose accepts as a service name.
var serviceNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]*$`)

// serviceNames is a list of service names.
type serviceNames []string

// UnmarshalConfig implements config.Unmarshaler.
func (s *serviceNames) UnmarshalConfig(n *yaml.Node) error {
	return nameList(n, (*[]string)(s), func(name string) string {
		if !serviceNameRE.MatchString(name) {
			return fmt.Sprintf("%q is not a compose service name", name)
		}
		return ""
	})
}

// driverNameRE accepts built-in drivers and plugin references
// (grafana/loki-docker-driver:2.9.2).
var driverNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._/:-]*$`)

// driverNames is a list of logging driver names.
type driverNames []string

// UnmarshalConfig implements config.Unmarshaler.
func (d *driverNames) UnmarshalConfig(n *yaml.Node) error {
	return nameList(n, (*[]string)(d), func(name string) string {
		switch {
		case name == "json-file" || name == "local":
			return fmt.Sprintf("%s is always checked for max-size and max-file; list only drivers that ship logs off the host (fluentd, awslogs, gelf, ...)", name)
		case !driverNameRE.MatchString(name):
			return fmt.Sprintf("%q is not a logging driver name", name)
		}
		return ""
	})
}

// profileNameRE is what docker compose accepts as a profile name.
var profileNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// profileList is a list of profiles, or ["*"] for all.
type profileList []string

// UnmarshalConfig implements config.Unmarshaler.
func (p *profileList) UnmarshalConfig(n *yaml.Node) error {
	if err := nameList(n, (*[]string)(p), func(name string) string {
		if name != "*" && !profileNameRE.MatchString(name) {
			return fmt.Sprintf("%q is not a compose profile name", name)
		}
		return ""
	}); err != nil {
		return err
	}
	if *p == nil {
		*p = profileList{} // an explicit empty list: no profile active
	}
	return nil
}

// nameList decodes a string or a list of strings, checking each with bad
// (which returns why a name is refused, or ""). Errors point at the item.
func nameList(n *yaml.Node, out *[]string, bad func(string) string) error {
	var names config.Strings
	if err := names.UnmarshalConfig(n); err != nil {
		return err
	}
	for i, name := range names {
		item := n
		if n.Kind == yaml.SequenceNode {
			item = n.Content[i]
		}
		if why := bad(strings.TrimSpace(name)); why != "" {
			return config.ErrorAt(item, "%s", why)
		}
		names[i] = strings.TrimSpace(name)
	}
	*out = names
	return nil
}

// Definition describes the gate for the gate list.
func Definition() gates.Definition {
	return gates.Definition{
		Name:      Name,
		Checklist: "Reliability: compose services define healthchecks, wait for healthy dependencies, rotate their logs and keep secrets out of their environment",
		Rules:     []string{ruleHealthcheck, ruleDependsOnHealthy, ruleLogging, ruleEnvironmentSecrets},
		New:       New,
	}
}

// New builds the gate from its configuration section. It does no I/O.
func New(s *config.Section) (gates.Gate, error) { return newGate(s) }

func newGate(s *config.Section) (*Gate, error) {
	var c Config
	if err := s.Decode(&c); err != nil {
		return nil, err
	}
	g := &Gate{cfg: c}
	// Every problem is reported at once.
	var errs []error
	if c.Files != nil {
		if len(*c.Files) == 0 && len(c.Projects) == 0 {
			errs = append(errs, s.Errorf("files", "names no file; leave it out to use %s, or list globs", strings.Join(DefaultFiles[:4], ", ")))
		}
		g.files = *c.Files
	} else if len(c.Projects) == 0 {
		g.files = DefaultFiles
		g.defaultFiles = true
	}
	seen := map[string]string{}
	for i, p := range c.Projects {
		if len(p) == 0 {
			errs = append(errs, s.Errorf(fmt.Sprintf("projects[%d]", i), "a project lists its compose files in merge order, such as [compose.yaml, compose.prod.yaml]"))
		}
		for j, f := range p {
			clean := path.Clean(f)
			if prev, dup := seen[clean]; dup {
				errs = append(errs, s.Errorf(fmt.Sprintf("projects[%d][%d]", i, j), "%s is already listed in %s; a file belongs to one project", f, prev))
				continue
			}
			seen[clean] = fmt.Sprintf("projects[%d]", i)
		}
	}
	if c.Profiles != nil {
		g.profiles = *c.Profiles
	}
	g.levels = map[string]Level{
		ruleHealthcheck:        c.Rules.Healthcheck,
		ruleDependsOnHealthy:   c.Rules.DependsOnHealthy,
		ruleLogging:            c.Rules.Logging,
		ruleEnvironmentSecrets: c.Rules.EnvironmentSecrets,
	}
	on := 0
	for k, l := range g.levels {
		if l == "" {
			g.levels[k] = LevelError
		}
		if g.levels[k] != LevelOff {
			on++
		}
	}
	if on == 0 {
		errs = append(errs, s.Errorf("rules", "every rule is off, so the gate would check nothing; remove the gate instead"))
	}
	if err := s.Join(errs...); err != nil {
		return nil, err
	}
	return g, nil
}

// globList is a list of globs relative to the workspace.
type globList []string

// UnmarshalConfig implements config.Unmarshaler.
func (g *globList) UnmarshalConfig(n *yaml.Node) error {
	err := nameList(n, (*[]string)(g), func(p string) string {
		if err := checkGlob(p); err != nil {
			return err.Error()
		}
		return ""
	})
	if err == nil && *g == nil {
		*g = globList{}
	}
	return err
}

// pathList is a list of paths relative to the workspace.
type pathList []string

// UnmarshalConfig implements config.Unmarshaler.
func (l *pathList) UnmarshalConfig(n *yaml.Node) error {
	return nameList(n, (*[]string)(l), func(p string) string {
		if err := checkPath(p); err != nil {
			return err.Error()
		}
		return ""
	})
}

// checkPath refuses paths that leave the workspace.
func checkPath(p string) error {
	switch {
	case strings.TrimSpace(p) == "":
		return fmt.Errorf("want a path relative to the workspace, got nothing")
	case strings.HasPrefix(p, "/") || strings.Contains(p, `\`):
		return fmt.Errorf("%q is not relative to the workspace; write it as a relative path with forward slashes", p)
	}
	for _, seg := range strings.Split(path.Clean(p), "/") {
		if seg == ".." {
			return fmt.Errorf("%q leaves the workspace", p)
		}
	}
	return nil
}

// checkGlob checks a files pattern.
func checkGlob(p string) error {
	if err := checkPath(p); err != nil {
		return err
	}
	if err := glob.Check(p); err != nil {
		return err
	}
	if p == "**" || strings.HasSuffix(p, "/**") {
		return fmt.Errorf("%q ends in **; end it with a file name pattern such as **/compose*.yaml", p)
	}
	return nil
}
