package secrets

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	glconfig "github.com/zricethezav/gitleaks/v8/config"
)

// describe writes down everything of a translated configuration the
// detector reads.
func describe(c glconfig.Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ordered %q\n", c.OrderedRules)
	keys := make([]string, 0, len(c.Keywords))
	for k := range c.Keywords {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fmt.Fprintf(&b, "keywords %q\n", keys)
	allow := func(as []*glconfig.Allowlist) {
		for _, a := range as {
			var res, paths []string
			for _, r := range a.Regexes {
				res = append(res, r.String())
			}
			for _, p := range a.Paths {
				paths = append(paths, p.String())
			}
			// gitleaks keeps stop words in no particular order (a set).
			stop := slices.Sorted(slices.Values(a.StopWords))
			fmt.Fprintf(&b, "  allow %v %q %q %q %q %v\n", a.MatchCondition, res, paths, stop, a.Commits, a.RegexTarget)
		}
	}
	allow(c.Allowlists)
	ids := make([]string, 0, len(c.Rules))
	for id := range c.Rules {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		r := c.Rules[id]
		re, path := "", ""
		if r.Regex != nil {
			re = r.Regex.String()
		}
		if r.Path != nil {
			path = r.Path.String()
		}
		fmt.Fprintf(&b, "rule %s %q %q %d %v %q %q %v\n", id, re, path, r.SecretGroup, r.Entropy, r.Keywords, r.Tags, r.SkipReport)
		allow(r.Allowlists)
	}
	return b.String()
}

// The rules compiled one by one (see LazyRules), put together, are the
// rules one translation makes: gitleaks' default rules, and rules that
// name each other (which are translated whole, at once).
func TestRulesOneByOneAreOneTranslation(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	def, err := DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	if !splittable(def) {
		t.Fatal("the default rules should translate one by one")
	}
	one, err := translate(def, "default")
	if err != nil {
		t.Fatal(err)
	}
	def, _ = DefaultConfig()
	lazy, err := LazyRules(def, "default", def)
	if err != nil {
		t.Fatal(err)
	}
	if lazy.full.Load() != nil {
		t.Fatal("the default rules compiled at once")
	}
	parts := lazy.Base()
	if parts.Rules, err = lazy.All(); err != nil {
		t.Fatal(err)
	}
	if len(one.Rules) < 200 || len(one.Allowlists) == 0 {
		t.Fatalf("%d rules, %d global allowlists: too little to compare", len(one.Rules), len(one.Allowlists))
	}
	if got, want := describe(parts), describe(one); got != want {
		t.Errorf("one by one:\n%s\nwhole:\n%s", got, want)
	}

	// Rule 40 requires rule 1, and an allowlist targets rule 3: one by one
	// they would not find each other.
	var toml strings.Builder
	for i := range 48 {
		fmt.Fprintf(&toml, "[[rules]]\nid = \"r%d\"\nregex = '''tok%d_[a-z]{8}'''\nkeywords = [\"TOK%d\"]\n", i, i, i)
		if i == 40 {
			toml.WriteString("[[rules.required]]\nid = \"r1\"\n")
		}
	}
	toml.WriteString("[[allowlists]]\ntargetRules = [\"r3\"]\nregexes = ['''tok3_aaaaaaaa''']\n")
	vc, err := ParseConfig("linked.toml", []byte(toml.String()))
	if err != nil {
		t.Fatal(err)
	}
	if splittable(vc) {
		t.Fatal("rules that name each other must not be split")
	}
	linked, err := LazyRules(vc, "linked.toml", vc)
	if err != nil {
		t.Fatalf("rules that name each other: %v", err)
	}
	if linked.full.Load() == nil {
		t.Error("rules that name each other were not compiled at once")
	}
	rules, err := linked.All()
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 48 || len(rules["r40"].RequiredRules) != 1 || len(rules["r3"].Allowlists) != 1 {
		t.Errorf("rules that name each other translated wrong: %d rules", len(rules))
	}
}
