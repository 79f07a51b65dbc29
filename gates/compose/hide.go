package compose

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/compose-spec/compose-go/v2/types"
)

// minHiddenValue is the shortest variable value hideValues replaces:
// shorter ones ("1", "on") are not secrets, and replacing them would
// garble messages.
const minHiddenValue = 4

// minHiddenPart is the shortest part of a value hideValues replaces when a
// message quotes only part of it: libraries quote what they could not
// parse, which may be a piece of the value (go-units quotes a size's
// number up to its last digit).
const minHiddenPart = 6

// hideValues replaces in msg every value of vars (from the environment or
// a .env file: either may hold a secret) by the variable's name, ${NAME}.
// compose-go quotes a value it cannot use ("strconv.ParseFloat: parsing
// \"<value>\""), Go's way or JSON's, whole or in part: a value holding a
// quote, a backslash or a control character is written escaped there, and
// its escaped forms are replaced too, as are the first or last
// minHiddenPart or more characters of a value or of its escaped forms.
// To hide many messages with the same variables, make one valueHider.
func hideValues(msg string, vars types.Mapping) string {
	return newValueHider(vars).hide(msg)
}

// A valueHider hides the values of a set of variables in messages, as
// hideValues does. Making one costs about the size of the values; hiding
// a message then costs about its length for each value whose first or
// last minHiddenPart bytes it holds, however many variables there are (a
// .env file may set thousands, and a project may have thousands of
// findings). A message that would cost more than maxHideWork is not shown
// at all (see hide).
type valueHider struct {
	forms []hiddenForm
	// ends indexes the forms of at least minHiddenPart bytes by their
	// first and by their last minHiddenPart bytes: a form is only ever
	// hidden from its start or up to its end, so a message holding
	// neither holds nothing of it to hide. short indexes the shorter
	// forms whole, as only whole ones are hidden.
	ends, short map[string][]int
}

// hiddenForm is one way a value may be written: as it is, or escaped.
type hiddenForm struct {
	name, text string
}

func newValueHider(vars types.Mapping) *valueHider {
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
	h := &valueHider{ends: map[string][]int{}, short: map[string][]int{}}
	for _, name := range names {
		for _, f := range valueForms(vars[name]) {
			id := len(h.forms)
			h.forms = append(h.forms, hiddenForm{name: name, text: f})
			if len(f) < minHiddenPart {
				h.short[f] = append(h.short[f], id)
				continue
			}
			first, last := f[:minHiddenPart], f[len(f)-minHiddenPart:]
			h.ends[first] = append(h.ends[first], id)
			if last != first {
				h.ends[last] = append(h.ends[last], id)
			}
		}
	}
	return h
}

// maxHideWork bounds the bytes hide compares for one message: about a
// second. Only a message that shares the start or end of thousands of
// values, built so by the .env of a change, comes near it.
const maxHideWork = 1 << 28

