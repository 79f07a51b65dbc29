package secrets

// This file answers, for a fragment where gitleaks' decoder may find
// something (see NeedsDecoding), whether a decoding pass can report a
// finding: when it cannot, the fragment is scanned as one gitleaks does
// not decode, and the findings are the same. It restates what gitleaks
// v8.30.1 does in detect.Detector.DetectContext and detect/codec: a new
// gitleaks version must be read again before it is used with this file
// (TestDecodedFindingsAreFound, TestDecodedFindingsOfOwnRules,
// TestDecodeFilterOnRealText and FuzzLazyRules compare the two).
//
// The passes are what cost. On Go's source tree, in gitleaks' 100 kB
// pieces, the 707 pieces where the decoder finds something (35 of 162 MB)
// took 4.5–5.4 s on one core, more than the 11,630 others together
// (3.1 s); without the decoding passes they take 1.7–2.0 s. Each pass
// runs the decoder's expression over the whole text again, lowercases it,
// searches it for every keyword and runs the rules it wakes, and keeps
// only the matches that overlap a decoded part, which is a few lines.
//
// What gitleaks does (detect.Detector.DetectContext, codec.Decoder): pass
// d decodes the text T(d-1) into T(d), each encoded part in place; a rule
// runs over the whole of T(d) when one of its keywords is in T(d)
// lowercased (or it has none), and a match is reported only when it
// overlaps a part decoded in pass d.
//
// Why the answer here is safe:
//   - Where the parts are. The decoder's expression matches within a line,
//     except U+XXXX codes, whose whitespace may be a newline; NeedsDecoding
//     of each line flags every line where a part can start (a run of codes
//     flags each of its lines). The decoder is run here on each run of
//     flagged lines with one line more on each side (the decoder drops a
//     match that touches a neighbour of higher precedence, and a code's
//     match ends after its newline): it finds there the parts it finds in
//     the whole text, and later passes find new parts only next to decoded
//     ones, on the same lines. Outside these regions T(d) is the text.
//   - Which rules run. A rule may run when it has no keyword, when one of
//     its keywords is in the text lowercased, or in a region's decoded text
//     lowercased (no keyword holds a newline, so none spans a region's
//     edge).
//   - Where a match can be. A reported match overlaps a decoded part, so
//     it starts and ends within as many lines of the region as the rule's
//     expression can match newlines (newlineSpan): the window, the region
//     with that many lines of text around it and one more (\b reads a
//     character on each side), holds it whole, and the expression matches
//     the window. Regions closer than two windows are one region, so that
//     a window holds no other region's text. A rule whose matches always
//     hold one of its keywords (holdsKeyword) needs that keyword in the
//     window lowercased, unless the window holds ſ or the Kelvin sign:
//     (?i) folds them to s and k, so a match may spell the keyword with
//     them, and ſ is its own lowercase.
//   - A rule whose expression can match any number of newlines (six of
//     the default rules, such as private-key) is run over the whole of
//     T(d), rebuilt from the regions.
//
// If any of these runs matches, or anything is not as expected (a rule
// does not compile, an expression does not parse, a keyword holds a
// newline), the fragment is decoded as gitleaks decodes it; so is one
// whose regions hold most of it, where the runs would cost what the passes
// do.

import (
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"

	glconfig "github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect/codec"
	"github.com/zricethezav/gitleaks/v8/sources"
)

// decodeRule is what decodedMayFind knows of a rule's expression.
type decodeRule struct {
	// span is the most newlines a match can hold, or -1 when there is no
	// bound (or the expression does not parse).
	span int
	// held is set when every match holds one of the rule's keywords
	// (compared folded to ASCII lowercase).
	held bool
}

// decodeFilter is what decodedMayFind needs of a configuration's rules.
type decodeFilter struct {
	rules []decodeRule // by rule
	// context is the lines around a region a window holds: the largest
	// span of the rules with one, and one more.
	context int
	// global finds the keywords of the rules not both held and with a
	// span (nil: it cannot, see newKeywordFilter); globalRules are the
	// rules of each keyword (lowercase).
	global      *keywordFilter
	globalRules map[string][]int
}

