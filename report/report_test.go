package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/sanitize"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file; run go test ./report -update and review the diff\n--- got ---\n%s", name, got)
	}
}

// sampleRun has a gate of every status, hostile text and a warn-mode gate.
func sampleRun() Run {
	results := []gates.Result{
		{
			Name: "secret-scan", Status: gates.StatusFail, Mode: gates.ModeEnforce, Duration: 1234 * time.Millisecond,
			Summary: "2 secrets in 3 commits (abc1234..def5678)",
			Findings: []gates.Finding{
				{Rule: "aws-access-token", Severity: gates.SeverityError, Pos: gates.Pos{File: "app/config.go", Line: 4, Col: 15}, Commit: "0123456789abcdef0123456789abcdef01234567", Message: "AWS access key. Rotate it."},
				{Rule: "generic-api-key", Severity: gates.SeverityError, Pos: gates.Pos{File: "we|ird <b>na*me</b>\n::error::x, y: z%.txt", Line: 1}, Message: "<script>alert(1)</script> | @admin [link](http://x) `code`"},
				{Rule: "##[add-mask]rule", Severity: gates.SeverityError, Pos: gates.Pos{File: "##[error]x.txt", Line: 2}, Message: "\u200b::warning::zero width"},
			},
			Notes: []string{"rules: 222 gitleaks default rules", "db-1\n::error title=X::y.sql.gz"},
		},
		{
			Name: "staging-digest", Status: gates.StatusPass, Mode: gates.ModeEnforce, Duration: 310 * time.Millisecond,
			Summary: "ghcr.io/org/api@sha256:aaaa matches staging",
			Notes:   []string{"pinned: ghcr.io/org/api@sha256:aaaa"},
			Outputs: []gates.Output{{Name: "digest", Value: "sha256:aaaa"}, {Name: "pinned-image", Value: "ghcr.io/org/api@sha256:aaaa"}},
		},
		{
			Name: "alert-presence", Status: gates.StatusError, Mode: gates.ModeEnforce, Duration: 2 * time.Second,
			Summary: "could not decide: GET http://prom:9090/api/v1/rules: 503 Service Unavailable",
			Err:     "GET http://prom:9090/api/v1/rules: 503 Service Unavailable",
		},
		{
			Name: "backup-freshness", Status: gates.StatusFail, Mode: gates.ModeWarn, Duration: 40 * time.Millisecond,
			Summary:  "newest backup is 30h old",
			Findings: []gates.Finding{{Rule: "stale", Severity: gates.SeverityError, Message: "pre_migration_1.sql.gz is 30h old (max-age 24h)"}},
		},
		{Name: "compose", Status: gates.StatusSkipped, Mode: gates.ModeEnforce, Summary: "not configured"},
	}
	return Run{Version: "v1.0.0", Config: ".github/release-gate.yml", Results: results, Verdict: gates.Decide(results), Duration: 2500 * time.Millisecond,
		Source: NewSource("https://github.com", "octo-org/api", strings.Repeat("9b", 20)), ReportPath: "release-gate-report.json"}
}

func TestTextGolden(t *testing.T) {
	var b bytes.Buffer
	tx := NewText(&b)
	run := sampleRun()
	tx.Start(run.Config, []string{"secret-scan", "staging-digest", "alert-presence", "backup-freshness"})
	tx.Progress("secret-scan", "scanned 10 of 20 tracked files")
	for _, r := range run.Results {
		tx.GateDone(r)
	}
	tx.Final(run)
	golden(t, "text.golden", b.String())
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(line, "::") {
			t.Errorf("a hostile file name started a workflow command in the log: %q", line)
		}
	}
}

func TestSummaryGolden(t *testing.T) {
	golden(t, "summary.golden.md", Summary(sampleRun(), 3))
}

func TestSummaryEscapesUntrustedText(t *testing.T) {
	s := Summary(sampleRun(), 0)
	for _, bad := range []string{"<script>", "<b>na", "@admin", "[link](", "`code`", "we|ird"} {
		if strings.Contains(s, bad) {
			t.Errorf("summary contains unescaped %q", bad)
		}
	}
	// Every table row has exactly five unescaped pipes.
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "| ") {
			if n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"); n != 5 {
				t.Errorf("table row has %d cell separators: %q", n, line)
			}
		}
	}
}

func TestSummaryStaysUnderTheLimit(t *testing.T) {
	run := sampleRun()
	var many []gates.Finding
	for i := 0; i < 5000; i++ {
		many = append(many, gates.Finding{Rule: "r", Severity: gates.SeverityError, Pos: gates.Pos{File: strings.Repeat("d/", 200) + fmt.Sprint(i), Line: i}, Message: strings.Repeat("<&>", 2000)})
	}
	for i := range run.Results {
		run.Results[i].Findings = many
		run.Results[i].Notes = []string{strings.Repeat("n", 1<<20)}
		run.Results[i].Summary = strings.Repeat("s|", 1<<19)
		run.Results[i].Status = gates.StatusFail
	}
	for k := 0; k < 50; k++ {
		r := run.Results[0]
		r.Name = fmt.Sprintf("gate-%d", k)
		run.Results = append(run.Results, r)
	}
	s := Summary(run, 0)
	if len(s) > MaxSummaryBytes {
		t.Fatalf("summary is %d bytes, limit %d", len(s), MaxSummaryBytes)
	}
	if !strings.Contains(s, "left out to keep this summary under GitHub's size limit") {
		t.Error("the summary does not say details were left out")
	}
}

