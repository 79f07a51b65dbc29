package report

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/gates"
)

// testSHA is a commit SHA, built at run time: a hex literal in the source
// reads as a key to a secret scanner.
var testSHA = strings.Repeat("0a", 20)

// blockedRun has four enforced gates that failed, one that could not
// decide, one warn-mode failure and skipped gates, as a real bad day reads.
func blockedRun(findings int) Run {
	var many []gates.Finding
	for i := 1; i <= findings; i++ {
		many = append(many, gates.Finding{Rule: "generic-api-key", Severity: gates.SeverityError, Pos: gates.Pos{File: fmt.Sprintf("svc/file %d.go", i), Line: i}, Message: "secret"})
	}
	results := []gates.Result{
		{Name: "secret-scan", Status: gates.StatusFail, Mode: gates.ModeEnforce, Summary: fmt.Sprintf("%d secrets", findings), Findings: many},
		{Name: "staging-digest", Status: gates.StatusFail, Mode: gates.ModeEnforce, Summary: "digest mismatch", Findings: []gates.Finding{{Rule: "digest-mismatch", Message: "not the image staging validated"}}},
		{Name: "alert-presence", Status: gates.StatusError, Mode: gates.ModeEnforce, Summary: "could not decide: 503", Err: "503"},
		{Name: "backup-freshness", Status: gates.StatusFail, Mode: gates.ModeEnforce, Summary: "stale", Findings: []gates.Finding{{Rule: "stale", Message: "30h old"}}},
		{Name: "compose", Status: gates.StatusFail, Mode: gates.ModeEnforce, Summary: "no healthcheck", Findings: []gates.Finding{{Rule: "healthcheck", Pos: gates.Pos{File: "compose.yaml", Line: 3}, Message: "service api has no healthcheck"}}},
		{Name: "health-endpoints", Status: gates.StatusFail, Mode: gates.ModeWarn, Summary: "503", Findings: []gates.Finding{{Rule: "readiness", Message: "503"}}},
		{Name: "rollback-readiness", Status: gates.StatusSkipped, Summary: "not configured"},
		{Name: "extra", Status: gates.StatusSkipped, Summary: "not selected (--gates)"},
	}
	return Run{Version: "v1.0.0", Config: "built-in default", Results: results, Verdict: gates.Decide(results),
		Source:     NewSource("https://github.com", "Octo-Org/api.v2", testSHA),
		ReportPath: "release-gate-report.json"}
}

func TestSummaryHeadingNamesEveryBlockingGate(t *testing.T) {
	s := Summary(blockedRun(3), 0)
	heading, _, _ := strings.Cut(s, "\n")
	if !strings.HasPrefix(heading, "## ") {
		t.Fatalf("first line %q is not a heading", heading)
	}
	for _, name := range []string{"secret-scan", "staging-digest", "alert-presence", "backup-freshness", "compose"} {
		if !strings.Contains(heading, name) {
			t.Errorf("heading %q does not name %s", heading, name)
		}
	}
	if strings.Contains(heading, "health-endpoints") {
		t.Errorf("heading %q names a warn-mode gate, which does not block", heading)
	}
	if !strings.Contains(heading, "alert-presence could not decide") {
		t.Errorf("heading %q does not say which gate could not decide", heading)
	}
}

func TestSummaryCollapsesSkippedGates(t *testing.T) {
	s := Summary(blockedRun(1), 0)
	rows := 0
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| Gate") && !strings.HasPrefix(line, "| ---") {
			rows++
			if strings.Contains(line, "skipped") {
				t.Errorf("a skipped gate has a row: %q", line)
			}
		}
	}
	if rows != 6 {
		t.Errorf("%d table rows, want one per gate that ran (6)", rows)
	}
	want := "⏭️ Skipped: rollback-readiness (not configured); extra (not selected \\(--gates\\))"
	if !strings.Contains(s, want+"\n") {
		t.Errorf("summary lacks the line %q:\n%s", want, s)
	}
}

func TestSummaryCountsAreTrue(t *testing.T) {
	s := Summary(blockedRun(127), 30)
	if strings.Contains(s, "All are listed") {
		t.Error("the summary says all findings are listed, but it shows 100 of 127")
	}
	for _, want := range []string{"100 of 127 findings shown", "27 more findings", "release-gate-report.json", reportsDoc} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if n := strings.Count(s, "file%20"); n != 100 {
		t.Errorf("%d findings linked, want 100", n)
	}
}

