package secretscan

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/viper"
	glconfig "github.com/zricethezav/gitleaks/v8/config"
)

// ruleSet is a loaded gitleaks configuration and how it was put together.
type ruleSet struct {
	config glconfig.Config
	// origin says where the rules come from, for the summary.
	origin string
}

// maxExtendDepth bounds [extend] path chains, as gitleaks does.
const maxExtendDepth = 2

// loadRules builds the gitleaks configuration: the repository's own file
// (configPath, "" for none) on top of gitleaks' default rules.
//
// gitleaks replaces its default rules with a file that lacks
// [extend] useDefault = true; here the file is layered on the defaults
// unless withDefaults is false, so a partial .gitleaks.toml never silently
// switches off the default rules. Extension is done here rather than by
// gitleaks, whose extension code keeps global state that breaks the second
// load in one process; [extend] path is resolved against the directory of
// the file that names it, not the process's working directory.
func loadRules(workspace, configPath string, withDefaults bool) (*ruleSet, error) {
	def, err := parseViper("gitleaks default rules", []byte(glconfig.DefaultConfig))
	if err != nil {
		return nil, err
	}
	if configPath == "" {
		return translate(def, "", fmt.Sprintf("%d gitleaks default rules", len(def.Rules)))
	}

	vc, err := readViperFile(workspace, configPath, 0)
	if err != nil {
		return nil, err
	}
	origin := relPath(workspace, configPath)
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
	return translate(vc, relPath(workspace, configPath), origin)
}

// readViperFile reads a gitleaks TOML file and, recursively, the file its
// [extend] path names.
func readViperFile(workspace, path string, depth int) (glconfig.ViperConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return glconfig.ViperConfig{}, fmt.Errorf("reading gitleaks config: %w", err)
	}
	name := relPath(workspace, path)
	vc, err := parseViper(name, data)
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
	basePath := vc.Extend.Path
	if !filepath.IsAbs(basePath) {
		basePath = filepath.Join(filepath.Dir(path), basePath)
	}
	base, err := readViperFile(workspace, basePath, depth+1)
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
func translate(vc glconfig.ViperConfig, path, origin string) (rs *ruleSet, err error) {
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
	return &ruleSet{config: cfg, origin: origin}, nil
}

// relPath names path relative to the workspace when inside it.
func relPath(workspace, path string) string {
	if rel, err := filepath.Rel(workspace, path); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return path
}
