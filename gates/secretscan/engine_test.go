package secretscan

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	re2 "github.com/wasilibs/go-re2"
	glconfig "github.com/zricethezav/gitleaks/v8/config"

	"github.com/release-gate/release-gate/internal/testenv"
)

// Release builds (-tags gore2regex) match gitleaks' rules with go-re2 (RE2
// translated to Go), the default build with Go's regexp. Findings must not
// depend on the build: both engines find exactly the same matches, and the
// same submatches, for every default rule.
func TestRegexEnginesAgree(t *testing.T) {
	rs, err := loadRules(nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	type pair struct {
		id   string
		std  *regexp.Regexp
		fast *re2.Regexp
	}
	var pairs []pair
	for id, r := range everyRule(t, rs).Rules {
		if r.Regex == nil {
			continue
		}
		expr := r.Regex.String()
		pairs = append(pairs, pair{id, regexp.MustCompile(expr), re2.MustCompile(expr)})
	}
	slices.SortFunc(pairs, func(a, b pair) int { return strings.Compare(a.id, b.id) })

	// A large input full of secrets of many kinds, the way they appear in
	// configuration files and code.
	var b strings.Builder
	for i := 0; i < 8; i++ {
		b.WriteString("# config block\n")
		b.WriteString("export AWS_ACCESS_KEY_ID=" + testenv.AWSKey(t) + "\n")
		b.WriteString("github_token: " + testenv.GitHubToken(t) + "\n")
		b.WriteString(`"api_key": "` + testenv.Random(t, "abcdef0123456789", 32) + "\",\n")
		b.WriteString("password = '" + testenv.Random(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#%", 20) + "'\n")
		b.WriteString("slack: xoxb-" + testenv.Random(t, "0123456789", 12) + "-" + testenv.Random(t, "0123456789", 13) + "-" + testenv.Random(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 24) + "\n")
		b.WriteString("jwt=eyJ" + testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 30) + ".eyJ" + testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 40) + "." + testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789_-", 43) + "\n")
		b.WriteString("stripe: sk_" + "live_" + testenv.Random(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 24) + "\n")
		b.WriteString("gcp = AI" + "za" + testenv.Random(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", 35) + "\n")
		b.WriteString("-----BEGIN " + "RSA PRIVATE KEY-----\n" + testenv.Random(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 64) + "\n-----END RSA PRIVATE KEY-----\n")
		b.WriteString("npm_" + testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 36) + "\n")
		b.WriteString("ünïcødé ключ = \"" + testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 30) + "\"\n\n")
	}
	large := b.String()
	matched := 0
	for _, p := range pairs {
		want := p.std.FindAllStringIndex(large, -1)
		got := p.fast.FindAllStringIndex(large, -1)
		if !slices.EqualFunc(want, got, slices.Equal[[]int]) {
			t.Errorf("rule %s: Go's regexp found %v, RE2 %v", p.id, want, got)
		}
		wantSub := p.std.FindStringSubmatch(large)
		if gotSub := p.fast.FindStringSubmatch(large); !slices.Equal(wantSub, gotSub) {
			t.Errorf("rule %s: submatches differ: %q vs %q", p.id, wantSub, gotSub)
		}
		if len(want) > 0 {
			matched++
		}
	}
	if matched < 8 {
		t.Errorf("only %d rules matched the corpus: the comparison proves little", matched)
	}
}

// everyRule is rs's configuration with every rule compiled: a gitleaks
// detector made with it scans as gitleaks does, the reference the scopes
// are held to.
func everyRule(t testing.TB, rs *ruleSet) glconfig.Config {
	t.Helper()
	all, err := rs.rules.All()
	if err != nil {
		t.Fatal(err)
	}
	cfg := rs.rules.Base()
	cfg.Rules = all
	return cfg
}
