package secretscan

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/report"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/testenv"
)

// findingField sets one field of a finding to a value drawn from a small
// set, so that findings and entries often agree on it.
type findingField struct {
	name     string
	compared bool // by detect.IsNew, for redacted findings
	set      func(f *report.Finding, r *rand.Rand)
}

func pick[T any](r *rand.Rand, vs ...T) T { return vs[r.IntN(len(vs))] }

var findingFields = []findingField{
	{"RuleID", true, func(f *report.Finding, r *rand.Rand) { f.RuleID = pick(r, "aws-access-token", "github-pat", "") }},
	{"Description", true, func(f *report.Finding, r *rand.Rand) { f.Description = pick(r, "AWS", "GitHub", "") }},
	{"StartLine", true, func(f *report.Finding, r *rand.Rand) { f.StartLine = pick(r, 1, 2, 0) }},
	{"EndLine", true, func(f *report.Finding, r *rand.Rand) { f.EndLine = pick(r, 1, 2, -1) }},
	{"StartColumn", true, func(f *report.Finding, r *rand.Rand) { f.StartColumn = pick(r, 1, 7, 0) }},
	{"EndColumn", true, func(f *report.Finding, r *rand.Rand) { f.EndColumn = pick(r, 20, 27, 0) }},
	{"File", true, func(f *report.Finding, r *rand.Rand) { f.File = pick(r, "a.txt", "b/a.txt", "a.txt ", "") }},
	{"Commit", true, func(f *report.Finding, r *rand.Rand) { f.Commit = pick(r, "", "0123abc", "0123abd") }},
	{"Author", true, func(f *report.Finding, r *rand.Rand) { f.Author = pick(r, "", "t", "T") }},
	{"Email", true, func(f *report.Finding, r *rand.Rand) { f.Email = pick(r, "", "t@example.com") }},
	{"Date", true, func(f *report.Finding, r *rand.Rand) { f.Date = pick(r, "", "2026-01-02T03:04:05Z") }},
	{"Message", true, func(f *report.Finding, r *rand.Rand) { f.Message = pick(r, "", "add key", "add key\n") }},
	{"Entropy", true, func(f *report.Finding, r *rand.Rand) {
		f.Entropy = pick(r, float32(0), float32(math.Copysign(0, -1)), 3.5, 3.5000002, float32(math.NaN()))
	}},
	{"Match", false, func(f *report.Finding, r *rand.Rand) { f.Match = pick(r, "", "REDACTED", "key = REDACTED") }},
	{"Secret", false, func(f *report.Finding, r *rand.Rand) { f.Secret = pick(r, "", "REDACTED", "s3cr3t") }},
	{"Line", false, func(f *report.Finding, r *rand.Rand) { f.Line = pick(r, "", "key = REDACTED") }},
	{"SymlinkFile", false, func(f *report.Finding, r *rand.Rand) { f.SymlinkFile = pick(r, "", "link.txt") }},
	{"Link", false, func(f *report.Finding, r *rand.Rand) { f.Link = pick(r, "", "https://example.com/x") }},
	{"Tags", false, func(f *report.Finding, r *rand.Rand) { f.Tags = pick(r, nil, []string{}, []string{"a", "b"}) }},
	{"Fingerprint", false, func(f *report.Finding, r *rand.Rand) { f.Fingerprint = pick(r, "", "a.txt:github-pat:1") }},
}

func randomFinding(r *rand.Rand) report.Finding {
	var f report.Finding
	for _, fl := range findingFields {
		fl.set(&f, r)
	}
	if f.Entropy != f.Entropy { // JSON cannot hold NaN
		f.Entropy = 1
	}
	return f
}

