package secrets

// This file answers, without running it, whether gitleaks' decoding pass
// can find anything in a text. It restates what gitleaks v8.30.1 does in
// github.com/zricethezav/gitleaks/v8@v8.30.1/detect/codec: the pattern of
// encodings.go and the acceptance rules of percent.go, unicode.go, hex.go,
// base64.go and ascii.go (unexported there). A new gitleaks version must be
// read again before it is used with this file: FuzzNeedsDecoding and
// TestNeedsDecodingAgainstDecoder compare the two.

import "strings"

// Byte classes, as the encodings pattern and the decoders use them.
const (
	clHex    = 1 << iota // [0-9A-Fa-f]
	clB64                // [\w/+-]: \w is ASCII [0-9A-Za-z_] in RE2 and Go
	clLikely             // base64.go's likelyBase64Chars: 0-9 + / - _
	clDigit              // hex.go's likelyHexChars: 0-9
	clSpace              // \s ([\t\n\f\r ]) and \v: a superset of \s
	clOther              // what else a walk over every byte stops at: \n % \ and 0x80-0xff
)

// byteClass and sixBits are the tables the scanner reads.
var byteClass, sixBits = func() (c [256]uint8, v [256]uint8) {
	for b := '0'; b <= '9'; b++ {
		c[b] |= clHex | clB64 | clLikely | clDigit
	}
	for b := 'a'; b <= 'z'; b++ {
		c[b] |= clB64
		c[b-'a'+'A'] |= clB64
	}
	for b := 'a'; b <= 'f'; b++ {
		c[b] |= clHex
		c[b-'a'+'A'] |= clHex
	}
	for _, b := range "_/+-" {
		c[b] |= clB64 | clLikely
	}
	for _, b := range "\t\n\v\f\r " {
		c[b] |= clSpace
	}
	for _, b := range "\n%\\" {
		c[b] |= clOther
	}
	for b := 0x80; b < 0x100; b++ {
		c[b] |= clOther
	}
	// The value of each base64 character. '+' and '-' are both 62, '/'
	// and '_' both 63: the standard alphabet accepts only the first of
	// each pair and the URL alphabet only the second, so whichever of
	// the two decodings succeeds gives these values.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		v[alphabet[i]] = uint8(i)
	}
	v['-'], v['_'] = 62, 63
	return c, v
}()

// printable is codec's printableASCII: a byte a decoded value may hold.
func printable(b byte) bool { return b > 0x08 && b < 0x7f }

// hexNibble is the value of a hex digit (the caller knows it is one).
func hexNibble(b byte) byte {
	switch {
	case b <= '9':
		return b - '0'
	case b >= 'a':
		return b - 'a' + 10
	default:
		return b - 'A' + 10
	}
}

// hexByte is the byte two hex digits at s[i:i+2] stand for.
func hexByte(s string, i int) byte { return hexNibble(s[i])<<4 | hexNibble(s[i+1]) }

// isTriple reports whether s[i:] starts with % and two hex digits.
func isTriple(s string, i int) bool {
	return s[i] == '%' && i+2 < len(s) && byteClass[s[i+1]]&clHex != 0 && byteClass[s[i+2]]&clHex != 0
}

// NeedsDecoding reports whether gitleaks' decoding pass could find an
// encoded segment in raw: it returns false only when
// codec.NewDecoder().Decode(raw, nil) returns no segment, so that a
// detector that does not decode (MaxDecodeDepth 0) finds exactly what one
// that decodes finds in raw. It may return true when the decoder finds
// nothing; that only costs the time of decoding.
//
// Why false is safe. The decoder matches one regular expression,
// percent|unicode|hex|base64, across raw, and keeps a match as a segment
// only when its decoder returns a non-empty value (the filtering of
// overlapping matches only drops some). So it is enough to show that every
// place where each alternative could match, whatever matched before it,
// decodes to nothing. For each alternative the scanner looks at every
// start such a match could have, a superset of the real ones:
//
//   - percent, %XX(.*%XX)?: a match starts at a %XX and, greedy, ends after
//     the last %XX of its line (`.` stops only at \n; in an ASCII line RE2
//     and Go agree on that). The percent decoder decodes every %XX of the
//     match and returns "" when one stands for a byte that is not printable
//     ASCII. So a line whose last %XX is not printable yields nothing,
//     wherever a match starts in it. A line with non-ASCII bytes (where an
//     invalid UTF-8 byte can stop `.` in RE2) yields nothing only when none
//     of its %XX is printable.
//   - unicode, (U\+XXXX(\s|$))+|(?i)(\\{1,2}uXXXX)+: its decoder returns a
//     non-empty value for any match, so any "U+XXXX" followed by a space
//     or the end, and any backslash followed by u or U and four hex
//     digits, makes the answer true.
//   - hex, [0-9A-Fa-f]{32,}: a match starting anywhere in a run of hex
//     digits ends, greedy, at the run's end b. It decodes only when it has
//     an even length, a decimal digit, and every pair (counted from b)
//     stands for a printable byte. The scanner walks the pairs back from b
//     and answers true as soon as some start 32 or more digits back would
//     decode; a pair that does not decode ends the search, since every
//     longer match holds it.
//   - base64, [\w/+-]{16,}={0,2}: likewise a match ends at the end d of
//     its run (and the '=' after it). It decodes only when it holds one of
//     0-9+/-_ and every whole 4-character group inside the run, counted
//     from the match's start, stands for three printable bytes (the
//     standard and the URL alphabets give the same values wherever either
//     decodes). For each of the four alignments the scanner walks the
//     groups back from d, as for hex. Padding, length and alphabet rules,
//     which reject more, are left out: that only makes true more likely.
func NeedsDecoding(raw string) bool {
	return percentMayDecode(raw) || escapeMayDecode(raw) || codePointMayDecode(raw) || runsMayDecode(raw)
}

