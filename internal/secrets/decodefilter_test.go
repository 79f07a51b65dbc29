package secrets

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/sources"

	"github.com/release-gate/release-gate/internal/testenv"
)

func TestNewlineSpanAndHeld(t *testing.T) {
	for _, c := range []struct {
		expr     string
		keywords []string
		span     int
		held     bool
	}{
		{`abc`, []string{"abc"}, 0, true},
		{`(?i)ABC[0-9]{4}`, []string{"abc"}, 0, true},
		{`x[Aa]bc`, []string{"abc"}, 0, true}, // a keyword spanning parts
		{`(?:abc|abd)_[0-9]+`, []string{"abc", "abd"}, 0, true},
		{`(?:abc|xyz)_[0-9]+`, []string{"abc"}, 0, false}, // one branch has no keyword
		{`abc?`, []string{"abc"}, 0, false},               // "ab" matches
		{`[0-9]{8}`, []string{"12"}, 0, false},
		{`a\s{0,3}b`, []string{"ab"}, 3, false},
		{`a[\s\S]{0,10}?b\n`, nil, 11, false},
		{`a\s*b`, nil, -1, false},
		{`a[^"]{3,}b`, nil, -1, false},    // a negated class holds \n
		{`(?s:.){0,200}`, nil, -1, false}, // past maxSpan
		{`(?s:.){0,20}`, nil, 20, false},
		{`.*`, nil, 0, false},
		{`(?:a\nb){2}|c`, nil, 2, false},
	} {
		re, err := syntax.Parse(c.expr, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		if got := newlineSpan(re); got != c.span {
			t.Errorf("%s: newline span %d, want %d", c.expr, got, c.span)
		}
		if c.keywords == nil {
			continue
		}
		if got := holdsKeyword(re, c.keywords); got != c.held {
			t.Errorf("%s %q: held %v, want %v", c.expr, c.keywords, got, c.held)
		}
	}
}

// What the filter knows of gitleaks' default rules. The six rules whose
// matches can hold any number of newlines are run over the whole decoded
// text; a gitleaks version that adds one makes the filter cost more, and
// one whose expressions no longer show their keywords makes it save less.
func TestDecodeFilterDefaults(t *testing.T) {
	r := lazyDefaults(t, 1<<40)
	f := r.decode()
	if f == nil {
		t.Fatal("no filter for the default rules")
	}
	var unbounded []string
	held := 0
	for i, dr := range f.rules {
		if dr.span < 0 && r.compiledRegex(t, i) {
			unbounded = append(unbounded, r.ids[i])
		}
		if dr.held {
			held++
		}
	}
	slices.Sort(unbounded)
	want := []string{"curl-auth-user", "freemius-secret-key", "jwt-base64", "kubernetes-secret-yaml", "nuget-config-password", "private-key"}
	if !slices.Equal(unbounded, want) {
		t.Errorf("rules matching any number of newlines: %q, want %q", unbounded, want)
	}
	if held < 180 || f.context != 13 {
		t.Errorf("%d rules hold a keyword in every match, a window holds %d lines around a region", held, f.context)
	}
	if f.global == nil {
		t.Error("no keyword filter for the rules run over the whole text")
	}
}

// compiledRegex reports whether rule i has an expression.
func (r *Rules) compiledRegex(t *testing.T, i int) bool {
	rule, err := r.rule(i)
	if err != nil {
		t.Fatal(err)
	}
	return rule.Regex != nil
}

// decodedTag reports whether a finding came from a decoding pass.
func decodedTag(finding string) bool { return strings.Contains(finding, "decode-depth:") }

// filler is n lines of source text that holds no keyword and nothing to
// decode.
func filler(n int) string {
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, "\tx%d := y + %d\n", i, i)
	}
	return sb.String()
}

// pemKey is a fresh EC private key in PEM.
func pemKey(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
}

