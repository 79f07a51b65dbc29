package gates

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var clock = time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)

func at(days float64) time.Time { return clock.Add(time.Duration(days * 24 * float64(time.Hour))) }

// secretFinding is a secret-scan finding as the gate reports one from
// history.
var secretFinding = Finding{Rule: "aws-access-token", Severity: SeverityError, Pos: Pos{File: "deploy/prod.env.txt", Line: 3, Col: 5}, Commit: "0123456789abcdef0123456789abcdef01234567", Message: "a key"}

func findings(fs ...Finding) func(context.Context, *Env) ([]Finding, error) {
	return func(context.Context, *Env) ([]Finding, error) { return slices.Clone(fs), nil }
}

func runWaived(t *testing.T, waivers []Waiver, jobs ...Job) []Result {
	t.Helper()
	r := Runner{Waivers: waivers}
	return r.Run(context.Background(), Env{Now: func() time.Time { return clock }}, jobs)
}

func waiver(gate string, expires time.Time) Waiver {
	return Waiver{Gate: gate, Owner: "@ops", Reason: "migration", Expires: expires, Source: Pos{File: "w.yml", Line: 4}}
}

// TestWaiverMatchers: each matcher that is set must match; the runner's
// clock decides days left.
func TestWaiverMatchers(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Waiver)
		want bool
	}{
		{"gate only", func(*Waiver) {}, true},
		{"other gate", func(w *Waiver) { w.Gate = "compose" }, false},
		{"rule", func(w *Waiver) { w.Rule = "aws-access-token" }, true},
		{"other rule", func(w *Waiver) { w.Rule = "github-pat" }, false},
		{"path glob", func(w *Waiver) { w.Path = "deploy/**" }, true},
		{"path class", func(w *Waiver) { w.Path = "deploy/[ps]*.env.txt" }, true},
		{"braces are literal", func(w *Waiver) { w.Path = "deploy/{prod,stage}.env.txt" }, false},
		{"path no match", func(w *Waiver) { w.Path = "src/**" }, false},
		{"path is not a prefix", func(w *Waiver) { w.Path = "deploy" }, false},
		{"fingerprint with commit", func(w *Waiver) {
			w.Fingerprint = secretFinding.Commit + ":deploy/prod.env.txt:aws-access-token:3"
		}, true},
		{"fingerprint without commit", func(w *Waiver) { w.Fingerprint = "deploy/prod.env.txt:aws-access-token:3" }, true},
		{"fingerprint other line", func(w *Waiver) { w.Fingerprint = "deploy/prod.env.txt:aws-access-token:4" }, false},
		{"fingerprint other commit", func(w *Waiver) {
			w.Fingerprint = strings.Repeat("f", 40) + ":deploy/prod.env.txt:aws-access-token:3"
		}, false},
		{"rule and path, path differs", func(w *Waiver) { w.Rule, w.Path = "aws-access-token", "x/**" }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := waiver("secret-scan", at(10.5))
			c.edit(&w)
			res := runWaived(t, []Waiver{w}, Job{Gate: gate("secret-scan", findings(secretFinding))})
			got := res[0].Findings[0].Waived != nil
			if got != c.want {
				t.Fatalf("waived %v, want %v", got, c.want)
			}
			if wantStatus := map[bool]Status{true: StatusPass, false: StatusFail}[c.want]; res[0].Status != wantStatus {
				t.Errorf("status %s, want %s", res[0].Status, wantStatus)
			}
			if c.want && res[0].Findings[0].Waived.DaysLeft != 11 {
				t.Errorf("days left %d, want 11 (10.5 rounded up)", res[0].Findings[0].Waived.DaysLeft)
			}
		})
	}
}