// The four tests below look for the alternatives one at a time: three
// with strings.IndexByte and strings.Index (vectorised), which pass at
// once over the text between the bytes they look for, and runsMayDecode,
// which reads one byte in 16 outside the runs it finds. Walking every byte
// once with a switch, as needsDecodingByteWalk in the tests still does,
// took twice the time over Go's source tree; the tests hold the two to the
// same answer.

// percentMayDecode is NeedsDecoding for the percent alternative: some
// line holds a %XX, and its last %XX stands for a printable byte, or one
// of them does and the line holds a byte of 0x80 or more.
func percentMayDecode(raw string) bool {
	for at := 0; at < len(raw); {
		i := strings.IndexByte(raw[at:], '%')
		if i < 0 {
			return false
		}
		i += at
		// at is 0 or a newline: the line starts after the last newline
		// in raw[at:i], if any.
		start := at + strings.LastIndexByte(raw[at:i], '\n') + 1
		end := len(raw)
		if j := strings.IndexByte(raw[i:], '\n'); j >= 0 {
			end = i + j
		}
		if percentLineMayDecode(raw, start, end) {
			return true
		}
		at = end
	}
	return false
}

// percentLineMayDecode is percentMayDecode for the line raw[start:end]. A
// %XX never holds a newline, so none reaches past end.
func percentLineMayDecode(raw string, start, end int) bool {
	var triples, anyPrintable, lastPrintable bool
	for at := start; at < end; {
		i := strings.IndexByte(raw[at:end], '%')
		if i < 0 {
			break
		}
		i += at
		if isTriple(raw, i) {
			triples = true
			lastPrintable = printable(hexByte(raw, i+1))
			anyPrintable = anyPrintable || lastPrintable
		}
		at = i + 1
	}
	switch {
	case !triples:
		return false
	case lastPrintable:
		return true
	default:
		return anyPrintable && hasNonASCII(raw[start:end])
	}
}

// hasNonASCII reports whether s holds a byte of 0x80 or more, looking at
// eight bytes at a time.
func hasNonASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		b := s[i : i+8]
		if (b[0]|b[1]|b[2]|b[3]|b[4]|b[5]|b[6]|b[7])&0x80 != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

