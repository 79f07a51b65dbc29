package compose

import (
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/compose-spec/compose-go/v2/types"
)

// referenceHideValues is hideValues as first written: every form of every
// value, compared at every pair of places of the message and the form.
// Obviously right and cubic; valueHider must answer exactly as it does.
func referenceHideValues(msg string, vars types.Mapping) string {
	names := make([]string, 0, len(vars))
	for name, v := range vars {
		if len(v) >= minHiddenValue {
			names = append(names, name)
		}
	}
	// Longest values first, so that one holding another is named for it.
	sort.Slice(names, func(i, j int) bool {
		if a, b := len(vars[names[i]]), len(vars[names[j]]); a != b {
			return a > b
		}
		return names[i] < names[j]
	})
	// Every run of minHiddenPart bytes in msg, to skip the forms that
	// share none with it at once.
	grams := map[string]bool{}
	for i := 0; i+minHiddenPart <= len(msg); i++ {
		grams[msg[i:i+minHiddenPart]] = true
	}
	shares := func(f string) bool {
		if len(f) < minHiddenPart {
			return strings.Contains(msg, f)
		}
		for j := 0; j+minHiddenPart <= len(f); j++ {
			if grams[f[j:j+minHiddenPart]] {
				return true
			}
		}
		return false
	}
	hidden := make([]string, len(msg)) // the variable hiding each byte
	for _, name := range names {
		for _, f := range valueForms(vars[name]) {
			if shares(f) {
				referenceMarkParts(msg, f, name, hidden)
			}
		}
	}
	var b strings.Builder
	for i := 0; i < len(msg); {
		name := hidden[i]
		if name == "" {
			b.WriteByte(msg[i])
			i++
			continue
		}
		for i < len(msg) && hidden[i] == name {
			i++
		}
		b.WriteString("${" + name + "}")
	}
	return b.String()
}

// referenceMarkParts is markParts compared at every pair of places.
func referenceMarkParts(msg, form, name string, hidden []string) {
	for i := 0; i < len(msg); i++ {
		longest := 0
		for j := 0; j < len(form); j++ {
			k := 0
			for i+k < len(msg) && j+k < len(form) && msg[i+k] == form[j+k] {
				k++
			}
			if (j == 0 || j+k == len(form)) && (k >= minHiddenPart || k == len(form)) {
				longest = max(longest, k)
			}
		}
		if longest == 0 {
			continue
		}
		start, end := i, i+longest
		for start > 0 && !utf8.RuneStart(msg[start]) {
			start--
		}
		for end < len(msg) && !utf8.RuneStart(msg[end]) {
			end++
		}
		for x := start; x < end; x++ {
			if hidden[x] == "" {
				hidden[x] = name
			}
		}
	}
}

// hideAlphabet makes partial and overlapping matches likely: few letters,
// the bytes Go and JSON escape, and multi-byte characters.
var hideAlphabet = []string{"a", "b", "c", `"`, `\`, "\t", "\x01", "é", "€", "\xff", "${", "}"}

func randomText(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(hideAlphabet[r.IntN(len(hideAlphabet))])
	}
	return b.String()
}

func TestValueHiderAsReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 3000 {
		vars := types.Mapping{}
		values := make([]string, 0, 6)
		for v := range 1 + r.IntN(6) {
			value := randomText(r, 2+r.IntN(14))
			vars[string(rune('A'+v))] = value
			values = append(values, value)
		}
		h := newValueHider(vars)
		for range 5 {
			// A message built of pieces of the values and noise.
			var b strings.Builder
			for range 1 + r.IntN(6) {
				if r.IntN(3) == 0 {
					b.WriteString(randomText(r, r.IntN(8)))
					continue
				}
				v := values[r.IntN(len(values))]
				if r.IntN(2) == 0 {
					v = strings.Trim(strconvQuote(v, r.IntN(3)), `"`)
				}
				i, j := r.IntN(len(v)+1), r.IntN(len(v)+1)
				if i > j {
					i, j = j, i
				}
				if r.IntN(2) == 0 {
					i, j = 0, len(v)
				}
				b.WriteString(v[i:j])
			}
			msg := b.String()
			if got, want := h.hide(msg), referenceHideValues(msg, vars); got != want {
				t.Fatalf("round %d: vars %q\nmessage %q\nhidden  %q\nwant    %q", round, vars, msg, got, want)
			}
		}
	}
}

