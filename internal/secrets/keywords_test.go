package secrets

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/zricethezav/gitleaks/v8/sources"

	"github.com/release-gate/release-gate/internal/testenv"
)

// The runes whose lowercase is ASCII are exactly those keywordFilter
// answers true for.
func TestFoldsToASCII(t *testing.T) {
	var want []string
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		l := strings.ToLower(string(r))
		if strings.IndexFunc(l, func(c rune) bool { return c < 0x80 }) >= 0 {
			want = append(want, string(r))
		}
	}
	if !slices.Equal(foldsToASCII, want) {
		t.Fatalf("runes whose lowercase holds ASCII: %+q, keywordFilter knows %+q", want, foldsToASCII)
	}
}

// plainKeywords is the default rules' keywords that LazyRules gives its
// keyword filter, and the filter.
func plainKeywords(t testing.TB) ([]string, *keywordFilter) {
	t.Helper()
	r := lazyDefaults(t, 1<<40)
	if r.plain == nil {
		t.Fatal("the default rules have no keyword filter")
	}
	var kws []string
	for _, l := range r.plain.lists[1:] {
		for _, a := range l {
			kws = append(kws, a.keyword)
		}
	}
	if len(kws) < 200 {
		t.Fatalf("%d keywords", len(kws))
	}
	return kws, r.plain
}

// checkFilter holds the filter to what gitleaks does: a keyword in
// strings.ToLower(s).
func checkFilter(t testing.TB, kws []string, f *keywordFilter, s string) bool {
	t.Helper()
	lower := strings.ToLower(s)
	want := slices.ContainsFunc(kws, func(k string) bool { return strings.Contains(lower, k) })
	folds := slices.ContainsFunc(foldsToASCII, func(r string) bool { return strings.Contains(s, r) })
	got := f.any(s)
	if got != want && !(got && folds) {
		t.Fatalf("%.120q: the filter says %v, a keyword is in the lowercased text: %v", s, got, want)
	}
	return got
}

func TestKeywordFilter(t *testing.T) {
	f := newKeywordFilter([]string{"AKIA", "sk-ant-api03", "api", "xoxb", "q~", "z\x7fz"})
	kws := []string{"akia", "sk-ant-api03", "api", "xoxb", "q~", "z\x7fz"}
	cases := map[string]bool{
		"":                               false,
		"a":                              false,
		"ak":                             false,
		"akia":                           true,
		"xAKIA":                          true,
		"aki\u0430":                      false, // Cyrillic a
		"AKI":                            false,
		"\xffakia\xff":                   true,
		"ak\xffia":                       false,
		"sk-ant-api0":                    true, // "api"
		"SK-ANT-":                        false,
		"q~":                             true,
		"Q~":                             true,
		"xox":                            false,
		"\u212axox":                      true, // may fold to "kxox": true, whatever follows
		"\u0130":                         true,
		"é api":                          true,
		"ap\u00efi":                      false,
		"the xoxB token":                 true,
		"Z\x7fz":                         true,
		"z\xffz":                         false, // its pair is read as z\x7f, its bytes are not
		strings.Repeat("a", 1000) + "pi": true,
	}
	for s, want := range cases {
		if got := checkFilter(t, kws, f, s); got != want {
			t.Errorf("%q: %v, want %v", s, got, want)
		}
		checkEach(t, kws, f, s+" "+s)
	}
	for _, bad := range [][]string{{"a"}, {"ok", "x"}, {"schlüssel"}} {
		if newKeywordFilter(bad) != nil {
			t.Errorf("a filter of %q: it cannot tell a keyword shorter than two bytes or not ASCII", bad)
		}
	}
}

// checkEach holds each to a search of every keyword at every place of s
// folded to ASCII lowercase.
func checkEach(t testing.TB, kws []string, f *keywordFilter, s string) {
	t.Helper()
	folded := []byte(s)
	for i, c := range folded {
		folded[i] = lowerASCII[c]
	}
	var want, got []string
	for _, k := range kws {
		for at := 0; ; at++ {
			i := strings.Index(string(folded[at:]), k)
			if i < 0 {
				break
			}
			at += i
			want = append(want, fmt.Sprint(at, k))
		}
	}
	f.each(s, func(start int, k string, _ int) { got = append(got, fmt.Sprint(start, k)) })
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("%.120q: each finds %q, the keywords are at %q", s, got, want)
	}
}

