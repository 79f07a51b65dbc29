package secrets

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	glconfig "github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/sources"

	"github.com/release-gate/release-gate/internal/testenv"
)

// described is what d (one of rules' detectors) finds in fr, secrets
// included, in a fixed form.
func described(t testing.TB, rules *Rules, d *detect.Detector, fr sources.Fragment, prefilter bool) []string {
	t.Helper()
	found, err := rules.Detect(context.Background(), d, fr, prefilter)
	if err != nil {
		t.Fatal(err)
	}
	return describeFindings(found)
}

func describeFindings[F interface{ ~[]E }, E any](found F) []string {
	out := make([]string, 0, len(found))
	for _, f := range found {
		out = append(out, fmt.Sprintf("%+v", f))
	}
	slices.Sort(out)
	return out
}

// everyRule is what gitleaks finds in fr with d, a detector of every
// default rule compiled, decoding: the reference.
func everyRule(d *detect.Detector, fr sources.Fragment) []string {
	return describeFindings(Detect(context.Background(), d, fr))
}

// referenceDetector is a detector of every default rule, decoding.
func referenceDetector(t testing.TB) *detect.Detector {
	return NewDetector(context.Background(), compiledDefaults(t), true)
}

// lazyDefaults is the default rules, compiled when needed, with budget
// bytes scanned before every rule is.
func lazyDefaults(t testing.TB, budget int64) *Rules {
	t.Helper()
	def, err := DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	r, err := LazyRules(def, "default", def)
	if err != nil {
		t.Fatal(err)
	}
	if r.full.Load() != nil {
		t.Fatal("the default rules compiled at once: they are not lazy")
	}
	r.budget = budget
	return r
}

// compiledCount is how many of r's rules have compiled.
func compiledCount(r *Rules) int {
	n := 0
	for i := range r.compiled {
		if r.compiled[i].rule.RuleID != "" || r.compiled[i].err != nil {
			n++
		}
	}
	return n
}

// lazyCorpus is real text nobody here wrote: the samples gitleaks tests
// its rules with (the string literals of its rule generators: true and
// false positives of every rule), each also base64- and hex-encoded (a
// rule's keyword is then only in what gitleaks decodes), its decoder's
// tests (encoded secrets), its testdata files, and a sample of Go's
// source tree.
func lazyCorpus(t *testing.T) []sources.Fragment {
	t.Helper()
	gl := gitleaksDir(t)
	var out []sources.Fragment
	// Each sample also in a file of a path some default rules require
	// (freemius-secret-key, hashicorp-tf-password, kubernetes-secret-yaml,
	// nuget-config-password), or that one reports whatever it holds
	// (pkcs12-file, found by its Windows path too).
	pathed := []sources.Fragment{{FilePath: "app/config.php"}, {FilePath: "infra/main.tf"}, {FilePath: "k8s/secret.yaml"},
		{FilePath: "NuGet.Config"}, {FilePath: "certs/client.p12"}, {FilePath: "certs/client.txt", WindowsFilePath: `C:\certs\client.PFX`}}
	// Every third sample also in a file larger than maxSkipCheck (see
	// mayMatch), after or before text that holds no keyword.
	pad := strings.Repeat("x := y + 1\n", maxSkipCheck/8)
	for i, s := range stringsOf(t, filepath.Join(gl, "cmd", "generate", "config", "rules")) {
		p := pathed[i%len(pathed)]
		p.Raw = s
		out = append(out, p,
			sources.Fragment{Raw: s, FilePath: "sample.txt"},
			sources.Fragment{Raw: "data = \"" + base64.StdEncoding.EncodeToString([]byte(s)) + "\"\n", FilePath: "sample.b64"},
			sources.Fragment{Raw: "data = " + hex.EncodeToString([]byte(s)) + "\n", FilePath: "sample.hex"})
		switch i % 6 {
		case 0:
			p.Raw = pad + s
			out = append(out, p)
		case 3:
			out = append(out, sources.Fragment{Raw: s + "\n" + pad, FilePath: "sample.txt"})
		}
	}
	for _, s := range codecTestInputs(t) {
		out = append(out, sources.Fragment{Raw: s, FilePath: "codec.txt"})
	}
	walkCorpus(t, filepath.Join(gl, "testdata"), 1, func(rel, content string) {
		out = append(out, sources.Fragment{Raw: content, FilePath: rel})
	})
	if !testing.Short() {
		walkCorpus(t, filepath.Join(testenv.GOROOT(t), "src"), 401, func(rel, content string) {
			out = append(out, sources.Fragment{Raw: content, FilePath: rel})
		})
	}
	return out
}

