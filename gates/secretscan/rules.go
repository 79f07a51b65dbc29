package secretscan

import (
	"fmt"
	"slices"

	glconfig "github.com/zricethezav/gitleaks/v8/config"

	"github.com/release-gate/release-gate/internal/secrets"
)

// ruleSet is a loaded gitleaks configuration and how it was put together.
type ruleSet struct {
	rules *secrets.Rules
	// origin says where the rules come from, for the summary.
	origin string
	// files are the configuration files read: the repository's own, then
	// those its [extend] path names.
	files []*policyFile
}

// maxExtendDepth bounds [extend] path chains, as gitleaks does.
const maxExtendDepth = 2

// loadRules builds the gitleaks configuration: the repository's own file
// (cfg, nil for none) on top of gitleaks' default rules; files reads the
// files its [extend] path names.
//
// gitleaks replaces its default rules with a file that lacks
// [extend] useDefault = true; here the file is layered on the defaults
// unless withDefaults is false, so a partial .gitleaks.toml never silently
// switches off the default rules. Extension is done here rather than by
// gitleaks, whose extension code keeps global state that breaks the second
// load in one process; [extend] path is resolved against the directory of
// the file that names it, not the process's working directory.
func loadRules(files policyFiles, cfg *policyFile, withDefaults bool) (*ruleSet, error) {
	def, err := secrets.DefaultConfig()
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		return translate(def, "", fmt.Sprintf("%d gitleaks default rules", len(def.Rules)), nil, def)
	}

	var read []*policyFile
	vc, err := readViperFile(files, cfg, 0, &read)
	if err != nil {
		return nil, err
	}
	origin := cfg.name
	useDefault := vc.Extend.UseDefault || withDefaults
	disabled := vc.Extend.DisabledRules
	vc.Extend = glconfig.Extend{}
	if useDefault {
		own := len(vc.Rules)
		vc = merge(vc, withoutRules(def, disabled))
		origin = fmt.Sprintf("gitleaks default rules + %d rule(s) from %s", own, origin)
	} else {
		origin = fmt.Sprintf("only the rules of %s (default rules off)", origin)
	}
	return translate(vc, cfg.name, origin, read, def)
}

// readViperFile parses a gitleaks TOML file and, recursively, the file its
// [extend] path names, appending each file read to read.
func readViperFile(files policyFiles, f *policyFile, depth int, read *[]*policyFile) (glconfig.ViperConfig, error) {
	*read = append(*read, f)
	name := f.name
	vc, err := secrets.ParseConfig(name, f.data)
	if err != nil {
		return vc, err
	}
	if vc.Extend.URL != "" {
		return vc, fmt.Errorf("gitleaks config %s: [extend] url is not supported; use path", name)
	}
	if vc.Extend.Path == "" {
		return vc, nil
	}
	if vc.Extend.UseDefault {
		return vc, fmt.Errorf("gitleaks config %s: [extend] sets both path and useDefault; choose one", name)
	}
	if depth+1 > maxExtendDepth {
		return vc, fmt.Errorf("gitleaks config %s: [extend] path chains deeper than %d files", name, maxExtendDepth)
	}
	next, err := files.extend(f, vc.Extend.Path)
	if err != nil {
		return vc, readingError(fmt.Sprintf("[extend] path of gitleaks config %s", name), err)
	}
	base, err := readViperFile(files, next, depth+1, read)
	if err != nil {
		return vc, fmt.Errorf("gitleaks config %s extends %s: %w", name, vc.Extend.Path, err)
	}
	useDefault := base.Extend.UseDefault
	disabled := vc.Extend.DisabledRules
	vc.Extend = glconfig.Extend{UseDefault: useDefault}
	return merge(vc, withoutRules(base, disabled)), nil
}

// withoutRules drops the rules whose ids are listed (extend.disabledRules).
func withoutRules(vc glconfig.ViperConfig, ids []string) glconfig.ViperConfig {
	if len(ids) == 0 {
		return vc
	}
	rules := vc.Rules[:0:0]
	for _, r := range vc.Rules {
		if !slices.Contains(ids, r.ID) {
			rules = append(rules, r)
		}
	}
	vc.Rules = rules
	return vc
}

// merge layers top on base the way gitleaks extends a configuration: a rule
// of top with the id of a base rule overrides its description, regex, path,
// entropy and secret group when set, and adds its keywords, tags and
// allowlists; global allowlists are concatenated.
func merge(top, base glconfig.ViperConfig) glconfig.ViperConfig {
	out := top
	out.Rules = nil
	index := map[string]int{}
	for _, r := range base.Rules {
		index[r.ID] = len(out.Rules)
		out.Rules = append(out.Rules, r)
	}
	for _, r := range top.Rules {
		i, ok := index[r.ID]
		if !ok {
			index[r.ID] = len(out.Rules)
			out.Rules = append(out.Rules, r)
			continue
		}
		b := &out.Rules[i]
		if r.Description != "" {
			b.Description = r.Description
		}
		if r.Entropy != 0 {
			b.Entropy = r.Entropy
		}
		if r.SecretGroup != 0 {
			b.SecretGroup = r.SecretGroup
		}
		if r.Regex != "" {
			b.Regex = r.Regex
		}
		if r.Path != "" {
			b.Path = r.Path
		}
		b.Tags = append(slices.Clone(b.Tags), r.Tags...)
		b.Keywords = append(slices.Clone(b.Keywords), r.Keywords...)
		b.Allowlists = append(slices.Clone(b.Allowlists), r.Allowlists...)
		b.Required = append(slices.Clone(b.Required), r.Required...)
	}
	// Global allowlists are concatenated (secrets.ParseConfig made a
	// single [allowlist] one of the list).
	out.Allowlists = append(slices.Clone(top.Allowlists), base.Allowlists...)
	return out
}

// translate compiles the rules: those gitleaks' default rules (def) hold
// unchanged each when first needed (see secrets.Rules), the others now, so
// that a file's errors show before any scan.
func translate(vc glconfig.ViperConfig, path, origin string, files []*policyFile, def glconfig.ViperConfig) (*ruleSet, error) {
	name := path
	if name == "" {
		name = "gitleaks default rules"
	}
	rules, err := secrets.LazyRules(vc, name, def)
	if err != nil {
		return nil, err
	}
	rules.SetPath(path)
	return &ruleSet{rules: rules, origin: origin, files: files}, nil
}
