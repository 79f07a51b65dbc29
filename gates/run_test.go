package gates

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeGate runs fn.
type fakeGate struct {
	name string
	fn   func(ctx context.Context, env *Env) ([]Finding, error)
}

func (g fakeGate) Name() string { return g.name }
func (g fakeGate) Run(ctx context.Context, env *Env) ([]Finding, error) {
	return g.fn(ctx, env)
}

func gate(name string, fn func(ctx context.Context, env *Env) ([]Finding, error)) Gate {
	return fakeGate{name, fn}
}

func pass(context.Context, *Env) ([]Finding, error) { return nil, nil }

func failing(context.Context, *Env) ([]Finding, error) {
	return []Finding{{Rule: "r", Severity: SeverityError, Message: "bad thing"}}, nil
}

func erroring(context.Context, *Env) ([]Finding, error) {
	return nil, errors.New("registry unreachable")
}

func TestStatuses(t *testing.T) {
	r := Runner{}
	res := r.Run(context.Background(), Env{}, []Job{
		{Gate: gate("p", pass)},
		{Gate: gate("f", failing)},
		{Gate: gate("e", erroring)},
		{Gate: gate("w", func(context.Context, *Env) ([]Finding, error) {
			return []Finding{{Severity: SeverityWarning, Message: "meh"}}, nil
		})},
		{Gate: gate("s", pass), Skip: "not configured"},
		{Gate: gate("panics", func(context.Context, *Env) ([]Finding, error) { panic("boom") })},
	})
	want := []struct {
		status  Status
		summary string
	}{
		{StatusPass, "passed"},
		{StatusFail, "bad thing"},
		{StatusError, "could not decide: registry unreachable"},
		{StatusPass, "passed"},
		{StatusSkipped, "not configured"},
		{StatusError, "could not decide: internal error (panic: boom); please report this"},
	}
	for i, w := range want {
		if res[i].Status != w.status || res[i].Summary != w.summary {
			t.Errorf("%s: got %s %q, want %s %q", res[i].Name, res[i].Status, res[i].Summary, w.status, w.summary)
		}
		if res[i].Mode != ModeEnforce {
			t.Errorf("%s: mode %q, want enforce by default", res[i].Name, res[i].Mode)
		}
	}
	if res[2].Err != "registry unreachable" {
		t.Errorf("error text %q", res[2].Err)
	}
	// A panic's stack is kept as notes, a line each (every report shows a
	// note as one line).
	stack := strings.Join(res[5].Notes, "\n")
	if !strings.HasPrefix(stack, "stack of the panic:") || !strings.Contains(stack, "run_test.go") {
		t.Errorf("a panic's stack is kept as notes: %q", res[5].Notes)
	}
	for _, n := range res[5].Notes {
		if strings.Contains(n, "\n") {
			t.Errorf("note %q is not one line", n)
		}
	}
}

