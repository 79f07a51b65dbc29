package secrets

import (
	"path/filepath"
	"strings"
	"testing"

	glconfig "github.com/zricethezav/gitleaks/v8/config"

	"github.com/release-gate/release-gate/internal/testenv"
)

func compiledDefaults(t testing.TB) glconfig.Config {
	t.Helper()
	def, err := DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Compile(def, "default")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// assertNecessary fails when a checked rule's own expression matches raw
// but its check says it cannot.
func assertNecessary(t testing.TB, cfg glconfig.Config, p *Prefilter, raw, from string) {
	t.Helper()
	mask := p.Impossible(raw)
	for i, c := range p.checks {
		if mask&(1<<i) != 0 && cfg.Rules[c.id].Regex.MatchString(raw) {
			t.Fatalf("%s: %s matches %q but its check says it cannot", from, c.id, raw)
		}
	}
}

// stringsOf returns the string literals of the Go files under dir.
func stringsOf(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	return stringLiterals(t, files...)
}

// Each check is a necessary condition of its rule's expression: on the
// samples gitleaks itself tests the rules with (the string literals of its
// rule generators, read from the module cache), on Go's own source tree,
// and on tokens built to sit at the edges of the expressions. On ordinary
// source it rules most files out, or it would save nothing.
func TestPrefilterChecksAreNecessary(t *testing.T) {
	cfg := compiledDefaults(t)
	p := NewPrefilter(cfg)
	if len(p.checks) != len(ruleChecks) {
		t.Fatalf("%d of %d checks apply to gitleaks' default rules: has gitleaks changed an expression?", len(p.checks), len(ruleChecks))
	}
	gl := testenv.ModuleDir(t, "github.com/zricethezav/gitleaks/v8")
	samples := stringsOf(t, filepath.Join(gl, "cmd", "generate", "config", "rules"))
	if len(samples) < 1000 {
		t.Fatalf("only %d samples in gitleaks' rule generators", len(samples))
	}
	matched := map[string]int{}
	for _, s := range samples {
		assertNecessary(t, cfg, p, s, "gitleaks' samples")
		for _, c := range p.checks {
			if cfg.Rules[c.id].Regex.MatchString(s) {
				matched[c.id]++
			}
		}
	}
	// Split so that this file holds no token (the repository scans
	// itself). gitleaks makes its twilio-api-key samples at run time: the
	// edges are the only ones.
	edges := []string{
		"s." + "abcdefghijklmnopqrstuvwx ", "x s." + "ABCDEFGHIJKLMNOPQRSTUVWX\n", "s." + "abcdefghijklmnopqrstuvwſ;",
		"s." + "abcdefghijklmnopqrstuvwK'", "hvs." + strings.Repeat("a-_9", 25) + " ",
		"ey" + "JhbGciOiJIUzI1NiIsInR5.ey" + "JzdWIiOiIxMjM0NTY3ODkwIiwib.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c ",
		"ey" + "ABCDEFGHIJKLMNOPQ.ey" + "ABCDEFGHIJKLMNOPQ.",
		"api" + "_key = \"a1b2c3d4e5f6g7h8\"", "KEY" + ": Zm9vYmFyYmF6cXV4+/ab==\n", "ſecret" + " = 0123456789ab;",
		"pass" + "word =>  'q1w2e3r4t5y6'", "tok" + "en ::= x9y8z7w6v5u4\\n", "cred" + "s,\"aaaaaaaaa1\"",
		"the auth" + " header,   0123456789abcdef", "aKEY" + " = 0123456789\t",
		// (?i) folds the Kelvin sign to k and ſ to s inside the value too.
		"api" + "_key = \"\u212aabcdefghijk\"", "sec" + "ret: abcdefſghijkl\n",
		"xSK" + strings.Repeat("0aF9", 8) + "x", "SK" + strings.Repeat("b", 32),
		"-----BEGIN RSA " + "PRIVATE KEY-----\n" + strings.Repeat("MIIE", 16) + "\n-----END RSA PRIVATE KEY-----",
		"-----begin pgp " + "private key block-----" + strings.Repeat("x", 64) + "key block-----",
		"-----BEGIN " + "PRIVATE \u212aEY-----" + strings.Repeat("A", 64) + "\u212aEY-----",
	}
	for _, s := range edges {
		assertNecessary(t, cfg, p, s, "edges")
		if p.Impossible(s) == 1<<len(p.checks)-1 {
			t.Errorf("%q: every check says impossible", s)
		}
		for _, c := range p.checks {
			if cfg.Rules[c.id].Regex.MatchString(s) {
				matched[c.id]++
			}
		}
	}
	for _, c := range p.checks {
		if matched[c.id] == 0 {
			t.Errorf("no sample or edge matches %s: the comparison proves nothing for it", c.id)
		}
	}

	ruledOut, files := 0, 0
	walkCorpus(t, filepath.Join(testenv.GOROOT(t), "src"), 3, func(rel, content string) {
		if files >= 2000 || !strings.HasSuffix(rel, ".go") {
			return
		}
		files++
		assertNecessary(t, cfg, p, content, rel)
		if p.Impossible(content) == 1<<len(p.checks)-1 {
			ruledOut++
		}
	})
	if files < 1000 || ruledOut*2 < files {
		t.Errorf("the checks rule out every checked rule in %d of %d Go files: too few to save time", ruledOut, files)
	}
	t.Logf("every checked rule ruled out in %d of %d Go files", ruledOut, files)
}

// A configuration that changes a checked rule's expression, or has a rule
// that requires another, is not checked.
func TestPrefilterOnlyForTheDefaultExpressions(t *testing.T) {
	cfg := compiledDefaults(t)
	changed := cfg
	changed.Rules = map[string]glconfig.Rule{}
	for id, r := range cfg.Rules {
		changed.Rules[id] = r
	}
	jwt := changed.Rules["jwt"]
	jwt.Regex = changed.Rules["generic-api-key"].Regex
	changed.Rules["jwt"] = jwt
	if n := len(NewPrefilter(changed).checks); n != len(ruleChecks)-1 {
		t.Errorf("jwt with another expression: %d rules checked", n)
	}
	linked := changed
	aws := linked.Rules["aws-access-token"]
	aws.RequiredRules = []*glconfig.Required{{RuleID: "jwt"}}
	linked.Rules["aws-access-token"] = aws
	if n := len(NewPrefilter(linked).checks); n != 0 {
		t.Errorf("with a composite rule: %d rules checked", n)
	}
	without := NewPrefilter(cfg).Without(cfg, 1)
	if _, ok := without.Rules[ruleChecks[0].id]; ok || len(without.Rules) != len(cfg.Rules)-1 {
		t.Errorf("Without(1) kept %d of %d rules", len(without.Rules), len(cfg.Rules))
	}
}

func FuzzPrefilter(f *testing.F) {
	for _, s := range []string{"s." + "abcdefghijklmnopqrstuvwx ", "ey" + "ABCDEFGHIJKLMNOPQ.ey" + "ABCDEFGHIJKLMNOPQ.", "hvs.x",
		"SK" + strings.Repeat("0a", 16), "-----BEGIN " + "PRIVATE KEY-----" + strings.Repeat("A", 64) + "KEY-----"} {
		f.Add(s)
	}
	cfg := compiledDefaults(f)
	p := NewPrefilter(cfg)
	f.Fuzz(func(t *testing.T, raw string) {
		assertNecessary(t, cfg, p, raw, "fuzz")
	})
}

// genericPossibleByRuns is genericPossible reading the value runs after
// each operator afresh: the plain statement, quadratic on a long run of
// operators (every = is one).
func genericPossibleByRuns(raw string) bool {
	valueAfter := func(o int) bool {
		for s := o + 1; s <= o+9 && s <= len(raw); s++ {
			if s > o+1 && !genericBetween(raw[s-1]) {
				return false
			}
			n := 0
			for n < len(raw)-s && genericClass[raw[s+n]]&gcWord != 0 {
				n++
			}
			if n >= 10 && genericEnd(raw, s+n) {
				return true
			}
			n = 0
			for n < len(raw)-s && genericClass[raw[s+n]]&gcBase64 != 0 {
				n++
			}
			if n >= 12 {
				e := s + n
				for k := 0; k < 3 && e < len(raw) && raw[e] == '='; k++ {
					e++
				}
				if genericEnd(raw, e) {
					return true
				}
			}
		}
		return false
	}
	for o := 0; o < len(raw); o++ {
		if genericClass[raw[o]]&gcOperator != 0 && valueAfter(o) && genericKeywordBefore(raw, o) {
			return true
		}
	}
	return false
}

// A text can make genericPossible read each value run once per operator
// in it: 100 kB of = took seconds. The scan reads each byte a bounded
// number of times on such texts, and answers as the plain statement does
// on random texts of operators, value characters and keywords.
func TestGenericPossibleReadsLinearly(t *testing.T) {
	const n = 100_000
	for _, unit := range []string{"=", "a=", "= ", "==a", "=:", "+/=", "=\x80", "key=", "a,", "abcdefghij=", "A1+/=\""} {
		s := strings.Repeat(unit, n/len(unit))
		g := genericScan{raw: s}
		g.possible()
		if g.read > 20*len(s) {
			t.Errorf("%q repeated: %d bytes read for %d", unit, g.read, len(s))
		}
	}
	pieces := []string{"=", "==", ":", ",", "|", ">", "?", " ", "\"", "'", "`", ";", "\n", "\\n", "a", "Z", "0", "_", ".", "-", "+", "/", "\x80", "ſ",
		"key", "token", "api", "secret", "abcdefghij", "0123456789ab"}
	trues := drawTexts(3, pieces, 30, 50_000, func(i int, s string) bool {
		got, want := genericPossible(s), genericPossibleByRuns(s)
		if got != want {
			t.Fatalf("text %d, %q: genericPossible %v, the plain statement %v", i, s, got, want)
		}
		return got
	})
	if trues < 2_000 || trues > 48_000 {
		t.Errorf("%d of 50000 texts possible: the draw is lopsided", trues)
	}
}