// hide returns msg with the values hidden, or, when that would cost more
// than maxHideWork, a note that it is not shown: a value is never shown
// because hiding it would take too long.
func (h *valueHider) hide(msg string) string {
	if len(h.forms) == 0 {
		return msg
	}
	// The forms msg may hold part of, in the order of h.forms: the first
	// to claim a byte names it. Each run of bytes is looked up once, as a
	// message may repeat one that thousands of forms share.
	seen, looked := map[int]bool{}, map[string]bool{}
	var cands []int
	work := 0
	add := func(index map[string][]int, key string) {
		if looked[key] {
			return
		}
		looked[key] = true
		for _, id := range index[key] {
			if !seen[id] {
				seen[id] = true
				cands = append(cands, id)
				work += 2 * (len(msg) + len(h.forms[id].text))
			}
		}
	}
	for i := range len(msg) {
		if i+minHiddenPart <= len(msg) {
			add(h.ends, msg[i:i+minHiddenPart])
		}
		for n := minHiddenValue; n < minHiddenPart && i+n <= len(msg); n++ {
			add(h.short, msg[i:i+n])
		}
	}
	if len(cands) == 0 {
		return msg
	}
	if work > maxHideWork {
		return fmt.Sprintf("(not shown: the message, %d bytes, shares the start or end of %d variable values, too many to hide them in it one by one)", len(msg), len(cands))
	}
	slices.Sort(cands)
	hidden := make([]string, len(msg)) // the variable hiding each byte
	for _, id := range cands {
		markParts(msg, h.forms[id].text, h.forms[id].name, hidden)
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

// markParts marks in hidden, with name, the bytes of msg that hold form
// whole, or at least minHiddenPart bytes of its start or of its end (what
// a parser quotes when it gives up on part of a value: go-units quotes a
// size's number, or its unit). Runs are widened to whole UTF-8 characters;
// bytes already marked keep their name. A piece from the middle of a value
// is left: the text around it would be hidden far more often than a
// secret.
//
// It costs O(len(msg) + len(form)): the longest start of form at each
// place of msg, and the longest end of form ending at each place, come
// from the Z-algorithm (matchLengths), not from comparing at every pair of
// places.
func markParts(msg, form, name string, hidden []string) {
	// cover[x] > 0: byte x of msg is in a run to hide.
	cover := make([]int, len(msg)+1)
	mark := func(start, end int) {
		cover[start]++
		cover[end]--
	}
	if len(form) < minHiddenPart {
		for i := 0; i+len(form) <= len(msg); {
			j := strings.Index(msg[i:], form)
			if j < 0 {
				break
			}
			mark(i+j, i+j+len(form))
			i += j + 1
		}
	} else {
		for i, k := range matchLengths(msg, form) {
			if k >= minHiddenPart {
				mark(i, i+k)
			}
		}
		// The ends of form, matched backwards from each place of msg.
		n := len(msg)
		for i, k := range matchLengths(reverse(msg), reverse(form)) {
			if k >= minHiddenPart {
				mark(n-i-k, n-i)
			}
		}
	}
	covered := make([]bool, len(msg))
	for x, depth := 0, 0; x < len(msg); x++ {
		depth += cover[x]
		covered[x] = depth > 0
	}
	for x := 0; x < len(msg); x++ {
		if !covered[x] {
			continue
		}
		start, end := x, x
		for end < len(msg) && covered[end] {
			end++
		}
		x = end
		for start > 0 && !utf8.RuneStart(msg[start]) {
			start--
		}
		for end < len(msg) && !utf8.RuneStart(msg[end]) {
			end++
		}
		for y := start; y < end; y++ {
			if hidden[y] == "" {
				hidden[y] = name
			}
		}
	}
}

// matchLengths returns, for each place i of text, the length of the
// longest common prefix of text[i:] and pattern (the Z-algorithm run over
// text with pattern's own Z-array: linear in both).
func matchLengths(text, pattern string) []int {
	z := make([]int, len(pattern))
	z[0] = len(pattern)
	for i, l, r := 1, 0, 0; i < len(pattern); i++ {
		if i < r {
			z[i] = min(r-i, z[i-l])
		}
		for i+z[i] < len(pattern) && pattern[z[i]] == pattern[i+z[i]] {
			z[i]++
		}
		if i+z[i] > r {
			l, r = i, i+z[i]
		}
	}
	out := make([]int, len(text))
	for i, l, r := 0, 0, 0; i < len(text); i++ {
		k := 0
		if i < r {
			k = min(r-i, z[i-l])
		}
		for i+k < len(text) && k < len(pattern) && text[i+k] == pattern[k] {
			k++
		}
		out[i] = k
		if i+k > r {
			l, r = i, i+k
		}
	}
	return out
}

// reverse returns s with its bytes in reverse order.
func reverse(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	return string(b)
}

// valueForms is v as it is, and as it appears between the quotes of
// strconv.Quote, strconv.QuoteToASCII and a JSON string, when those differ.
func valueForms(v string) []string {
	out := []string{v}
	add := func(quoted string) {
		inner := quoted[1 : len(quoted)-1]
		if !slices.Contains(out, inner) {
			out = append(out, inner)
		}
	}
	add(strconv.Quote(v))
	add(strconv.QuoteToASCII(v))
	if j, err := json.Marshal(v); err == nil {
		add(string(j))
	}
	return out
}
