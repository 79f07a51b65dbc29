package httpsafe

import "testing"

func TestCutSecrets(t *testing.T) {
	secret := `tok"en\with/odd chars`
	for in, want := range map[string]string{
		"plain " + secret + " end":                     "plain *** end",
		`json {"error":"bad tok\"en\\with/odd chars"}`: `json {"error":"bad ***"}`,
		`query ?t=tok%22en%5Cwith%2Fodd+chars&x=1`:     `query ?t=***&x=1`,
		`path /tok%22en%5Cwith%2Fodd%20chars/`:         `path /***/`,
		"untouched: tok, en, with":                     "untouched: tok, en, with",
		"two: Bearer abc123xyz and abc123xyz and abc":  "two: Bearer *** and *** and abc",
	} {
		if got := CutSecrets(in, secret, "abc123xyz", "abc"); got != want {
			t.Errorf("CutSecrets(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLongestForm(t *testing.T) {
	for _, c := range []struct {
		secrets []string
		want    int
	}{
		{nil, 0},
		{[]string{"abc"}, 0}, // too short to be cut
		{[]string{"abcd", "abcdef"}, 6},
		{[]string{"+/+/"}, len("%2B%2F%2B%2F")},
		{[]string{"a\x01bc"}, len(`a\u0001bc`)},
	} {
		if got := LongestForm(c.secrets...); got != c.want {
			t.Errorf("LongestForm(%q) = %d, want %d", c.secrets, got, c.want)
		}
		for _, s := range c.secrets {
			for _, f := range secretForms(s) {
				if len(s) >= minSecret && CutSecrets(f, c.secrets...) != "***" {
					t.Errorf("form %q of %q is not cut", f, s)
				}
			}
		}
	}
}
