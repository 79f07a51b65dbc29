package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/sanitize"
)

// The fuzz targets here feed hostile text into every field a gate or the
// configuration can fill, and check each reporter's output the way the
// Actions runner reads it: the only lines it could execute are the
// commands the reporter meant to write, each well formed, naming the file
// it was given and nothing more.

// command is a workflow command as the runner parses it (ActionCommand
// TryParseV2 in actions/runner).
type command struct {
	name  string
	props map[string]string
	data  string
}

// parseCommand parses line as the runner does; ok is false when the runner
// would not read it as a command of the V2 form.
func parseCommand(line string) (c command, ok bool) {
	msg := strings.TrimLeftFunc(line, unicode.IsSpace)
	if !strings.HasPrefix(msg, "::") {
		return c, false
	}
	end := strings.Index(msg[2:], "::")
	if end < 0 {
		return c, false
	}
	info := msg[2 : 2+end]
	c.name, _, _ = strings.Cut(info, " ")
	c.props = map[string]string{}
	if _, props, found := strings.Cut(info, " "); found {
		for _, p := range strings.Split(strings.TrimSpace(props), ",") {
			k, v, ok := strings.Cut(p, "=")
			if ok && k != "" && v != "" {
				c.props[k] = unescape(v, true)
			}
		}
	}
	c.data = unescape(msg[2+end+2:], false)
	return c, true
}

func unescape(s string, property bool) string {
	s = strings.NewReplacer("%0D", "\r", "%0A", "\n").Replace(s)
	if property {
		s = strings.NewReplacer("%3A", ":", "%2C", ",").Replace(s)
	}
	return strings.ReplaceAll(s, "%25", "%")
}

// hostileRun puts the fuzzed strings in every field of a run with a gate
// of each status.
func hostileRun(file, msg, rule, note string, line int) Run {
	results := []gates.Result{
		{Name: "secret-scan", Status: gates.StatusFail, Mode: gates.ModeEnforce, Duration: time.Second, Summary: msg,
			Findings: []gates.Finding{
				{Rule: rule, Severity: gates.SeverityError, Pos: gates.Pos{File: file, Line: line, Col: line}, Commit: rule, Message: msg},
				{Rule: rule, Severity: gates.SeverityWarning, Pos: gates.Pos{File: file}, Message: note},
				{Rule: rule, Severity: gates.SeverityNotice, Message: msg},
				// A waiver's owner, reason and ticket come from the
				// configuration: as hostile as the rest.
				{Rule: rule, Severity: gates.SeverityError, Pos: gates.Pos{File: file, Line: line}, Message: msg,
					Waived: &gates.Waived{Owner: msg, Reason: note, Ticket: rule, Expires: time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC), DaysLeft: line, Source: gates.Pos{File: file, Line: line}}},
			},
			Notes:   []string{note, msg},
			Outputs: []gates.Output{{Name: "digest", Value: msg}},
		},
		{Name: "staging-digest", Status: gates.StatusError, Mode: gates.ModeEnforce, Summary: note, Err: msg, Notes: []string{file}},
		{Name: "backup-freshness", Status: gates.StatusFail, Mode: gates.ModeWarn, Summary: file,
			Findings: []gates.Finding{{Rule: rule, Pos: gates.Pos{File: file, Line: 1}, Message: msg}}},
		{Name: "compose", Status: gates.StatusSkipped, Summary: note},
		{Name: "alert-presence", Status: gates.StatusPass, Summary: msg, Notes: []string{note},
			// A chart's title is a query's name from the configuration.
			Charts:   []gates.Chart{{Title: note, Values: []float64{float64(line), 0.5, math.NaN(), -1e300}}, {Title: msg + rule, Values: []float64{1, 2}}},
			Findings: []gates.Finding{{Rule: rule, Severity: gates.SeverityWarning, Message: msg, Labels: map[string]string{note: msg, "image": file}}}},
	}
	return Run{Version: rule, Config: file, Results: results, Verdict: gates.Decide(results), Duration: time.Second,
		Source: NewSource(fuzzServer, fuzzRepo, fuzzCommit), ReportPath: note}
}

// chartLine is every line a Mermaid chart block may hold: nothing from a
// hostile title can end the block or say more than its own words.
var chartLine = regexp.MustCompile(`^(xychart-beta|    title "[A-Za-z0-9 _.,:/()=+…-]*"|    x-axis \[[0-9, ]+\]|    line \[[0-9eE.+, -]+\]|` + "```" + `)$`)

