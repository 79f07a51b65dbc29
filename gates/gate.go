// Package gates holds the domain of release-gate: the Gate interface, what a
// gate reports (findings), what the runner makes of it (results) and the
// runner itself. Individual gates live in sub-packages; none of them builds a
// Result, so none can get a status, a duration or a timeout wrong.
package gates

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/release-gate/release-gate/internal/cores"
)

// Gate is one line of the release checklist turned into a check.
//
// Run returns the findings it proved wrong. A non-nil error means the gate
// could not reach a verdict (network down, credentials rejected, git failed);
// the runner reports it as status error, which fails the run closed.
type Gate interface {
	Name() string
	Run(ctx context.Context, env *Env) ([]Finding, error)
}

// Severity says how much a finding matters.
type Severity string

// Severities of a finding. Only error-severity findings fail a gate.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityNotice  Severity = "notice"
)

// Pos is a position in a file of the workspace. File is relative to the
// workspace and uses forward slashes; Line and Col are 1-based, 0 when unknown.
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats the position as file:line:col, leaving out unknown parts.
func (p Pos) String() string {
	switch {
	case p.File == "":
		return ""
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	}
}

// Finding is one thing a gate proved wrong. Message never contains a secret.
type Finding struct {
	Rule     string
	Severity Severity
	Pos      Pos
	Commit   string // full commit SHA, when the finding comes from history
	Message  string
	// Labels say what the finding is about beyond its file, for waivers
	// to match: "image" (staging-digest), "alertname" and "category"
	// (alert-presence). Each gate's page lists the labels it sets.
	Labels map[string]string
	// Within lists the files besides Pos.File that the finding concerns: a
	// compose service declared in one file whose key is inherited from
	// another (Pos). A waiver's path must match each of them too, so that a
	// waiver for one directory does not cover a service elsewhere that
	// extends one of its files.
	Within []string
	// Waived is set by the runner when a waiver lets the finding pass; a
	// gate never sets it.
	Waived *Waived
}

// Event is what the CI system says about the change being released: the
// commits a pull request or push spans. Base is empty when there is none (a
// new branch, a run outside CI).
type Event struct {
	Name string // GitHub event name: pull_request, push, merge_group, ...
	Base string
	Head string
}

// Env is the only outside world a gate sees. Tests inject every part of it.
type Env struct {
	// Workspace is the absolute path of the repository being released.
	Workspace string
	// Now is the clock.
	Now func() time.Time
	// HTTPClient is used for every HTTP request a gate makes.
	HTTPClient *http.Client
	// Getenv reads the process environment (credentials named in the config).
	Getenv func(string) string
	// Event is the change under test.
	Event Event
	// Token is the GitHub token handed to the action (the token input, else
	// GITHUB_TOKEN); empty when none.
	Token string
	// ConfigRef is the full id of the commit the configuration was read
	// from (--config-ref); empty when it was read from the workspace.
	// Files the configuration names (a deploy-window calendar) are read
	// from that commit too, so the change under test cannot edit them.
	ConfigRef string
	// ConfigFiles are the workspace-relative paths of the files that
	// configure the run besides .github/release-gate.yml (a --config file
	// elsewhere, a waivers file), so that a gate can tell a reviewer when
	// the change under test edits them.
	ConfigFiles []string
	// Cores is shared by the gates of a run: a gate whose work is one
	// steady stream holds a core while it runs (Hold), and work divided
	// into many pieces takes one per piece (Take), so that it yields to
	// the other. nil limits nothing.
	Cores *cores.Pool

	rec *recorder
}

// Notef adds a line to the gate's details in the job summary and text report,
// for evidence a reader wants to see whatever the verdict (attempts made,
// rules that cover a category, the pinned image).
func (e *Env) Notef(format string, args ...any) {
	if e.rec != nil {
		e.rec.note(fmt.Sprintf(format, args...))
	}
}

// NoteStack adds the first lines of a panic's stack to the gate's details,
// for a panic the gate recovered in a goroutine of its own before raising
// it again in the gate's (whose stack the runner keeps would not show
// where it happened).
func (e *Env) NoteStack(what string, stack []byte) {
	if e.rec != nil {
		e.rec.note("stack of " + what + ":\n" + strings.Join(firstLines(string(stack), maxStackLines), "\n"))
	}
}

// MaxChartPoints bounds the values of one chart: a chart is to see a
// trend, and the summary has a size limit.
const MaxChartPoints = 200

// Chart records a series of values for the job summary to draw, such as
// an analysis' evaluations. Values that are not finite are left out, and
// only the last MaxChartPoints are kept.
func (e *Env) Chart(title string, values []float64) {
	if e.rec != nil {
		e.rec.chart(title, values)
	}
}

// SetSummary sets the one-line reason shown for the gate when it passes or
// fails (an error is always summarised by the error itself).
func (e *Env) SetSummary(format string, args ...any) {
	if e.rec != nil {
		e.rec.setSummary(fmt.Sprintf(format, args...))
	}
}

// SetOutput sets a step output (for example digest) for later workflow steps.
func (e *Env) SetOutput(name, value string) {
	if e.rec != nil {
		e.rec.setOutput(name, value)
	}
}

// Mask registers a secret value: it is masked in the CI log from now on and
// replaced by *** in every report.
func (e *Env) Mask(secret string) {
	if e.rec != nil {
		e.rec.mask(secret)
	}
}

// Masked returns s with every secret registered so far (Mask, by any gate)
// replaced by ***. Call it before cutting text that may hold one short:
// the masking of the reports recognises a secret only whole.
func (e *Env) Masked(s string) string {
	if e.rec == nil || e.rec.masker == nil {
		return s
	}
	return e.rec.masker.Redact(s)
}

// Progressf prints a progress line for long work (on stderr, prefixed by the
// gate's name). Use it at most every few seconds.
func (e *Env) Progressf(format string, args ...any) {
	if e.rec != nil {
		e.rec.progress(fmt.Sprintf(format, args...))
	}
}
