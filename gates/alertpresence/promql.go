package alertpresence

import (
	"fmt"
	"strconv"
	"strings"
)

// matchOp is a PromQL label matching operator.
type matchOp uint8

// The four PromQL matching operators.
const (
	opEq  matchOp = iota // =
	opNeq                // !=
	opRe                 // =~
	opNre                // !~
)

func (o matchOp) String() string {
	return [...]string{"=", "!=", "=~", "!~"}[o]
}

// positive reports whether the operator selects values (= and =~) rather
// than excluding them (!= and !~).
func (o matchOp) positive() bool { return o == opEq || o == opRe }

// labelMatcher is one label matcher, as in {code=~"5.."}.
type labelMatcher struct {
	Name  string
	Op    matchOp
	Value string
}

func (m labelMatcher) String() string {
	return m.Name + m.Op.String() + strconv.Quote(m.Value)
}

// vectorSelector is one series selector an expression reads: a metric name
// (empty when the selector names none, or only by a __name__ regex) and its
// label matchers.
type vectorSelector struct {
	Metric   string
	Matchers []labelMatcher
}

// exprScanner reads the label matcher lists of the configuration
// (selector, category matchers) byte by byte; expressions are read with
// the PromQL parser.
type exprScanner struct {
	s string
	i int
}

func (p *exprScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("%s (at offset %d)", fmt.Sprintf(format, args...), p.i)
}

func (p *exprScanner) skipComment() {
	if end := strings.IndexByte(p.s[p.i:], '\n'); end >= 0 {
		p.i += end + 1
	} else {
		p.i = len(p.s)
	}
}

// skipSpace skips white space and comments.
func (p *exprScanner) skipSpace() {
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case isSpace(c):
			p.i++
		case c == '#':
			p.skipComment()
		default:
			return
		}
	}
}

func (p *exprScanner) readIdent() string {
	start := p.i
	for p.i < len(p.s) && isIdentChar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// readString reads a quoted string at p.i and returns its value.
func (p *exprScanner) readString() (string, error) {
	q := p.s[p.i]
	start := p.i
	p.i++
	if q == '`' {
		end := strings.IndexByte(p.s[p.i:], '`')
		if end < 0 {
			p.i = start
			return "", p.errorf("unterminated string")
		}
		v := p.s[p.i : p.i+end]
		p.i += end + 1
		return v, nil
	}
	escaped := false
	for j := p.i; j < len(p.s); j++ {
		switch p.s[j] {
		case '\\':
			escaped = true
			j++
		case q:
			raw := p.s[p.i:j]
			p.i = j + 1
			if !escaped {
				return raw, nil
			}
			return unescape(raw, q), nil
		case '\n':
			p.i = start
			return "", p.errorf("unterminated string")
		}
	}
	p.i = start
	return "", p.errorf("unterminated string")
}

// unescape resolves the escapes of a PromQL string body quoted with q.
// Unknown escapes are kept as written, as a regular expression would mean
// them.
func unescape(s string, q byte) string {
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		if s[0] != '\\' || len(s) < 2 {
			b.WriteByte(s[0])
			s = s[1:]
			continue
		}
		r, _, tail, err := strconv.UnquoteChar(s, q)
		if err != nil {
			b.WriteString(s[:2])
			s = s[2:]
			continue
		}
		b.WriteRune(r)
		s = tail
	}
	return b.String()
}

// readMatchers reads {name op "value", ...} at p.i for a selector of metric.
func (p *exprScanner) readMatchers(metric string) (vectorSelector, error) {
	sel := vectorSelector{Metric: metric}
	open := p.i
	p.i++ // {
	for {
		p.skipSpace()
		if p.i >= len(p.s) {
			p.i = open
			return sel, p.errorf("unclosed {")
		}
		if p.s[p.i] == '}' {
			p.i++
			return sel, nil
		}
		var name string
		quoted := false
		switch c := p.s[p.i]; {
		case c == '"' || c == '\'' || c == '`':
			v, err := p.readString()
			if err != nil {
				return sel, err
			}
			name, quoted = v, true
		case isIdentStart(c):
			name = p.readIdent()
		default:
			return sel, p.errorf("want a label name in {}, got %q", c)
		}
		p.skipSpace()
		if quoted && p.i < len(p.s) && (p.s[p.i] == ',' || p.s[p.i] == '}') {
			sel.Metric = name // {"metric.name", ...}: a quoted metric name
			if p.s[p.i] == ',' {
				p.i++
			}
			continue
		}
		op, ok := p.readOp()
		if !ok {
			return sel, p.errorf("want =, !=, =~ or !~ after label %q", name)
		}
		p.skipSpace()
		if p.i >= len(p.s) || (p.s[p.i] != '"' && p.s[p.i] != '\'' && p.s[p.i] != '`') {
			return sel, p.errorf("want a quoted value after %s%s", name, op)
		}
		value, err := p.readString()
		if err != nil {
			return sel, err
		}
		if name == "__name__" && op == opEq {
			sel.Metric = value
		} else {
			sel.Matchers = append(sel.Matchers, labelMatcher{Name: name, Op: op, Value: value})
		}
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return sel, nil
		}
		return sel, p.errorf("want , or } after a matcher")
	}
}

func (p *exprScanner) readOp() (matchOp, bool) {
	rest := p.s[p.i:]
	switch {
	case strings.HasPrefix(rest, "=~"):
		p.i += 2
		return opRe, true
	case strings.HasPrefix(rest, "!~"):
		p.i += 2
		return opNre, true
	case strings.HasPrefix(rest, "!="):
		p.i += 2
		return opNeq, true
	case strings.HasPrefix(rest, "="):
		p.i++
		return opEq, true
	}
	return 0, false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':'
}
func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) }

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return true
		}
	}
	return false
}