// On real text nobody here wrote, with the default rules' keywords: every
// sample of gitleaks' rules, its test data, and Go's source files.
func TestKeywordFilterOnRealText(t *testing.T) {
	kws, f := plainKeywords(t)
	gl := gitleaksDir(t)
	found, n := 0, 0
	check := func(s string) {
		n++
		if checkFilter(t, kws, f, s) {
			found++
		}
	}
	for _, s := range stringsOf(t, filepath.Join(gl, "cmd", "generate", "config", "rules")) {
		check(s)
		check(strings.ToUpper(s))
		checkEach(t, kws, f, s)
	}
	walkCorpus(t, filepath.Join(gl, "testdata"), 1, func(_, content string) { check(content) })
	walkCorpus(t, filepath.Join(testenv.GOROOT(t), "src"), 7, func(_, content string) { check(content) })
	if found == 0 || found == n {
		t.Fatalf("a keyword in %d of %d texts: the comparison proves little", found, n)
	}
	t.Logf("a keyword in %d of %d texts", found, n)
}

func FuzzKeywordFilter(f *testing.F) {
	for _, s := range []string{"akia", "Sk-Ant-Api03", "\u212aey", "x\xffxoxb", "nothing", "\u0130ntra_"} {
		f.Add(s)
	}
	kws, kf := plainKeywords(f)
	r := lazyDefaults(f, 1<<40)
	f.Fuzz(func(t *testing.T, s string) {
		checkFilter(t, kws, kf, s)
		checkEach(t, kws, kf, s)
		checkAddKeywords(t, r, s)
	})
}

// checkAddKeywords holds addKeywords to gitleaks' own keyword search (an
// Aho-Corasick search of the text lowercased): the same rules.
func checkAddKeywords(t testing.TB, r *Rules, s string) bool {
	t.Helper()
	got, want := make(bits, len(r.always)), make(bits, len(r.always))
	r.addKeywords(got, s)
	r.addKeywordsTrie(want, s)
	if !slices.Equal(got, want) {
		for i, id := range r.ids {
			if got.has(i) != want.has(i) {
				t.Errorf("%.120q: addKeywords says %v for %s, gitleaks' search %v", s, got.has(i), id, want.has(i))
			}
		}
	}
	return !want.none()
}

// addKeywords finds the rules gitleaks' own search finds on real text
// nobody here wrote, cased as it is and upper-cased, with the runes that
// lowercase to ASCII in it, and on each keyword of the default rules.
func TestAddKeywordsAsGitleaksSearch(t *testing.T) {
	r := lazyDefaults(t, 1<<40)
	if r.keywords == nil {
		t.Fatal("the default rules' keywords have no filter")
	}
	gl := gitleaksDir(t)
	found, n := 0, 0
	check := func(s string) {
		n++
		if checkAddKeywords(t, r, s) {
			found++
		}
	}
	for _, s := range stringsOf(t, filepath.Join(gl, "cmd", "generate", "config", "rules")) {
		check(s)
		check(strings.ToUpper(s))
		check("\u212a" + s + "\u0130")
	}
	for _, l := range r.keywords.lists[1:] {
		for _, a := range l {
			check(a.keyword)
			check("x" + strings.ToUpper(a.keyword) + "\xff")
			// The Kelvin sign lowercases to k, and İ to i and a mark.
			check(strings.Replace(a.keyword, "k", "\u212a", 1))
			if i := strings.LastIndexByte(a.keyword, 'i'); i == len(a.keyword)-1 {
				check(a.keyword[:i] + "\u0130")
			}
		}
	}
	walkCorpus(t, filepath.Join(gl, "testdata"), 1, func(_, content string) { check(content) })
	walkCorpus(t, filepath.Join(testenv.GOROOT(t), "src"), 13, func(_, content string) { check(content) })
	if found == 0 || found == n {
		t.Fatalf("a keyword in %d of %d texts: the comparison proves little", found, n)
	}
}

// A fragment larger than maxSkipCheck is not handed to gitleaks when no
// rule can match it, and is when one may: by a keyword, by a checked
// rule's keyword and check, or by a rule's path.
func TestLargeFragmentWithoutKeywordSkipped(t *testing.T) {
	r := lazyDefaults(t, 1<<40)
	d := r.NewDetector(context.Background(), true)
	pad := strings.Repeat("x := y + 1\n", maxSkipCheck/8)
	for _, c := range []struct {
		fr     sources.Fragment
		handed bool
	}{
		{sources.Fragment{Raw: pad, FilePath: "a.go"}, false},
		{sources.Fragment{Raw: pad + "// the Etsy client\n", FilePath: "a.go"}, true},          // etsy-access-token
		{sources.Fragment{Raw: pad + "// an API key, spelled out\n", FilePath: "a.go"}, false}, // generic-api-key's check fails
		{sources.Fragment{Raw: pad + "api" + "_key = \"a1b2c3d4e5f6g7h8\"\n", FilePath: "a.go"}, true},
		{sources.Fragment{Raw: pad + "// é\n", FilePath: "a.go"}, false}, // private-key's check passes, its keyword is not there
		{sources.Fragment{Raw: pad + "-----BEGIN \u212a\n", FilePath: "a.go"}, true},
		{sources.Fragment{Raw: pad, FilePath: "certs/client.p12"}, true}, // pkcs12-file
		{sources.Fragment{Raw: pad, FilePath: "a.go", WindowsFilePath: `C:\client.PFX`}, true},
		{sources.Fragment{Raw: pad + "\u0130", FilePath: "a.go"}, true},
	} {
		before := d.TotalBytes.Load()
		if _, err := r.Detect(context.Background(), d, c.fr, true); err != nil {
			t.Fatal(err)
		}
		if handed := d.TotalBytes.Load() != before; handed != c.handed {
			t.Errorf("%s %q: handed to gitleaks %v, want %v", c.fr.FilePath, c.fr.Raw[len(pad):], handed, c.handed)
		}
	}
}

