package secrets

import (
	"strings"
	"sync"
)

// keywordFilter tells whether any of a set of keywords is in a text as
// gitleaks looks for keywords: in the text lowercased by strings.ToLower.
// It serves Rules.Detect on fragments too large for the keyword search
// needed makes (see maxSkipCheck): on Go's source tree, 9,835 of 11,478
// files hold no keyword of a rule their checks and paths leave, and
// gitleaks lowercases and indexes each of them (about 0.8 CPU-seconds)
// before it finds nothing.
//
// It is written here because the libraries measured cost what they would
// save: gitleaks' Aho-Corasick (github.com/BobuSumisu/aho-corasick, which
// needs the text lowercased first) takes 1.4–2.2 s over that tree, and a
// DFA that folds ASCII case itself (github.com/petar-dambovaliev/
// aho-corasick) 0.4–0.7 s. This filter reads each pair of adjacent bytes,
// folded, in a table of 16,384 bits: each keyword is anchored at its
// rarest pair (see commonPairs), and only where such a pair stands is a
// keyword compared; about 4 % of the tree's pairs are anchors.
//
// Exact, not only conservative, for ASCII keywords: a keyword's bytes in
// strings.ToLower(s) are ASCII, and strings.ToLower maps each ASCII byte
// of s to one ASCII byte and every other rune (an invalid byte too) to
// bytes from 0x80, except the two runes whose lowercase is ASCII
// (foldsToASCII), which any returns true for.
type keywordFilter struct {
	bits  [1 << 14 / 64]uint64 // the anchor pairs (see pairOf)
	slot  [1 << 14]uint16      // an anchor pair's index in lists
	lists [][]anchoredKeyword  // [0] is unused
}

// anchoredKeyword is a keyword (lowercase), where its anchor pair is in
// it, and its id: its index in the list the filter was made of (of its
// first occurrence, lowercased).
type anchoredKeyword struct {
	keyword string
	at      int
	id      int
}

// foldsToASCII are the runes from 0x80 whose lowercase (unicode.ToLower,
// as strings.ToLower applies it) is ASCII: İ (U+0130) to i, the Kelvin
// sign (U+212A) to k. TestFoldsToASCII enumerates every rune.
var foldsToASCII = []string{"\u0130", "\u212a"}

// lowerASCII maps each byte to its ASCII lowercase.
var lowerASCII = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if i >= 'A' && i <= 'Z' {
			t[i] = byte(i + 'a' - 'A')
		}
	}
	return t
}()

// pairFold is lowerASCII with every byte from 0x80 read as 0x7f, so that
// a pair of bytes fits in 14 bits (see pairOf). A keyword is ASCII: a
// pair that holds a byte from 0x80 can only match where the keyword holds
// 0x7f, and the comparison that follows (with lowerASCII) tells them apart.
var pairFold = func() (t [256]byte) {
	for i := range t {
		t[i] = min(lowerASCII[i], 0x7f)
	}
	return t
}()

// pairOf is the index of two bytes folded by pairFold.
func pairOf(a, b byte) uint16 { return uint16(a)<<7 | uint16(b) }

// maxAnchored is the most keywords one anchor pair may hold. Each place
// the pair stands in a text is compared with every keyword it holds, so a
// long list would make the filter cost the text's length times the list's
// (a .gitleaks.toml of thousands of keywords sharing their rarest pair made
// 1 MB take 12 s, where Aho-Corasick takes 74 ms). The default rules' lists
// hold at most a few keywords each.
const maxAnchored = 16

// newKeywordFilter is the filter of keywords, or nil when one of them is
// shorter than two bytes or not ASCII, or when they cannot be anchored
// with at most maxAnchored to a pair: the filter cannot tell those, or not
// cheaply. Each keyword is anchored at its rarest pair (see pairWeight)
// that holds fewer than maxAnchored keywords, and of pairs as rare, at the
// one holding the fewest so far.
func newKeywordFilter(keywords []string) *keywordFilter {
	f := &keywordFilter{lists: make([][]anchoredKeyword, 1)}
	seen := map[string]bool{}
	for id, k := range keywords {
		k = strings.ToLower(k)
		if seen[k] {
			continue
		}
		seen[k] = true
		if len(k) < 2 || hasNonASCII(k) {
			return nil
		}
		held := func(i int) int { return len(f.lists[f.slot[pairOf(k[i], k[i+1])]]) }
		at := -1
		for i := 0; i+1 < len(k); i++ {
			if held(i) >= maxAnchored {
				continue
			}
			if at < 0 {
				at = i
				continue
			}
			wi, wat := pairWeight(k[i], k[i+1]), pairWeight(k[at], k[at+1])
			if wi < wat || wi == wat && held(i) < held(at) {
				at = i
			}
		}
		if at < 0 {
			return nil // every pair of k anchors maxAnchored keywords
		}
		p := pairOf(k[at], k[at+1])
		if f.slot[p] == 0 {
			f.slot[p] = uint16(len(f.lists))
			f.lists = append(f.lists, nil)
			f.bits[p/64] |= 1 << (p % 64)
		}
		// ASCII keywords have at most 128*128 pairs: slot cannot overflow.
		f.lists[f.slot[p]] = append(f.lists[f.slot[p]], anchoredKeyword{k, at, id})
	}
	return f
}

