package secrets

import (
	"strings"

	glconfig "github.com/zricethezav/gitleaks/v8/config"
)

// gitleaks hands a fragment to a rule's regular expression whenever one
// of the rule's keywords is in it. Two of the default rules have keywords
// that nearly every source file holds ("s." for vault-service-token, "ey"
// for jwt) and, on Go's source tree, take 29 % of the time spent in rule
// expressions (generic-api-key 38 %, every other rule 2 % or less). A
// check in Go of what their expression cannot match without tells most
// fragments apart far faster. Two more (twilio-api-key, private-key) have
// keywords that most commits' signatures hold; their checks let the log
// scopes leave such a fragment out of gitleaks altogether (see
// Rules.Detect). Each check is a necessary condition: when it
// fails, the rule's expression finds nothing in the text. The checks hold
// only for the text itself, not for what gitleaks decodes from it (see
// NeedsDecoding), and only for a rule whose expression is exactly the
// default one.

// The checks run on every fragment the rules are not ruled out for by
// keyword, whole files in the tree scope, so they look for their literal
// with strings.Index (vectorised) and read byte classes from tables: on Go's
// source tree that took the five checks from 1.2 to 0.5 s of CPU, about 5 %
// of the scan.

// ruleCheck is a necessary condition for a rule's expression to match.
type ruleCheck struct {
	id, regex string
	possible  func(raw string) bool
}

// ruleChecks are the rules with a check, by id and exact expression.
var ruleChecks = []ruleCheck{
	{
		id:       "vault-service-token",
		regex:    `\b((?:hvs\.[\w-]{90,120}|s\.(?i:[a-z0-9]{24})))(?:[\x60'"\s;]|\\[nr]|$)`,
		possible: vaultPossible,
	},
	{
		id:       "generic-api-key",
		regex:    `(?i)[\w.-]{0,50}?(?:access|auth|(?-i:[Aa]pi|API)|credential|creds|key|passw(?:or)?d|secret|token)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}([\w.=-]{10,150}|[a-z0-9][a-z0-9+/]{11,}={0,3})(?:[\x60'"\s;]|\\[nr]|$)`,
		possible: genericPossible,
	},
	{
		id:       "jwt",
		regex:    `\b(ey[a-zA-Z0-9]{17,}\.ey[a-zA-Z0-9\/\\_-]{17,}\.(?:[a-zA-Z0-9\/\\_-]{10,}={0,2})?)(?:[\x60'"\s;]|\\[nr]|$)`,
		possible: jwtPossible,
	},
	{
		// Its keyword, "sk", is in most base64 (a commit's signature)
		// and in many words.
		id:       "twilio-api-key",
		regex:    `SK[0-9a-fA-F]{32}`,
		possible: twilioPossible,
	},
	{
		// Its keyword, "-----begin", is in every signed commit
		// ("-----BEGIN PGP SIGNATURE-----").
		id:       "private-key",
		regex:    `(?i)-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\s\S-]{64,}?KEY(?: BLOCK)?-----`,
		possible: privateKeyPossible,
	},
}

// Prefilter tells, for a text, which of a configuration's checked rules
// cannot match it.
type Prefilter struct {
	checks []ruleCheck // those whose rule cfg holds with the default expression
}

// NewPrefilter is the prefilter of cfg's rules: a rule is checked only
// when cfg holds it with the default expression and no rule requires
// another (a composite rule reads other rules' matches).
func NewPrefilter(cfg glconfig.Config) *Prefilter {
	p := &Prefilter{}
	for _, r := range cfg.Rules {
		if len(r.RequiredRules) > 0 {
			return p
		}
	}
	for _, c := range ruleChecks {
		if r, ok := cfg.Rules[c.id]; ok && r.Regex != nil && r.Regex.String() == c.regex && r.Path == nil {
			p.checks = append(p.checks, c)
		}
	}
	return p
}

// Impossible returns the checked rules that cannot match raw, bit i for
// the i-th (as many bits as p checks rules).
func (p *Prefilter) Impossible(raw string) uint {
	var mask uint
	for i, c := range p.checks {
		if !c.possible(raw) {
			mask |= 1 << i
		}
	}
	return mask
}