// A detector given only the rules a fragment can need, each compiled when
// first needed, finds what one with every rule compiled finds, on real
// text: before the budget is spent, after it (every rule then), and with
// the prefilter. Laziness must also save: text that holds no keyword
// compiles only the rules without one.
func TestLazyRulesFindWhatEveryRuleFinds(t *testing.T) {
	ref := referenceDetector(t)
	corpus := lazyCorpus(t)
	want := make([][]string, len(corpus))
	findings := 0
	for i, fr := range corpus {
		want[i] = everyRule(ref, fr)
		findings += len(want[i])
	}
	if findings < 600 {
		t.Fatalf("every rule finds %d secrets in %d texts: the corpus proves little", findings, len(corpus))
	}
	for _, budget := range []int64{1 << 40, 64 << 10} {
		r := lazyDefaults(t, budget)
		d := r.NewDetector(context.Background(), true)
		for i, fr := range corpus {
			for _, pre := range []bool{false, true} {
				if got := described(t, r, d, fr, pre); !slices.Equal(got, want[i]) {
					t.Fatalf("budget %d, prefilter %v, %s %.80q:\nlazy finds  %q\nevery rule %q", budget, pre, fr.FilePath, fr.Raw, got, want[i])
				}
			}
		}
		full := r.full.Load() != nil
		if full != (budget < 1<<40) {
			t.Errorf("budget %d: every rule compiled is %v", budget, full)
		}
		t.Logf("budget %d: %d texts, %d findings, %d of %d rules compiled", budget, len(corpus), findings, compiledCount(r), len(r.ids))
	}

	r := lazyDefaults(t, 1<<40)
	d := r.NewDetector(context.Background(), true)
	if got := described(t, r, d, sources.Fragment{Raw: "nothing to see here\n"}, false); len(got) != 0 {
		t.Fatalf("found %q", got)
	}
	if n, always := compiledCount(r), len(r.always.members()); n != always || n >= 10 {
		t.Errorf("a text without keywords compiled %d rules (%d have no keyword)", n, always)
	}
	key := "aws = " + testenv.AWSKey(t)
	if got := described(t, r, d, sources.Fragment{Raw: key}, false); len(got) != 1 || !strings.Contains(got[0], "aws-access-token") {
		t.Fatalf("found %q in an AWS key", got)
	}
	if n := compiledCount(r); n > 30 {
		t.Errorf("one AWS key compiled %d rules", n)
	}
}

// members lists the rules in b.
func (b bits) members() []int {
	var out []int
	for i := range len(b) * 64 {
		if b.has(i) {
			out = append(out, i)
		}
	}
	return out
}

