// Package report turns the results of a run into what people and tools read:
// terminal text, GitHub annotations, job summary and step outputs, a JSON
// report and SARIF. It never imports a gate.
package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/plural"
)

// Run is a finished run, as the reporters see it.
type Run struct {
	// Tool version, for the reports.
	Version string
	// Config names the configuration used: a path, or "built-in default".
	Config   string
	Results  []gates.Result
	Verdict  gates.Verdict
	Duration time.Duration
	// Source links findings to their lines in the job summary; the zero
	// value links nothing.
	Source Source
	// ReportPath is where the JSON report was written, relative to the
	// workspace; "" when none was.
	ReportPath string
	// Unwritten names what the run could not write (the SARIF report, the
	// job summary...): the verdict is then an error, whatever the gates
	// said, and every output written after says so.
	Unwritten []string
}

// Outputs lists every step output of the run: result, failed-gates, report
// (when a JSON report was written) and the gates' own (digest, ...).
func (r Run) Outputs(reportPath string) []gates.Output {
	outs := []gates.Output{
		{Name: "result", Value: r.Verdict.Result},
		{Name: "failed-gates", Value: strings.Join(r.Verdict.Failed, ",")},
	}
	if reportPath != "" {
		outs = append(outs, gates.Output{Name: "report", Value: reportPath})
	}
	for _, res := range r.Results {
		outs = append(outs, res.Outputs...)
	}
	return outs
}

// label is how a result's status reads in reports: a failing gate in warn
// mode reads "warn", since it does not block the release.
func label(r gates.Result) string {
	if r.Mode == gates.ModeWarn && (r.Status == gates.StatusFail || r.Status == gates.StatusError) {
		return "warn"
	}
	return string(r.Status)
}

// duration formats a gate's duration for people.
func duration(d time.Duration) string {
	switch {
	case d == 0:
		return ""
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	default:
		return d.Round(time.Second).String()
	}
}

// shortSHA abbreviates a commit SHA as git does by default.
func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// findingText is a finding's one-line description: message, rule, commit.
func findingText(f gates.Finding) string {
	s := f.Message
	if f.Rule != "" {
		s += " [" + f.Rule + "]"
	}
	if f.Commit != "" {
		s += " (commit " + shortSHA(f.Commit) + ")"
	}
	if f.Waived != nil {
		s += " — " + waiverText(f.Waived)
	}
	return s
}

// waiverText says who waived a finding, why and until when.
func waiverText(w *gates.Waived) string {
	s := fmt.Sprintf("waived by %s until %s (%s): %s", w.Owner, w.Expires.UTC().Format(time.DateOnly), plural.Count(w.DaysLeft, "day")+" left", w.Reason)
	if w.Ticket != "" {
		s += " [" + w.Ticket + "]"
	}
	if p := w.Source.String(); p != "" {
		s += " (waiver at " + p + ")"
	}
	return s
}

// truncate cuts s to at most n bytes, on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// severityOf is the level a finding is reported at: a warn-mode gate's
// problems are warnings, whatever the gate said.
//
// A waived finding is a notice: it is shown, and blocks nothing.
func severityOf(r gates.Result, f gates.Finding) gates.Severity {
	if f.Waived != nil {
		return gates.SeverityNotice
	}
	sev := f.Severity
	if sev == "" {
		sev = gates.SeverityError
	}
	if r.Mode == gates.ModeWarn && sev == gates.SeverityError {
		return gates.SeverityWarning
	}
	return sev
}