// Without is cfg without the checked rules mask names. The rules are
// shared, not copied.
func (p *Prefilter) Without(cfg glconfig.Config, mask uint) glconfig.Config {
	out := cfg
	out.Rules = make(map[string]glconfig.Rule, len(cfg.Rules))
	for id, r := range cfg.Rules {
		out.Rules[id] = r
	}
	for i, c := range p.checks {
		if mask&(1<<i) != 0 {
			delete(out.Rules, c.id)
		}
	}
	return out
}

// vaultPossible: the expression needs "hvs." or "s." then 24 letters or
// digits ((?i) folds to two non-ASCII letters too, so any byte from 0x80
// counts, and a rune of several bytes only makes the run longer).
func vaultPossible(raw string) bool {
	for i := 0; ; i++ {
		k := strings.Index(raw[i:], "s.")
		if k < 0 {
			return false
		}
		i += k
		if i >= 2 && raw[i-2] == 'h' && raw[i-1] == 'v' {
			return true
		}
		n := 0
		for j := i + 2; j < len(raw) && n < 24 && (isAlnum(raw[j]) || raw[j] >= 0x80); j++ {
			n++
		}
		if n >= 24 {
			return true
		}
	}
}

// jwtPossible: the expression needs 19 letters or digits ("ey" and 17
// more) before ".ey" and 17 of [a-zA-Z0-9/\_-] after it.
func jwtPossible(raw string) bool {
	for i := 19; i < len(raw); i++ {
		k := strings.Index(raw[i:], ".ey")
		if k < 0 {
			return false
		}
		i += k
		before := true
		for j := i - 19; j < i; j++ {
			if !isAlnum(raw[j]) {
				before = false
				break
			}
		}
		if !before {
			continue
		}
		n := 0
		for j := i + 3; j < len(raw) && n < 17; j++ {
			c := raw[j]
			if !isAlnum(c) && c != '/' && c != '\\' && c != '_' && c != '-' {
				break
			}
			n++
		}
		if n >= 17 {
			return true
		}
	}
	return false
}

// genericPossible: the expression needs a keyword, then at most 23
// characters of [ \t\w.'"-] and white space, an operator (= > : | ? or
// ,), at most 8 more of the operator's and [\x60'"\s=], a value (10 of
// [\w.=-], or 12 of [a-z0-9+/] then at most three =) and, right after the
// value, one of [\x60'"\s;], \n, \r or the end. Under (?i) two non-ASCII
// letters fold to k and s: any byte from 0x80 counts as a letter, and the
// keyword is looked for in the text lowercased with ſ read as s.
func genericPossible(raw string) bool {
	g := genericScan{raw: raw}
	return g.possible()
}

// genericScan is genericPossible over one text. It keeps the last run of
// each value class it read, so that the operators of a long run (every =
// is one, and a value character too) do not each read the run again: the
// bytes read stay within a few times the text's length (read counts them;
// TestGenericPossibleReadsLinearly holds it there), where reading each
// run from each operator took seconds on 100 kB of =.
type genericScan struct {
	raw       string
	word, b64 span // the last run of [\w.=-] and of [a-z0-9+/] found
	read      int  // bytes read by runEnd
}

// span is the bytes [start, end) of a text.
type span struct{ start, end int }

func (g *genericScan) possible() bool {
	for o := 0; o < len(g.raw); o++ {
		if genericClass[g.raw[o]]&gcOperator == 0 {
			continue
		}
		if g.valueAfter(o) && genericKeywordBefore(g.raw, o) {
			return true
		}
	}
	return false
}

// runEnd is where the run of class that starts at s ends (s itself when
// raw[s] is not of class): last's end when s is in last, the run of class
// read last. A run is read again only from a start before last's, at
// most 9 bytes back (valueAfter's starts are within 9 of an operator, and
// the operators come in order), so the bytes read are linear in the text.
func (g *genericScan) runEnd(s int, class uint8, last *span) int {
	if s >= last.start && s < last.end {
		return last.end
	}
	e := s
	for e < len(g.raw) && genericClass[g.raw[e]]&class != 0 {
		e++
	}
	g.read += e - s
	*last = span{s, e}
	return e
}

// Byte classes of genericPossible: an operator's first character, and the
// two kinds of value ([\w.=-] and [a-z0-9+/], each with every byte from
// 0x80, which (?i) may fold).
const (
	gcOperator = 1 << iota
	gcWord
	gcBase64
)

