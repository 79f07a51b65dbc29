// Package spans hides the places where secrets stand in a text: each run
// of bytes that one or more of them cover, merged where they overlap or
// touch, becomes ***. Cutting every place at once, rather than replacing
// one secret after another, leaves no part of a secret showing where two
// overlap (replacing "abcd" first would leave "ef" of "cdef" in "abcdef").
package spans

import (
	"slices"
	"strings"
)

// Span is the bytes [Start, End) of a text.
type Span struct{ Start, End int }

// AppendAll appends to spans every place s stands in text, overlapping
// places merged as they are found.
func AppendAll(spans []Span, text, s string) []Span {
	from := len(spans)
	for at := 0; ; {
		i := strings.Index(text[at:], s)
		if i < 0 {
			return spans
		}
		start, end := at+i, at+i+len(s)
		if n := len(spans); n > from && start <= spans[n-1].End {
			spans[n-1].End = max(spans[n-1].End, end)
		} else {
			spans = append(spans, Span{start, end})
		}
		at = start + 1
	}
}

// Cut returns text with each run of bytes the spans cover, merged where
// they overlap or touch, replaced by ***. It sorts spans.
func Cut(text string, spans []Span) string {
	if len(spans) == 0 {
		return text
	}
	slices.SortFunc(spans, func(a, b Span) int { return a.Start - b.Start })
	var sb strings.Builder
	at := 0
	for i := 0; i < len(spans); {
		start, end := spans[i].Start, spans[i].End
		for i++; i < len(spans) && spans[i].Start <= end; i++ {
			end = max(end, spans[i].End)
		}
		sb.WriteString(text[at:start])
		sb.WriteString("***")
		at = end
	}
	sb.WriteString(text[at:])
	return sb.String()
}