// Detectors scanning at once, the rules compiling under them and the
// budget spent part-way, still find what every rule finds.
func TestLazyRulesConcurrent(t *testing.T) {
	cfg := compiledDefaults(t)
	corpus := lazyCorpus(t)
	if len(corpus) > 3000 {
		corpus = corpus[:3000]
	}
	r := lazyDefaults(t, 16<<10)
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := r.NewDetector(context.Background(), true)
			ref := NewDetector(context.Background(), cfg, true)
			for i := w; i < len(corpus); i += 4 {
				found, err := r.Detect(context.Background(), d, corpus[i], w%2 == 0)
				if err != nil {
					errs <- err.Error()
					return
				}
				if got, want := describeFindings(found), everyRule(ref, corpus[i]); !slices.Equal(got, want) {
					errs <- fmt.Sprintf("%s: lazy %q, every rule %q", corpus[i].FilePath, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if r.full.Load() == nil {
		t.Error("the budget was never spent")
	}
}

// A rule known to compile that does not fails the scan of every text that
// needs it (never a scan without the rule), and All. A rule not known
// (from a file) compiles at once, so its errors show before any scan, as
// do those of a configuration whose rules read each other.
func TestLazyRulesFailClosed(t *testing.T) {
	const toml = `
[[rules]]
id = "good"
regex = '''good_[0-9]{8}'''
keywords = ["good_"]

[[rules]]
id = "broken"
regex = '''broken_[0-9'''
keywords = ["broken_"]
`
	vc, err := ParseConfig("t.toml", []byte(toml))
	if err != nil {
		t.Fatal(err)
	}
	r, err := LazyRules(vc, "t.toml", vc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d := r.NewDetector(ctx, false)
	found, err := r.Detect(ctx, d, sources.Fragment{Raw: "x = good_12345678"}, false)
	if err != nil || len(found) != 1 {
		t.Fatalf("good rule: %d findings, %v", len(found), err)
	}
	if _, err := r.Detect(ctx, d, sources.Fragment{Raw: "x = broken_1"}, false); err == nil || !strings.Contains(err.Error(), "t.toml") {
		t.Errorf("a text needing the broken rule: %v", err)
	}
	if _, err := r.All(); err == nil {
		t.Error("All compiled a broken rule")
	}
	if _, err := r.Detect(ctx, d, sources.Fragment{Raw: "x = good_12345678"}, false); err == nil {
		t.Error("after All failed, a scan went on without the broken rule")
	}
	if _, err := CompileRules(vc, "t.toml"); err == nil {
		t.Error("CompileRules compiled a broken rule")
	}

	// Only "good" is known: "broken" compiles now.
	good := vc
	good.Rules = vc.Rules[:1]
	if _, err := LazyRules(vc, "t.toml", good); err == nil || !strings.Contains(err.Error(), "t.toml") {
		t.Errorf("a broken rule not known to compile loaded: %v", err)
	}
	// Every rule fixed and none known: compiled now, whole.
	fixed, err := ParseConfig("t.toml", []byte(strings.Replace(toml, "broken_[0-9'", "broken_[0-9]'", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := LazyRules(fixed, "t.toml", glconfig.ViperConfig{}); err != nil || r.full.Load() == nil || compiledCount(r) != 2 {
		t.Errorf("rules none known: %v", err)
	}

	// Rules that read each other compile whole, now.
	linked := strings.Replace(toml, `keywords = ["good_"]`, "keywords = [\"good_\"]\n[[rules.required]]\nid = \"broken\"", 1)
	vc, err = ParseConfig("t.toml", []byte(linked))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LazyRules(vc, "t.toml", vc); err == nil {
		t.Error("a composite configuration with a broken rule loaded")
	}
}

// FuzzLazyRules checks, on any text, that the rules a text can need find
// what every rule finds.
func FuzzLazyRules(f *testing.F) {
	for _, s := range []string{"aws = AKIA" + "IOSFODNN7EXAMPLE1", "api_key\n\n\n= \"" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6\"", "\\u0061ws = AKIA" + "IOSFODNN7EXAMPLE1", "token: " + "ghp_" + strings.Repeat("a1", 18), "key=" + "c2VjcmV0X2tleT1BS0lBSU9TRk9ETk43RVhBTVBMRQ==", "nothing"} {
		f.Add(s)
	}
	ref := referenceDetector(f)
	r := lazyDefaults(f, 1<<40)
	d := r.NewDetector(context.Background(), true)
	// The paths some default rules require, or report (see lazyCorpus).
	paths := []string{"f.txt", "app/config.php", "infra/main.tf", "k8s/secret.yaml", "NuGet.Config", "certs/client.p12"}
	pad := strings.Repeat("x := y + 1\n", maxSkipCheck/8)
	f.Fuzz(func(t *testing.T, raw string) {
		switch len(raw) % 3 {
		case 0:
			raw += pad // larger than maxSkipCheck: see mayMatch
		case 1:
			// Also encoded, away from itself: see decodedMayFind.
			raw += "\n" + filler(20) + "v = \"" + base64.StdEncoding.EncodeToString([]byte(raw)) + "\"\n" + filler(3)
		}
		fr := sources.Fragment{Raw: raw, FilePath: paths[len(raw)%len(paths)]}
		want := everyRule(ref, fr)
		for _, pre := range []bool{false, true} {
			if got := described(t, r, d, fr, pre); !slices.Equal(got, want) {
				t.Fatalf("prefilter %v: lazy finds %q, every rule %q", pre, got, want)
			}
		}
	})
}

// gitleaks stops at a context's end and returns what it found until then:
// Detect makes that an error, on every path to gitleaks (a small fragment,
// a large one, one it decodes), so that no caller reads a cut scan as a
// clean one.
func TestDetectCancelledIsAnError(t *testing.T) {
	secret := "GITHUB_TOKEN=" + testenv.GitHubToken(t)
	pad := strings.Repeat("x := 1 // padding\n", 400)
	r := lazyDefaults(t, 1<<40)
	live := context.Background()
	cut, cancel := context.WithCancel(live)
	cancel()
	for name, raw := range map[string]string{
		"small":   secret,
		"large":   pad + secret,
		"encoded": pad + "v := \"" + encodeStd(secret) + "\"\n",
	} {
		for _, prefilter := range []bool{false, true} {
			fr := sources.Fragment{Raw: raw, FilePath: "a.go"}
			found, err := r.Detect(live, r.NewDetector(live, false), fr, prefilter)
			if err != nil || len(found) == 0 {
				t.Fatalf("%s: %d findings, %v: the secret is not found at all", name, len(found), err)
			}
			if found, err := r.Detect(cut, r.NewDetector(live, false), fr, prefilter); !errors.Is(err, context.Canceled) {
				t.Errorf("%s, prefilter %v, context cancelled: %d findings and %v, not an error", name, prefilter, len(found), err)
			}
		}
	}
}

// Fragments that each hold a different set of keywords make a rule map
// each: those kept for reuse hold at most maxSetRules rules together, and
// none is kept once every rule is compiled.
func TestRuleSetsBounded(t *testing.T) {
	r := lazyDefaults(t, 1<<40)
	var kws []string
	for _, l := range r.keywords.lists[1:] {
		for _, a := range l {
			kws = append(kws, a.keyword)
		}
	}
	n := len(kws)
	for i := range 600 {
		var b strings.Builder
		for j, k := range kws {
			if j != i%n && j != (i/n+1+i)%n {
				b.WriteString(k + " ")
			}
		}
		// The rules Detect hands gitleaks with such a fragment.
		if _, err := r.forFragment(sources.Fragment{Raw: b.String(), FilePath: "a.txt"}, false, false, nil, noMask); err != nil {
			t.Fatal(err)
		}
	}
	r.mu.Lock()
	kept, rules := len(r.sets), r.setRules
	r.mu.Unlock()
	if kept < 10 || rules > maxSetRules {
		t.Fatalf("%d rule maps kept, %d rules in them (at most %d)", kept, rules, maxSetRules)
	}
	if f := r.compileRest(); f.err != nil {
		t.Fatal(f.err)
	}
	if r.sets != nil || r.setRules != 0 {
		t.Errorf("every rule compiled, yet %d rule maps are kept", len(r.sets))
	}
}