var genericClass = func() (c [256]uint8) {
	for _, b := range "=>:|?," {
		c[b] |= gcOperator
	}
	for b := 0; b < 256; b++ {
		if isAlnum(byte(b)) || b >= 0x80 {
			c[b] |= gcWord | gcBase64
		}
	}
	for _, b := range "_.=-" {
		c[b] |= gcWord
	}
	for _, b := range "+/" {
		c[b] |= gcBase64
	}
	return c
}()

// valueAfter reports whether a value and its end can follow the operator
// that starts at o.
func (g *genericScan) valueAfter(o int) bool {
	raw := g.raw
	for s := o + 1; s <= o+9 && s <= len(raw); s++ {
		if s > o+1 && !genericBetween(raw[s-1]) {
			return false
		}
		if e := g.runEnd(s, gcWord, &g.word); e-s >= 10 && genericEnd(raw, e) {
			return true
		}
		if e := g.runEnd(s, gcBase64, &g.b64); e-s >= 12 {
			for k := 0; k < 3 && e < len(raw) && raw[e] == '='; k++ {
				e++
			}
			if genericEnd(raw, e) {
				return true
			}
		}
	}
	return false
}

// genericBetween is a character that may stand between an operator's
// first character and the value: the rest of the operator, or
// [\x60'"\s=].
func genericBetween(c byte) bool {
	switch c {
	case '=', ':', '|', '>', '`', '\'', '"', ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// genericEnd reports whether a value may end at i: [\x60'"\s;], \n or \r
// written with a backslash (either case, under (?i)), or the end.
func genericEnd(raw string, i int) bool {
	if i >= len(raw) {
		return true
	}
	switch raw[i] {
	case '`', '\'', '"', ' ', '\t', '\n', '\v', '\f', '\r', ';':
		return true
	case '\\':
		if i+1 < len(raw) {
			switch raw[i+1] {
			case 'n', 'r', 'N', 'R':
				return true
			}
		}
	}
	return false
}

// genericKeywords are the expression's keywords, lowercased.
var genericKeywords = []string{"access", "auth", "api", "credential", "creds", "key", "passwd", "password", "secret", "token"}

// genericKeywordBefore reports whether a keyword can end close enough
// before the operator at o: within the 23 characters of [ \t\w.'"-] and
// white space before it, looked for in those characters and the 10 before
// them (the longest keyword).
func genericKeywordBefore(raw string, o int) bool {
	start, runes := o, 0
	for start > 0 && runes < 33 {
		c := raw[start-1]
		if c < 0x80 && !(isAlnum(c) || c == '_' || c == '.' || c == '-' || c == '\'' || c == '"' || c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r') {
			break
		}
		start--
		if c < 0x80 || c >= 0xC0 { // one more rune (continuation bytes are not)
			runes++
		}
	}
	window := strings.ReplaceAll(strings.ToLower(raw[start:o]), "ſ", "s")
	for _, k := range genericKeywords {
		if strings.Contains(window, k) {
			return true
		}
	}
	return false
}

// twilioPossible: the expression needs "SK" (no (?i): those two bytes)
// and 32 hexadecimal digits right after it.
func twilioPossible(raw string) bool {
	for i := 0; i+34 <= len(raw); i++ {
		k := strings.Index(raw[i:], "SK")
		if k < 0 || i+k+34 > len(raw) {
			return false
		}
		i += k
		n := 0
		for n < 32 && isHex(raw[i+2+n]) {
			n++
		}
		if n == 32 {
			return true
		}
	}
	return false
}

// privateKeyPossible: the expression needs "PRIVATE KEY" in any case.
// Under (?i) a non-ASCII letter folds to k (the Kelvin sign), so a text
// with any byte from 0x80 may match.
func privateKeyPossible(raw string) bool {
	const want = "private key"
	if hasNonASCII(raw) {
		return true
	}
	// Its v is rarer in text than its other letters: look for that.
	at := func(i int) bool {
		return i >= 3 && i-3+len(want) <= len(raw) && strings.EqualFold(raw[i-3:i-3+len(want)], want)
	}
	return anyAt(raw, "v", at) || anyAt(raw, "V", at)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