func TestAnnotations(t *testing.T) {
	var b bytes.Buffer
	gh := &GitHub{Stdout: sanitize.NewWriter(&b)}
	omitted := gh.WriteAnnotations(sampleRun())
	golden(t, "annotations.golden", b.String())
	if omitted != 0 {
		t.Errorf("omitted %d", omitted)
	}
}

func TestAnnotationsAreCappedPerLevel(t *testing.T) {
	run := sampleRun()
	var fs []gates.Finding
	for i := 0; i < 25; i++ {
		fs = append(fs, gates.Finding{Rule: "r", Severity: gates.SeverityError, Pos: gates.Pos{File: "f", Line: i + 1}, Message: "m"})
	}
	run.Results[0].Findings = fs
	run.Results[3].Findings = fs[:12] // warn mode: warnings
	var b bytes.Buffer
	omitted := (&GitHub{Stdout: sanitize.NewWriter(&b)}).WriteAnnotations(run)
	errs, warns := strings.Count(b.String(), "::error "), strings.Count(b.String(), "::warning ")
	if errs != MaxAnnotations || warns != MaxAnnotations {
		t.Errorf("%d errors and %d warnings annotated", errs, warns)
	}
	// 25 findings + 1 gate error = 26 errors, 12 warnings: 16 + 2 left out.
	if omitted != 18 {
		t.Errorf("omitted %d, want 18", omitted)
	}
}

func TestEscaping(t *testing.T) {
	// Line breaks are shown as \n and \r before escaping: an annotation's
	// message and properties are one line whatever the runner unescapes.
	a := annotation{level: gates.SeverityError, pos: gates.Pos{File: "a:b,c%\n.txt", Line: 3}, title: "t: x", message: "100% done\r\nnext %0A::error::x"}
	if got, want := a.command(), `::error file=a%3Ab%2Cc%25\n.txt,line=3,title=t%3A x::100%25 done\r\nnext %250A::error::x`; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestOutputsUseRandomDelimiters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out")
	gh := &GitHub{OutputPath: path}
	hostile := "x\nresult<<EOF\npass\nEOF"
	if err := gh.WriteOutputs([]gates.Output{{Name: "result", Value: "fail"}, {Name: "digest", Value: hostile}}); err != nil {
		t.Fatal(err)
	}
	got := parseOutputs(t, path)
	if got["result"] != "fail" || got["digest"] != `x\nresult<<EOF\npass\nEOF` || len(got) != 2 {
		t.Errorf("outputs %q", got)
	}
}

// parseOutputs reads a $GITHUB_OUTPUT file the way the runner does.
func parseOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] == "" {
			continue
		}
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			t.Fatalf("line %q is not a heredoc", lines[i])
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

func TestJSONReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	if err := WriteJSON(path, sampleRun()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report.golden.json", string(data))
	// The contract's shape.
	var rep struct {
		Version int    `json:"version"`
		Result  string `json:"result"`
		Gates   []struct {
			Name, Status, Mode, Summary, Error string
			DurationMS                         *int64 `json:"duration_ms"`
			Findings                           []map[string]any
		} `json:"gates"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Version != 1 || rep.Result != "error" || len(rep.Gates) != 5 || rep.Gates[0].DurationMS == nil {
		t.Errorf("report %+v", rep)
	}
	if rep.Gates[3].Findings[0]["severity"] != "warning" {
		t.Errorf("a warn-mode finding is a warning: %v", rep.Gates[3].Findings[0])
	}
	if err := WriteJSON(filepath.Join(t.TempDir(), "missing", "dir", "r.json"), sampleRun()); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

func TestSARIF(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.sarif")
	if err := WriteSARIF(path, sampleRun()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report.golden.sarif", string(data))
}

func TestConfigErrorReport(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	gh := &GitHub{Stdout: sanitize.NewWriter(&b), SummaryPath: filepath.Join(dir, "summary"), OutputPath: filepath.Join(dir, "out")}
	err := config.Errors{{File: ".github/release-gate.yml", Line: 3, Col: 5, Msg: `gates.secret-scan: unknown key "scoep"`}}
	if werr := gh.WriteConfigError(err); werr != nil {
		t.Fatal(werr)
	}
	if want := "::error col=5,file=.github/release-gate.yml,line=3,title=release-gate%3A configuration error::gates.secret-scan: unknown key \"scoep\"\n"; b.String() != want {
		t.Errorf("annotation\n got %q\nwant %q", b.String(), want)
	}
	if out := parseOutputs(t, gh.OutputPath); out["result"] != "error" {
		t.Errorf("outputs %v", out)
	}
	summary, _ := os.ReadFile(gh.SummaryPath)
	if !strings.Contains(string(summary), "configuration error") || !strings.Contains(string(summary), "scoep") {
		t.Errorf("summary %s", summary)
	}
}