// TestWaiverFingerprintOfACommitIsNotAFileName: git allows ':' in a file
// name, so a change can add "<commit>:deploy/prod.env.txt". A fingerprint
// naming that commit's deploy/prod.env.txt does not waive what is found in
// that file, on any commit or in the tracked files.
func TestWaiverFingerprintOfACommitIsNotAFileName(t *testing.T) {
	named := secretFinding
	named.Pos.File = secretFinding.Commit + ":deploy/prod.env.txt"
	for _, commit := range []string{strings.Repeat("e", 40), ""} {
		named.Commit = commit
		w := waiver("secret-scan", at(10.5))
		w.Fingerprint = secretFinding.Commit + ":deploy/prod.env.txt:aws-access-token:3"
		res := runWaived(t, []Waiver{w}, Job{Gate: gate("secret-scan", findings(named))})
		if res[0].Findings[0].Waived != nil || res[0].Status != StatusFail {
			t.Errorf("commit %q: the finding in %s was waived (%s)", commit, named.Pos.File, res[0].Status)
		}
	}
}

// TestWaiverPathCoversWithin: a finding that concerns other files besides
// its place (see Finding.Within) is waived by a path only when the path
// matches them all.
func TestWaiverPathCoversWithin(t *testing.T) {
	f := Finding{Rule: "healthcheck", Severity: SeverityError, Pos: Pos{File: "deploy/batch/compose.yaml", Line: 4}, Message: "no interval"}
	for _, c := range []struct {
		within []string
		want   bool
	}{{nil, true}, {[]string{"deploy/batch/other.yaml"}, true}, {[]string{"compose.yaml"}, false}, {[]string{"deploy/batch/a.yaml", "compose.yaml"}, false}} {
		w := waiver("compose", at(10.5))
		w.Path = "deploy/batch/**"
		f.Within = c.within
		res := runWaived(t, []Waiver{w}, Job{Gate: gate("compose", findings(f))})
		if got := res[0].Findings[0].Waived != nil; got != c.want {
			t.Errorf("within %v: waived %v, want %v", c.within, got, c.want)
		}
	}
}

// TestWaiverImageAndLabels: image matches the finding's image label
// exactly; every label a waiver names must be the finding's, with the same
// value. A finding without labels matches neither.
func TestWaiverImageAndLabels(t *testing.T) {
	labelled := Finding{Rule: "route-blackhole", Severity: SeverityError, Message: "nobody is paged",
		Labels: map[string]string{"alertname": "HighCPU", "category": "cpu", "image": "ghcr.io/o/api:abc"}}
	for _, c := range []struct {
		name    string
		finding Finding
		edit    func(*Waiver)
		want    bool
	}{
		{"image", labelled, func(w *Waiver) { w.Image = "ghcr.io/o/api:abc" }, true},
		{"other tag", labelled, func(w *Waiver) { w.Image = "ghcr.io/o/api:def" }, false},
		{"repository alone is not the image", labelled, func(w *Waiver) { w.Image = "ghcr.io/o/api" }, false},
		{"one label", labelled, func(w *Waiver) { w.Labels = map[string]string{"alertname": "HighCPU"} }, true},
		{"two labels", labelled, func(w *Waiver) { w.Labels = map[string]string{"alertname": "HighCPU", "category": "cpu"} }, true},
		{"one of two differs", labelled, func(w *Waiver) { w.Labels = map[string]string{"alertname": "HighCPU", "category": "memory"} }, false},
		{"label the finding lacks", labelled, func(w *Waiver) { w.Labels = map[string]string{"team": ""} }, false},
		{"no labels on the finding", secretFinding, func(w *Waiver) { w.Labels = map[string]string{"alertname": "HighCPU"} }, false},
		{"no image on the finding", secretFinding, func(w *Waiver) { w.Image = "ghcr.io/o/api:abc" }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := waiver("alert-presence", at(3))
			c.edit(&w)
			res := runWaived(t, []Waiver{w}, Job{Gate: gate("alert-presence", findings(c.finding))})
			if got := res[0].Findings[0].Waived != nil; got != c.want {
				t.Fatalf("waived %v, want %v", got, c.want)
			}
		})
	}
}

