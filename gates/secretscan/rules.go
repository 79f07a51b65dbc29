package secretscan

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/viper"
	glconfig "github.com/zricethezav/gitleaks/v8/config"
)

// ruleSet is a loaded gitleaks configuration and how it was put together.
type ruleSet struct {
	config glconfig.Config
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
	def, err := parseViper("gitleaks default rules", []byte(glconfig.DefaultConfig))
	if err != nil {
		return nil, err
	}
	anchorDefaultAllowlist(&def)
	if cfg == nil {
		return translate(def, "", fmt.Sprintf("%d gitleaks default rules", len(def.Rules)), nil)
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
	return translate(vc, cfg.name, origin, read)
}

// anchoredPaths replaces patterns of gitleaks' default global allowlist
// that are not anchored, so exclude far more than the files they name:
// "gitleaks\.toml" excluded a directory gitleaks.toml/ and every file
// under it, "go\.(?:mod|sum…)$" excluded cargo.mod. A change could pick
// such a path for its secret.
var anchoredPaths = map[string]string{
	`gitleaks\.toml`:                  `(?:^|/)\.?gitleaks\.toml$`,
	`go\.(?:mod|sum|work(?:\.sum)?)$`: `(?:^|/)go\.(?:mod|sum|work(?:\.sum)?)$`,
	`verification-metadata\.xml`:      `(?:^|/)verification-metadata\.xml$`,
	`Database.refactorlog`:            `(?:^|/)Database\.refactorlog$`,
}

// anchoredRegexes does the same for the default global allowlist's
// regular expressions on secrets: "(?i)^true|false|null$", meant for those
// three values, let pass every secret starting with "true", holding
// "false" or ending with "null".
var anchoredRegexes = map[string]string{
	`(?i)^true|false|null$`: `(?i)^(?:true|false|null)$`,
}

// anchorDefaultAllowlist anchors the default global allowlist's patterns
// (see anchoredPaths and anchoredRegexes).
func anchorDefaultAllowlist(def *glconfig.ViperConfig) {
	lists := def.Allowlists
	if def.AllowList != nil {
		lists = append(slices.Clone(lists), def.AllowList)
	}
	for _, a := range lists {
		for _, field := range []struct {
			patterns []string
			fixed    map[string]string
		}{{a.Paths, anchoredPaths}, {a.Regexes, anchoredRegexes}} {
			for i, p := range field.patterns {
				if anchored, ok := field.fixed[p]; ok {
					field.patterns[i] = anchored
				}
			}
		}
	}
}

// readViperFile parses a gitleaks TOML file and, recursively, the file its
// [extend] path names, appending each file read to read.
func readViperFile(files policyFiles, f *policyFile, depth int, read *[]*policyFile) (glconfig.ViperConfig, error) {
	*read = append(*read, f)
	name := f.name
	vc, err := parseViper(name, f.data)
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

// parseViper parses gitleaks TOML with a viper of its own (never the global
// one gitleaks uses).
func parseViper(name string, data []byte) (glconfig.ViperConfig, error) {
	v := viper.New()
	v.SetConfigType("toml")
	var vc glconfig.ViperConfig
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		return vc, fmt.Errorf("gitleaks config %s: %w", name, err)
	}
	if err := v.Unmarshal(&vc); err != nil {
		return vc, fmt.Errorf("gitleaks config %s: %w", name, err)
	}
	return vc, nil
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
		normalizeRuleAllowlist(&r.AllowList, &r.Allowlists)
		index[r.ID] = len(out.Rules)
		out.Rules = append(out.Rules, r)
	}
	for _, r := range top.Rules {
		normalizeRuleAllowlist(&r.AllowList, &r.Allowlists)
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
	// Global allowlists: the deprecated single [allowlist] joins the list, as
	// gitleaks refuses a file holding both forms.
	out.Allowlists = nil
	for _, vc := range []glconfig.ViperConfig{top, base} {
		if vc.AllowList != nil {
			out.Allowlists = append(out.Allowlists, vc.AllowList)
		}
		out.Allowlists = append(out.Allowlists, vc.Allowlists...)
	}
	out.AllowList = nil
	return out
}

// normalizeRuleAllowlist moves a rule's deprecated single allowlist into its
// list, so two merged rules never hold both forms.
func normalizeRuleAllowlist[T any](single **T, list *[]*T) {
	if *single != nil {
		*list = append(slices.Clone(*list), *single)
		*single = nil
	}
}

// translate compiles the rules. gitleaks panics on an invalid regular
// expression; that becomes an error naming the file.
func translate(vc glconfig.ViperConfig, path, origin string, files []*policyFile) (rs *ruleSet, err error) {
	name := path
	if name == "" {
		name = "gitleaks default rules"
	}
	defer func() {
		if p := recover(); p != nil {
			rs, err = nil, fmt.Errorf("gitleaks config %s: %v", name, p)
		}
	}()
	cfg, err := vc.Translate()
	if err != nil {
		return nil, fmt.Errorf("gitleaks config %s: %w", name, err)
	}
	if len(cfg.Rules) == 0 {
		return nil, errors.New("gitleaks config " + name + " yields no rules: nothing would be scanned for; add rules or [extend] useDefault = true")
	}
	cfg.Path = path
	return &ruleSet{config: cfg, origin: origin, files: files}, nil
}
