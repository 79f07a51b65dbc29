package secretscan

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	re2 "github.com/wasilibs/go-re2"

	"github.com/release-gate/release-gate/internal/testenv"
)

// Release builds (-tags gore2regex) match gitleaks' rules with the go-re2
// stand-in under third_party/go-re2: Go's regexp for small inputs, RE2 in
// WebAssembly, started on first use, for large ones. This test holds that
// to its promises: nothing starts until a large input arrives, and both
// engines find exactly the same matches for every default rule.
func TestRegexEngineStartsLazilyAndAgrees(t *testing.T) {
	if re2.EngineStarted() {
		// An earlier test in this process started the engine (a tree scan in
		// a -tags gore2regex build does); check in a fresh process.
		cmd := exec.Command(os.Args[0], "-test.run=^TestRegexEngineStartsLazilyAndAgrees$", "-test.count=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("in a fresh process: %v\n%s", err, out)
		}
		return
	}
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
	for id, r := range rs.config.Rules {
		if r.Regex == nil {
			continue
		}
		expr := r.Regex.String()
		pairs = append(pairs, pair{id, regexp.MustCompile(expr), re2.MustCompile(expr)})
	}
	slices.SortFunc(pairs, func(a, b pair) int { return strings.Compare(a.id, b.id) })

	small := "aws = \"" + testenv.AWSKey(t) + "\"\n"
	for _, p := range pairs {
		p.fast.FindAllStringIndex(small, -1)
	}
	if re2.EngineStarted() {
		t.Fatal("compiling the rules and matching small inputs started the WebAssembly engine")
	}

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
	if len(large) < re2.LargeInput {
		t.Fatalf("the large input is only %d bytes", len(large))
	}
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
	if !re2.EngineStarted() {
		t.Error("a large input did not start the WebAssembly engine")
	}
	if matched < 8 {
		t.Errorf("only %d rules matched the corpus: the comparison proves little", matched)
	}
}
