// Package secretscan is the secret-scan gate: no secrets in the change's
// commits or the tracked files (gitleaks v8 rules), and no .env-style or key
// files tracked.
package secretscan

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
)

// Name is the gate's key in the configuration.
const Name = "secret-scan"

// Scope is what the scan covers.
type Scope string

// Scopes.
const (
	// ScopeDiff scans the commits base..head: what the change adds.
	ScopeDiff Scope = "diff"
	// ScopeTree scans the tracked files as they are in the workspace.
	ScopeTree Scope = "tree"
	// ScopeHistory scans every commit of every ref.
	ScopeHistory Scope = "history"
)

var allScopes = []Scope{ScopeDiff, ScopeTree, ScopeHistory}

// Scopes is a list of scopes, written as one name or a list.
type Scopes []Scope

// UnmarshalConfig implements config.Unmarshaler.
func (s *Scopes) UnmarshalConfig(n *yaml.Node) error {
	var names config.Strings
	if err := names.UnmarshalConfig(n); err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("want at least one of %s", joinScopes(allScopes))
	}
	var out Scopes
	for i, name := range names {
		sc := Scope(strings.TrimSpace(name))
		if !slices.Contains(allScopes, sc) {
			item := n
			if n.Kind == yaml.SequenceNode {
				item = n.Content[i]
			}
			return config.ErrorAt(item, "unknown scope %q; want %s", name, joinScopes(allScopes))
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	*s = out
	return nil
}

func joinScopes(s []Scope) string {
	names := make([]string, len(s))
	for i, x := range s {
		names[i] = string(x)
	}
	return strings.Join(names, ", ")
}

// Config is the gate's section of the configuration.
type Config struct {
	// Scope defaults to [diff, tree] when the event names a base commit (a
	// pull request, a push to an existing branch, a merge group), else tree.
	Scope Scopes `yaml:"scope"`
	// Base is the commit the change starts from; default: the event's.
	Base string `yaml:"base"`
	// Head is the commit the change ends at; default: the event's, else HEAD.
	Head string `yaml:"head"`
	// GitleaksConfig is a gitleaks TOML file; default .gitleaks.toml if present.
	GitleaksConfig string `yaml:"gitleaks-config"`
	// DefaultRules keeps gitleaks' default rules under the repository's own
	// (default true); false lets a gitleaks config replace them.
	DefaultRules *bool `yaml:"default-rules"`
	// Baseline is a gitleaks JSON report of findings accepted earlier.
	Baseline string `yaml:"baseline"`
	// GitleaksIgnore lists fingerprints to ignore; default .gitleaksignore if present.
	GitleaksIgnore string `yaml:"gitleaks-ignore"`
	// ForbidFiles are names of files that must not be tracked at all.
	ForbidFiles *config.Strings `yaml:"forbid-files"`
	// AllowFiles are exceptions to ForbidFiles.
	AllowFiles *config.Strings `yaml:"allow-files"`
	// AllowUnscanned lists the kinds of content the scan may leave unread
	// and still pass (lfs, submodules); default none: content the scan
	// cannot read makes it an error.
	AllowUnscanned UnscannedKinds `yaml:"allow-unscanned"`
	// SelfSuppression is what becomes of a secret the change adds that
	// only a suppression the same change adds lets pass (see
	// selfapproval.go): fail (the default) or warn.
	SelfSuppression SelfSuppression `yaml:"self-suppression"`
}

// SelfSuppression is what a suppression the change adds for its own
// secrets does: fail, or warn (a reviewer accepts it).
type SelfSuppression string

// Values of self-suppression.
const (
	// SelfSuppressionFail makes such a secret an error: a suppression
	// applies from the change after the one that adds it.
	SelfSuppressionFail SelfSuppression = "fail"
	// SelfSuppressionWarn makes it a warning, for a reviewer to accept.
	SelfSuppressionWarn SelfSuppression = "warn"
)

// UnmarshalConfig implements config.Unmarshaler.
func (s *SelfSuppression) UnmarshalConfig(n *yaml.Node) error {
	v := SelfSuppression(strings.TrimSpace(n.Value))
	if n.Kind != yaml.ScalarNode || (v != SelfSuppressionFail && v != SelfSuppressionWarn) {
		return fmt.Errorf("want fail or warn, got %q", n.Value)
	}
	*s = v
	return nil
}

// DefaultForbidFiles are files that hold secrets by their nature.
var DefaultForbidFiles = []string{
	".env", ".env.*", "*.env",
	"*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore",
	"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519",
	".netrc", ".pgpass", ".htpasswd",
	"credentials.json", "*.tfstate",
}

// DefaultAllowFiles are templates that look like environment files.
var DefaultAllowFiles = []string{
	".env.example", ".env.sample", ".env.template", ".env.dist", ".env.defaults",
	"*.env.example", "*.env.sample", "*.env.template",
}

// Definition describes the gate for the gate list.
func Definition() gates.Definition {
	return gates.Definition{
		Name:      Name,
		Checklist: "Security: no secrets or environment files tracked in version control",
		Rules:     []string{"forbidden-file", ruleSuppressedInChange, rulePolicyEdited},
		New:       New,
	}
}

// New builds the gate from its configuration section.
func New(s *config.Section) (gates.Gate, error) {
	var c Config
	if err := s.Decode(&c); err != nil {
		return nil, err
	}
	g := &Gate{cfg: c, forbid: DefaultForbidFiles, allow: DefaultAllowFiles, defaultRules: true, selfSuppression: SelfSuppressionFail}
	if c.SelfSuppression != "" {
		g.selfSuppression = c.SelfSuppression
	}
	if c.ForbidFiles != nil {
		g.forbid = *c.ForbidFiles
	}
	if c.AllowFiles != nil {
		g.allow = *c.AllowFiles
	}
	if c.DefaultRules != nil {
		g.defaultRules = *c.DefaultRules
	}
	for i, p := range g.forbid {
		if err := validGlob(p); err != nil {
			return nil, s.Errorf(fmt.Sprintf("forbid-files.%d", i), "%v", err)
		}
	}
	for i, p := range g.allow {
		if err := validGlob(p); err != nil {
			return nil, s.Errorf(fmt.Sprintf("allow-files.%d", i), "%v", err)
		}
	}
	if c.Base != "" && slices.Contains(c.Scope, ScopeHistory) && len(c.Scope) == 1 {
		return nil, s.Errorf("base", "base has no effect with scope [history], which scans every commit")
	}
	return g, nil
}
