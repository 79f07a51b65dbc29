package secretscan

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/secrets"
	"github.com/release-gate/release-gate/internal/testenv"
	"github.com/zricethezav/gitleaks/v8/sources"
)

// encodedFiles are files holding a key as is and encoded each way gitleaks
// decodes, next to ordinary source from Go's tree (read at test time).
func encodedFiles(t *testing.T) map[string]string {
	t.Helper()
	key := testenv.AWSKey(t)
	line := "aws_access_key_id = " + key
	var percent, unicode strings.Builder
	for i := 0; i < len(line); i++ {
		fmt.Fprintf(&percent, "%%%02X", line[i])
		fmt.Fprintf(&unicode, `\u%04x`, line[i])
	}
	goSrc, err := os.ReadFile(filepath.Join(testenv.GOROOT(t), "src", "strings", "strings.go"))
	if err != nil {
		t.Fatal(err)
	}
	// A key in a line that needs no decoding (the random key decides),
	// so that the detector without decoding finds one.
	plainLine := ""
	for i := 0; i < 1000 && plainLine == ""; i++ {
		if l := "aws_access_key_id = " + testenv.AWSKey(t) + "\n"; !secrets.NeedsDecoding(l) {
			plainLine = l
		}
	}
	if plainLine == "" {
		t.Fatal("every key drawn needs decoding")
	}
	return map[string]string{
		"plain.txt":   plainLine,
		"base64.txt":  "value: " + base64.StdEncoding.EncodeToString([]byte(line)) + "\n",
		"hex.txt":     "value: " + hex.EncodeToString([]byte(line)) + "\n",
		"percent.txt": "value: " + percent.String() + "\n",
		"unicode.txt": "value: \"" + unicode.String() + "\"\n",
		"strings.go":  string(goSrc),
		"mixed.go":    string(goSrc) + "\n// " + base64.StdEncoding.EncodeToString([]byte(line)) + "\n",
	}
}

// fileRules is each finding as "file rule", sorted.
func fileRules(fs []gates.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Pos.File+" "+f.Rule)
	}
	slices.Sort(out)
	return out
}

// The tree and diff scopes send the fragments in which gitleaks' decoder
// finds nothing to a detector that does not decode: what they report
// must be what one detector that decodes everything finds, file by file,
// and that must differ from what a detector that never decodes finds
// (or this test could not tell the two apart).
func TestScopesFindWhatADecodingDetectorFinds(t *testing.T) {
	files := encodedFiles(t)
	rs, err := loadRules(nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var decoding, plain []string
	for name, content := range files {
		on := secrets.NewDetector(ctx, everyRule(t, rs), false)
		off := secrets.NewDetector(ctx, everyRule(t, rs), false)
		off.MaxDecodeDepth = 0
		for _, f := range secrets.Detect(ctx, on, sources.Fragment{Raw: content, FilePath: name}) {
			decoding = append(decoding, name+" "+f.RuleID)
		}
		for _, f := range secrets.Detect(ctx, off, sources.Fragment{Raw: content, FilePath: name}) {
			plain = append(plain, name+" "+f.RuleID)
		}
	}
	slices.Sort(decoding)
	slices.Sort(plain)
	if len(decoding) < len(files)-1 || len(plain) >= len(decoding) {
		t.Fatalf("decoding finds %v, not decoding %v: the files do not tell them apart", decoding, plain)
	}

	everyScopeFinds(t, files, decoding)
}

// everyScopeFinds commits files and checks that each scope reports want
// (each finding as "file rule", sorted).
func everyScopeFinds(t *testing.T, files map[string]string, want []string) {
	t.Helper()
	r := newRepo(t)
	base := r.commit("empty", nil)
	head := r.commit("files", files)
	for _, scope := range []string{"tree", "diff", "history"} {
		res := scan(t, r.dir, "scope: "+scope, gates.Event{Base: base, Head: head})
		if got := fileRules(res.Findings); !slices.Equal(got, want) {
			t.Errorf("scope %s: findings %v (status %s, err %q), want %v", scope, got, res.Status, res.Err, want)
		}
	}
}

// The tree scope drops, for a fragment, the rules whose expression cannot
// match it (secrets.Prefilter): files with a Vault token, a JWT and a
// generic key (in lines that need no decoding, so that the dropping path
// runs) must report what one detector with every rule finds, in every
// scope.
func TestScopesFindWhatEveryRuleFinds(t *testing.T) {
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	plainLine := func(make func() string) string {
		for range 1000 {
			if l := make(); !secrets.NeedsDecoding(l) {
				return l
			}
		}
		t.Fatal("every line drawn needs decoding")
		return ""
	}
	// The rule wants an entropy of 3.5 from the 24 characters; a random
	// draw falls below it now and then, and is drawn again.
	vault := plainLine(func() string {
		for {
			if v := testenv.Random(t, alnum, 22) + "7q"; entropy(v) >= 3.8 {
				return "VAULT_TOKEN=s." + v + "\n"
			}
		}
	})
	jwt := plainLine(func() string {
		return "token: ey" + testenv.Random(t, alnum, 30) + ".ey" + testenv.Random(t, alnum, 40) + "." + testenv.Random(t, alnum, 20) + "\n"
	})
	goSrc, err := os.ReadFile(filepath.Join(testenv.GOROOT(t), "src", "net", "http", "server.go"))
	if err != nil {
		t.Fatal(err)
	}
	generic := plainLine(func() string { return "api_key = \"" + genericSecret(t) + "\"\n" })
	files := map[string]string{"vault.txt": vault, "jwt.txt": jwt, "generic.txt": generic, "server.go": string(goSrc), "both.go": string(goSrc) + "\n// " + vault + "// " + jwt}
	rs, err := loadRules(nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var want []string
	for name, content := range files {
		d := secrets.NewDetector(ctx, everyRule(t, rs), false)
		for _, f := range secrets.Detect(ctx, d, sources.Fragment{Raw: content, FilePath: name}) {
			want = append(want, name+" "+f.RuleID)
		}
	}
	slices.Sort(want)
	for _, rule := range []string{"jwt", "vault-service-token", "generic-api-key"} {
		if !strings.Contains(strings.Join(want, "\n"), rule) {
			t.Fatalf("one detector finds %v: no %s, the test proves nothing", want, rule)
		}
	}
	everyScopeFinds(t, files, want)
}

// entropy is the Shannon entropy of s in bits per byte, as gitleaks
// measures a secret.
func entropy(s string) float64 {
	counts := map[rune]int{}
	for _, r := range s {
		counts[r]++
	}
	var h float64
	for _, n := range counts {
		p := float64(n) / float64(len(s))
		h -= p * math.Log2(p)
	}
	return h
}
