package report

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
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
	// MaxFindings bounds the findings printed per gate when the run wrote a
	// JSON report the rest can be read in (0: all). Without one, every
	// finding is printed.
	MaxFindings int
	// Color marks statuses with ANSI colours (for a terminal that wants
	// them: see NO_COLOR).
	Color bool
	// Live keeps progress on one line that each report replaces (for a
	// terminal); otherwise each report is a line of its own.
	Live bool
	// Width is the terminal's width in columns: a live progress line is cut
	// to fit, or it would wrap and leave its first part behind (0: no cut).
	Width int

	liveShown bool // the last line written is a progress line
}

// NewText returns a text reporter writing to w (usually stderr).
func NewText(w io.Writer) *Text { return &Text{w: w, MaxFindings: 200} }

// ANSI escapes for the terminal report.
const (
	ansiReset    = "\x1b[0m"
	ansiRed      = "\x1b[1;31m"
	ansiGreen    = "\x1b[32m"
	ansiYellow   = "\x1b[33m"
	ansiDim      = "\x1b[2m"
	ansiClearUp  = "\x1b[1A\x1b[2K" // cursor up one line, erase it
	progressMark = "…"
)

// paint colours a status word when colour is on.
func (t *Text) paint(status, word string) string {
	if !t.Color {
		return word
	}
	var c string
	switch status {
	case "pass":
		c = ansiGreen
	case "fail", "error":
		c = ansiRed
	case "warn", "warning":
		c = ansiYellow
	case "skipped", "notice":
		c = ansiDim
	default:
		return word
	}
	return c + word + ansiReset
}

var (
	bytesOfRE = regexp.MustCompile(`\((\d+) bytes\) of [^(]*\((\d+) bytes\)`)
	countOfRE = regexp.MustCompile(`\b(\d+) of (\d+)\b`)
)

// percentOf finds "N of M" (or sizes with their byte counts) in a progress
// line and returns " (P%)", or "".
func percentOf(line string) string {
	m := bytesOfRE.FindStringSubmatch(line)
	if m == nil {
		m = countOfRE.FindStringSubmatch(line)
	}
	if m == nil {
		return ""
	}
	done, err1 := strconv.ParseInt(m[1], 10, 64)
	total, err2 := strconv.ParseInt(m[2], 10, 64)
	if err1 != nil || err2 != nil || total <= 0 || done < 0 || done > total {
		return ""
	}
	return fmt.Sprintf(" (%d%%)", done*100/total)
}

// Start announces the gates about to run.
func (t *Text) Start(configName string, names []string) {
	t.printf("release-gate: checking %s (config: %s)\n", strings.Join(names, ", "), sanitize.Text(configName))
}

// Progress prints a progress line from a gate, with a percentage when the
// line says how far it is ("N of M"). Live, it replaces the previous
// progress line.
func (t *Text) Progress(gate, line string) {
	text := fmt.Sprintf("  %s %s: %s%s", progressMark, gate, sanitize.Text(line), percentOf(line))
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.Live {
		if r := []rune(text); t.Width > 1 && len(r) >= t.Width {
			text = string(r[:t.Width-2]) + "…"
		}
		if t.liveShown {
			text = ansiClearUp + text
		}
		t.liveShown = true
	}
	fmt.Fprintf(t.w, "%s\n", text)
}

// GateDone prints that a gate finished.
func (t *Text) GateDone(r gates.Result) {
	if r.Status == gates.StatusSkipped {
		return
	}
	if d := duration(r.Duration); d != "" {
		t.printf("  %s: %s (%s)\n", r.Name, t.paint(label(r), label(r)), d)
		return
	}
	// The waivers' result takes no time of its own.
	t.printf("  %s: %s\n", r.Name, t.paint(label(r), label(r)))
}

// Final prints every gate's result with its details (gates that did not
// run share one line per reason), then the verdict, naming every gate that
// blocks the release.
func (t *Text) Final(run Run) {
	var b strings.Builder
	var skipped []gates.Result
	for _, r := range run.Results {
		if r.Status == gates.StatusSkipped {
			skipped = append(skipped, r)
			continue
		}
		t.gate(&b, r, run.ReportPath)
	}
	reasons, byReason := skippedByReason(skipped)
	for _, reason := range reasons {
		fmt.Fprintf(&b, "%s %s (%s)\n", t.paint("skipped", "SKIPPED"), strings.Join(byReason[reason], ", "), sanitize.Text(reason))
	}
	v := run.Verdict
	var what string
	switch v.Result {
	case "pass":
		what = "every enforced gate passed"
	case "fail":
		what = "blocked: " + strings.Join(enforcedWith(run.Results, gates.StatusFail), ", ") + " failed"
	case "error":
		var parts []string
		if errored := enforcedWith(run.Results, gates.StatusError); len(errored) > 0 {
			parts = append(parts, strings.Join(errored, ", ")+" could not decide")
		}
		if failed := enforcedWith(run.Results, gates.StatusFail); len(failed) > 0 {
			parts = append(parts, strings.Join(failed, ", ")+" failed")
		}
		if len(run.Unwritten) > 0 {
			parts = append(parts, "could not write "+strings.Join(run.Unwritten, ", "))
		}
		what = "blocked (fail closed): " + strings.Join(parts, "; ")
	}
	fmt.Fprintf(&b, "release-gate: %s — %s (exit %d)\n", t.paint(v.Result, strings.ToUpper(v.Result)), what, v.Exit)
	t.printf("%s", b.String())
}

// gate writes one gate's result: a line with its status, time and reason,
// then its error, findings and notes, each on its own indented line.
func (t *Text) gate(b *strings.Builder, r gates.Result, reportPath string) {
	word := fmt.Sprintf("%-7s", strings.ToUpper(label(r)))
	fmt.Fprintf(b, "%s %-18s %8s  %s\n", t.paint(label(r), word), r.Name, duration(r.Duration), sanitize.Text(r.Summary))
	if r.Status == gates.StatusError && r.Err != r.Summary {
		// Errors joined with errors.Join are one a line: each gets its own,
		// as findings and configuration errors do.
		for _, line := range errorLines(r.Err) {
			fmt.Fprintf(b, "        error: %s\n", line)
		}
	}
	for i, f := range r.Findings {
		if t.MaxFindings > 0 && i == t.MaxFindings && reportPath != "" {
			fmt.Fprintf(b, "        … %d more: every finding is in %s\n", len(r.Findings)-i, sanitize.Text(reportPath))
			break
		}
		pos := f.Pos.String()
		if pos != "" {
			pos += ": "
		}
		sev := string(severityOf(r, f))
		fmt.Fprintf(b, "        %s: %s\n", t.paint(sev, sev), sanitize.Text(pos+findingText(f)))
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

// printf writes a line or more; a live progress line above it is erased
// first, so that progress never stays behind as clutter.
func (t *Text) printf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.liveShown {
		fmt.Fprint(t.w, ansiClearUp) // like the line below: the terminal is the only reader
		t.liveShown = false
	}
	fmt.Fprintf(t.w, format, args...)
}
