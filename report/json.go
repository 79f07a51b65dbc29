package report

import (
	"encoding/json"
	"time"

	"github.com/release-gate/release-gate/internal/sanitize"
	"github.com/release-gate/release-gate/internal/wsfile"
)

// JSONReport is the JSON report of the contract (version 1). Fields may be
// added; none is renamed or removed.
type JSONReport struct {
	Version  int        `json:"version"`
	Result   string     `json:"result"`
	ExitCode int        `json:"exit_code"`
	Tool     string     `json:"tool_version,omitempty"`
	Config   string     `json:"config,omitempty"`
	Gates    []JSONGate `json:"gates"`
}

// JSONGate is one gate in the JSON report.
type JSONGate struct {
	Name       string            `json:"name"`
	Status     string            `json:"status"`
	Mode       string            `json:"mode"`
	DurationMS int64             `json:"duration_ms"`
	Summary    string            `json:"summary"`
	Error      string            `json:"error,omitempty"`
	Findings   []JSONFinding     `json:"findings"`
	Notes      []string          `json:"notes,omitempty"`
	Outputs    map[string]string `json:"outputs,omitempty"`
}

// JSONFinding is one finding in the JSON report.
type JSONFinding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Commit   string `json:"commit,omitempty"`
	// Labels say what the finding is about (image, alertname, category),
	// as a waiver's labels and image match them.
	Labels map[string]string `json:"labels,omitempty"`
	// Waiver is set when a waiver lets the finding pass; Severity is then
	// notice.
	Waiver *JSONWaiver `json:"waiver,omitempty"`
}

// JSONWaiver is the waiver that lets a finding pass.
type JSONWaiver struct {
	Owner    string `json:"owner"`
	Reason   string `json:"reason"`
	Ticket   string `json:"ticket,omitempty"`
	Expires  string `json:"expires"` // RFC 3339, UTC
	DaysLeft int    `json:"days_left"`
	File     string `json:"file,omitempty"` // where the waiver is written
	Line     int    `json:"line,omitempty"`
}

// NewJSONReport builds the JSON report of a run. Every string in it is one
// line and inert (sanitize.Text): a later step may print any field with jq.
func NewJSONReport(run Run) JSONReport {
	t := sanitize.Text
	rep := JSONReport{Version: 1, Result: run.Verdict.Result, ExitCode: run.Verdict.Exit, Tool: t(run.Version), Config: t(run.Config), Gates: []JSONGate{}}
	for _, r := range run.Results {
		g := JSONGate{
			Name:       t(r.Name),
			Status:     string(r.Status),
			Mode:       string(r.Mode),
			DurationMS: r.Duration.Milliseconds(),
			Summary:    t(r.Summary),
			Error:      t(r.Err),
			Findings:   []JSONFinding{},
		}
		for _, n := range r.Notes {
			g.Notes = append(g.Notes, t(n))
		}
		for _, f := range r.Findings {
			jf := JSONFinding{
				Rule: t(f.Rule), Severity: string(severityOf(r, f)), Message: t(f.Message),
				File: t(f.Pos.File), Line: f.Pos.Line, Column: f.Pos.Col, Commit: t(f.Commit),
			}
			for k, v := range f.Labels {
				if jf.Labels == nil {
					jf.Labels = map[string]string{}
				}
				jf.Labels[t(k)] = t(v)
			}
			if w := f.Waived; w != nil {
				jf.Waiver = &JSONWaiver{Owner: t(w.Owner), Reason: t(w.Reason), Ticket: t(w.Ticket),
					Expires: w.Expires.UTC().Format(time.RFC3339), DaysLeft: w.DaysLeft, File: t(w.Source.File), Line: w.Source.Line}
			}
			g.Findings = append(g.Findings, jf)
		}
		if len(r.Outputs) > 0 {
			g.Outputs = map[string]string{}
			for _, o := range r.Outputs {
				g.Outputs[t(o.Name)] = t(o.Value)
			}
		}
		rep.Gates = append(rep.Gates, g)
	}
	return rep
}

// EncodeJSON returns the JSON report of a run, indented, with a final
// newline.
func EncodeJSON(run Run) ([]byte, error) {
	data, err := json.MarshalIndent(NewJSONReport(run), "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// WriteJSON writes the JSON report to path (see wsfile.WriteFile: a reader
// never sees half a report, and a failed write leaves any previous one).
func WriteJSON(path string, run Run) error {
	data, err := EncodeJSON(run)
	if err != nil {
		return err
	}
	return wsfile.WriteFile("", path, data)
}