// Secrets gitleaks finds only by decoding, far into large texts, next to
// lines that decode to nothing, split across lines, or in pieces far apart:
// gitleaks finds each by decoding, and so does a scan with the filter.
func TestDecodedFindingsAreFound(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	// gitleaks decodes base64 only when it holds one of 0-9+/-_: draw
	// values whose encoding does, or a case would prove nothing now and
	// then.
	decodable := func(draw func() string) string {
		for {
			if s := draw(); s != "" && strings.ContainsAny(b64(s), "0123456789+/") {
				return s
			}
		}
	}
	aws := decodable(func() string { return testenv.AWSKey(t) })
	gh := testenv.GitHubToken(t)
	// Only generic-api-key finds it, whose expression lets three newlines
	// stand between the key's name and its "=".
	ref := referenceDetector(t)
	value := decodable(func() string {
		v := testenv.Random(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 32)
		if len(everyRule(ref, sources.Fragment{Raw: "api_key = \"" + v + "\"\n"})) == 0 {
			return "" // one of generic-api-key's stop words: draw again
		}
		return v
	})
	unicodeEscaped := func(s string) string {
		var sb strings.Builder
		for _, c := range s {
			fmt.Fprintf(&sb, "\\u%04x", c)
		}
		return sb.String()
	}
	codes := func(s string) string {
		var sb strings.Builder
		for _, c := range s {
			fmt.Fprintf(&sb, "U+%04X\n", c)
		}
		return sb.String()
	}
	percent := func(s string) string {
		var sb strings.Builder
		for i := 0; i < len(s); i++ {
			fmt.Fprintf(&sb, "%%%02X", s[i])
		}
		return sb.String()
	}
	key := pemKey(t)
	begin, rest, _ := strings.Cut(key, "\n")
	noise := "\tv := \"" + hex.EncodeToString([]byte("printable text, decoded and harmless")) + "\"\n"
	cases := map[string]string{
		"base64, deep in a file":     filler(2000) + "aws = \"" + b64(aws) + "\"\n" + filler(2000),
		"hex, among harmless hex":    noise + filler(300) + noise + "token = " + hex.EncodeToString([]byte(gh)) + "\n" + noise + filler(300),
		"percent":                    filler(100) + "u := \"https://example.com/?k=" + percent("aws = "+aws) + "\"\n" + filler(100),
		"unicode escapes":            filler(100) + "s := \"" + unicodeEscaped("aws = "+aws) + "\"\n" + filler(100),
		"code points over lines":     filler(50) + codes("aws = "+aws) + filler(50),
		"base64 of hex":              filler(500) + "x = " + b64(hex.EncodeToString([]byte("aws = "+aws))) + "\n" + filler(500),
		"keyword a line above":       filler(500) + "api_key =\n\t\"" + b64(gh) + "\"\n" + filler(500),
		"keyword three lines above":  filler(500) + "api_key\n\n\n= \"" + b64(value) + "\"\n" + filler(500),
		"a key's first line encoded": b64(begin) + "\n" + filler(100) + rest,
		"a key encoded, far apart":   filler(30) + b64(key) + "\n" + filler(3000) + b64(key),
		"the Kelvin sign nearby":     filler(200) + "\u212a aws = \"" + b64(aws) + "\"\n" + filler(200),
	}
	// Not found by gitleaks either: the decoder drops a match that touches
	// one of higher precedence, here the codes' last newline and a
	// percent-encoding on the next line that decodes to nothing; the
	// filter reads that line too.
	hidden := filler(50) + codes("aws = "+aws) + "%0A %ff\n" + filler(50)
	r := lazyDefaults(t, 0)
	d := r.NewDetector(context.Background(), true)
	fr := sources.Fragment{Raw: hidden, FilePath: "f.go"}
	if want, got := everyRule(ref, fr), described(t, r, d, fr, true); len(want) != 0 || len(got) != 0 {
		t.Errorf("codes next to a percent-encoding: found %q, gitleaks %q", got, want)
	}
	// A rule with a path: a Kubernetes secret, encoded whole, in YAML.
	secret := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n  username: " + b64(value) + "\n"
	cases["a YAML file"] = filler(100) + "blob: " + b64(secret) + "\n" + filler(100)
	for name, raw := range cases {
		fr := sources.Fragment{Raw: raw, FilePath: "f.go"}
		if name == "a YAML file" {
			fr.FilePath = "k8s/app.yaml"
		}
		want := everyRule(ref, fr)
		if !slices.ContainsFunc(want, decodedTag) {
			t.Errorf("%s: gitleaks decodes nothing to a finding (%q): the case proves nothing", name, want)
			continue
		}
		if !r.decodedMayFind(fr) {
			t.Errorf("%s: the filter says decoding finds nothing; gitleaks finds %q", name, want)
		}
		if got := described(t, r, d, fr, true); !slices.Equal(got, want) {
			t.Errorf("%s:\nfound      %q\nevery rule %q", name, got, want)
		}
	}
}

