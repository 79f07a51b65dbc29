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
	clOther              // what else NeedsDecoding stops at: \n % \ and 0x80-0xff
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
	var (
		lineTriples   bool // the current line has a %XX
		linePrintable bool // one of its %XX is printable
		lastPrintable bool // its last %XX is printable
		lineNonASCII  bool // it has a byte of 0x80 or more
	)
	endLine := func() bool {
		found := lineTriples && (lastPrintable || (lineNonASCII && linePrintable))
		lineTriples, linePrintable, lastPrintable, lineNonASCII = false, false, false, false
		return found
	}
	for i := 0; i < len(raw); {
		c := raw[i]
		if byteClass[c]&(clB64|clOther) == 0 {
			i++ // nothing starts or ends here
			continue
		}
		switch {
		case c == '\n':
			if endLine() {
				return true
			}
			i++
		case c >= 0x80:
			lineNonASCII = true
			i++
		case c == '%':
			if isTriple(raw, i) {
				lineTriples = true
				lastPrintable = printable(hexByte(raw, i+1))
				linePrintable = linePrintable || lastPrintable
			}
			i++ // its digits may start a hex or base64 run
		case c == '\\':
			if i+5 < len(raw) && raw[i+1]|0x20 == 'u' && allHex(raw[i+2:i+6]) {
				return true
			}
			i++
		case byteClass[c]&clB64 != 0:
			// A run of [\w/+-]: it holds every hex run inside it, and a
			// "U+XXXX" ('+' is in the class).
			j, likely := i, -1 // likely: the run's last 0-9+/-_
			for ; j < len(raw); j++ {
				cl := byteClass[raw[j]]
				if cl&clB64 == 0 {
					break
				}
				if cl&clLikely != 0 {
					likely = j
				}
			}
			// Without one of 0-9+/-_ nothing in the run decodes: base64
			// needs one, hex a decimal digit, U+XXXX a '+'.
			if likely >= 0 && runMayDecode(raw, i, j, likely) {
				return true
			}
			i = j
		}
	}
	return endLine()
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
