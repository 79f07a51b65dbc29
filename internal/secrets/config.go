// Package secrets is what finds secrets in text, shared by the gates: the
// gitleaks rules loaded safely, a detector set up as the gitleaks CLI sets
// one up, DetectString to find secrets in a string and RedactString to cut
// them out of text before it is shown.
//
// It is the only place that knows how gitleaks is called, so that moving
// to another gitleaks version (or engine) changes one package.
package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/viper"
	glconfig "github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/report"
	"github.com/zricethezav/gitleaks/v8/sources"
)

// MaxDecodeDepth is how many layers of encoding (base64, hex, percent,
// unicode escapes) are decoded to find secrets inside: the gitleaks CLI's
// default (the library's is 0).
const MaxDecodeDepth = 5

// ParseConfig parses gitleaks TOML with a viper of its own (never the
// global one gitleaks uses). The single [allowlist] tables of the older
// format, global or of a rule, join the [[allowlists]] lists before the
// configuration is decoded, so that the result only ever holds lists.
func ParseConfig(name string, data []byte) (glconfig.ViperConfig, error) {
	var vc glconfig.ViperConfig
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		return vc, fmt.Errorf("gitleaks config %s: %w", name, err)
	}
	settings := v.AllSettings()
	if err := foldAllowlist(settings); err != nil {
		return vc, fmt.Errorf("gitleaks config %s: %w", name, err)
	}
	if rules, ok := settings["rules"].([]any); ok {
		for i, r := range rules {
			if m, ok := r.(map[string]any); ok {
				if err := foldAllowlist(m); err != nil {
					return vc, fmt.Errorf("gitleaks config %s: rule %d: %w", name, i+1, err)
				}
			}
		}
	}
	folded := viper.New()
	if err := folded.MergeConfigMap(settings); err != nil {
		return vc, fmt.Errorf("gitleaks config %s: %w", name, err)
	}
	if err := folded.Unmarshal(&vc); err != nil {
		return vc, fmt.Errorf("gitleaks config %s: %w", name, err)
	}
	return vc, nil
}

// foldAllowlist moves m's single allowlist table into its allowlists
// list (first, as gitleaks puts it).
func foldAllowlist(m map[string]any) error {
	var single any
	for k, v := range m {
		if strings.EqualFold(k, "allowlist") {
			single = v
			delete(m, k)
		}
	}
	if single == nil {
		return nil
	}
	var list []any
	for k, v := range m {
		if strings.EqualFold(k, "allowlists") {
			l, ok := v.([]any)
			if !ok {
				return errors.New("allowlists is not a list of tables")
			}
			list = l
			delete(m, k)
		}
	}
	m["allowlists"] = append([]any{single}, list...)
	return nil
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

// DefaultConfig is gitleaks' default rules, with the patterns of its
// global allowlist that are not anchored anchored (see anchoredPaths and
// anchoredRegexes).
func DefaultConfig() (glconfig.ViperConfig, error) {
	def, err := ParseConfig("gitleaks default rules", []byte(glconfig.DefaultConfig))
	if err != nil {
		return def, err
	}
	for _, a := range def.Allowlists {
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
	return def, nil
}

// Compile turns a parsed configuration into rules, every rule compiled,
// in one gitleaks translation. gitleaks panics on an invalid regular
// expression; that becomes an error naming the file, and so does a
// configuration with no rule (it would find nothing). Scans compile
// their rules through Rules instead (see LazyRules), each when first
// needed or, for rules that name each other, all at once here.
func Compile(vc glconfig.ViperConfig, name string) (glconfig.Config, error) {
	return translate(vc, name)
}

// splittable reports whether vc's rules translate the same one by one: no
// rule names another (required rules), no allowlist targets a rule, no
// [extend] (gitleaks reads it while translating) and no two rules share
// an id.
func splittable(vc glconfig.ViperConfig) bool {
	if vc.Extend.Path != "" || vc.Extend.URL != "" || vc.Extend.UseDefault {
		return false
	}
	for _, a := range vc.Allowlists {
		if a != nil && len(a.TargetRules) > 0 {
			return false
		}
	}
	seen := make(map[string]bool, len(vc.Rules))
	for _, r := range vc.Rules {
		if len(r.Required) > 0 || seen[r.ID] {
			return false
		}
		seen[r.ID] = true
	}
	return true
}

// translate is gitleaks' own translation of vc, its panics made errors;
// a configuration without rules is one too (see translateAny).
func translate(vc glconfig.ViperConfig, name string) (glconfig.Config, error) {
	cfg, err := translateAny(vc, name)
	if err != nil {
		return glconfig.Config{}, err
	}
	if len(cfg.Rules) == 0 {
		return glconfig.Config{}, errors.New("gitleaks config " + name + " yields no rules: nothing would be scanned for; add rules or [extend] useDefault = true")
	}
	return cfg, nil
}

// translateAny is gitleaks' own translation of vc, its panics made
// errors.
func translateAny(vc glconfig.ViperConfig, name string) (cfg glconfig.Config, err error) {
	defer func() {
		if p := recover(); p != nil {
			cfg, err = glconfig.Config{}, fmt.Errorf("gitleaks config %s: %v", name, p)
		}
	}()
	cfg, err = vc.Translate()
	if err != nil {
		return glconfig.Config{}, fmt.Errorf("gitleaks config %s: %w", name, err)
	}
	return cfg, nil
}

// NewDetector makes a gitleaks detector for cfg set up as the gitleaks CLI
// sets one up (encoded secrets decoded), with the secrets of its findings
// replaced by REDACTED unless reveal. A detector accumulates what it
// finds: make one per scan, or per goroutine (see Detect).
func NewDetector(ctx context.Context, cfg glconfig.Config, reveal bool) *detect.Detector {
	d := detect.NewDetectorContext(ctx, cfg)
	d.MaxDecodeDepth = MaxDecodeDepth
	if !reveal {
		d.Redact = 100
	}
	return d
}

// Detect scans one fragment with d and returns what it found there. d
// records the findings too, dropping those its .gitleaksignore or
// baseline list, as it does scanning any source. d must not be used by
// another goroutine during the call.
func Detect(ctx context.Context, d *detect.Detector, fr sources.Fragment) []report.Finding {
	before := len(d.Findings())
	all, _ := d.DetectSource(ctx, fragmentSource(fr)) // the source never fails
	return slices.Clone(all[before:])
}

// fragmentSource is a gitleaks source of one fragment.
type fragmentSource sources.Fragment

// Fragments implements sources.Source.
func (f fragmentSource) Fragments(_ context.Context, yield sources.FragmentsFunc) error {
	return yield(sources.Fragment(f), nil)
}