// newDecodeFilter is the filter of vc's rules, or nil when it cannot
// answer for them (a keyword holds a newline).
func newDecodeFilter(vc glconfig.ViperConfig) *decodeFilter {
	f := &decodeFilter{rules: make([]decodeRule, len(vc.Rules)), globalRules: map[string][]int{}}
	most := 0
	for i, vr := range vc.Rules {
		var lower []string
		for _, k := range vr.Keywords {
			if strings.Contains(k, "\n") {
				return nil
			}
			lower = append(lower, strings.ToLower(k))
		}
		dr := decodeRule{span: -1}
		if re, err := syntax.Parse(vr.Regex, syntax.Perl); err == nil && vr.Regex != "" {
			dr.span = newlineSpan(re)
			dr.held = len(lower) > 0 && !slices.ContainsFunc(lower, hasNonASCII) && holdsKeyword(re, lower)
		}
		most = max(most, dr.span)
		f.rules[i] = dr
		if dr.span < 0 || !dr.held {
			for _, k := range lower {
				if !slices.Contains(f.globalRules[k], i) {
					f.globalRules[k] = append(f.globalRules[k], i)
				}
			}
		}
	}
	f.context = most + 1
	keywords := make([]string, 0, len(f.globalRules))
	for k := range f.globalRules {
		keywords = append(keywords, k)
	}
	slices.Sort(keywords)
	f.global = newKeywordFilter(keywords)
	return f
}

// maxSpan bounds newlineSpan: a larger span counts as none.
const maxSpan = 64

// newlineSpan is the most newlines a text re matches can hold, or -1 when
// there is no bound (or it passes maxSpan).
func newlineSpan(re *syntax.Regexp) int {
	bound := func(n int) int {
		if n > maxSpan {
			return -1
		}
		return n
	}
	switch re.Op {
	case syntax.OpNoMatch, syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine,
		syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary,
		syntax.OpAnyCharNotNL:
		return 0
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			if r == '\n' {
				n++
			}
		}
		return bound(n)
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= '\n' && '\n' <= re.Rune[i+1] {
				return 1
			}
		}
		return 0
	case syntax.OpAnyChar:
		return 1
	case syntax.OpCapture, syntax.OpQuest:
		return newlineSpan(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus, syntax.OpRepeat:
		n := newlineSpan(re.Sub[0])
		switch {
		case n == 0:
			return 0
		case n < 0 || re.Op != syntax.OpRepeat || re.Max < 0 || re.Max > maxSpan:
			return -1
		}
		return bound(n * re.Max)
	case syntax.OpConcat, syntax.OpAlternate:
		total := 0
		for _, s := range re.Sub {
			n := newlineSpan(s)
			if n < 0 {
				return -1
			}
			if re.Op == syntax.OpConcat {
				total += n
			} else {
				total = max(total, n)
			}
		}
		return bound(total)
	default: // an operator added later
		return -1
	}
}

// maxHeldTexts bounds the texts holdsKeyword lists for a part of an
// expression.
const maxHeldTexts = 64

// holdsKeyword reports whether every text re matches holds one of keywords
// (lowercase ASCII), compared with the text folded to ASCII lowercase: a
// match of (?i)k or (?i)s may be the Kelvin sign or ſ instead.
func holdsKeyword(re *syntax.Regexp, keywords []string) bool {
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return holdsKeyword(re.Sub[0], keywords)
	case syntax.OpRepeat:
		if re.Min >= 1 && holdsKeyword(re.Sub[0], keywords) {
			return true
		}
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if !holdsKeyword(s, keywords) {
				return false
			}
		}
		return true
	case syntax.OpConcat:
		if slices.ContainsFunc(re.Sub, func(s *syntax.Regexp) bool { return holdsKeyword(s, keywords) }) {
			return true
		}
		// A keyword may span parts: each run of parts with few texts.
		for i := range re.Sub {
			texts := []string{""}
			for j := i; j < len(re.Sub); j++ {
				next, ok := heldTexts(re.Sub[j])
				if !ok {
					break
				}
				if texts, ok = joinTexts(texts, next); !ok {
					break
				}
				if allHold(texts, keywords) {
					return true
				}
			}
		}
		return false
	}
	texts, ok := heldTexts(re)
	return ok && allHold(texts, keywords)
}

