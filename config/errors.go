// Package config loads release-gate's YAML configuration strictly: unknown
// keys, wrong types and bad values are errors that name file:line:col, and
// ${VAR} references must be set.
package config

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Error is one problem in a configuration file, at a position.
type Error struct {
	File string
	Line int // 1-based; 0 when the problem concerns the whole file
	Col  int
	Msg  string
}

func (e *Error) Error() string {
	file, msg := oneLine(e.File), oneLine(e.Msg)
	switch {
	case e.Line == 0:
		return fmt.Sprintf("%s: %s", file, msg)
	case e.Col == 0:
		return fmt.Sprintf("%s:%d: %s", file, e.Line, msg)
	default:
		return fmt.Sprintf("%s:%d:%d: %s", file, e.Line, e.Col, msg)
	}
}

// Errors is every problem found in one file, in file order.
type Errors []*Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// ErrorAt returns an error about node n: when an Unmarshaler returns it, the
// decoder reports it at n's position (an item of a list, say) instead of
// the position of the whole value.
func ErrorAt(n *yaml.Node, format string, args ...any) error {
	return &nodeError{node: n, msg: fmt.Sprintf(format, args...)}
}

type nodeError struct {
	node *yaml.Node
	msg  string
}

func (e *nodeError) Error() string { return e.msg }

// maxErrors is how many errors one errorList keeps: the first ones are
// what to fix, and a file that aliases one bad value many times must not
// make as many messages.
const maxErrors = 100

// maxMsgLen bounds a message, in bytes: a quoted value is cut, not the
// line flooded.
const maxMsgLen = 1000

// errorList collects positioned errors while a file is decoded.
type errorList struct {
	src     *source
	errs    Errors
	dropped int
}

func (l *errorList) at(n *yaml.Node, format string, args ...any) {
	if len(l.errs) >= maxErrors {
		l.dropped++
		return
	}
	l.errs = append(l.errs, l.src.newError(n, fmt.Sprintf(format, args...)))
}

func (l *errorList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	if l.dropped > 0 {
		errs := append(Errors{}, l.errs...)
		return append(errs, &Error{File: oneLine(l.src.file), Msg: fmt.Sprintf("%d more problems are not listed; fix these first", l.dropped)})
	}
	return l.errs
}

// newError makes an error about node n (nil: the whole file) whose message
// is one line, of bounded length, and never holds the value of a variable
// whose name looks secret: each such value is replaced by ${NAME}. An error
// about a value that ${VAR} expansion changed says which variables did.
func (s *source) newError(n *yaml.Node, msg string) *Error {
	e := &Error{File: oneLine(s.file)}
	if n != nil {
		e.Line, e.Col = max(n.Line, 0), max(n.Column, 0)
	}
	e.Msg = truncate(oneLine(s.redact(msg)), maxMsgLen)
	if names := s.expandedNames(n); names != "" {
		e.Msg += " (from " + truncate(names, 300) + ")"
	}
	return e
}

// oneLine makes s one line: line breaks become "; " (yaml.v3 writes some
// errors over several lines), other control characters are escaped.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, line := range strings.FieldsFunc(s, isLineBreak) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		for _, r := range line {
			switch {
			case r == '\t':
				b.WriteByte(' ')
			case isControl(r) && r < 0x100:
				fmt.Fprintf(&b, "\\x%02x", r)
			case isControl(r):
				fmt.Fprintf(&b, "\\u%04x", r)
			default:
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

func isLineBreak(r rune) bool {
	return r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029'
}

func isControl(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == utf8.RuneError
}

// truncate cuts s to at most n bytes, on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// suggest returns ` (did you mean "x"?)` when a known name is close to name.
func suggest(name string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		// The distance is at least the difference in length: a long
		// name from the file costs nothing to rule out.
		if abs(len(name)-len(k)) >= bestDist {
			continue
		}
		if d := distance(name, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
