package report

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/sanitize"
)

// Text writes the terminal report. While gates run it prints a short line
// as each one finishes (its status and time: nothing that came from
// outside); once every gate is done, and every secret the run learned is
// masked, Final prints each gate's reason, findings and notes, then the
// verdict.
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
	t.printf("release-gate: checking %s (config: %s)\n", strings.Join(names, ", "), sanitize.Text(configName))
}

// Progress prints a progress line from a gate.
func (t *Text) Progress(gate, line string) {
	t.printf("  %s: %s\n", gate, sanitize.Text(line))
}

// GateDone prints that a gate finished.
func (t *Text) GateDone(r gates.Result) {
	if r.Status == gates.StatusSkipped {
		return
	}
	t.printf("  %s: %s (%s)\n", r.Name, label(r), duration(r.Duration))
}

// Final prints every gate's result with its details, then the verdict.
func (t *Text) Final(run Run) {
	var b strings.Builder
	for _, r := range run.Results {
		t.gate(&b, r)
	}
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
	fmt.Fprintf(&b, "release-gate: %s — %s (exit %d)\n", strings.ToUpper(v.Result), what, v.Exit)
	t.printf("%s", b.String())
}

// gate writes one gate's result: a line with its status, time and reason,
// then its error, findings and notes, each on its own indented line.
func (t *Text) gate(b *strings.Builder, r gates.Result) {
	fmt.Fprintf(b, "%-7s %-18s %8s  %s\n", strings.ToUpper(label(r)), r.Name, duration(r.Duration), sanitize.Text(r.Summary))
	if r.Status == gates.StatusError && r.Err != r.Summary {
		fmt.Fprintf(b, "        error: %s\n", sanitize.Text(r.Err))
	}
	for i, f := range r.Findings {
		if t.MaxFindings > 0 && i == t.MaxFindings {
			fmt.Fprintf(b, "        … %d more (see the JSON report)\n", len(r.Findings)-i)
			break
		}
		pos := f.Pos.String()
		if pos != "" {
			pos += ": "
		}
		fmt.Fprintf(b, "        %s: %s\n", severityOf(r, f), sanitize.Text(pos+findingText(f)))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(b, "        %s\n", sanitize.Text(n))
	}
}

// ConfigError prints a configuration error, one problem per line.
func (t *Text) ConfigError(err error) {
	var b strings.Builder
	b.WriteString("release-gate: configuration error, nothing was checked:\n")
	for _, line := range configErrorLines(err) {
		fmt.Fprintf(&b, "  %s\n", line)
	}
	t.printf("%s", b.String())
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
