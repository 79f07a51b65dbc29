package alertpresence

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/internal/httpsafe"
)

// Config is the alert-presence section of the configuration.
type Config struct {
	// Prometheus is the base URL of a Prometheus-compatible rules API (the
	// part before /api/v1/rules).
	Prometheus string `yaml:"prometheus"`
	// Tenant is sent as X-Scope-OrgID (Mimir, Cortex, multi-tenant Thanos).
	Tenant string `yaml:"tenant"`
	// TokenEnv names an environment variable holding a bearer token.
	TokenEnv string `yaml:"token-env"`
	// Alertmanager is the base URL of an Alertmanager (the part before
	// /api/v2).
	Alertmanager string `yaml:"alertmanager"`
	// AlertmanagerTokenEnv names the Alertmanager's bearer token variable
	// when it differs from TokenEnv.
	AlertmanagerTokenEnv string `yaml:"alertmanager-token-env"`
	// Files are globs of rule files, relative to the workspace (** allowed).
	Files config.Strings `yaml:"files"`
	// Selector chooses this service's rules.
	Selector Selector `yaml:"selector"`
	// Require lists the categories that must be covered.
	Require config.Strings `yaml:"require"`
	// Categories defines custom categories or extends built-in ones.
	Categories map[string]CategoryConfig `yaml:"categories"`
	// MaxEvalAge is how recently a covering rule must have been evaluated;
	// 0 means three evaluation intervals of its group, and at least 5m.
	MaxEvalAge config.Duration `yaml:"max-eval-age"`
	// ActiveAlertmanager checks that Prometheus reports an active
	// Alertmanager (GET /api/v1/alertmanagers); default true.
	ActiveAlertmanager *bool `yaml:"active-alertmanager"`
}

// CategoryConfig defines a category: a rule belongs to it when a metric its
// expression reads matches Metric (an unanchored RE2 regex) or when the
// expression has a matcher that Matcher accepts.
type CategoryConfig struct {
	Metric  string         `yaml:"metric"`
	Matcher config.Strings `yaml:"matcher"`
}

// minEvalAge is the least max-eval-age the default allows, whatever the
// group interval: a restart or a slow evaluation must not fail a release.
const minEvalAge = 5 * time.Minute

// settings is a validated configuration, ready to run.
type settings struct {
	prometheus   *url.URL
	alertmanager *url.URL
	tenant       string
	tokenEnv     string
	amTokenEnv   string
	files        []string
	selector     Selector
	require      []string
	cats         []*category
	maxEvalAge   time.Duration
	checkActive  bool
}

// parseSettings decodes and validates a section. It does no I/O.
func parseSettings(s *config.Section) (*settings, error) {
	var c Config
	if err := s.Decode(&c); err != nil {
		return nil, err
	}
	st := &settings{
		tenant:     c.Tenant,
		tokenEnv:   c.TokenEnv,
		amTokenEnv: c.AlertmanagerTokenEnv,
		selector:   c.Selector,
		maxEvalAge: time.Duration(c.MaxEvalAge),
	}
	if c.Prometheus == "" && len(c.Files) == 0 {
		return nil, s.Errorf("", "set prometheus (the URL of a rules API) or files (rule files in the repository), or both")
	}
	var err error
	if c.Prometheus != "" {
		if st.prometheus, err = httpsafe.ParseBaseURL(c.Prometheus, "/api/v1/rules", "/api/v1"); err != nil {
			return nil, s.Errorf("prometheus", "%v", err)
		}
	}
	if c.Alertmanager != "" {
		if st.alertmanager, err = httpsafe.ParseBaseURL(c.Alertmanager, "/api/v2/status", "/api/v2/silences", "/api/v2"); err != nil {
			return nil, s.Errorf("alertmanager", "%v", err)
		}
	}
	remote := c.Prometheus != "" || c.Alertmanager != ""
	for _, k := range []struct{ key, value string }{{"tenant", c.Tenant}, {"token-env", c.TokenEnv}} {
		if k.value != "" && !remote {
			return nil, s.Errorf(k.key, "is only used with prometheus or alertmanager")
		}
	}
	for _, k := range []struct{ key, value string }{{"token-env", c.TokenEnv}, {"alertmanager-token-env", c.AlertmanagerTokenEnv}} {
		if k.value != "" && !config.ValidEnvName(k.value) {
			return nil, s.Errorf(k.key, "want the name of an environment variable (such as PROMETHEUS_TOKEN: letters, digits and _), got a value that is not a variable name (not shown: it may be the token); the token itself never goes in the file")
		}
	}
	if c.AlertmanagerTokenEnv != "" && c.Alertmanager == "" {
		return nil, s.Errorf("alertmanager-token-env", "is only used with alertmanager")
	}
	if st.amTokenEnv == "" {
		st.amTokenEnv = c.TokenEnv
	}
	st.checkActive = c.Prometheus != ""
	if c.ActiveAlertmanager != nil {
		if c.Prometheus == "" {
			return nil, s.Errorf("active-alertmanager", "is only used with prometheus")
		}
		st.checkActive = *c.ActiveAlertmanager
	}
	if c.MaxEvalAge != 0 && c.Prometheus == "" {
		return nil, s.Errorf("max-eval-age", "is only used with prometheus (rule files are not evaluated)")
	}
	for i, f := range c.Files {
		if err := checkGlob(f); err != nil {
			return nil, s.Errorf(listKey("files", i, len(c.Files)), "%v", err)
		}
		if !contains(st.files, f) {
			st.files = append(st.files, f)
		}
	}

	st.cats = builtinCategories()
	names := make([]string, 0, len(c.Categories))
	for name := range c.Categories {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		cat, err := buildCategory(name, c.Categories[name])
		if err != nil {
			return nil, s.Errorf("categories."+name+err.key, "%s", err.msg)
		}
		if b := findCategory(st.cats, name); b != nil {
			b.lookedFor = append(b.lookedFor, cat.lookedFor...)
			b.metric = append(b.metric, cat.metric...)
			b.matcher = append(b.matcher, cat.matcher...)
			continue
		}
		st.cats = append(st.cats, cat)
	}
	if len(st.cats) > 64 {
		return nil, s.Errorf("categories", "at most %d custom categories", 64-len(defaultRequire))
	}

	req := []string(c.Require)
	if c.Require == nil {
		req = defaultRequire
	}
	if len(req) == 0 {
		return nil, s.Errorf("require", "lists no category; leave it out to require %s", strings.Join(defaultRequire, ", "))
	}
	for i, name := range req {
		if findCategory(st.cats, name) == nil {
			return nil, s.Errorf(listKey("require", i, len(c.Require)), "unknown category %q; known: %s (define others under categories)", name, strings.Join(categoryNames(st.cats), ", "))
		}
		if !contains(st.require, name) {
			st.require = append(st.require, name)
		}
	}
	return st, nil
}

