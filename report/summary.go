package report

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/sanitize"
)

// MaxSummaryBytes bounds the job summary. GitHub drops a step summary over
// 1 MiB whole; this leaves room for anything else the step writes.
const MaxSummaryBytes = 900 << 10

// Limits on how much of each gate's details the summary shows; the JSON
// report always has everything.
const (
	maxFindingsShown = 100
	maxNotesShown    = 60
	maxReasonBytes   = 300
	maxLineBytes     = 1000
)

// Summary renders the Markdown job summary: a table row per gate, then the
// details of each gate that has any, failed gates first. Every piece of
// untrusted text is escaped, and the result never exceeds MaxSummaryBytes.
func Summary(run Run, omittedAnnotations int) string {
	var head strings.Builder
	fmt.Fprintf(&head, "## %s release-gate: %s\n\n", icon(run.Verdict.Result), md(headline(run)))
	if line := verdictLine(run); line != "" {
		fmt.Fprintf(&head, "%s\n\n", line)
	}
	head.WriteString("| Gate | Status | Time | Reason |\n| --- | --- | ---: | --- |\n")
	var skipped []gates.Result
	for _, r := range run.Results {
		if r.Status == gates.StatusSkipped {
			skipped = append(skipped, r)
			continue
		}
		fmt.Fprintf(&head, "| %s | %s %s | %s | %s |\n", md(r.Name), icon(label(r)), label(r), duration(r.Duration), md(truncate(r.Summary, maxReasonBytes)))
	}
	head.WriteString("\n")
	if line := skippedLine(skipped); line != "" {
		head.WriteString(line + "\n\n")
	}
	if omittedAnnotations > 0 {
		fmt.Fprintf(&head, "> %d more problem(s) were not annotated: GitHub shows at most %d annotations of each level per step. The details below list them (at most %d per gate); %s.\n\n", omittedAnnotations, MaxAnnotations, maxFindingsShown, reportHint(run))
	}

	var sections []string
	for _, pass := range []bool{false, true} {
		for _, r := range run.Results {
			failed := r.Status == gates.StatusFail || r.Status == gates.StatusError
			if failed == pass {
				continue
			}
			if s := details(r, run); s != "" {
				sections = append(sections, s)
			}
		}
	}

	footer := fmt.Sprintf("\n<sub>release-gate %s · config: %s · %s</sub>\n", md(run.Version), md(run.Config), duration(run.Duration))
	var b strings.Builder
	b.WriteString(head.String())
	budget := MaxSummaryBytes - len(footer) - 200
	for i, s := range sections {
		if b.Len()+len(s) > budget {
			fmt.Fprintf(&b, "> The details of %d more gate(s) were left out to keep this summary under GitHub's size limit; %s.\n", len(sections)-i, reportHint(run))
			break
		}
		b.WriteString(s)
	}
	b.WriteString(footer)
	return b.String()
}

// headline is the heading's text: the verdict, and every gate that blocks
// the release by name.
func headline(run Run) string {
	failed := enforcedWith(run.Results, gates.StatusFail)
	errored := enforcedWith(run.Results, gates.StatusError)
	var parts []string
	if len(failed) > 0 {
		parts = append(parts, strings.Join(failed, ", ")+" failed")
	}
	if len(errored) > 0 {
		parts = append(parts, strings.Join(errored, ", ")+" could not decide")
	}
	if len(run.Unwritten) > 0 {
		parts = append(parts, "could not write "+strings.Join(run.Unwritten, ", "))
	}
	if len(parts) == 0 {
		return run.Verdict.Result
	}
	return run.Verdict.Result + " — " + strings.Join(parts, "; ")
}

// verdictLine says what the verdict means, and names the warn-mode gates
// that failed without blocking.
func verdictLine(run Run) string {
	var line string
	switch run.Verdict.Result {
	case "pass":
		line = "Every enforced gate passed."
	case "fail":
		line = "**Blocked:** fix what the failed gates found (details below)."
	default:
		line = "**Blocked (fail closed):** a gate that cannot decide blocks the release, whatever the others found; the details say why it could not."
	}
	var warned []string
	for _, r := range run.Results {
		if !r.Enforced() && (r.Status == gates.StatusFail || r.Status == gates.StatusError) {
			warned = append(warned, r.Name)
		}
	}
	if len(warned) > 0 {
		line += " Not blocking (warn mode): " + md(strings.Join(warned, ", ")) + "."
	}
	return line
}

// skippedLine collapses the gates that did not run into one line, grouped
// by reason: "⏭️ Skipped: compose, health-endpoints (not configured)".
func skippedLine(skipped []gates.Result) string {
	if len(skipped) == 0 {
		return ""
	}
	reasons, byReason := skippedByReason(skipped)
	var parts []string
	for _, reason := range reasons {
		p := md(strings.Join(byReason[reason], ", "))
		if reason != "" {
			p += " (" + md(truncate(reason, maxReasonBytes)) + ")"
		}
		parts = append(parts, p)
	}
	return icon("skipped") + " Skipped: " + strings.Join(parts, "; ")
}

// skippedByReason groups the skipped gates' names by the reason they were
// skipped (their summary), the reasons in the order they first appear.
func skippedByReason(skipped []gates.Result) (reasons []string, names map[string][]string) {
	names = map[string][]string{}
	for _, r := range skipped {
		if _, ok := names[r.Summary]; !ok {
			reasons = append(reasons, r.Summary)
		}
		names[r.Summary] = append(names[r.Summary], r.Name)
	}
	return reasons, names
}

