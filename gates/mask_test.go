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

// Masks are kept longest first, those as long in the order they came, each
// once, however many are registered and in whatever order: a secret that
// holds another is masked whole.
func TestMaskerOrder(t *testing.T) {
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
	if !slices.IsSortedFunc(m.secrets, func(a, b string) int { return len(b) - len(a) }) {
		t.Fatal("masks not longest first")
	}
	var o Masker
	o.Add("sec1-abcd")
	o.Add("sec2-abcd")
	o.Add("sec1-abcd-and-more")
	if !slices.Equal(o.secrets, []string{"sec1-abcd-and-more", "sec1-abcd", "sec2-abcd"}) {
		t.Errorf("masks %q", o.secrets)
	}
	if got := o.Redact("x sec1-abcd-and-more y"); got != "x *** y" {
		t.Errorf("Redact = %q", got)
	}
}
