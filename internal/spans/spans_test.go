package spans

import (
	"slices"
	"testing"
)

// Overlapping places of one secret, and overlapping or touching spans,
// are cut as one.
func TestCut(t *testing.T) {
	if got := AppendAll(nil, "xaaaaay aaaa", "aaaa"); !slices.Equal(got, []Span{{1, 6}, {8, 12}}) {
		t.Errorf("places of aaaa: %v", got)
	}
	if got := AppendAll([]Span{{0, 9}}, "aaaa aaaa", "aaaa"); !slices.Equal(got, []Span{{0, 9}, {0, 4}, {5, 9}}) {
		t.Errorf("places appended to another's: %v", got)
	}
	for _, c := range []struct {
		spans []Span
		want  string
	}{
		{nil, "abcdefghij"},
		{[]Span{{7, 8}, {0, 3}, {2, 5}}, "***fg***ij"},
		{[]Span{{0, 2}, {2, 4}}, "***efghij"},
		{[]Span{{0, 10}, {3, 4}}, "***"},
		{[]Span{{9, 10}}, "abcdefghi***"},
	} {
		if got := Cut("abcdefghij", c.spans); got != c.want {
			t.Errorf("Cut(%v) = %q, want %q", c.spans, got, c.want)
		}
	}
}
