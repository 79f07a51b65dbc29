package attempts

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/gatetest"
)

type gateFunc func(context.Context, *gates.Env) ([]gates.Finding, error)

func (gateFunc) Name() string { return "test-gate" }
func (f gateFunc) Run(ctx context.Context, env *gates.Env) ([]gates.Finding, error) {
	return f(ctx, env)
}

// notes runs add with Notes made by New(env, label, stamp) and returns the
// notes it made.
func notes(t *testing.T, label, stamp string, add func(n *Notes)) []string {
	t.Helper()
	res := gatetest.Run(t, gateFunc(func(_ context.Context, env *gates.Env) ([]gates.Finding, error) {
		n := New(env, label, stamp)
		add(n)
		n.Flush()
		return nil, nil
	}), gates.Env{Now: time.Now})
	return res.Notes
}

// Runs of the same outcome after the first are one line; a different
// outcome is noted in full, and so is the next after a run.
func TestNotesCollapse(t *testing.T) {
	got := notes(t, "staging-endpoint attempt", "(%s)", func(n *Notes) {
		for i, sig := range []string{"a", "a", "a", "a", "b", "b", "a", "a", "", "a"} {
			if sig == "" {
				n.Flush() // the caller reports something between attempts
				continue
			}
			n.Add(i+1, string(rune('0'+i))+"ms", "outcome "+sig, sig)
		}
	})
	want := []string{
		"staging-endpoint attempt 1 (0ms): outcome a",
		"staging-endpoint attempts 2 to 4 (until 3ms): the same as attempt 1",
		"staging-endpoint attempt 5 (4ms): outcome b",
		"staging-endpoint attempt 6 (5ms): the same as attempt 5",
		"staging-endpoint attempt 7 (6ms): outcome a",
		"staging-endpoint attempt 8 (7ms): the same as attempt 7",
		"staging-endpoint attempt 10 (9ms): outcome a",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// One attempt's text is cut to MaxText bytes of valid UTF-8.
func TestNotesBounded(t *testing.T) {
	long := "x" + strings.Repeat("é", MaxText)
	got := notes(t, "attempt", "at %s", func(n *Notes) { n.Add(1, "10:00:00.000Z", long, "") })
	if len(got) != 1 || len(got[0]) > MaxText+100 || !utf8.ValidString(got[0]) || !strings.HasSuffix(got[0], "é…") {
		t.Errorf("note of %d bytes (valid UTF-8: %v): %.200q", len(got[0]), utf8.ValidString(got[0]), got)
	}
}

// Past MaxLines lines, attempts that all differ are summed up in one line
// naming the last.
func TestNotesBoundedInLines(t *testing.T) {
	got := notes(t, "attempt", "at %s", func(n *Notes) {
		for i := 1; i <= 3*MaxLines; i++ {
			n.Add(i, "t"+strings.Repeat("0", 3)+string(rune('0'+i%10)), "answer "+strings.Repeat("x", i%7)+string(rune('a'+i%26)), "sig"+string(rune('a'+i%26))+strings.Repeat("y", i))
		}
	})
	if len(got) != MaxLines {
		t.Fatalf("%d notes, want %d:\n%s", len(got), MaxLines, strings.Join(got, "\n"))
	}
	last := got[len(got)-1]
	if !strings.HasPrefix(last, "attempts 50 to 150 (until t0000), not noted one by one past 50 lines; the last: answer ") {
		t.Errorf("last note %q", last)
	}
}
