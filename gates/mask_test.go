package gates

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
)

func TestMaskerRedactsEscapedForms(t *testing.T) {
	secret := `p"a\ss/w+rd é` + "\t" + `x`
	var added []string
	m := &Masker{OnAdd: func(s string) { added = append(added, s) }}
	m.Add(secret)
	j, _ := json.Marshal(map[string]string{"password": secret})
	for _, text := range []string{
		"got " + secret,
		fmt.Sprintf("parsing %q: invalid", secret),
		"answer: " + string(j),
		"GET https://h/x?token=" + url.QueryEscape(secret),
		"GET https://h/" + url.PathEscape(secret),
	} {
		got := m.Redact(text)
		if !strings.Contains(got, "***") || strings.Contains(got, "w+rd") || strings.Contains(got, "w%2Brd") {
			t.Errorf("Redact(%q) = %q", text, got)
		}
	}
	if len(added) < 2 || added[0] != secret {
		t.Errorf("masks written: %q", added)
	}
}

// Each secret is kept once, however many are registered, and a secret
// that holds or overlaps another is masked whole, in whatever order they
// came, whether Redact looks for them one by one or all at once.
func TestMaskerOverlapping(t *testing.T) {
	var m Masker
	rng := rand.New(rand.NewPCG(7, 8))
	want := map[string]bool{}
	for range 3000 {
		s := strings.Repeat("k", 4+rng.IntN(40)) + strconv.Itoa(rng.IntN(500))
		m.Add(s)
		want[s] = true
	}
	if len(m.secrets) != len(want) {
		t.Fatalf("%d masks kept for %d distinct secrets", len(m.secrets), len(want))
	}
	for _, many := range []bool{false, true} {
		var o Masker
		o.Add("sec1-abcd")
		o.Add("abcd-wxyz")
		o.Add("sec1-abcd-and-more")
		for i := 0; many && i <= maxPlainMasks; i++ {
			o.Add(fmt.Sprintf("other-%d", i))
		}
		if _, finder := o.lookup(); (finder != nil) != many {
			t.Fatalf("%d secrets: finder %v", len(o.secrets), finder != nil)
		}
		for text, want := range map[string]string{
			"x sec1-abcd-and-more y": "x *** y",
			"x sec1-abcd-wxyz y":     "x *** y",
			"sec1-abcdsec1-abcd!":    "***!",
			"x sec2-abcd y":          "x sec2-abcd y",
		} {
			if got := o.Redact(text); got != want {
				t.Errorf("%d secrets: Redact(%q) = %q, want %q", len(o.secrets), text, got, want)
			}
		}
	}
}

// Both ways of looking for the secrets hide exactly the bytes some secret
// covers, on random texts of few letters (so that secrets overlap, nest
// and repeat), checked against marking each place byte by byte.
func TestMaskerRedactsEveryPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "ab\n-"[rng.IntN(4)]
		}
		return string(b)
	}
	for range 3000 {
		var secrets []string
		for range 1 + rng.IntN(3*maxPlainMasks) {
			if s := word(minMaskLen + rng.IntN(6)); !slices.Contains(secrets, s) {
				secrets = append(secrets, s)
			}
		}
		checkRedact(t, word(rng.IntN(200)), secrets)
	}
}

// checkRedact holds redact, with and without a finder, to hiding exactly
// the bytes some secret covers, each run of them as one ***.
func checkRedact(t *testing.T, text string, secrets []string) {
	t.Helper()
	covered := make([]bool, len(text))
	for i := range text {
		for _, s := range secrets {
			if strings.HasPrefix(text[i:], s) {
				for j := range len(s) {
					covered[i+j] = true
				}
			}
		}
	}
	var want strings.Builder
	for i := 0; i < len(text); i++ {
		if !covered[i] {
			want.WriteByte(text[i])
			continue
		}
		want.WriteString("***")
		for i+1 < len(text) && covered[i+1] {
			i++
		}
	}
	for _, f := range []*ahocorasick.AhoCorasick{nil, newFinder(secrets)} {
		if got := redact(text, secrets, f); got != want.String() {
			t.Fatalf("secrets %q, finder %v:\n text %q\n got  %q\n want %q", secrets, f != nil, text, got, want.String())
		}
	}
}

func FuzzMaskerRedact(f *testing.F) {
	f.Add("sec1-abcd-wxyz sec1-abcd", "sec1-abcd\x00abcd-wxyz")
	f.Add("aaaaaaaa", "aaaa\x00aaaaa")
	f.Fuzz(func(t *testing.T, text, list string) {
		var secrets []string
		for _, s := range strings.Split(list, "\x00") {
			if len(s) >= minMaskLen && !slices.Contains(secrets, s) {
				secrets = append(secrets, s)
			}
		}
		if len(secrets) == 0 || len(text) > 4096 || len(secrets) > 64 {
			return
		}
		checkRedact(t, text, secrets)
	})
}

// A change that names thousands of files after keys gets a report in
// which each is masked, in every text that holds it, whenever it came.
func TestMaskerThousandsOfSecrets(t *testing.T) {
	var m Masker
	rng := rand.New(rand.NewPCG(3, 4))
	r := Result{Name: "secret-scan", Status: StatusFail}
	var keys []string
	for i := range 5000 {
		key := fmt.Sprintf("AKIA%016X", rng.Uint64())
		keys = append(keys, key)
		m.Add(key)
		if i%1000 == 999 {
			// A report written while the scan goes on: the secrets that
			// come after it are masked too.
			if got := m.Redact("last: " + key); got != "last: ***" {
				t.Fatalf("Redact = %q", got)
			}
		}
		r.Findings = append(r.Findings, Finding{
			Rule:    "aws-access-token",
			Message: fmt.Sprintf("file %d is named after a key: %s", i, key),
			Pos:     Pos{File: "keys/" + key + ".txt"},
			Within:  []string{"within/" + key + ".yaml"},
		})
	}
	got := m.RedactResult(r)
	for i, f := range got.Findings {
		if strings.Contains(f.Message, keys[i]) || strings.Contains(f.Pos.File, keys[i]) || f.Pos.File != "keys/***.txt" {
			t.Fatalf("finding %d shows its key: %q %q", i, f.Message, f.Pos.File)
		}
		if len(f.Within) != 1 || f.Within[0] != "within/***.yaml" || r.Findings[i].Within[0] == f.Within[0] {
			t.Fatalf("finding %d: within %q (the result's own %q)", i, f.Within, r.Findings[i].Within)
		}
	}
}
