// Package sanitize stands between text that came from outside release-gate
// (a repository's file names and contents, a server's answers, the
// configuration, a library's error messages) and every output: the terminal
// and CI log, annotations, the job summary, step outputs, the JSON and SARIF
// reports.
//
// The GitHub Actions runner reads workflow commands from a step's stdout and
// stderr: a line that starts with "::" once leading white space is trimmed,
// and the legacy "##[command]" form anywhere in a line. It compares
// culture-sensitively, so characters without collation weight (NUL, soft
// hyphen, zero-width space, ...) are invisible to it: "\u200b::error::x"
// starts with "::" as far as it is concerned. Text makes untrusted text
// unable to be read as a command, and Writer checks every line written to
// stdout and stderr, so that only commands written on purpose (Command)
// reach the runner.
package sanitize

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text returns s as one line that no CI log reads as a workflow command and
// that shows every character that would otherwise be invisible:
//
//   - line breaks and other control characters become escapes (\n, \r,
//     \x1b), tabs and Unicode spaces become a space;
//   - invisible characters (zero-width, bidirectional controls, byte-order
//     marks, unassigned code points) become \u escapes, so a name that
//     hides them reads as what it is;
//   - invalid UTF-8 bytes become \x escapes;
//   - "##[" becomes "##\[", and a leading "::" becomes "\::".
//
// Ordinary text, including a backslash, passes unchanged, so Text is
// idempotent: Text(Text(s)) == Text(s).
func Text(s string) string {
	if plain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t' || r != '\u0085' && unicode.IsSpace(r):
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case hidden(r):
			if r > 0xffff {
				fmt.Fprintf(&b, `\U%08x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return neutralise(b.String())
}

// plain reports whether s is printable ASCII that is no command: the
// common case, returned as it is.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return neutralise(s) == s
}

// neutralise breaks the two command forms in a line that has no hidden
// characters left.
func neutralise(s string) string {
	if strings.Contains(s, "##[") {
		s = strings.ReplaceAll(s, "##[", `##\[`)
	}
	if t := strings.TrimLeft(s, " "); strings.HasPrefix(t, "::") {
		s = s[:len(s)-len(t)] + `\` + t
	}
	return s
}

// hidden reports whether r has no visible form or no collation weight: a
// control or format character, a private-use, surrogate or unassigned code
// point, or a default-ignorable one (variation selectors, Hangul fillers).
// White space is not hidden.
func hidden(r rune) bool {
	if unicode.IsSpace(r) && r != '\u0085' {
		return false
	}
	return !unicode.IsGraphic(r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) ||
		unicode.Is(unicode.Variation_Selector, r)
}

// IsCommand reports whether the GitHub Actions runner could read line (one
// line: no line breaks) as a workflow command. It errs on the side of yes:
// it ignores every hidden and control character (tabs included), as a
// culture-sensitive comparison may, and it does not require a known command
// name or a closing "::" or "]".
func IsCommand(line string) bool {
	var b strings.Builder
	b.Grow(len(line))
	for _, r := range line {
		if !hidden(r) && !unicode.IsControl(r) {
			b.WriteRune(r)
		}
	}
	s := b.String()
	if strings.Contains(s, "##[") {
		return true
	}
	return strings.HasPrefix(strings.TrimLeftFunc(s, isSpace), "::")
}

// isSpace is .NET's Char.IsWhiteSpace, which the runner's TrimStart uses.
func isSpace(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Zs, r) }

// Clip cuts s to at most max bytes of valid UTF-8 (invalid bytes become
// ?), marking the cut with … (3 bytes more). Cut a secret out of s before
// clipping it: the masking of every output recognises one only whole.
func Clip(s string, max int) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) <= max {
		return s
	}
	s = s[:max]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