// TestBaselineMatchesGitleaks holds the baseline lookup to gitleaks' own
// reading (detect.LoadBaseline) and comparison (detect.IsNew, with
// findings redacted as the gate's detectors redact them) over generated
// baselines and findings: findings that differ from an entry in one field
// each (compared by IsNew or not), duplicates, -0 and NaN entropies,
// huge fields, and JSON gitleaks reads loosely or not at all.
func TestBaselineMatchesGitleaks(t *testing.T) {
	rs, err := loadRules(nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	g, err := newGitleaksDetector(rs, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := g.newDetector(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d.Redact == 0 {
		t.Fatal("the gate's detectors keep secrets: IsNew then compares Match and Secret, which the lookup leaves out")
	}
	const redact = 100

	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	differs := map[string]int{} // field → findings that differ from an entry in it alone, and that IsNew keeps
	check := func(data []byte, findings []report.Finding) {
		t.Helper()
		path := filepath.Join(dir, "baseline.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		want, wantErr := detect.LoadBaseline(path)
		b, err := parseBaseline(data)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("baseline %.200q: error %v, gitleaks' %v", data, err, wantErr)
		}
		if err != nil {
			return
		}
		for _, f := range findings {
			if got, want := b.accepts(&f), want != nil && !detect.IsNew(f, redact, want); got != want {
				t.Fatalf("baseline %.300q, finding %+v: accepted %v, gitleaks %v", data, f, got, want)
			}
		}
	}
	for range 3000 {
		entries := make([]report.Finding, 1+r.IntN(6))
		for i := range entries {
			entries[i] = randomFinding(r)
		}
		entries = append(entries, entries[r.IntN(len(entries))]) // a duplicate
		var findings []report.Finding
		for _, e := range entries {
			findings = append(findings, e)
			for _, fl := range findingFields {
				f := e
				fl.set(&f, r)
				findings = append(findings, f)
				if fl.compared && detect.IsNew(f, redact, entries) {
					differs[fl.name]++
				}
			}
			findings = append(findings, randomFinding(r))
		}
		data, err := json.Marshal(entries)
		if err != nil {
			t.Fatal(err)
		}
		check(data, findings)
	}
	for _, fl := range findingFields {
		if fl.compared && differs[fl.name] == 0 {
			t.Errorf("no finding differed from an entry in %s alone", fl.name)
		}
	}

	// JSON written by hand: what gitleaks reads loosely (any case of a
	// key, the last of two, -0, unknown keys, null), and what it refuses.
	f := report.Finding{RuleID: "github-pat", File: "a.txt", StartLine: 1}
	neg := f
	neg.Entropy = float32(math.Copysign(0, -1))
	nan := f
	nan.Entropy = float32(math.NaN())
	other := f
	other.File = "b.txt"
	huge := f
	huge.Description = strings.Repeat("x", 1<<20)
	findings := []report.Finding{f, neg, nan, other, huge, {}}
	for _, text := range []string{
		`[{"RuleID":"github-pat","File":"a.txt","StartLine":1}]`,
		`[{"ruleid":"github-pat","FILE":"a.txt","startLine":1}]`,
		`[{"RuleID":"github-pat","File":"b.txt","File":"a.txt","StartLine":1}]`,
		`[{"RuleID":"github-pat","File":"a.txt","StartLine":1,"Entropy":-0}]`,
		`[{"RuleID":"github-pat","File":"a.txt","StartLine":1,"Entropy":0.0000000000000000000000000000000000000000000001}]`,
		`[{"RuleID":"github-pat","File":"a.txt","StartLine":1,"Fingerprint":"x","Tags":["y"],"Unknown":{"a":[1]}}]`,
		`[{"RuleID":"github-pat","File":"a.txt","StartLine":1,"Description":"` + huge.Description + `"}]`,
		`[{},{},{}]`, `[null]`, `[]`, `null`, ` [ ] `,
		`[{"RuleID":"github-pat","File":"a.txt","StartLine":"1"}]`,
		`[{"RuleID":"github-pat","File":"a.txt","StartLine":1,"Entropy":1e40}]`,
		`[{"RuleID":"github-pat","File":"a.txt","StartLine":1,"Tags":"y"}]`,
		`{"RuleID":"github-pat"}`, `"x"`, `[{}] x`, `[{},]`, "\ufeff[]", ``, `not json`,
	} {
		check([]byte(text), findings)
	}
}

// TestJSONArrayLen holds the count of a baseline's entries to
// encoding/json's.
func TestJSONArrayLen(t *testing.T) {
	for _, text := range []string{
		`[]`, ` [ ] `, `[{}]`, `[1,2,3]`, `[[],[1,[2,3]],{}]`, `[{"a":[1,2],"b":{"c":[3]}},{}]`,
		`["a,b","[","]","{","\"",",\\"]`, `[ "\\\"],[\"" , {"k\"":"v,]"} ]`, "[\n{}\t,\r\n{}\n]\n",
		`null`, `{}`, `{"a":[1,2]}`, `"x"`, `1`, `[1,]`, `[`, `]`, `[}`, `[1] [2]`, ``, `[],`,
	} {
		var raw []json.RawMessage
		want := -1
		if err := json.Unmarshal([]byte(text), &raw); err == nil && raw != nil {
			want = len(raw)
		}
		if got := jsonArrayLen([]byte(text)); got != want {
			t.Errorf("jsonArrayLen(%q) = %d, want %d", text, got, want)
		}
	}
}

// A baseline of more entries than the gate reads is an error naming the
// file and what to change; one at the bound is read.
func TestBaselineTooLarge(t *testing.T) {
	r := newRepo(t)
	r.commit("init", map[string]string{"a.txt": "nothing\n"})
	entries := func(n int) string { return "[" + strings.Repeat("{},", n-1) + "{}]" }
	r.write("full.json", entries(maxBaselineEntries))
	res := scan(t, r.dir, "scope: tree\nbaseline: full.json", gates.Event{})
	wantStatus(t, res, gates.StatusPass)

	r.write("over.json", entries(maxBaselineEntries+1))
	res = scan(t, r.dir, "scope: tree\nbaseline: over.json", gates.Event{})
	wantStatus(t, res, gates.StatusError)
	for _, want := range []string{"over.json", fmt.Sprint(maxBaselineEntries + 1), "allowlist"} {
		testenv.MustContain(t, "error", res.Err, want)
	}
}

// gitleaks does not scan its baseline, whatever it holds; nor does the
// gate with the policy that names it. A change that puts a secret there
// is still caught in the diff scope, by the policy at base.
func TestBaselineItselfNotScanned(t *testing.T) {
	r := newRepo(t)
	base := r.commit("init", map[string]string{"a.txt": "nothing\n"})
	held := `[{"RuleID":"x","Description":"` + testenv.AWSKey(t) + `"}]`
	head := r.commit("baseline", map[string]string{"baseline.json": held, "other.json": held})
	res := scan(t, r.dir, "scope: tree", gates.Event{})
	if got := where(res.Findings); len(got) != 2 {
		t.Fatalf("without a baseline configured: %v", got)
	}
	res = scan(t, r.dir, "scope: tree\nbaseline: baseline.json", gates.Event{})
	if got := where(res.Findings); !slices.Equal(got, []string{"other.json:1 aws-access-token"}) {
		t.Errorf("tree: %v", got)
	}
	res = scan(t, r.dir, "scope: diff\nbaseline: baseline.json", gates.Event{Base: base, Head: head})
	want := []string{"baseline.json:0 scan-policy-edited warning", "baseline.json:1 suppressed-in-change error", "other.json:1 aws-access-token error"}
	if got := kinds(res.Findings); !slices.Equal(got, want) {
		t.Errorf("diff: %v, want %v", got, want)
	}
}