// Rules of a configuration's own, and what gitleaks finds of them only by
// decoding: the filter finds it too.
//   - far: its matches need not hold its keyword, so it runs on the
//     decoded text when the keyword is anywhere in the fragment, however
//     far from what decodes;
//   - long-s: (?i) lets ſ stand for s, so a decoded ſ spells its keyword
//     where a search for the keyword does not see it (gitleaks runs the
//     rule for the keyword elsewhere);
//   - neighbour: the decoder leaves U+0041 encoded because the match of
//     its newline touches a percent-encoding on the next line, and the
//     rule's match needs it so.
func TestDecodedFindingsOfOwnRules(t *testing.T) {
	r, all := defaultsWith(t, `
[[rules]]
id = "far"
regex = '''ZZ[0-9]{12}ZZ'''
keywords = ["farkeyword"]

[[rules]]
id = "long-s"
regex = '''(?i)secretzz[0-9]{10}'''
keywords = ["secretzz"]

[[rules]]
id = "neighbour"
regex = '''QQ[0-9]{12} U\+0041'''
keywords = ["qq"]

[[rules]]
id = "two-regions"
regex = '''XX[0-9]{14}\n(?:[^\n]*\n){0,6}YY[0-9]{14}'''
keywords = ["xx"]
`)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	far := b64("id ZZ" + "123456789012ZZ here")
	for _, c := range []struct {
		raw   string
		found bool
	}{
		{"// farkeyword\n" + filler(1000) + "v := \"" + far + "\"\n" + filler(10), true},
		{"v := \"" + far + "\"\n" + filler(1000) + "// FarKeyword\n", true},
		{"v := \"" + far + "\"\n" + filler(1000), false}, // no keyword: gitleaks does not run the rule
		{"// secretzz\n" + filler(1000) + "v := \"\\u017fecretzz0123456789\"\n" + filler(10), true},
		{filler(100) + b64("QQ123456789012") + " U+0041\n%0A %ff\n" + filler(100), true},
		// The Kelvin sign lowercases to k: gitleaks sees the keyword.
		{"// FAR\u212aEYWORD\n" + filler(1000) + "v := \"" + far + "\"\n" + filler(10), true},
		// Two encoded parts five lines apart, one match over both.
		{filler(100) + b64("XX12345678901234") + "\n" + filler(4) + b64("YY12345678901234") + "\n" + filler(100), true},
	} {
		fr := sources.Fragment{Raw: c.raw, FilePath: "f.go"}
		want := described(t, all, all.NewDetector(context.Background(), true), fr, false)
		if got := described(t, r, r.NewDetector(context.Background(), true), fr, false); !slices.Equal(got, want) {
			t.Errorf("%.40q:\nfound      %q\nevery rule %q", c.raw, got, want)
		}
		if slices.ContainsFunc(want, decodedTag) != c.found {
			t.Errorf("%.40q: gitleaks finds %q", c.raw, want)
		}
	}
}

// On real text nobody here wrote, every file of Go's source tree that
// gitleaks decodes something in, in the pieces gitleaks reads, and
// gitleaks' own test data: the filter finds what gitleaks finds, and tells
// most of those pieces apart (or it saves nothing).
func TestDecodeFilterOnRealText(t *testing.T) {
	var corpus []sources.Fragment
	add := func(rel, content string) {
		for len(content) > 0 {
			n := min(len(content), 100_000)
			if NeedsDecoding(content[:n]) {
				corpus = append(corpus, sources.Fragment{Raw: content[:n], FilePath: rel})
			}
			content = content[n:]
		}
	}
	step := 3
	if testing.Short() {
		step = 29
	}
	walkCorpus(t, filepath.Join(testenv.GOROOT(t), "src"), step, add)
	walkCorpus(t, filepath.Join(gitleaksDir(t), "testdata"), 1, add)
	ref := referenceDetector(t)
	r := lazyDefaults(t, 0)
	d := r.NewDetector(context.Background(), true)
	skipped, decoded := 0, 0
	for _, fr := range corpus {
		want := everyRule(ref, fr)
		if slices.ContainsFunc(want, decodedTag) {
			decoded++
		}
		if !r.decodedMayFind(fr) {
			skipped++
		}
		if got := described(t, r, d, fr, true); !slices.Equal(got, want) {
			t.Fatalf("%s:\nfound      %q\nevery rule %q", fr.FilePath, got, want)
		}
	}
	if len(corpus) < 20 || skipped < len(corpus)/2 {
		t.Fatalf("the filter tells %d of %d pieces gitleaks decodes: it saves little", skipped, len(corpus))
	}
	t.Logf("%d pieces gitleaks decodes something in, %d with a finding only decoding shows, %d left undecoded", len(corpus), decoded, skipped)
}

// Text encoded nearly everywhere (a JSON file of base64 values) is left to
// gitleaks' passes: the filter's runs would cost about as much, and twice
// as much when one matches. Sparse encoded text is not.
func TestDecodeFilterLeavesDenseTextToGitleaks(t *testing.T) {
	r := lazyDefaults(t, 1<<40)
	line := func(i int) string {
		return fmt.Sprintf("{\"key\": %q},\n", base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("/registry/pods/default/pod-%04d", i))))
	}
	var dense, sparse strings.Builder
	for i := range 400 {
		dense.WriteString(line(i))
		if i%40 == 0 {
			sparse.WriteString(line(i))
		} else {
			sparse.WriteString(filler(1))
		}
	}
	for _, c := range []struct {
		raw  string
		want bool
	}{{dense.String(), true}, {sparse.String(), false}} {
		if !NeedsDecoding(c.raw) {
			t.Fatalf("%.60q: nothing to decode", c.raw)
		}
		if got := r.decodedMayFind(sources.Fragment{Raw: c.raw, FilePath: "ops.json"}); got != c.want {
			t.Errorf("%.60q: decoding may find something: %v, want %v", c.raw, got, c.want)
		}
	}
}