// Rules the keyword filter cannot tell apart keep every large fragment
// handed to gitleaks: a rule without keywords runs on all of them, and a
// keyword shorter than two bytes or not ASCII leaves the filter out.
func TestLargeFragmentOtherRules(t *testing.T) {
	pad := strings.Repeat("x := y + 1\n", maxSkipCheck/8)
	for _, c := range []struct{ rule, text string }{
		{"[[rules]]\nid = \"anywhere\"\nregex = '''anywhere_[0-9]{8}'''\n", "anywhere_12345678"},
		{"[[rules]]\nid = \"german\"\nregex = '''(?i)schlüssel_[0-9]{8}'''\nkeywords = [\"schlüssel\"]\n", "SCHLÜSSEL_12345678"},
		{"[[rules]]\nid = \"short\"\nregex = '''#[0-9]{8}#'''\nkeywords = [\"#\"]\n", "#12345678#"},
	} {
		r, all := defaultsWith(t, c.rule)
		ref := all.NewDetector(context.Background(), true)
		d := r.NewDetector(context.Background(), true)
		for _, fr := range []sources.Fragment{{Raw: pad + c.text, FilePath: "a.txt"}, {Raw: c.text + "\n" + pad, FilePath: "a.txt"}} {
			want := described(t, all, ref, fr, false)
			if len(want) != 1 {
				t.Fatalf("%.40s: every rule finds %q", c.rule, want)
			}
			for _, pre := range []bool{false, true} {
				if got := described(t, r, d, fr, pre); !slices.Equal(got, want) {
					t.Errorf("%.40s, prefilter %v: %q, every rule %q", c.rule, pre, got, want)
				}
			}
		}
	}
}

// defaultsWith is the default rules followed by those of toml, as a scan
// compiles them (lazily) and compiled whole (a reference).
func defaultsWith(t testing.TB, toml string) (lazy, whole *Rules) {
	t.Helper()
	def, err := DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	own, err := ParseConfig("t.toml", []byte(toml))
	if err != nil {
		t.Fatal(err)
	}
	vc := def
	vc.Rules = append(slices.Clone(def.Rules), own.Rules...)
	if lazy, err = LazyRules(vc, "t.toml", def); err != nil {
		t.Fatal(err)
	}
	if whole, err = CompileRules(vc, "t.toml"); err != nil {
		t.Fatal(err)
	}
	return lazy, whole
}

// A configuration can hold thousands of keywords with the same rare pairs
// (its own .gitleaks.toml): no pair anchors more than maxAnchored of
// them, spreading them over the pairs they have or, when they cannot be
// spread, leaving no filter (the callers then use gitleaks' search).
func TestKeywordFilterBoundedLists(t *testing.T) {
	spread := make([]string, 1000)
	for i := range spread {
		spread[i] = fmt.Sprintf("zq%04dx", i)
	}
	f := newKeywordFilter(spread)
	if f == nil {
		t.Fatal("1,000 keywords with distinct digits: no filter")
	}
	for _, l := range f.lists {
		if len(l) > maxAnchored {
			t.Fatalf("a pair anchors %d keywords", len(l))
		}
	}
	checkEach(t, spread, f, "x zq0042x zq9999x ZQ0999X zq12")
	if !f.any("a zq0500x b") || f.any("zq") {
		t.Error("the spread filter answers wrongly")
	}
	same := make([]string, maxAnchored+1)
	for i := range same {
		same[i] = strings.Repeat("z", i+2)
	}
	if newKeywordFilter(same[:maxAnchored]) == nil {
		t.Errorf("%d keywords of the one pair zz: no filter", maxAnchored)
	}
	if f := newKeywordFilter(same); f != nil {
		t.Errorf("%d keywords of the one pair zz got a filter", len(same))
	}
	// The default rules' keywords keep their filters.
	r := lazyDefaults(t, 1<<40)
	if r.keywords == nil || r.plain == nil {
		t.Fatal("the default rules' keywords have no filter")
	}
}
