package gates

import (
	"encoding/json"
	"fmt"
	"net/url"
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