// reportsDoc is where the documentation shows how to keep the JSON report.
const reportsDoc = "https://github.com/release-gate/release-gate/blob/main/docs/reports.md#keeping-the-reports"

// reportHint says where the whole report is.
func reportHint(run Run) string {
	where := "the JSON report"
	if run.ReportPath != "" {
		where += ", " + md(run.ReportPath) + ","
	}
	return where + " has all of them; upload it as an artifact to keep it, as [docs/reports.md](" + reportsDoc + ") shows"
}

// details renders one gate's findings, error and notes; "" when it has none.
func details(r gates.Result, run Run) string {
	if len(r.Findings) == 0 && len(r.Notes) == 0 && r.Status != gates.StatusError {
		return ""
	}
	var b strings.Builder
	open := ""
	if r.Status == gates.StatusFail || r.Status == gates.StatusError {
		open = " open"
	}
	fmt.Fprintf(&b, "<details%s><summary><b>%s</b>: %s</summary>\n\n", open, md(r.Name), md(label(r)))
	if r.Status == gates.StatusError {
		fmt.Fprintf(&b, "Could not decide: %s\n\n", md(truncate(oneLine(r.Err), maxLineBytes)))
	}
	if n := len(r.Findings); n > maxFindingsShown {
		fmt.Fprintf(&b, "%d of %d findings shown; %s.\n\n", maxFindingsShown, n, reportHint(run))
	}
	for i, f := range r.Findings {
		if i == maxFindingsShown {
			fmt.Fprintf(&b, "- … %d more findings: %s.\n", len(r.Findings)-i, reportHint(run))
			break
		}
		fmt.Fprintf(&b, "- %s %s%s\n", icon(string(severityOf(r, f))), location(run.Source, f), md(truncate(findingText(f), maxLineBytes)))
	}
	if len(r.Findings) > 0 && len(r.Notes) > 0 {
		// A paragraph between them, or Markdown joins the two lists.
		b.WriteString("\nNotes:\n\n")
	}
	if len(r.Findings) == 0 && len(r.Notes) == 0 {
		return strings.TrimSuffix(b.String(), "\n") + "</details>\n\n"
	}
	for i, n := range r.Notes {
		if i == maxNotesShown {
			fmt.Fprintf(&b, "- … %d more notes: %s.\n", len(r.Notes)-i, reportHint(run))
			break
		}
		fmt.Fprintf(&b, "- %s\n", md(truncate(n, maxLineBytes)))
	}
	for i, c := range r.Charts {
		if i == maxChartsShown {
			break
		}
		b.WriteString(chart(c))
	}
	b.WriteString("\n</details>\n\n")
	return b.String()
}

// maxChartsShown bounds the charts drawn for one gate.
const maxChartsShown = 10

// chartTitleRE keeps what a Mermaid title may show: the title is untrusted
// (a query's name from the configuration), and inside a Mermaid block
// Markdown escaping does not apply, so anything else is dropped.
var chartTitleRE = regexp.MustCompile(`[^A-Za-z0-9 _.,:/()=+-]`)

// chart draws c as a Mermaid xychart-beta line, which job summaries render;
// "" for fewer than two finite values.
func chart(c gates.Chart) string {
	var vals []string
	for _, v := range c.Values {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			vals = append(vals, strconv.FormatFloat(v, 'g', 6, 64))
		}
		if len(vals) == gates.MaxChartPoints {
			break
		}
	}
	if len(vals) < 2 {
		return ""
	}
	title := truncate(strings.Join(strings.Fields(chartTitleRE.ReplaceAllString(c.Title, " ")), " "), 80)
	xs := make([]string, len(vals))
	for i := range xs {
		xs[i] = strconv.Itoa(i + 1)
	}
	var b strings.Builder
	b.WriteString("\n```mermaid\nxychart-beta\n")
	if title != "" {
		fmt.Fprintf(&b, "    title \"%s\"\n", title)
	}
	fmt.Fprintf(&b, "    x-axis [%s]\n    line [%s]\n```\n", strings.Join(xs, ", "), strings.Join(vals, ", "))
	return b.String()
}

// location renders a finding's position, linked to its line on the
// commit checked (or the finding's own commit) when src can make a safe
// link; "" when the finding has no position.
func location(src Source, f gates.Finding) string {
	p := f.Pos.String()
	if p == "" {
		return ""
	}
	text := "**" + md(truncate(p, maxLineBytes)) + "**"
	if u := src.LineURL(f.Pos.File, f.Pos.Line, f.Commit); u != "" {
		text = "[" + text + "](" + u + ")"
	}
	return text + " — "
}

func icon(status string) string {
	switch status {
	case "pass":
		return "✅"
	case "fail", "error":
		return "❌"
	case "warn", "warning":
		return "⚠️"
	case "skipped":
		return "⏭️"
	case "notice":
		return "ℹ️"
	}
	return ""
}

// md escapes untrusted text for a Markdown table cell or list item: it is
// made one line by sanitize.Text, then it can neither break the table, nor
// start formatting, links or HTML, nor mention anyone.
func md(s string) string {
	s = sanitize.Text(s)
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '@':
			b.WriteString("&#64;")
		case '\\', '`', '*', '_', '{', '}', '[', ']', '(', ')', '#', '+', '!', '|', '~', '$':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\r', '\n', '\t':
			b.WriteByte(' ')
		default:
			if r < 0x20 || r == 0x7f {
				b.WriteRune('?')
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}