func TestSummaryLinksFindingsToTheirLines(t *testing.T) {
	s := Summary(blockedRun(2), 0)
	for _, want := range []string{
		"[**svc/file 1.go:1**](https://github.com/Octo-Org/api.v2/blob/" + testSHA + "/svc/file%201.go#L1)",
		"[**compose.yaml:3**](https://github.com/Octo-Org/api.v2/blob/" + testSHA + "/compose.yaml#L3)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %s:\n%s", want, s)
		}
	}
	// A finding from history links to its own commit.
	run := blockedRun(1)
	commit := strings.Repeat("ab", 20)
	run.Results[0].Findings[0].Commit = commit
	if s := Summary(run, 0); !strings.Contains(s, "/blob/"+commit+"/svc/file%201.go#L1)") {
		t.Errorf("a history finding does not link to its commit:\n%s", s)
	}
	// Without a valid link base there are no links, and the locations stay.
	run = blockedRun(1)
	run.Source = Source{}
	if s := Summary(run, 0); strings.Contains(s, "/blob/") || !strings.Contains(s, "**svc/file 1.go:1**") {
		t.Errorf("summary without a link base:\n%s", s)
	}
}

func TestNewSourceRefusesHostileValues(t *testing.T) {
	sha := testSHA
	good := NewSource("https://github.example.com:8443/", "o/r", sha)
	if got := good.LineURL("a/b c.go", 7, ""); got != "https://github.example.com:8443/o/r/blob/"+sha+"/a/b%20c.go#L7" {
		t.Errorf("LineURL = %q", got)
	}
	for _, c := range []struct{ server, repo, commit string }{
		{"javascript:alert(1)", "o/r", sha},
		{"https://github.com/evil", "o/r", sha},
		{"https://user:pw@github.com", "o/r", sha},
		{"https://github.com?x=1", "o/r", sha},
		{"https://github.com#frag", "o/r", sha},
		{"https://gith ub.com", "o/r", sha},
		{"https://github.com)[x](http://evil", "o/r", sha},
		{"https://[::1]", "o/r", sha},
		{"ftp://github.com", "o/r", sha},
		{"//github.com", "o/r", sha},
		{"", "o/r", sha},
		{"https://github.com", "o/r/../../x", sha},
		{"https://github.com", "o", sha},
		{"https://github.com", "o/..", sha},
		{"https://github.com", "o/r)", sha},
		{"https://github.com", "o/r", "HEAD"},
		{"https://github.com", "o/r", sha[:39]},
		{"https://github.com", "o/r", strings.ToUpper(sha)},
		{"https://github.com:99999", "o/r", sha},
	} {
		if src := NewSource(c.server, c.repo, c.commit); src.Valid() {
			t.Errorf("NewSource(%q, %q, %q) makes links: %q", c.server, c.repo, c.commit, src.LineURL("f", 1, ""))
		}
	}
	for _, p := range []string{"", "/etc/passwd", "a/../b", "a//b", "./a"} {
		if u := good.LineURL(p, 1, ""); u != "" {
			t.Errorf("LineURL(%q) = %q, want no link", p, u)
		}
	}
	if u := good.LineURL("f", 1, "not-a-sha)"); u != "" {
		t.Errorf("a finding's hostile commit made a link: %q", u)
	}
	if u := good.LineURL("(x)[y]<z>\"'*`!$&+,;=@", 0, ""); !regexp.MustCompile(`^[A-Za-z0-9:/._~%-]+$`).MatchString(u) {
		t.Errorf("LineURL left syntax unescaped: %q", u)
	}
}

// A gate's charts are drawn as Mermaid line charts, which job summaries
// render; values that are not finite are left out, and a title keeps only
// plain words.
func TestSummaryDrawsCharts(t *testing.T) {
	results := []gates.Result{{Name: "staging-analysis", Status: gates.StatusPass, Mode: gates.ModeEnforce, Summary: "ok",
		Notes: []string{"errors: 3 successful"},
		Charts: []gates.Chart{
			{Title: "errors\"]\n```\n::error::x <b>", Values: []float64{0.001, math.NaN(), 0.2, math.Inf(1), 0.0015}},
			{Title: "one point", Values: []float64{1}},
		}}}
	s := Summary(Run{Version: "v1", Results: results, Verdict: gates.Decide(results)}, 0)
	want := "```mermaid\nxychart-beta\n    title \"errors ::error::x b\"\n    x-axis [1, 2, 3]\n    line [0.001, 0.2, 0.0015]\n```\n"
	if !strings.Contains(s, want) {
		t.Errorf("summary has no chart\n%s\nwant\n%s", s, want)
	}
	if strings.Count(s, "```mermaid") != 1 {
		t.Errorf("a chart of one value is drawn:\n%s", s)
	}
}