var (
	categoryNameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
)

// checkGlob validates a files: pattern without touching the disk.
func checkGlob(g string) error {
	if g == "" {
		return fmt.Errorf("empty pattern")
	}
	if strings.HasPrefix(g, "/") || strings.Contains(g, `\`) || (len(g) > 1 && g[1] == ':') {
		return fmt.Errorf("pattern %q: want a path relative to the workspace, with forward slashes", g)
	}
	for _, seg := range strings.Split(g, "/") {
		if seg == ".." {
			return fmt.Errorf("pattern %q: must stay inside the workspace (no ..)", g)
		}
		if seg == "**" {
			continue
		}
		if strings.Contains(seg, "**") {
			return fmt.Errorf("pattern %q: ** must be a whole path segment, as in rules/**/*.yml", g)
		}
		if _, err := path.Match(seg, ""); err != nil {
			return fmt.Errorf("pattern %q: %v", g, err)
		}
	}
	return nil
}

// categoryError is a problem in one category's definition; key is the
// sub-key it concerns (".metric", ".matcher.1" or "").
type categoryError struct {
	key string
	msg string
}

func buildCategory(name string, cc CategoryConfig) (*category, *categoryError) {
	if !categoryNameRE.MatchString(name) || name == "none" {
		return nil, &categoryError{"", fmt.Sprintf("%q is not a usable category name: use lower-case letters, digits, - and _ (and not \"none\")", name)}
	}
	if cc.Metric == "" && len(cc.Matcher) == 0 {
		return nil, &categoryError{"", "set metric (a regex of metric names) or matcher (such as 'resource=\"disk\"'), or both"}
	}
	cat := &category{name: name}
	if cc.Metric != "" {
		re, err := regexp.Compile(cc.Metric)
		if err != nil {
			return nil, &categoryError{".metric", fmt.Sprintf("bad regular expression %q: %v", cc.Metric, err)}
		}
		cat.metric = append(cat.metric, re.MatchString)
		cat.lookedFor = append(cat.lookedFor, fmt.Sprintf("a metric matching /%s/", cc.Metric))
	}
	for i, text := range cc.Matcher {
		key := "." + listKey("matcher", i, len(cc.Matcher))
		ms, err := parseMatcherList(text)
		if err == nil && len(ms) != 1 {
			err = fmt.Errorf("want one matcher such as 'resource=\"disk\"', got %d", len(ms))
		}
		if err != nil {
			return nil, &categoryError{key, err.Error()}
		}
		spec := ms[0]
		if !spec.Op.positive() {
			return nil, &categoryError{key, fmt.Sprintf("%s: use = or =~ (a category selects values)", text)}
		}
		if spec.Op == opRe {
			if _, err := regexp.Compile("^(?:" + spec.Value + ")$"); err != nil {
				return nil, &categoryError{key, fmt.Sprintf("bad regular expression %q: %v", spec.Value, err)}
			}
		}
		cat.matcher = append(cat.matcher, func(m labelMatcher, rc *regexCache) bool { return specAccepts(spec, m, rc) })
		cat.lookedFor = append(cat.lookedFor, spec.String())
	}
	return cat, nil
}

// listKey is the dotted key of item i of a list setting; a list of one may
// have been written as a plain string, so it names the setting itself.
func listKey(key string, i, n int) string {
	if n > 1 {
		return fmt.Sprintf("%s.%d", key, i)
	}
	return key
}

func findCategory(cats []*category, name string) *category {
	for _, c := range cats {
		if c.name == name {
			return c
		}
	}
	return nil
}

func categoryNames(cats []*category) []string {
	out := make([]string, len(cats))
	for i, c := range cats {
		out[i] = c.name
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
