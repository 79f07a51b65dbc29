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

// Words that are not metric names wherever they appear outside braces.
var promqlKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true,
	"bool": true, "and": true, "or": true, "unless": true, "atan2": true,
	"offset": true, "inf": true, "nan": true,
}

// Keywords followed by a parenthesised list of label names.
var labelListKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true,
}

// Aggregation operators: they may be followed by by/without before their
// parenthesis (sum by (job) (x)).
var aggregators = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "group": true,
	"stddev": true, "stdvar": true, "count": true, "count_values": true,
	"bottomk": true, "topk": true, "quantile": true,
	"limitk": true, "limit_ratio": true,
}

// parseSelectors returns the series selectors a PromQL expression reads.
//
// It is a tokenizer, not a parser: it skips strings, comments, ranges and
// label lists of by/on/ignoring/group_*, takes an identifier followed by "("
// as a function or aggregation, any other identifier as a metric name, and
// reads the matchers inside braces. That is all classification needs, and it
// never fails on valid PromQL; it reports unbalanced strings, braces and
// brackets so a broken expression is not silently read as reading nothing.
func parseSelectors(expr string) ([]vectorSelector, error) {
	p := exprScanner{s: expr}
	var sels []vectorSelector
	depth := 0
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case isSpace(c):
			p.i++
		case c == '#':
			p.skipComment()
		case c == '"' || c == '\'' || c == '`':
			if _, err := p.readString(); err != nil {
				return nil, err
			}
		case c == '{':
			sel, err := p.readMatchers("")
			if err != nil {
				return nil, err
			}
			sels = append(sels, sel)
		case c == '}':
			return nil, p.errorf("unexpected }")
		case c == '[':
			end := strings.IndexByte(p.s[p.i:], ']')
			if end < 0 {
				return nil, p.errorf("unclosed [")
			}
			p.i += end + 1
		case c == ']':
			return nil, p.errorf("unexpected ]")
		case c == '(':
			depth++
			p.i++
		case c == ')':
			depth--
			if depth < 0 {
				return nil, p.errorf("unexpected )")
			}
			p.i++
		case isDigit(c) || (c == '.' && p.i+1 < len(p.s) && isDigit(p.s[p.i+1])):
			p.skipNumber()
		case isIdentStart(c):
			word := p.readIdent()
			k := p.peekNonSpace()
			next := byte(0)
			if k < len(p.s) {
				next = p.s[k]
			}
			lower := word
			if hasUpper(word) {
				lower = strings.ToLower(word)
			}
			switch {
			case labelListKeywords[word] && next == '(':
				p.i = k
				if err := p.skipParens(); err != nil {
					return nil, err
				}
			case promqlKeywords[word] || lower == "inf" || lower == "nan":
			case next == '(':
				// A function or an aggregation: its arguments follow.
			case aggregators[word] && (p.wordAt(k, "by") || p.wordAt(k, "without")):
			default:
				if next == '{' {
					p.i = k
					sel, err := p.readMatchers(word)
					if err != nil {
						return nil, err
					}
					sels = append(sels, sel)
				} else {
					sels = append(sels, vectorSelector{Metric: word})
				}
			}
		default:
			p.i++
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unclosed ( in expression")
	}
	return sels, nil
}

// exprScanner walks an expression byte by byte.
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

// peekNonSpace returns the offset of the next byte that is not space or a
// comment, without moving.
func (p *exprScanner) peekNonSpace() int {
	save := p.i
	p.skipSpace()
	k := p.i
	p.i = save
	return k
}

// wordAt reports whether the identifier at offset k is w.
func (p *exprScanner) wordAt(k int, w string) bool {
	if !strings.HasPrefix(p.s[k:], w) {
		return false
	}
	end := k + len(w)
	return end == len(p.s) || !isIdentChar(p.s[end])
}

func (p *exprScanner) readIdent() string {
	start := p.i
	for p.i < len(p.s) && isIdentChar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// skipNumber skips a number or duration (1, 0.5, 1e-3, 0x1F, 5m, 1h30m).
func (p *exprScanner) skipNumber() {
	start := p.i
	hex := strings.HasPrefix(p.s[p.i:], "0x") || strings.HasPrefix(p.s[p.i:], "0X")
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case isIdentChar(c) || c == '.':
			p.i++
		case (c == '+' || c == '-') && !hex && p.i > start &&
			(p.s[p.i-1] == 'e' || p.s[p.i-1] == 'E') && p.i+1 < len(p.s) && isDigit(p.s[p.i+1]):
			p.i++
		default:
			return
		}
	}
}

// skipParens skips a balanced parenthesised group starting at p.i.
func (p *exprScanner) skipParens() error {
	depth := 0
	for p.i < len(p.s) {
		switch c := p.s[p.i]; c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				p.i++
				return nil
			}
		case '"', '\'', '`':
			if _, err := p.readString(); err != nil {
				return err
			}
			continue
		}
		p.i++
	}
	return p.errorf("unclosed (")
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