// TestWaiverNeverTurnsAnErrorIntoAVerdict: a gate that could not decide
// stays error, however broadly a waiver matches what it returned, and the
// waiver is not called unused.
func TestWaiverNeverTurnsAnErrorIntoAVerdict(t *testing.T) {
	half := func(context.Context, *Env) ([]Finding, error) {
		return []Finding{secretFinding}, errors.New("git log failed")
	}
	res := runWaived(t, []Waiver{waiver("secret-scan", at(5))}, Job{Gate: gate("secret-scan", half)})
	if res[0].Status != StatusError || res[0].Err != "git log failed" {
		t.Fatalf("status %s (%s), want error", res[0].Status, res[0].Err)
	}
	if d := Decide(res); d.Exit != ExitError {
		t.Errorf("exit %d, want %d", d.Exit, ExitError)
	}
	if w := res[1]; w.Name != WaiversResult || len(w.Findings) != 0 || !strings.Contains(strings.Join(w.Notes, "\n"), "was not checked") {
		t.Errorf("waivers result %+v: a waiver of a gate that could not decide is neither used nor unused", w)
	}
}

// TestWaiverExpiryAndCap: a waiver at or past its date, or beyond the cap,
// waives nothing and fails the run naming where it is written.
func TestWaiverExpiryAndCap(t *testing.T) {
	for _, c := range []struct {
		name    string
		expires time.Time
		maxDays int
		rule    string
	}{
		{"expired", at(-0.5), 0, RuleWaiverExpired},
		{"expires now", clock, 0, RuleWaiverExpired},
		{"beyond the default cap", at(90.01), 0, RuleWaiverTooLong},
		{"beyond a smaller cap", at(8), 7, RuleWaiverTooLong},
		{"at the cap", at(90), 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Runner{Waivers: []Waiver{waiver("secret-scan", c.expires)}, MaxWaiverDays: c.maxDays}
			// A warn-mode gate: the waivers' own result is enforced whatever
			// the gates' modes.
			res := r.Run(context.Background(), Env{Now: func() time.Time { return clock }}, []Job{{Gate: gate("secret-scan", findings(secretFinding)), Mode: ModeWarn}})
			w := res[1]
			if c.rule == "" {
				if res[0].Status != StatusPass || w.Status != StatusPass {
					t.Fatalf("gate %s, waivers %s: want both pass", res[0].Status, w.Status)
				}
				return
			}
			if res[0].Findings[0].Waived != nil || res[0].Status != StatusFail {
				t.Errorf("the waiver applied: %+v", res[0])
			}
			if w.Status != StatusFail || len(w.Findings) != 1 || w.Findings[0].Rule != c.rule || w.Findings[0].Pos != (Pos{File: "w.yml", Line: 4}) {
				t.Fatalf("waivers result %+v, want one %s at w.yml:4", w, c.rule)
			}
			if d := Decide(res); d.Exit != ExitFail || !slices.Contains(d.Failed, WaiversResult) {
				t.Errorf("verdict %+v, want fail naming waivers", d)
			}
		})
	}
}

// TestWaiverFirstMatchAndUnused: the first waiver in order that matches
// is the one named; a later one that matched nothing, on a gate that
// decided, is a warning.
func TestWaiverFirstMatchAndUnused(t *testing.T) {
	first, second, third := waiver("secret-scan", at(3)), waiver("secret-scan", at(30)), waiver("compose", at(3))
	first.Owner, second.Owner = "first", "second"
	first.Rule = "aws-access-token"
	other := Finding{Rule: "healthcheck", Severity: SeverityError, Pos: Pos{File: "compose.yaml", Line: 2}, Message: "no healthcheck"}
	res := runWaived(t, []Waiver{first, second, third},
		Job{Gate: gate("secret-scan", findings(secretFinding))},
		Job{Gate: gate("compose", findings(other, Finding{Rule: "logging", Message: "no rotation"}))},
	)
	if w := res[0].Findings[0].Waived; w == nil || w.Owner != "first" || w.DaysLeft != 3 {
		t.Fatalf("waived by %+v, want first", w)
	}
	if res[0].Summary != "passed (1 finding(s) waived)" {
		t.Errorf("summary %q", res[0].Summary)
	}
	// compose: the waiver matches both findings; one had no severity,
	// which counts as error.
	if res[1].Status != StatusPass || res[1].Findings[1].Waived == nil {
		t.Errorf("compose %+v", res[1])
	}
	w := res[2]
	if w.Status != StatusPass || len(w.Findings) != 1 || w.Findings[0].Rule != RuleWaiverUnused || !strings.Contains(w.Findings[0].Message, "owner second") {
		t.Fatalf("waivers result %+v, want the second waiver unused", w)
	}
	if w.Summary != "3 waiver(s): 2 applied, 1 unused" {
		t.Errorf("summary %q", w.Summary)
	}
}

