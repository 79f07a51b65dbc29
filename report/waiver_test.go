package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
)

// waivedRun is a run whose one finding a waiver lets pass; the waiver's
// text is what a hostile configuration could write.
func waivedRun() Run {
	w := &gates.Waived{Owner: "@org/team", Reason: "migration | see [x](https://evil.example)\n::error::forged", Ticket: "OPS-123",
		Expires: time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC), DaysLeft: 1, Source: gates.Pos{File: ".github/release-gate.yml", Line: 12}}
	results := []gates.Result{{Name: "compose", Status: gates.StatusPass, Mode: gates.ModeEnforce, Summary: "passed (1 finding(s) waived)",
		Findings: []gates.Finding{{Rule: "healthcheck", Severity: gates.SeverityError, Pos: gates.Pos{File: "compose.yaml", Line: 3, Col: 3}, Message: "service api has no healthcheck", Waived: w}}}}
	return Run{Version: "v1", Config: "c.yml", Results: results, Verdict: gates.Decide(results)}
}

func TestWaivedFindingInEveryReport(t *testing.T) {
	run := waivedRun()
	if run.Verdict.Result != "pass" {
		t.Fatalf("verdict %s", run.Verdict.Result)
	}
	const shown = "waived by @org/team until 2026-12-15 (1 day left): migration | see [x](https://evil.example)\\n::error::forged [OPS-123] (waiver at .github/release-gate.yml:12)"

	var jr JSONReport
	data, err := EncodeJSON(run)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &jr); err != nil {
		t.Fatal(err)
	}
	f := jr.Gates[0].Findings[0]
	if f.Severity != "notice" || f.Waiver == nil || f.Waiver.Expires != "2026-12-15T00:00:00Z" || f.Waiver.DaysLeft != 1 || f.Waiver.File != ".github/release-gate.yml" || f.Waiver.Line != 12 {
		t.Errorf("JSON finding %+v", f)
	}
	if strings.Contains(f.Waiver.Reason, "\n") {
		t.Errorf("JSON reason is not one line: %q", f.Waiver.Reason)
	}

	summary := Summary(run, 0)
	if !strings.Contains(summary, "waived by &#64;org/team until 2026-12-15 \\(1 day left\\): migration \\| see \\[x\\]\\(https://evil.example\\)") {
		t.Errorf("summary does not show the waiver escaped:\n%s", summary)
	}

	var sarif struct {
		Runs []struct {
			Results []struct {
				Level        string
				Suppressions []struct{ Kind, Status, Justification string }
			}
		}
	}
	data, err = EncodeSARIF(run)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &sarif); err != nil {
		t.Fatal(err)
	}
	res := sarif.Runs[0].Results[0]
	if res.Level != "note" || len(res.Suppressions) != 1 || res.Suppressions[0].Kind != "external" || res.Suppressions[0].Status != "accepted" || !strings.HasSuffix(res.Suppressions[0].Justification, shown) {
		t.Errorf("SARIF result %+v", res)
	}

	var buf bytes.Buffer
	NewText(&buf).Final(run)
	if !strings.Contains(buf.String(), shown) {
		t.Errorf("text report lacks the waiver:\n%s", buf.String())
	}
}
