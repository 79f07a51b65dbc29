package gates

import (
	"fmt"
	"strings"
	"time"
)

// Status is the verdict on one gate.
type Status string

// Gate statuses.
const (
	StatusPass    Status = "pass"
	StatusFail    Status = "fail"
	StatusError   Status = "error"   // the gate could not reach a verdict
	StatusSkipped Status = "skipped" // not configured or not selected
)

// Mode says whether a gate's failure blocks the release.
type Mode string

// Gate modes.
const (
	ModeEnforce Mode = "enforce"
	ModeWarn    Mode = "warn"
)

// Output is a named value for later workflow steps.
type Output struct {
	Name  string
	Value string
}

// Result is what the runner makes of one gate's run.
type Result struct {
	Name     string
	Status   Status
	Mode     Mode
	Duration time.Duration
	// Summary is one line: why the gate passed, failed, errored or was skipped.
	Summary string
	// Err is the reason the gate could not decide; set only for StatusError.
	Err      string
	Findings []Finding
	// Notes are evidence lines the gate recorded (see Env.Notef).
	Notes   []string
	Outputs []Output
	// Charts are series the gate measured, drawn in the job summary.
	Charts []Chart
}

// Chart is a series of values a gate measured, in order (an analysis'
// evaluations), drawn as a line in the job summary.
type Chart struct {
	Title  string
	Values []float64
}

// Enforced reports whether this result counts towards the exit code.
func (r Result) Enforced() bool { return r.Mode != ModeWarn }

// Exit codes of the contract.
const (
	ExitPass  = 0 // every enforced gate passed
	ExitFail  = 1 // at least one enforced gate failed
	ExitUsage = 2 // usage or configuration error: nothing was checked
	ExitError = 3 // at least one enforced gate could not decide: fail closed
)

// Verdict is the verdict on a whole run.
type Verdict struct {
	Result string // pass | fail | error
	Exit   int
	// Failed lists the gates that failed or errored, enforced or not, in order.
	Failed []string
}

// Decide computes the verdict: error (exit 3) when an enforced gate could not
// decide, else fail (exit 1) when an enforced gate failed, else pass.
func Decide(results []Result) Verdict {
	v := Verdict{Result: "pass", Exit: ExitPass}
	for _, r := range results {
		if r.Status == StatusFail || r.Status == StatusError {
			v.Failed = append(v.Failed, r.Name)
		}
		if !r.Enforced() {
			continue
		}
		switch r.Status {
		case StatusError:
			v.Result, v.Exit = "error", ExitError
		case StatusFail:
			if v.Exit != ExitError {
				v.Result, v.Exit = "fail", ExitFail
			}
		}
	}
	return v
}

// statusOf derives a gate's status from what Run returned.
func statusOf(findings []Finding, err error) Status {
	if err != nil {
		return StatusError
	}
	for _, f := range findings {
		if blocks(f) {
			return StatusFail
		}
	}
	return StatusPass
}

// blocks reports whether a finding fails its gate: an error no waiver lets
// pass.
func blocks(f Finding) bool {
	return (f.Severity == SeverityError || f.Severity == "") && f.Waived == nil
}

// defaultSummary is the one-line reason when the gate did not set one.
func defaultSummary(status Status, findings []Finding, err error) string {
	switch status {
	case StatusError:
		return "could not decide: " + firstLine(err.Error())
	case StatusFail:
		var errs []Finding
		for _, f := range findings {
			if blocks(f) {
				errs = append(errs, f)
			}
		}
		if len(errs) == 1 {
			return firstLine(errs[0].Message)
		}
		return fmt.Sprintf("%d problems; first: %s", len(errs), firstLine(errs[0].Message))
	default:
		return "passed"
	}
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