// allHold reports whether each text holds one of keywords.
func allHold(texts, keywords []string) bool {
	for _, t := range texts {
		if !slices.ContainsFunc(keywords, func(k string) bool { return strings.Contains(t, k) }) {
			return false
		}
	}
	return true
}

// joinTexts is each text of a followed by each of b, or false when they
// are too many.
func joinTexts(a, b []string) ([]string, bool) {
	if len(a)*len(b) > maxHeldTexts {
		return nil, false
	}
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return out, true
}

// heldTexts lists the texts re matches, each folded to ASCII lowercase,
// when they are ASCII and at most maxHeldTexts; false otherwise.
func heldTexts(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine,
		syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []string{""}, true
	case syntax.OpLiteral:
		b := make([]byte, 0, len(re.Rune))
		for _, r := range re.Rune {
			if r >= utf8.RuneSelf {
				return nil, false
			}
			b = append(b, lowerASCII[byte(r)])
		}
		return []string{string(b)}, true
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi >= utf8.RuneSelf || int(hi-lo)+1+len(out) > maxHeldTexts {
				return nil, false
			}
			for r := lo; r <= hi; r++ {
				if s := string(rune(lowerASCII[byte(r)])); !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
		}
		return out, len(out) > 0
	case syntax.OpCapture:
		return heldTexts(re.Sub[0])
	case syntax.OpQuest:
		t, ok := heldTexts(re.Sub[0])
		if !ok || len(t)+1 > maxHeldTexts {
			return nil, false
		}
		return append(t, ""), true
	case syntax.OpRepeat:
		if re.Max < 0 {
			return nil, false
		}
		one, ok := heldTexts(re.Sub[0])
		if !ok {
			return nil, false
		}
		var out []string
		cur := []string{""}
		for n := 0; n <= re.Max; n++ {
			if n >= re.Min {
				if out = append(out, cur...); len(out) > maxHeldTexts {
					return nil, false
				}
			}
			if n < re.Max {
				if cur, ok = joinTexts(cur, one); !ok {
					return nil, false
				}
			}
		}
		return out, true
	case syntax.OpConcat:
		texts := []string{""}
		for _, s := range re.Sub {
			next, ok := heldTexts(s)
			if !ok {
				return nil, false
			}
			if texts, ok = joinTexts(texts, next); !ok {
				return nil, false
			}
		}
		return texts, true
	case syntax.OpAlternate:
		var out []string
		for _, s := range re.Sub {
			t, ok := heldTexts(s)
			if !ok || len(out)+len(t) > maxHeldTexts {
				return nil, false
			}
			out = append(out, t...)
		}
		return out, true
	default:
		return nil, false
	}
}

// decodeRegion is a run of lines where the decoder may find something, as
// decodedMayFind decodes it.
type decodeRegion struct {
	firstLine, lastLine int // its lines in the fragment
	from, to            int // its bytes
	winFrom, winTo      int // its window's bytes
	// text is the region as the passes so far decoded it, segments what
	// the last one decoded, by decoder (one per region, as gitleaks has
	// one per fragment).
	text     string
	segments []*codec.EncodedSegment
	decoder  *codec.Decoder
	done     bool // the last pass found nothing in it
}

// decodeRegions are the regions of raw: each run of lines NeedsDecoding
// flags, with a line more on each side and context lines around it for its
// window, runs closer than two windows joined.
func decodeRegions(raw string, context int) []*decodeRegion {
	var starts []int // each line's first byte, and len(raw)
	for at := 0; at < len(raw); {
		starts = append(starts, at)
		if i := strings.IndexByte(raw[at:], '\n'); i >= 0 {
			at += i + 1
		} else {
			at = len(raw)
		}
	}
	n := len(starts)
	starts = append(starts, len(raw))
	var regions []*decodeRegion
	for l := 0; l < n; l++ {
		if !NeedsDecoding(raw[starts[l]:starts[l+1]]) {
			continue
		}
		first, last := max(0, l-1), min(n-1, l+1)
		if k := len(regions); k > 0 && first <= regions[k-1].lastLine+2*context+1 {
			regions[k-1].lastLine = last
			continue
		}
		regions = append(regions, &decodeRegion{firstLine: first, lastLine: last})
	}
	for _, g := range regions {
		g.from, g.to = starts[g.firstLine], starts[g.lastLine+1]
		g.winFrom, g.winTo = starts[max(0, g.firstLine-context)], starts[min(n, g.lastLine+1+context)]
		g.text = raw[g.from:g.to]
		g.decoder = codec.NewDecoder()
	}
	return regions
}

