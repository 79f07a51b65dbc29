package config

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// expandWithinLimits expands the ${VAR}s of a document's root with getenv
// (nil: every variable empty), collects the secrets the expansion put
// there (to mask them) and checks the document's limits; false when it
// exceeds them (errs says how).
func expandWithinLimits(root *yaml.Node, getenv func(string) string, errs *errorList) (credentialEnv, urlSecrets []string, ok bool) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	expandNode(root, getenv, errs)
	credentialEnv, urlSecrets = collectSecrets(root)
	errs.src.addURLSecrets(urlSecrets)
	return credentialEnv, urlSecrets, checkLimits(root, errs)
}

// expandNode replaces ${VAR} and ${VAR:-default} in every scalar value under
// n, except under keys ending in -env, whose values name variables (keys are
// left alone). A variable that is unset or empty, without a
// default, is an error: a release check must never run against "". $${ is
// a literal ${.
func expandNode(n *yaml.Node, getenv func(string) string, errs *errorList) {
	src := errs.src
	seen := map[*yaml.Node]bool{}
	var walk func(n *yaml.Node, isKey bool)
	walk = func(n *yaml.Node, isKey bool) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, false)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				key := n.Content[i]
				walk(key, true)
				// A key ending in -env names environment variables
				// (token-env: PROM_TOKEN): its value is a name, and
				// expanding ${PROM_TOKEN} there would put the secret itself
				// into the configuration, and into any message about it.
				if namesVariables(key) {
					continue
				}
				walk(n.Content[i+1], false)
			}
		case yaml.ScalarNode:
			if isKey || !strings.Contains(n.Value, "$") {
				return
			}
			out, exps, missing, bad := expand(n.Value, getenv)
			for _, name := range missing {
				errs.at(n, "${%s} is not set (or is empty); set it, or write ${%s:-default}", name, name)
			}
			if bad != "" {
				errs.at(n, "bad variable reference %q: write ${NAME} with letters, digits and _ (or $${ for a literal ${)", bad)
			}
			if len(missing) == 0 && bad == "" && (out != n.Value || len(exps) > 0) {
				if len(exps) > 0 {
					src.record(n, exps)
				}
				n.Value = out
				if n.Tag == "!!null" {
					n.Tag = "!!str"
				}
			}
		}
	}
	walk(n, false)
}

// expand does the substitution on one string; exps lists the substitutions
// made.
func expand(s string, getenv func(string) string) (out string, exps []expansion, missing []string, bad string) {
	var b strings.Builder
	for {
		i := strings.Index(s, "$")
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i:]
		switch {
		case strings.HasPrefix(s, "$${"):
			b.WriteString("${")
			s = s[3:]
		case strings.HasPrefix(s, "${"):
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return "", nil, nil, s
			}
			ref := s[2:end]
			name, def, hasDef := strings.Cut(ref, ":-")
			if !ValidEnvName(name) {
				return "", nil, nil, s[:end+1]
			}
			v := getenv(name)
			switch {
			case v != "":
				b.WriteString(v)
				exps = append(exps, expansion{name: name, value: v})
			case hasDef:
				b.WriteString(def)
				exps = append(exps, expansion{name: name, value: def, defaulted: true})
			default:
				missing = append(missing, name)
			}
			s = s[end+1:]
		default:
			b.WriteByte('$')
			s = s[1:]
		}
	}
	return b.String(), exps, missing, ""
}

// ValidEnvName reports whether name can be an environment variable's name
// in ${NAME} and in the keys that name a variable (token-env, ...): letters,
// digits and _, not starting with a digit.
func ValidEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