// checkCharts checks each Mermaid block of the summary line by line.
func checkCharts(t *testing.T, summary string) {
	t.Helper()
	in := false
	for _, l := range strings.Split(summary, "\n") {
		switch {
		case l == "```mermaid":
			in = true
		case in:
			if !chartLine.MatchString(l) {
				t.Fatalf("chart line %q", l)
			}
			if l == "```" {
				in = false
			}
		}
	}
	if in {
		t.Fatal("a chart block is not closed")
	}
}

// The link base of hostileRun: findings link below it, and nowhere else.
const (
	fuzzServer = "https://github.example.com"
	fuzzRepo   = "octo-org/api"
)

// fuzzCommit is built at run time: a hex literal reads as a key to a
// secret scanner.
var fuzzCommit = strings.Repeat("c4", 20)

var linkTargetRE = regexp.MustCompile(`\]\(([^)]*)\)`)

// checkLinks fails when a Markdown link of the summary leads anywhere but
// a file of the repository checked or the documentation, or holds a
// character that Markdown or HTML could read as syntax.
func checkLinks(t *testing.T, summary string) {
	t.Helper()
	for _, m := range linkTargetRE.FindAllStringSubmatch(summary, -1) {
		u := m[1]
		if u != reportsDoc && !strings.HasPrefix(u, fuzzServer+"/"+fuzzRepo+"/blob/") {
			t.Fatalf("summary links to %q", u)
		}
		checkURLChars(t, u)
	}
}

func checkURLChars(t *testing.T, u string) {
	t.Helper()
	for _, c := range u {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~%/#:", c)) {
			t.Fatalf("link %q holds %q", u, c)
		}
	}
}

func addSeeds(f *testing.F) {
	f.Add("db-1\n::error title=X::y.sql.gz", "##[error]x.txt", "rule", "note", 1)
	f.Add("a:b,c%\r\n.txt", "\u200b::add-mask::x", "##[set-output name=result;]pass", "\x00::warning::n", 3)
	f.Add("\u3000::error file=x::y", "%0A::error::x", "r,line=9", "line1\rline2", -1)
	f.Add("<b>@admin</b> | `x`", "\ufeff::notice::\u2028::error::", "a::b", "#\u00ad#[error]", 0)
}

// checkNoCommands fails when any line of out, or any part of one between
// carriage returns, could be read as a workflow command.
func checkNoCommands(t *testing.T, what, out string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		for _, seg := range strings.Split(line, "\r") {
			if sanitize.IsCommand(seg) {
				t.Fatalf("%s: line %q can be read as a workflow command", what, line)
			}
		}
	}
}

func FuzzTextReport(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, file, msg, rule, note string, line int) {
		run := hostileRun(file, msg, rule, note, line)
		var b bytes.Buffer // unguarded: the reporter must be safe on its own
		tx := NewText(&b)
		tx.Start(file, []string{"secret-scan"})
		tx.Progress("secret-scan", msg)
		for _, r := range run.Results {
			tx.GateDone(r)
		}
		tx.Final(run)
		tx.ConfigError(errors.New(msg + "\n" + note))
		tx.ConfigError(config.Errors{{File: file, Line: line, Msg: msg}})
		checkNoCommands(t, "text report", b.String())
	})
}

func FuzzGitHubReport(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, file, msg, rule, note string, line int) {
		run := hostileRun(file, msg, rule, note, line)
		dir := t.TempDir()
		var b bytes.Buffer
		stdout := sanitize.NewWriter(&b)
		gh := &GitHub{Stdout: stdout, SummaryPath: filepath.Join(dir, "summary"), OutputPath: filepath.Join(dir, "output")}
		gh.Mask(msg)
		omitted := gh.WriteAnnotations(run)
		if err := gh.WriteSummary(run, omitted); err != nil {
			t.Fatal(err)
		}
		if err := gh.WriteOutputs(run.Outputs(file)); err != nil {
			t.Fatal(err)
		}
		if err := stdout.Flush(); err != nil {
			t.Fatal(err)
		}
		checkCommands(t, b.String(), stdout.Commands(), file)

		summary, err := os.ReadFile(gh.SummaryPath)
		if err != nil {
			t.Fatal(err)
		}
		if len(summary) > MaxSummaryBytes {
			t.Errorf("summary is %d bytes", len(summary))
		}
		checkNoCommands(t, "job summary", string(summary))
		checkLinks(t, string(summary))
		checkCharts(t, string(summary))
		// A link base made of hostile values links nowhere, or only to
		// a plain address.
		if u := NewSource(note, rule, msg).LineURL(file, line, ""); u != "" {
			if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
				t.Fatalf("link %q", u)
			}
			checkURLChars(t, u)
		}

		outs := parseOutputs(t, gh.OutputPath)
		want := map[string]bool{"result": true, "failed-gates": true, "report": true, "digest": true}
		for name, value := range outs {
			if !want[name] {
				t.Errorf("output %q was forged (value %q)", name, value)
			}
			if strings.ContainsAny(value, "\r\n") || sanitize.IsCommand(value) {
				t.Errorf("output %s=%q is not one inert line", name, value)
			}
		}
		if len(outs) != len(want) {
			t.Errorf("outputs %q, want %d of them", outs, len(want))
		}
		if outs["result"] != run.Verdict.Result {
			t.Errorf("result output %q, verdict %q", outs["result"], run.Verdict.Result)
		}

		data, err := json.Marshal(NewJSONReport(run))
		if err != nil {
			t.Fatal(err)
		}
		checkJSONStrings(t, "JSON report", data)
		sarif, err := json.Marshal(NewSARIF(run))
		if err != nil {
			t.Fatal(err)
		}
		checkJSONStrings(t, "SARIF", sarif)
	})
}

