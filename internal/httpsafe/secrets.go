package httpsafe

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// minSecret is the shortest value CutSecrets cuts: shorter ones are not
// secrets worth garbling a message for (the same floor as the final
// redaction's).
const minSecret = 4

// CutSecrets replaces with *** every secret in text that a server's answer
// may echo, and the forms it takes there: as it is, escaped in a JSON or Go
// string, and URL-encoded. Gates apply it to an answer they quote before
// they cut it short: the final redaction of every report knows a secret
// only whole and as it is, so a half left by a cut, or an escaped form,
// would go through.
func CutSecrets(text string, secrets ...string) string {
	var forms []string
	for _, s := range secrets {
		if len(s) < minSecret {
			continue
		}
		for _, f := range secretForms(s) {
			if !slices.Contains(forms, f) {
				forms = append(forms, f)
			}
		}
	}
	// Longest first, so that a secret holding another is cut whole.
	slices.SortStableFunc(forms, func(a, b string) int { return len(b) - len(a) })
	for _, f := range forms {
		text = strings.ReplaceAll(text, f, "***")
	}
	return text
}

// LongestForm is the length of the longest text CutSecrets cuts for
// secrets: an escaped form may be several times as long as the secret (a
// URL-encoded + is %2B). A reader that stops partway through an answer
// must read this much further for a secret across the stop to be cut
// whole.
func LongestForm(secrets ...string) int {
	n := 0
	for _, s := range secrets {
		if len(s) < minSecret {
			continue
		}
		for _, f := range secretForms(s) {
			n = max(n, len(f))
		}
	}
	return n
}

// secretForms is s as it is and as an answer may write it.
func secretForms(s string) []string {
	out := []string{s}
	add := func(f string) {
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	inner := func(quoted string) string { return quoted[1 : len(quoted)-1] }
	if j, err := json.Marshal(s); err == nil {
		add(inner(string(j)))
	}
	add(inner(strconv.Quote(s)))
	add(url.QueryEscape(s))
	add(url.PathEscape(s))
	return out
}