// escapeMayDecode is NeedsDecoding for the \uXXXX form of the unicode
// alternative: a backslash followed by u or U and four hex digits.
func escapeMayDecode(raw string) bool {
	return anyAt(raw, `\`, func(i int) bool {
		return i+5 < len(raw) && raw[i+1]|0x20 == 'u' && allHex(raw[i+2:i+6])
	})
}

// codePointMayDecode is NeedsDecoding for the U+XXXX form: a U+XXXX
// followed by a space or the end.
func codePointMayDecode(raw string) bool {
	return anyAt(raw, "U+", func(i int) bool { return codePointAt(raw, i) })
}

// anyAt reports whether ok holds at some place where sep stands in raw,
// found with strings.Index (vectorised).
func anyAt(raw, sep string, ok func(i int) bool) bool {
	for at := 0; at < len(raw); {
		i := strings.Index(raw[at:], sep)
		if i < 0 {
			return false
		}
		if ok(at + i) {
			return true
		}
		at += i + 1
	}
	return false
}

// minRun is the shortest run of [\w/+-] in which a hex or base64 match
// fits: base64's 16 characters (hex needs 32).
const minRun = 16

// runsMayDecode is NeedsDecoding for the hex and base64 alternatives:
// some run of [\w/+-] of at least minRun characters may decode (see
// runMayDecode). Such a run covers one of any minRun bytes in a row, so
// the scanner looks at the last byte of the minRun after the previous
// run's end f (a byte that is not [\w/+-], or the start) and, only when
// that byte is in a run, reads the run.
func runsMayDecode(raw string) bool {
	n := len(raw)
	for f := 0; f+minRun <= n; {
		q := f + minRun - 1
		if byteClass[raw[q]]&clB64 == 0 {
			// No run of minRun starts in raw[f:q+1].
			f = q + 1
			continue
		}
		// The run [c, d) holding q starts at f or later: raw[f-1] is
		// not in a run.
		c, d := q, q+1
		for c > f && byteClass[raw[c-1]]&clB64 != 0 {
			c--
		}
		for d < n && byteClass[raw[d]]&clB64 != 0 {
			d++
		}
		if d-c >= minRun {
			// Without one of 0-9+/-_ nothing in the run decodes: base64
			// needs one, hex a decimal digit.
			for likely := d - 1; likely >= c; likely-- {
				if byteClass[raw[likely]]&clLikely != 0 {
					if runMayDecode(raw, c, d, likely) {
						return true
					}
					break
				}
			}
		}
		f = d + 1
	}
	return false
}

// runMayDecode reports whether a match inside the run of [\w/+-] [c, d),
// whose last 0-9+/-_ is at likely, could decode: a U+XXXX, a hex run or
// the base64 run.
func runMayDecode(s string, c, d, likely int) bool {
	// The shortest match of each: U+XXXX 6, base64 16, hex 32.
	if d-c < 6 || d-c < 16 && strings.IndexByte(s[c:d], '+') < 0 {
		return false
	}
	hexStart := -1
	for j := c; j < d; j++ {
		if byteClass[s[j]]&clHex != 0 {
			if hexStart < 0 {
				hexStart = j
			}
		} else {
			if hexStart >= 0 && j-hexStart >= 32 && hexMayDecode(s, hexStart, j) {
				return true
			}
			hexStart = -1
			if s[j] == 'U' && codePointAt(s, j) {
				return true
			}
		}
	}
	if hexStart >= 0 && d-hexStart >= 32 && hexMayDecode(s, hexStart, d) {
		return true
	}
	return d-c >= 16 && base64MayDecode(s, c, d, likely)
}

// allHex reports whether s is hex digits only.
func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if byteClass[s[i]]&clHex == 0 {
			return false
		}
	}
	return true
}

// codePointAt reports whether s[j:] is U+XXXX followed by a space or the
// end of s.
func codePointAt(s string, j int) bool {
	if j+6 > len(s) || s[j+1] != '+' || !allHex(s[j+2:j+6]) {
		return false
	}
	return j+6 == len(s) || byteClass[s[j+6]]&clSpace != 0
}

// hexMayDecode reports whether a hex match ending at b, the end of the run
// of hex digits [a, b), could decode: some start p in [a, b-32] with b-p
// even such that s[p:b] has a decimal digit and each pair stands for a
// printable byte (hex.go's decodeHex).
func hexMayDecode(s string, a, b int) bool {
	digit := false
	for j := b - 2; j >= a; j -= 2 {
		if byteClass[s[j]]&clDigit != 0 || byteClass[s[j+1]]&clDigit != 0 {
			digit = true
		}
		if !printable(hexByte(s, j)) {
			return false // every start at or before j holds this pair
		}
		if b-j >= 32 && digit {
			return true
		}
	}
	return false
}

// base64MayDecode reports whether a base64 match ending at d, the end of
// the run [c, d), could decode: some start p in [c, d-16] at or before the
// run's last likely character such that every whole group of four
// characters of s[p:d] stands for printable bytes (base64.go's
// decodeBase64, without its padding, length and alphabet checks).
func base64MayDecode(s string, c, d, likely int) bool {
	for t := 0; t < 4; t++ {
		// Starts p with d-p = 16+t (mod 4) share the groups [q, q+4)
		// with q = d-4-t, d-8-t, ...; the latest start is d-16-t.
		latest := d - 16 - t
		for q := d - 4 - t; q >= c; q -= 4 {
			if !groupPrintable(s, q) {
				break // every start at or before q holds this group
			}
			if q <= latest && q <= likely {
				return true
			}
		}
	}
	return false
}

// groupPrintable reports whether the four base64 characters at s[q:]
// stand for three printable bytes.
func groupPrintable(s string, q int) bool {
	a, b, c, d := sixBits[s[q]], sixBits[s[q+1]], sixBits[s[q+2]], sixBits[s[q+3]]
	return printable(a<<2|b>>4) && printable(b<<4|c>>2) && printable(c<<6|d)
}
