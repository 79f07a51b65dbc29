package report

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	githubactions "github.com/sethvargo/go-githubactions"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/sanitize"
)

// MaxAnnotations is how many annotations of each level GitHub shows for a
// step; the rest are counted in the job summary instead.
const MaxAnnotations = 10

// GitHub writes what GitHub Actions reads: workflow commands (annotations,
// masks) on stdout, the job summary and the step outputs.
type GitHub struct {
	// Stdout receives workflow commands: the process's guarded stdout, the
	// only writer through which a command is written on purpose.
	Stdout *sanitize.Writer
	// SummaryPath is $GITHUB_STEP_SUMMARY; empty to skip the summary.
	SummaryPath string
	// OutputPath is $GITHUB_OUTPUT; empty to skip outputs.
	OutputPath string
}

// Mask tells the runner to mask secret in the log from now on.
func (g *GitHub) Mask(secret string) {
	// A mask command holds one line; Masker.Add registers lines separately.
	cmd := githubactions.Command{Name: "add-mask", Message: secret}
	_ = g.Stdout.Command(cmd.String()) // escaped: always one line
}

// annotation is one workflow command that marks a problem.
type annotation struct {
	level   gates.Severity
	pos     gates.Pos
	title   string
	message string
}

// command formats the annotation as a workflow command, escaped by
// go-githubactions as the Actions toolkit escapes it. File, title and
// message are untrusted text: each is made one line and inert first.
func (a annotation) command() string {
	props := githubactions.CommandProperties{}
	if a.pos.File != "" {
		props["file"] = sanitize.Text(a.pos.File)
		if a.pos.Line > 0 {
			props["line"] = strconv.Itoa(a.pos.Line)
			if a.pos.Col > 0 {
				props["col"] = strconv.Itoa(a.pos.Col)
			}
		}
	}
	if a.title != "" {
		props["title"] = sanitize.Text(a.title)
	}
	cmd := githubactions.Command{Name: string(a.level), Message: sanitize.Text(a.message), Properties: props}
	return cmd.String()
}

// annotations lists the run's annotations, most important first: gates that
// could not decide, then findings in gate order.
func annotations(run Run) []annotation {
	var out []annotation
	for _, r := range run.Results {
		if r.Status == gates.StatusError {
			level := gates.SeverityError
			if !r.Enforced() {
				level = gates.SeverityWarning
			}
			out = append(out, annotation{level: level, title: "release-gate: " + r.Name + " could not decide", message: oneLine(r.Err)})
		}
	}
	for _, r := range run.Results {
		if r.Status != gates.StatusFail && r.Status != gates.StatusPass {
			continue
		}
		for _, f := range r.Findings {
			title := "release-gate: " + r.Name
			if f.Rule != "" {
				title += " (" + f.Rule + ")"
			}
			msg := f.Message
			if f.Commit != "" {
				msg += " (commit " + shortSHA(f.Commit) + ")"
			}
			if f.Waived != nil {
				msg += " — " + waiverText(f.Waived)
			}
			out = append(out, annotation{level: severityOf(r, f), pos: f.Pos, title: title, message: msg})
		}
	}
	return out
}

// WriteAnnotations prints at most MaxAnnotations annotations per level and
// returns how many it left out.
func (g *GitHub) WriteAnnotations(run Run) (omitted int) {
	count := map[gates.Severity]int{}
	for _, a := range annotations(run) {
		if count[a.level] >= MaxAnnotations {
			omitted++
			continue
		}
		count[a.level]++
		_ = g.Stdout.Command(a.command())
	}
	return omitted
}

// WriteConfigError reports a configuration error, when nothing was checked:
// annotations on the config file, a job summary listing every error, and the
// result output set to error.
func (g *GitHub) WriteConfigError(err error) error {
	g.writeConfigAnnotations(err)
	if g.SummaryPath != "" {
		var b strings.Builder
		b.WriteString("## ❌ release-gate: configuration error\n\nNothing was checked. Fix the configuration:\n\n")
		for i, line := range configErrorLines(err) {
			if i == maxFindingsShown {
				b.WriteString("- …\n")
				break
			}
			b.WriteString("- " + md(truncate(line, maxLineBytes)) + "\n")
		}
		if werr := appendFile(g.SummaryPath, b.String()); werr != nil {
			return werr
		}
	}
	return g.WriteOutputs([]gates.Output{{Name: "result", Value: "error"}, {Name: "failed-gates", Value: ""}})
}

func (g *GitHub) writeConfigAnnotations(err error) {
	var list config.Errors
	var one *config.Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = config.Errors{one}
	default:
		_ = g.Stdout.Command(annotation{level: gates.SeverityError, title: "release-gate: configuration error", message: err.Error()}.command())
		return
	}
	for i, e := range list {
		if i == MaxAnnotations {
			break
		}
		a := annotation{level: gates.SeverityError, pos: gates.Pos{File: e.File, Line: e.Line, Col: e.Col}, title: "release-gate: configuration error", message: e.Msg}
		if e.Line == 0 && strings.HasPrefix(e.File, "action input ") {
			// Not a file: the value came from the workflow's with:.
			a.pos, a.message = gates.Pos{}, e.File+": "+e.Msg
		}
		_ = g.Stdout.Command(a.command())
	}
}

// configErrorLines lists a configuration error one problem per line.
func configErrorLines(err error) []string { return errorLines(err.Error()) }

// errorLines splits an error's text into its lines (errors.Join puts each
// error it joins on a line of its own), each made safe to print, without
// the empty ones.
func errorLines(s string) []string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, sanitize.Text(l))
		}
	}
	return lines
}

// oneLine joins an error's lines with "; ", for the places that hold one
// line (an annotation, a sentence in the job summary), so that they read
// as separate errors rather than as an escaped "\n" between them.
func oneLine(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "; ")
}

// WriteOutputs appends the step outputs to $GITHUB_OUTPUT, each with a
// random heredoc delimiter so no value can forge another output. Values are
// one line: a later step may print one or paste it into a script.
func (g *GitHub) WriteOutputs(outs []gates.Output) error {
	if g.OutputPath == "" {
		return nil
	}
	var b strings.Builder
	for _, o := range outs {
		v := sanitize.Text(o.Value)
		delim := randomDelimiter()
		for strings.Contains(v, delim) {
			delim = randomDelimiter()
		}
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", o.Name, delim, v, delim)
	}
	return appendFile(g.OutputPath, b.String())
}

// WriteSummary appends the job summary.
func (g *GitHub) WriteSummary(run Run, omittedAnnotations int) error {
	if g.SummaryPath == "" {
		return nil
	}
	return appendFile(g.SummaryPath, Summary(run, omittedAnnotations))
}

func randomDelimiter() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return "ghadelimiter_" + hex.EncodeToString(b)
}

func appendFile(path, content string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
