package report

import (
	"fmt"
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
	fmt.Fprintf(&head, "## %s release-gate: %s\n\n", icon(run.Verdict.Result), run.Verdict.Result)
	fmt.Fprintf(&head, "%s\n\n", verdictLine(run))
	head.WriteString("| Gate | Status | Time | Reason |\n| --- | --- | ---: | --- |\n")
	for _, r := range run.Results {
		fmt.Fprintf(&head, "| %s | %s %s | %s | %s |\n", md(r.Name), icon(label(r)), label(r), duration(r.Duration), md(truncate(r.Summary, maxReasonBytes)))
	}
	head.WriteString("\n")
	if omittedAnnotations > 0 {
		fmt.Fprintf(&head, "> %d more problem(s) were not annotated: GitHub shows at most %d annotations of each level per step. All are listed below.\n\n", omittedAnnotations, MaxAnnotations)
	}

	var sections []string
	for _, pass := range []bool{false, true} {
		for _, r := range run.Results {
			failed := r.Status == gates.StatusFail || r.Status == gates.StatusError
			if failed == pass {
				continue
			}
			if s := details(r); s != "" {
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
			fmt.Fprintf(&b, "> The details of %d more gate(s) were left out to keep this summary under GitHub's size limit; the JSON report has them.\n", len(sections)-i)
			break
		}
		b.WriteString(s)
	}
	b.WriteString(footer)
	return b.String()
}

func verdictLine(run Run) string {
	v := run.Verdict
	switch v.Result {
	case "pass":
		return "Every enforced gate passed."
	case "fail":
		return "**Blocked:** " + md(strings.Join(enforcedWith(run.Results, gates.StatusFail), ", ")) + " failed."
	default:
		return "**Blocked (fail closed):** " + md(strings.Join(enforcedWith(run.Results, gates.StatusError), ", ")) + " could not reach a verdict."
	}
}

// details renders one gate's findings, error and notes; "" when it has none.
func details(r gates.Result) string {
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
		fmt.Fprintf(&b, "Could not decide: %s\n\n", md(truncate(r.Err, maxLineBytes)))
	}
	for i, f := range r.Findings {
		if i == maxFindingsShown {
			fmt.Fprintf(&b, "- … and %d more (see the JSON report)\n", len(r.Findings)-i)
			break
		}
		where := ""
		if p := f.Pos.String(); p != "" {
			where = "**" + md(p) + "** — "
		}
		fmt.Fprintf(&b, "- %s %s%s\n", icon(string(severityOf(r, f))), where, md(truncate(findingText(f), maxLineBytes)))
	}
	if len(r.Findings) > 0 && len(r.Notes) > 0 {
		b.WriteString("\n")
	}
	if len(r.Findings) == 0 && len(r.Notes) == 0 {
		return strings.TrimSuffix(b.String(), "\n") + "</details>\n\n"
	}
	for i, n := range r.Notes {
		if i == maxNotesShown {
			fmt.Fprintf(&b, "- … and %d more notes (see the JSON report)\n", len(r.Notes)-i)
			break
		}
		fmt.Fprintf(&b, "- %s\n", md(truncate(n, maxLineBytes)))
	}
	b.WriteString("\n</details>\n\n")
	return b.String()
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