// strconvQuote is v in one of the forms valueForms lists.
func strconvQuote(v string, which int) string {
	forms := valueForms(v)
	return `"` + forms[which%len(forms)] + `"`
}

// A .env file of thousands of variables and a project of thousands of
// findings: every message is hidden as the reference hides it, and the
// variables are indexed once.
func TestValueHiderManyVariables(t *testing.T) {
	vars := types.Mapping{}
	r := rand.New(rand.NewPCG(3, 4))
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	for i := range 5000 {
		var b strings.Builder
		for range 12 + r.IntN(20) {
			b.WriteByte(letters[r.IntN(len(letters))])
		}
		vars["VAR_"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+strconv.Itoa(i)] = b.String()
	}
	names := make([]string, 0, len(vars))
	for name := range vars {
		names = append(names, name)
	}
	sort.Strings(names)
	h := newValueHider(vars)
	for i := range 200 {
		v := vars[names[(i*37)%len(names)]]
		msg := "service api-" + strconv.Itoa(i) + `: parsing "` + v[:len(v)-2] + `": invalid syntax; its end ` + v[3:]
		got := h.hide(msg)
		if strings.Contains(got, v[:minHiddenPart]) || strings.Contains(got, v[len(v)-minHiddenPart:]) {
			t.Fatalf("a value is shown: %q", got)
		}
		if i%20 == 0 {
			if want := referenceHideValues(msg, vars); got != want {
				t.Fatalf("hidden %q, want %q", got, want)
			}
		}
	}
}

func FuzzHideValues(f *testing.F) {
	f.Add(`parsing "k3y-\"quoted\"-and\\slashed": invalid`, `k3y-"quoted"-and\slashed`, "12345678abcdefgh")
	f.Add("aaaaaaaaaaaa", "aaaaaaa", "aaaa")
	f.Add("x€€€€€€y", "€€€€", "\xff\xffabcdef")
	f.Fuzz(func(t *testing.T, msg, a, b string) {
		vars := types.Mapping{"A": a, "B": b}
		got, want := hideValues(msg, vars), referenceHideValues(msg, vars)
		if got != want {
			t.Fatalf("hidden %q, want %q", got, want)
		}
		if !utf8.ValidString(msg) {
			return
		}
		if !utf8.ValidString(got) {
			t.Fatalf("hiding a valid message made it invalid UTF-8: %q", got)
		}
	})
}

// A .env of values that all start and end alike, and a long message
// holding those starts and ends: hiding each value in it would compare
// the message once per value. Past maxHideWork the message is not shown
// at all, so that no value is shown either.
func TestValueHiderTooMuchWork(t *testing.T) {
	vars := types.Mapping{}
	const values = 2000
	for i := range values {
		vars["V"+strconv.Itoa(i)] = "aaaaaa" + strconv.Itoa(i) + "-secret-zzzzzz"
	}
	msg := strings.Repeat("aaaaaa zzzzzz ", 5000) + "aaaaaa1234-secret-zzzzzz"
	if work := 2 * values * len(msg); work <= maxHideWork {
		t.Fatalf("the message costs %d, not past maxHideWork", work)
	}
	got := newValueHider(vars).hide(msg)
	if strings.Contains(got, "secret") || !strings.HasPrefix(got, "(not shown: the message, 70024 bytes, shares the start or end of ") {
		t.Errorf("hidden: %.200q", got)
	}
	// Under the bound, the same values are hidden one by one.
	short := "parsing aaaaaa1234-secret-zzzzzz: invalid"
	if got, want := newValueHider(vars).hide(short), referenceHideValues(short, vars); got != want || strings.Contains(got, "secret") {
		t.Errorf("hidden %q, want %q", got, want)
	}
}
