package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/sanitize"
)

func TestTextLiveProgressReplacesItself(t *testing.T) {
	var b bytes.Buffer
	tx := NewText(&b)
	tx.Color, tx.Live = true, true
	tx.Progress("secret-scan", "scanned 10 of 40 tracked files")
	tx.Progress("backup-freshness", "verifying s3://b/x.gz: 1 MiB (1048576 bytes) of 4 MiB (4194304 bytes) read")
	tx.GateDone(gates.Result{Name: "secret-scan", Status: gates.StatusFail, Mode: gates.ModeEnforce})
	tx.Progress("secret-scan", "scanning 3 commits")
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4: %q", len(lines), lines)
	}
	if strings.HasPrefix(lines[0], ansiClearUp) || !strings.HasSuffix(lines[0], "(25%)") {
		t.Errorf("first progress line %q", lines[0])
	}
	if !strings.HasPrefix(lines[1], ansiClearUp) || !strings.HasSuffix(lines[1], "(25%)") || !strings.Contains(lines[1], "backup-freshness") {
		t.Errorf("second progress line does not replace the first, or lacks its percentage: %q", lines[1])
	}
	if !strings.HasPrefix(lines[2], ansiClearUp) || !strings.Contains(lines[2], ansiRed+"fail"+ansiReset) {
		t.Errorf("a finished gate does not replace the progress line in colour: %q", lines[2])
	}
	if strings.HasPrefix(lines[3], ansiClearUp) {
		t.Errorf("progress after a finished gate erased it: %q", lines[3])
	}
}

func TestTextPlainWhenNotATerminal(t *testing.T) {
	var b bytes.Buffer
	tx := NewText(&b)
	tx.Progress("secret-scan", "scanned 1 of 3 tracked files")
	tx.Progress("secret-scan", "scanned 2 of 3 tracked files")
	run := blockedRun(3)
	for _, r := range run.Results {
		tx.GateDone(r)
	}
	tx.Final(run)
	if strings.ContainsRune(b.String(), '\x1b') {
		t.Errorf("escape sequences without a terminal:\n%q", b.String())
	}
	for _, want := range []string{"scanned 1 of 3 tracked files (33%)\n", "scanned 2 of 3 tracked files (66%)\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}

func TestTextListsEveryFindingOrNamesTheReport(t *testing.T) {
	run := blockedRun(127)
	// A forbidden file comes last, after the secrets.
	run.Results[0].Findings = append(run.Results[0].Findings, gates.Finding{Rule: "forbidden-file", Severity: gates.SeverityError, Pos: gates.Pos{File: ".env"}, Message: "tracked environment file"})
	run.ReportPath = ""
	var b bytes.Buffer
	NewText(&b).Final(run)
	for i := 1; i <= 127; i++ {
		if !strings.Contains(b.String(), fmt.Sprintf("svc/file %d.go:%d:", i, i)) {
			t.Fatalf("finding %d is not listed without a JSON report", i)
		}
	}
	if !strings.Contains(b.String(), ".env: tracked environment file") || strings.Contains(b.String(), "JSON report") {
		t.Errorf("without a JSON report every finding is printed, and none is referred to one:\n%s", b.String())
	}

	run.ReportPath = "out/report.json"
	b.Reset()
	tx := NewText(&b)
	tx.MaxFindings = 100
	tx.Final(run)
	if !strings.Contains(b.String(), "… 28 more: every finding is in out/report.json") {
		t.Errorf("the cut does not name the report written:\n%s", b.String())
	}
}

func TestTextVerdictNamesEveryBlockingGate(t *testing.T) {
	var b bytes.Buffer
	NewText(&b).Final(blockedRun(1))
	out := b.String()
	verdict := out[strings.LastIndex(strings.TrimSuffix(out, "\n"), "\n")+1:]
	for _, name := range []string{"secret-scan", "staging-digest", "alert-presence", "backup-freshness", "compose"} {
		if !strings.Contains(verdict, name) {
			t.Errorf("verdict %q does not name %s", verdict, name)
		}
	}
	if !strings.Contains(out, "SKIPPED rollback-readiness (not configured)\nSKIPPED extra (not selected (--gates))\n") {
		t.Errorf("skipped gates are not one line per reason:\n%s", out)
	}
}

func TestTextLiveProgressFitsTheTerminal(t *testing.T) {
	var b bytes.Buffer
	tx := NewText(&b)
	tx.Live, tx.Width = true, 40
	tx.Progress("backup-freshness", "verifying s3://prod-backups/orders/pre_migration_2026.sql.gz: 1 of 4 read")
	line := strings.TrimSuffix(b.String(), "\n")
	if n := len([]rune(line)); n >= 40 || !strings.HasSuffix(line, "…") {
		t.Errorf("live line of %d columns on a 40-column terminal: %q", n, line)
	}
}

func TestJoinedErrorsAreOneALine(t *testing.T) {
	joined := "liveness http://127.0.0.1:1/health never answered: connection refused\nreadiness http://127.0.0.1:1/health/ready never answered: connection refused"
	run := Run{Results: []gates.Result{{Name: "health-endpoints", Status: gates.StatusError, Mode: gates.ModeEnforce, Summary: "could not decide: liveness …", Err: joined}}}
	run.Verdict = gates.Decide(run.Results)

	var b bytes.Buffer
	NewText(&b).Final(run)
	want := "        error: liveness http://127.0.0.1:1/health never answered: connection refused\n        error: readiness http://127.0.0.1:1/health/ready never answered: connection refused\n"
	if !strings.Contains(b.String(), want) || strings.Contains(b.String(), `\n`) {
		t.Errorf("the text report does not put each joined error on its own line:\n%s", b.String())
	}

	oneLine := "liveness http://127.0.0.1:1/health never answered: connection refused; readiness http://127.0.0.1:1/health/ready never answered: connection refused"
	var out bytes.Buffer
	(&GitHub{Stdout: sanitize.NewWriter(&out)}).WriteAnnotations(run)
	if lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"); len(lines) != 1 || !strings.HasSuffix(lines[0], "::"+oneLine) {
		t.Errorf("annotation is not one line joining the errors with \"; \":\n%s", out.String())
	}
	if s := Summary(run, 0); !strings.Contains(s, "Could not decide: "+md(oneLine)) {
		t.Errorf("summary does not join the errors with \"; \":\n%s", s)
	}
}