func FuzzConfigErrorReport(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, file, msg, rule, note string, line int) {
		dir := t.TempDir()
		for _, err := range []error{
			config.Errors{{File: file, Line: line, Col: line, Msg: msg}, {File: rule, Msg: note}},
			&config.Error{File: file, Line: line, Msg: msg},
			errors.New(msg + "\n" + note),
		} {
			var b bytes.Buffer
			stdout := sanitize.NewWriter(&b)
			gh := &GitHub{Stdout: stdout, SummaryPath: filepath.Join(dir, "summary"), OutputPath: filepath.Join(dir, "output")}
			if werr := gh.WriteConfigError(err); werr != nil {
				t.Fatal(werr)
			}
			if err := stdout.Flush(); err != nil {
				t.Fatal(err)
			}
			wantFile := ""
			var ce config.Errors
			var one *config.Error
			if errors.As(err, &ce) {
				wantFile = file
			} else if errors.As(err, &one) {
				wantFile = file
			}
			checkCommands(t, b.String(), stdout.Commands(), wantFile, rule)
			var tb bytes.Buffer
			NewText(&tb).ConfigError(err)
			checkNoCommands(t, "config error text", tb.String())
		}
	})
}

// checkCommands checks the GitHub reporter's stdout: every line is a
// command it meant to write (as many as it wrote through Command), of a
// known kind, with no property but the ones annotations have, naming one of
// the files it was given, with data on one line.
func checkCommands(t *testing.T, out string, meant int, files ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if out == "" {
		lines = nil
	}
	if len(lines) != meant {
		t.Fatalf("stdout has %d lines, the reporter wrote %d commands:\n%s", len(lines), meant, out)
	}
	for _, line := range lines {
		c, ok := parseCommand(line)
		if !ok {
			t.Fatalf("stdout line %q is not a workflow command", line)
		}
		switch c.name {
		case "error", "warning", "notice":
		case "add-mask":
			if len(c.props) != 0 {
				t.Errorf("add-mask with properties: %q", line)
			}
			continue
		default:
			t.Fatalf("unexpected command %q in %q", c.name, line)
		}
		for k, v := range c.props {
			switch k {
			case "line", "col":
				if strings.Trim(v, "-0123456789") != "" {
					t.Errorf("property %s=%q in %q", k, v, line)
				}
			case "title":
				if strings.ContainsAny(v, "\r\n") {
					t.Errorf("title %q is not one line", v)
				}
			case "file":
				known := false
				for _, f := range files {
					known = known || v == sanitize.Text(f)
				}
				if !known {
					t.Errorf("file=%q in %q is not a file the reporter was given (%q)", v, line, files)
				}
			default:
				t.Errorf("forged property %q in %q", k, line)
			}
		}
		if strings.ContainsAny(c.data, "\r\n") {
			t.Errorf("annotation message %q is not one line", c.data)
		}
	}
}

// checkJSONStrings checks that every string in a JSON document is one line
// that cannot be read as a command if a later step prints it.
func checkJSONStrings(t *testing.T, what string, data []byte) {
	t.Helper()
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if strings.ContainsAny(x, "\r\n") || sanitize.IsCommand(x) {
				t.Fatalf("%s: string %q is not one inert line", what, x)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for k, e := range x {
				walk(k)
				walk(e)
			}
		}
	}
	walk(doc)
}