func TestGatesRunConcurrently(t *testing.T) {
	// Each gate waits until all three have started: run one at a time, they
	// would never finish (the run's timeout turns that into errors).
	var started sync.WaitGroup
	started.Add(3)
	waitAll := func(ctx context.Context, _ *Env) ([]Finding, error) {
		started.Done()
		done := make(chan struct{})
		go func() { started.Wait(); close(done) }()
		select {
		case <-done:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	r := Runner{Timeout: 10 * time.Second}
	res := r.Run(context.Background(), Env{}, []Job{{Gate: gate("a", waitAll)}, {Gate: gate("b", waitAll)}, {Gate: gate("c", waitAll)}})
	for _, x := range res {
		if x.Status != StatusPass {
			t.Errorf("%s: %s %s", x.Name, x.Status, x.Summary)
		}
	}
}

func TestGateTimeoutAbandonsUncooperativeGate(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	r := Runner{}
	res := r.Run(context.Background(), Env{}, []Job{
		{Gate: gate("stuck", func(context.Context, *Env) ([]Finding, error) { <-block; return nil, nil }), Timeout: 50 * time.Millisecond},
		{Gate: gate("polite", func(ctx context.Context, _ *Env) ([]Finding, error) { <-ctx.Done(); return nil, nil }), Timeout: 50 * time.Millisecond},
		{Gate: gate("fast", pass), Timeout: time.Minute},
	})
	for _, i := range []int{0, 1} {
		if res[i].Status != StatusError || !strings.Contains(res[i].Err, "timed out after 50ms (the gate's timeout)") {
			t.Errorf("%s: %s %q", res[i].Name, res[i].Status, res[i].Err)
		}
	}
	if res[2].Status != StatusPass {
		t.Errorf("fast: %s", res[2].Status)
	}
}

// A gate that stops at its deadline without an error, and without findings,
// did not prove anything: it must not pass.
func TestGateReturningCleanAtItsDeadlineIsAnError(t *testing.T) {
	r := Runner{}
	res := r.Run(context.Background(), Env{}, []Job{{
		Gate: gate("quits", func(ctx context.Context, _ *Env) ([]Finding, error) {
			<-ctx.Done()
			return nil, nil
		}),
		Timeout: 20 * time.Millisecond,
	}})
	if res[0].Status != StatusError {
		t.Errorf("status %s %q", res[0].Status, res[0].Summary)
	}
}

func TestRunTimeout(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	r := Runner{Timeout: 50 * time.Millisecond}
	res := r.Run(context.Background(), Env{}, []Job{{Gate: gate("stuck", func(context.Context, *Env) ([]Finding, error) { <-block; return nil, nil })}})
	if res[0].Status != StatusError || !strings.Contains(res[0].Err, "the whole run's timeout of 50ms") {
		t.Errorf("%s %q", res[0].Status, res[0].Err)
	}
}

func TestRecorderAndMasking(t *testing.T) {
	m := &Masker{}
	var added []string
	m.OnAdd = func(s string) { added = append(added, s) }
	var progress []string
	r := Runner{Masker: m, OnProgress: func(g, line string) { progress = append(progress, g+": "+line) }}
	res := r.Run(context.Background(), Env{}, []Job{{Gate: gate("g", func(_ context.Context, env *Env) ([]Finding, error) {
		env.Mask("hunter22")
		env.Mask("ab") // too short to mask
		env.Notef("token hunter22 used")
		env.SetSummary("pinned %s", "x@sha256:1")
		env.SetOutput("digest", "sha256:1")
		env.SetOutput("digest", "sha256:2")
		env.Progressf("using hunter22")
		return []Finding{{Severity: SeverityError, Message: "login hunter22 refused"}}, nil
	})}})
	g := res[0]
	if g.Status != StatusFail || g.Summary != "pinned x@sha256:1" {
		t.Errorf("%s %q", g.Status, g.Summary)
	}
	if g.Notes[0] != "token *** used" || g.Findings[0].Message != "login *** refused" || progress[0] != "g: using ***" {
		t.Errorf("secret not masked: %q %q %q", g.Notes, g.Findings[0].Message, progress)
	}
	if len(g.Outputs) != 1 || g.Outputs[0] != (Output{"digest", "sha256:2"}) {
		t.Errorf("outputs %v", g.Outputs)
	}
	if len(added) != 1 || added[0] != "hunter22" {
		t.Errorf("OnAdd %q", added)
	}
}

func TestDecide(t *testing.T) {
	r := func(name string, s Status, m Mode) Result { return Result{Name: name, Status: s, Mode: m} }
	tests := []struct {
		name    string
		results []Result
		want    Verdict
	}{
		{"all pass", []Result{r("a", StatusPass, ModeEnforce), r("b", StatusSkipped, ModeEnforce)}, Verdict{"pass", 0, nil}},
		{"fail", []Result{r("a", StatusFail, ModeEnforce)}, Verdict{"fail", 1, []string{"a"}}},
		{"error wins", []Result{r("a", StatusFail, ModeEnforce), r("b", StatusError, ModeEnforce)}, Verdict{"error", 3, []string{"a", "b"}}},
		{"error before fail", []Result{r("b", StatusError, ModeEnforce), r("a", StatusFail, ModeEnforce)}, Verdict{"error", 3, []string{"b", "a"}}},
		{"warn mode", []Result{r("a", StatusFail, ModeWarn), r("b", StatusError, ModeWarn)}, Verdict{"pass", 0, []string{"a", "b"}}},
	}
	for _, tt := range tests {
		got := Decide(tt.results)
		if got.Result != tt.want.Result || got.Exit != tt.want.Exit || strings.Join(got.Failed, ",") != strings.Join(tt.want.Failed, ",") {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// A chart keeps finite values only, the last MaxChartPoints of them, and
// its title is redacted like every other text.
func TestChartsAreRecordedFiniteAndBounded(t *testing.T) {
	var m Masker
	m.Add("s3cr3t-value")
	long := make([]float64, MaxChartPoints+5)
	for i := range long {
		long[i] = float64(i)
	}
	g := gate("staging-analysis", func(_ context.Context, env *Env) ([]Finding, error) {
		env.Chart("errors s3cr3t-value", []float64{1, math.NaN(), 2, math.Inf(-1), 3})
		env.Chart("long", long)
		return nil, nil
	})
	res := m.RedactResult((&Runner{}).Run(context.Background(), Env{}, []Job{{Gate: g}})[0])
	if len(res.Charts) != 2 {
		t.Fatalf("charts %+v", res.Charts)
	}
	if c := res.Charts[0]; strings.Contains(c.Title, "s3cr3t") || len(c.Values) != 3 || c.Values[2] != 3 {
		t.Errorf("chart %+v: want the title redacted and the values 1, 2, 3", c)
	}
	if c := res.Charts[1]; len(c.Values) != MaxChartPoints || c.Values[0] != 5 {
		t.Errorf("long chart has %d values from %v, want the last %d", len(c.Values), c.Values[0], MaxChartPoints)
	}
}

// The gates of one run share one count of the cores: what one holds, the
// others see.
func TestGatesOfARunShareTheCores(t *testing.T) {
	held := make(chan func())
	seen := make(chan bool, 1)
	r := Runner{}
	res := r.Run(context.Background(), Env{}, []Job{
		{Gate: gate("steady", func(_ context.Context, env *Env) ([]Finding, error) {
			if env.Cores == nil {
				return nil, errors.New("no cores")
			}
			held <- env.Cores.Hold(1 << 20)
			return nil, nil
		})},
		{Gate: gate("yielding", func(ctx context.Context, env *Env) ([]Finding, error) {
			release := <-held
			give, err := env.Cores.Take(ctx) // one always runs
			if err != nil {
				return nil, err
			}
			ctx2, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer cancel()
			_, err = env.Cores.Take(ctx2) // a second waits for the held cores
			seen <- err != nil
			give()
			release()
			return nil, nil
		})},
	})
	for _, x := range res {
		if x.Status != StatusPass {
			t.Fatalf("%s: %s %s", x.Name, x.Status, x.Summary)
		}
	}
	if !<-seen {
		t.Error("a second yielding worker ran while the other gate held every core")
	}
}

// A gate's notes are kept up to MaxNotes lines and MaxNotesBytes; the rest
// are counted in a last note, whole lines only.
func TestNotesBounded(t *testing.T) {
	big := strings.Repeat("x", MaxNotesBytes/3)
	r := Runner{}
	res := r.Run(context.Background(), Env{}, []Job{
		{Gate: gate("many", func(_ context.Context, env *Env) ([]Finding, error) {
			for i := range MaxNotes + 5 {
				env.Notef("attempt %d", i)
			}
			return nil, nil
		})},
		{Gate: gate("large", func(_ context.Context, env *Env) ([]Finding, error) {
			for range 4 {
				env.Notef("%s", big)
			}
			env.Notef("small, but after notes dropped")
			return nil, nil
		})},
	})
	many := res[0].Notes
	if len(many) != MaxNotes+1 || many[MaxNotes-1] != fmt.Sprintf("attempt %d", MaxNotes-1) || many[MaxNotes] != "5 more notes not kept: a gate keeps 10000 notes or 8 MiB of them" {
		t.Errorf("%d notes, ending %q", len(many), many[max(len(many)-2, 0):])
	}
	large := res[1].Notes
	if len(large) != 4 || large[0] != big || large[2] != big || large[3] != "2 more notes not kept: a gate keeps 10000 notes or 8 MiB of them" {
		t.Errorf("%d notes, the last %.80q", len(large), large[len(large)-1])
	}
}

// The run's timeout reaches the runner less what loading took; the error
// shows it to the second.
func TestDeadlineErrorRoundsTheRunTimeout(t *testing.T) {
	err := deadlineError(context.Background(), 0, 15*time.Minute-700*time.Microsecond, context.DeadlineExceeded)
	if got := err.Error(); got != "timed out: the whole run's timeout of 15m0s passed" {
		t.Errorf("%q", got)
	}
}
