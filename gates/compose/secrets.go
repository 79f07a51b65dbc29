package compose

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/secrets"
)

// envEntry is one environment variable as a compose file writes it.
type envEntry struct {
	service, name string
	text          string // NAME=value, as written (before interpolation)
	node          *yaml.Node
	allowed       bool // the line carries a gitleaks:allow comment
}

// environmentSecrets: no environment value written in a compose file is a
// secret. The files are read as written, before interpolation, so
// ${VAR} references are never resolved or scanned as values; every
// service of every file the projects load is covered, whatever the
// profiles (a secret in the file is committed either way). Messages name
// the variable and the rule, never the value.
func environmentSecrets(ctx context.Context, loaded []*loadedProject, sev gates.Severity) ([]gates.Finding, error) {
	seen := map[string]bool{}
	var files []*yamlFile
	for _, lp := range loaded {
		for _, f := range append(append([]*yamlFile(nil), lp.src.files...), lp.src.extras...) {
			if !seen[f.rel] {
				seen[f.rel] = true
				files = append(files, f)
			}
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })

	var out []gates.Finding
	for _, f := range files {
		done := map[*yaml.Node]bool{} // an anchored block shared by services is reported once
		for _, e := range envEntries(f) {
			if e.allowed || done[e.node] {
				continue
			}
			done[e.node] = true
			leaks, err := secrets.DetectString(ctx, e.text)
			if err != nil {
				return nil, fmt.Errorf("scanning the environment of service %s in %s: %w", e.service, f.rel, err)
			}
			if len(leaks) == 0 {
				continue
			}
			var rules []string
			for _, l := range leaks {
				if !slices.Contains(rules, l.RuleID) {
					rules = append(rules, l.RuleID)
				}
			}
			out = append(out, gates.Finding{
				Rule: ruleEnvironmentSecrets, Severity: sev, Pos: f.pos(e.node),
				Message: fmt.Sprintf("services.%s.environment.%s is a literal secret (gitleaks rule %s), committed with %s. Write %s: ${%s} and set the variable in the deploy environment (or use secrets:), then rotate the secret: it is in the repository's history", e.service, e.name, strings.Join(rules, ", "), f.rel, e.name, e.name),
			})
		}
	}
	return out, nil
}

// envEntries lists the environment entries of every service in f.
func envEntries(f *yamlFile) []envEntry {
	if f.root == nil {
		return nil
	}
	_, services := key(f.root, "services")
	var out []envEntry
	for _, kv := range pairs(services) {
		service := kv[0].Value
		_, env := key(kv[1], "environment")
		env = resolve(env)
		if env == nil {
			continue
		}
		switch env.Kind {
		case yaml.MappingNode:
			for _, p := range pairs(env) {
				v := resolve(p[1])
				if isNull(v) || v.Kind != yaml.ScalarNode {
					continue
				}
				out = append(out, envEntry{
					service: service, name: p[0].Value, text: p[0].Value + "=" + v.Value, node: v,
					allowed: allowComment(p[0], v),
				})
			}
		case yaml.SequenceNode:
			for _, item := range env.Content {
				item = resolve(item)
				if item.Kind != yaml.ScalarNode {
					continue
				}
				name, _, hasValue := strings.Cut(item.Value, "=")
				if !hasValue {
					continue // NAME alone takes the value from the environment
				}
				out = append(out, envEntry{service: service, name: name, text: item.Value, node: item, allowed: allowComment(item)})
			}
		}
	}
	return out
}

// allowComment reports whether a gitleaks:allow comment sits on the entry,
// as secret-scan honours it.
func allowComment(nodes ...*yaml.Node) bool {
	for _, n := range nodes {
		if strings.Contains(n.LineComment, "gitleaks:allow") {
			return true
		}
	}
	return false
}
