package report

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/release-gate/release-gate/gates"
)

// Text writes the terminal report: a line per gate as it finishes, with its
// findings and notes below it, then the verdict.
type Text struct {
	mu sync.Mutex
	w  io.Writer
	// MaxFindings bounds the findings printed per gate (0: all).
	MaxFindings int
}

// NewText returns a text reporter writing to w (usually stderr).
func NewText(w io.Writer) *Text { return &Text{w: w, MaxFindings: 50} }

// Start announces the gates about to run.
func (t *Text) Start(configName string, names []string) {
	t.printf("release-gate: checking %s (config: %s)\n", strings.Join(names, ", "), configName)
}

// Progress prints a progress line from a gate.
func (t *Text) Progress(gate, line string) {
	t.printf("  %s: %s\n", gate, oneLine(line))
}

// GateDone prints a finished gate.
func (t *Text) GateDone(r gates.Result) {
	var b strings.Builder
	fmt.Fprintf(&b, "%-7s %-18s %8s  %s\n", strings.ToUpper(label(r)), r.Name, duration(r.Duration), oneLine(r.Summary))
	if r.Status == gates.StatusError && r.Err != r.Summary {
		for _, line := range strings.Split(r.Err, "\n") {
			fmt.Fprintf(&b, "        error: %s\n", oneLine(line))
		}
	}
	for i, f := range r.Findings {
		if t.MaxFindings > 0 && i == t.MaxFindings {
			fmt.Fprintf(&b, "        … %d more (see the JSON report)\n", len(r.Findings)-i)
			break
		}
		pos := f.Pos.String()
		if pos != "" {
			pos += ": "
		}
		fmt.Fprintf(&b, "        %s: %s%s\n", severityOf(r, f), oneLine(pos), oneLine(findingText(f)))
	}
	for _, n := range r.Notes {
		for _, line := range strings.Split(n, "\n") {
			fmt.Fprintf(&b, "        %s\n", oneLine(line))
		}
	}
	t.printf("%s", b.String())
}

// Final prints the verdict.
func (t *Text) Final(run Run) {
	v := run.Verdict
	var what string
	switch v.Result {
	case "pass":
		what = "every enforced gate passed"
	case "fail":
		what = "blocked: " + strings.Join(enforcedWith(run.Results, gates.StatusFail), ", ") + " failed"
	case "error":
		what = "blocked (fail closed): " + strings.Join(enforcedWith(run.Results, gates.StatusError), ", ") + " could not decide"
	}
	t.printf("release-gate: %s — %s (exit %d)\n", strings.ToUpper(v.Result), what, v.Exit)
}

func enforcedWith(results []gates.Result, s gates.Status) []string {
	var names []string
	for _, r := range results {
		if r.Enforced() && r.Status == s {
			names = append(names, r.Name)
		}
	}
	return names
}

func (t *Text) printf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.w, format, args...)
}

// oneLine flattens control characters so hostile text (a file name with a
// newline or an escape sequence) cannot forge lines in a terminal or CI log.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}