// decodedMayFind reports whether gitleaks' decoding passes may report a
// finding in raw (see the top of this file); false means its findings are
// those of a scan that does not decode raw.
func (r *Rules) decodedMayFind(fr sources.Fragment) bool {
	raw := fr.Raw
	if r.decode == nil {
		return true
	}
	f := r.decode()
	if f == nil {
		return true
	}
	regions := decodeRegions(raw, f.context)
	if len(regions) == 0 {
		return true // NeedsDecoding found something the lines do not show
	}
	covered := 0
	for _, g := range regions {
		covered += g.to - g.from
	}
	if covered > len(raw)/4*3 {
		// Encoded text nearly everywhere (a JSON file of base64 values):
		// the runs below would cost about what gitleaks' passes do, and
		// when one matches, gitleaks' passes follow.
		return true
	}
	// The rules that may run, but for those held and with a span (see
	// below): those without keywords and those with one in the text or,
	// over the passes so far, in a region's decoded text.
	present := f.present(r, raw)
	for range MaxDecodeDepth {
		active := false
		for _, g := range regions {
			if g.done {
				continue
			}
			g.text, g.segments = g.decoder.Decode(g.text, g.segments)
			if len(g.segments) == 0 {
				g.done = true
				continue
			}
			active = true
			r.addKeywords(present, g.text)
		}
		if !active {
			return false
		}
		var whole string // T(d), made when a rule needs it
		for i := range r.ids {
			if f.rules[i].span >= 0 || !present.has(i) {
				continue
			}
			if whole == "" {
				whole = stitch(raw, regions)
			}
			if r.matchesIn(i, fr, whole) {
				return true
			}
		}
		for _, g := range regions {
			if g.done {
				continue
			}
			window := raw[g.winFrom:g.from] + g.text + raw[g.to:g.winTo]
			if strings.Contains(window, "\u212a") || strings.Contains(window, "\u017f") {
				return true
			}
			near := make(bits, len(r.always))
			copy(near, r.always)
			r.addKeywords(near, window)
			for i := range r.ids {
				dr := f.rules[i]
				switch {
				case dr.span < 0:
				case dr.held && !near.has(i):
				case !dr.held && !near.has(i) && !present.has(i):
				default:
					if r.matchesIn(i, fr, window) {
						return true
					}
				}
			}
		}
	}
	// gitleaks stops after as many passes.
	return false
}

// present is the rules without keywords and the rules neither held nor
// with a span that have a keyword in raw lowercased (or may: raw holds a
// rune whose lowercase is ASCII, or the filter cannot tell).
func (f *decodeFilter) present(r *Rules, raw string) bits {
	present := make(bits, len(r.always))
	copy(present, r.always)
	if f.global == nil {
		r.addKeywords(present, raw)
		return present
	}
	if slices.ContainsFunc(foldsToASCII, func(s string) bool { return strings.Contains(raw, s) }) {
		for _, rules := range f.globalRules {
			for _, i := range rules {
				present.set(i)
			}
		}
		return present
	}
	f.global.each(raw, func(_ int, keyword string, _ int) {
		for _, i := range f.globalRules[keyword] {
			present.set(i)
		}
	})
	return present
}

// stitch is raw with each region's text in place of its bytes.
func stitch(raw string, regions []*decodeRegion) string {
	var sb strings.Builder
	at := 0
	for _, g := range regions {
		sb.WriteString(raw[at:g.from])
		sb.WriteString(g.text)
		at = g.to
	}
	sb.WriteString(raw[at:])
	return sb.String()
}

// matchesIn reports whether rule i's expression matches text, a decoded
// form of fr, where the rule runs on fr by its path (see pathMayMatch); or
// may: the rule does not compile (the scan reports that).
func (r *Rules) matchesIn(i int, fr sources.Fragment, text string) bool {
	if !r.pathMayMatch(i, fr) {
		return false
	}
	rule, err := r.rule(i)
	return err != nil || (rule.Regex != nil && rule.Regex.MatchString(text))
}