// pairWeight is how common the pair of lowercase bytes a, b is: its
// place from the end in commonPairs, 0 when it is not there. It only
// chooses anchors; any choice finds the same keywords.
func pairWeight(a, b byte) int { return int(pairWeights()[uint16(a)<<8|uint16(b)]) }

// pairWeights is made when a filter is first made, not when a process
// starts that may scan nothing.
var pairWeights = sync.OnceValue(func() *[1 << 16]uint16 {
	w := new([1 << 16]uint16)
	for i := 0; i+1 < len(commonPairs); i += 2 {
		p := uint16(commonPairs[i])<<8 | uint16(commonPairs[i+1])
		if w[p] == 0 {
			w[p] = uint16(len(commonPairs) - i)
		}
	}
	return w
})

// commonPairs are the 300 pairs of adjacent bytes (lowercased, neither a
// space nor a control byte) most common in Go's source tree (Go 1.26.8's
// src), the most common first.
const commonPairs = "0xin00errentstte//x0thales\\xorseatonetenarletraacoanheuntimeeddelongitrrx1rocari" +
	"asneadndtaislitopeifmancnsilffecurparn\",0\\vara:=64am},siopeatullveuectexacui0,ge" +
	"natynochfifocemoiofugockypoux2poelhaofutsytsnipr32t.hiocmprgodimx8icruots.dirs()" +
	"rtddlaompt),luem1216ov1,sse,e.ol10idaguluse:osegkeig.aby..saapsu01))(sfabex4shys" +
	"sce(x3datpefr(2,t(au113,gsblooabt,t6xfls.sldxa!=t)pl2003ttspwad,8,r1soeextdoevze" +
	"floa4,babu(\"ltt3xexbx9.tepmiyt14biclfewitcxcv..pirair)t_ps13rcewdrhoe)025,ie[]_s" +
	"(tip28s_ux==f(oigi.cppizds25.epu9,borm(vr.ownfmun(v_156,.r80c,s,30a,(co:skfrym04" +
	"ccafrf40e_xi.fmd.o087,_ix5g.(rxpakmmcr23"

// any reports whether one of the keywords is in strings.ToLower(s).
func (f *keywordFilter) any(s string) bool {
	for _, r := range foldsToASCII {
		if strings.Contains(s, r) {
			return true
		}
	}
	if len(s) < 2 {
		return false
	}
	prev := pairFold[s[0]]
	for i := 1; i < len(s); i++ {
		cur := pairFold[s[i]]
		p := pairOf(prev, cur)
		if f.bits[p/64]&(1<<(p%64)) != 0 && f.at(s, i-1, p) {
			return true
		}
		prev = cur
	}
	return false
}

// each calls fn with the start, the keyword and its id of each occurrence
// of a keyword in s folded to ASCII lowercase (as at compares; unlike any,
// it does not count the runes of foldsToASCII).
func (f *keywordFilter) each(s string, fn func(start int, keyword string, id int)) {
	if len(s) < 2 {
		return
	}
	prev := pairFold[s[0]]
	for i := 1; i < len(s); i++ {
		cur := pairFold[s[i]]
		p := pairOf(prev, cur)
		if f.bits[p/64]&(1<<(p%64)) != 0 {
			for _, a := range f.lists[f.slot[p]] {
				if start := i - 1 - a.at; start >= 0 && start+len(a.keyword) <= len(s) && foldedAt(s, start, a.keyword) {
					fn(start, a.keyword, a.id)
				}
			}
		}
		prev = cur
	}
}

// foldedAt reports whether s[start:] begins with keyword, s folded to
// ASCII lowercase.
func foldedAt(s string, start int, keyword string) bool {
	j := 0
	for j < len(keyword) && lowerASCII[s[start+j]] == keyword[j] {
		j++
	}
	return j == len(keyword)
}

// at reports whether a keyword anchored at pair p is in s with its pair
// at s[i:i+2].
func (f *keywordFilter) at(s string, i int, p uint16) bool {
	for _, a := range f.lists[f.slot[p]] {
		start := i - a.at
		if start >= 0 && start+len(a.keyword) <= len(s) && foldedAt(s, start, a.keyword) {
			return true
		}
	}
	return false
}