// TestGateCannotWaiveItself: Waived is the runner's to set.
func TestGateCannotWaiveItself(t *testing.T) {
	forged := secretFinding
	forged.Waived = &Waived{Owner: "gate", Expires: at(1)}
	res := runWaived(t, nil, Job{Gate: gate("secret-scan", findings(forged))})
	if res[0].Status != StatusFail || res[0].Findings[0].Waived != nil {
		t.Fatalf("a gate's own Waived was kept: %+v", res[0])
	}
	if len(res) != 1 {
		t.Errorf("%d results, want no waivers result without waivers", len(res))
	}
}

// TestWaiverLeavesWarningsAlone: a waiver that matches a whole gate waives
// its errors, not its warnings: a warning that the change edits the
// waivers stays a warning.
func TestWaiverLeavesWarningsAlone(t *testing.T) {
	edited := Finding{Rule: "scan-policy-edited", Severity: SeverityWarning, Pos: Pos{File: ".github/release-gate.yml"}, Message: "edited"}
	res := runWaived(t, []Waiver{waiver("secret-scan", at(5))}, Job{Gate: gate("secret-scan", findings(secretFinding, edited))})
	if res[0].Findings[0].Waived == nil || res[0].Findings[1].Waived != nil || res[0].Status != StatusPass {
		t.Fatalf("findings %+v, want the error waived and the warning not", res[0].Findings)
	}
	only := waiver("secret-scan", at(5))
	only.Rule = "scan-policy-edited"
	res = runWaived(t, []Waiver{only}, Job{Gate: gate("secret-scan", findings(edited))})
	if res[0].Findings[0].Waived != nil || res[1].Findings[0].Rule != RuleWaiverUnused {
		t.Errorf("a waiver of a warning applied: %+v / %+v", res[0], res[1])
	}
}

// BenchmarkWaivers measures what waivers add to the runner's work on a
// gate with 1,000 findings: none, 10 and 100 waivers with path globs and
// rules, of which one matches. Compare the sub-benchmarks side by side.
func BenchmarkWaivers(b *testing.B) {
	fs := make([]Finding, 1000)
	for i := range fs {
		fs[i] = Finding{Rule: "aws-access-token", Severity: SeverityError, Pos: Pos{File: "src/pkg" + strings.Repeat("x", i%7) + "/file.go", Line: i + 1}, Commit: secretFinding.Commit, Message: "m"}
	}
	for _, n := range []int{0, 10, 100} {
		list := make([]Waiver, n)
		for i := range list {
			list[i] = waiver("secret-scan", at(10))
			list[i].Rule, list[i].Path = "aws-access-token", "vendor/**/gen"+strings.Repeat("y", i)+"/*.go"
		}
		if n > 0 {
			list[n-1].Path = "src/pkgxxx/*.go"
		}
		b.Run(fmt.Sprintf("waivers=%d", n), func(b *testing.B) {
			for b.Loop() {
				s := newWaiverState(list, clock, 0)
				if _, k := s.apply("secret-scan", fs); n > 0 && k == 0 {
					b.Fatal("nothing waived")
				}
			}
		})
	}
}
