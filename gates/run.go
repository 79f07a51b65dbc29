package gates

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/release-gate/release-gate/internal/cores"
)

// Job is one gate to run, with the settings every gate shares.
type Job struct {
	Gate    Gate
	Mode    Mode
	Timeout time.Duration // 0: bounded only by the run's timeout
	// Skip, when set, is why the gate is not run ("not configured").
	Skip string
}

// Runner runs gates concurrently and turns what each returns into a Result.
type Runner struct {
	// Timeout bounds the whole run; 0 means no bound beyond ctx.
	Timeout time.Duration
	// Masker masks secrets the gates register; nil creates a private one.
	Masker *Masker
	// OnStart is called once per gate that is about to run.
	OnStart func(name string)
	// OnDone is called as each gate finishes (the text reporter prints a line).
	OnDone func(Result)
	// OnProgress receives progress lines from gates.
	OnProgress func(gate, line string)
	// Waivers let findings pass until they expire (see Waiver); when there
	// are any, Run adds a result named WaiversResult after the jobs'.
	Waivers []Waiver
	// MaxWaiverDays caps how far ahead a waiver may expire; 0 means
	// DefaultMaxWaiverDays. The clock is the Env's.
	MaxWaiverDays int
}

// Run runs every job and returns one Result per job, in the jobs' order,
// then, when there are waivers, the WaiversResult.
// A gate that panics is reported as error; a gate that ignores its context is
// abandoned at its deadline and reported as error.
func (r *Runner) Run(ctx context.Context, base Env, jobs []Job) []Result {
	if r.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.Timeout)
		defer cancel()
	}
	masker := r.Masker
	if masker == nil {
		masker = &Masker{}
	}
	fillDefaults(&base)
	waivers := newWaiverState(r.Waivers, base.Now(), r.MaxWaiverDays)

	results := make([]Result, len(jobs))
	var wg sync.WaitGroup
	var doneMu sync.Mutex // OnDone calls never overlap
	for i, job := range jobs {
		mode := job.Mode
		if mode == "" {
			mode = ModeEnforce
		}
		name := job.Gate.Name()
		if job.Skip != "" {
			results[i] = Result{Name: name, Status: StatusSkipped, Mode: mode, Summary: job.Skip}
			continue
		}
		if r.OnStart != nil {
			r.OnStart(name)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := r.runOne(ctx, base, job, mode, masker, waivers)
			results[i] = masker.RedactResult(res)
			if r.OnDone != nil {
				doneMu.Lock()
				r.OnDone(results[i])
				doneMu.Unlock()
			}
		}()
	}
	wg.Wait()
	// Skipped gates are reported after the ones that ran, in job order.
	if r.OnDone != nil {
		for _, res := range results {
			if res.Status == StatusSkipped {
				r.OnDone(res)
			}
		}
	}
	if len(r.Waivers) > 0 {
		res := masker.RedactResult(waivers.result())
		results = append(results, res)
		if r.OnDone != nil {
			r.OnDone(res)
		}
	}
	return results
}

// errAbandoned marks a gate that did not return by its deadline.
var errAbandoned = errors.New("abandoned")

func (r *Runner) runOne(ctx context.Context, base Env, job Job, mode Mode, masker *Masker, waivers *waiverState) Result {
	name := job.Gate.Name()
	rec := &recorder{masker: masker}
	if r.OnProgress != nil {
		rec.onProgress = func(line string) { r.OnProgress(name, masker.Redact(line)) }
	}
	env := base
	env.rec = rec

	gctx := ctx
	var cancel context.CancelFunc = func() {}
	if job.Timeout > 0 {
		gctx, cancel = context.WithTimeout(ctx, job.Timeout)
	}
	defer cancel()

	type outcome struct {
		findings []Finding
		err      error
	}
	start := time.Now()
	done := make(chan outcome, 1)
	go func() {
		var out outcome
		defer func() {
			if p := recover(); p != nil {
				rec.note("stack of the panic:")
				for _, line := range firstLines(string(debug.Stack()), maxStackLines) {
					rec.note(line)
				}
				out = outcome{err: fmt.Errorf("internal error (panic: %v); please report this", p)}
			}
			done <- out
		}()
		out.findings, out.err = job.Gate.Run(gctx, &env)
	}()

	var out outcome
	select {
	case out = <-done:
	case <-gctx.Done():
		// Give a gate that honours its context a moment to return its own,
		// more precise error; abandon one that does not.
		select {
		case out = <-done:
		case <-time.After(100 * time.Millisecond):
			out = outcome{err: errAbandoned}
		}
	}
	res := Result{Name: name, Mode: mode, Duration: time.Since(start)}

	// A deadline overrides whatever the gate made of it: a gate cut short
	// never proved anything, even if it returned no findings, and one that
	// returns just as its deadline passes cannot tell which it was.
	if cerr := gctx.Err(); cerr != nil {
		out.err = deadlineError(ctx, job.Timeout, r.Timeout, cerr)
	}
	// Waivers apply to what a gate proved, never to a gate that could not
	// decide: its error stays an error, whatever a waiver matches.
	waived := 0
	if out.err == nil {
		out.findings, waived = waivers.apply(name, out.findings)
	}
	res.Status = statusOf(out.findings, out.err)
	res.Findings = out.findings
	res.Notes, res.Outputs, res.Summary = rec.snapshot()
	rec.mu.Lock()
	res.Charts = append([]Chart(nil), rec.charts...)
	rec.mu.Unlock()
	switch {
	case res.Status == StatusError:
		res.Err = out.err.Error()
		res.Summary = defaultSummary(res.Status, out.findings, out.err)
	case res.Summary == "":
		res.Summary = defaultSummary(res.Status, out.findings, nil)
	}
	if waived > 0 {
		res.Summary += fmt.Sprintf(" (%d finding(s) waived)", waived)
	}
	return res
}

func deadlineError(runCtx context.Context, gateTimeout, runTimeout time.Duration, cerr error) error {
	if errors.Is(cerr, context.DeadlineExceeded) {
		if runCtx.Err() == nil && gateTimeout > 0 {
			return fmt.Errorf("timed out after %s (the gate's timeout)", gateTimeout)
		}
		if runTimeout > 0 {
			// The run's timeout reaches the runner less what loading took
			// (14m59.9993s of 15m): shown to the second it was set to.
			if runTimeout >= time.Second {
				runTimeout = runTimeout.Round(time.Second)
			}
			return fmt.Errorf("timed out: the whole run's timeout of %s passed", runTimeout)
		}
		return errors.New("timed out")
	}
	return fmt.Errorf("interrupted: %w", cerr)
}

func fillDefaults(e *Env) {
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.HTTPClient == nil {
		e.HTTPClient = http.DefaultClient
	}
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	if e.Cores == nil {
		e.Cores = cores.New(runtime.GOMAXPROCS(0))
	}
}

// MaxNotes and MaxNotesBytes bound the notes a gate keeps: a gate notes
// what servers and files it reads hold, which may be without end (an
// endpoint answering differently each attempt, a registry waited on). The
// notes past either are counted in a last note, never cut in part (a
// secret masked later could then be shown in part).
const (
	MaxNotes      = 10_000
	MaxNotesBytes = 8 << 20
)

// recorder collects what a gate says besides its findings.
type recorder struct {
	mu         sync.Mutex
	notes      []string
	notesBytes int
	dropped    int // notes past MaxNotes or MaxNotesBytes
	charts     []Chart
	outputs    []Output
	summary    string
	masker     *Masker
	onProgress func(string)
}

// note records one note per line of s: a note is one line in every report.
func (r *recorder) note(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if r.dropped > 0 || len(r.notes) >= MaxNotes || r.notesBytes+len(line) > MaxNotesBytes {
			r.dropped++
			continue
		}
		r.notes = append(r.notes, line)
		r.notesBytes += len(line)
	}
}

// chart records a chart: finite values only, the last MaxChartPoints.
func (r *recorder) chart(title string, values []float64) {
	var vs []float64
	for _, v := range values {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			vs = append(vs, v)
		}
	}
	if len(vs) > MaxChartPoints {
		vs = vs[len(vs)-MaxChartPoints:]
	}
	r.mu.Lock()
	r.charts = append(r.charts, Chart{Title: title, Values: vs})
	r.mu.Unlock()
}

// maxStackLines bounds the lines of a panic's stack kept as notes.
const maxStackLines = 40

// firstLines returns the first n lines of s.
func firstLines(s string, n int) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return lines
}

func (r *recorder) setSummary(s string) {
	r.mu.Lock()
	r.summary = s
	r.mu.Unlock()
}

func (r *recorder) setOutput(name, value string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, o := range r.outputs {
		if o.Name == name {
			r.outputs[i].Value = value
			return
		}
	}
	r.outputs = append(r.outputs, Output{Name: name, Value: value})
}

func (r *recorder) mask(s string) { r.masker.Add(s) }

func (r *recorder) progress(s string) {
	if r.onProgress != nil {
		r.onProgress(s)
	}
}

func (r *recorder) snapshot() ([]string, []Output, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	notes := append([]string(nil), r.notes...)
	if r.dropped > 0 {
		notes = append(notes, fmt.Sprintf("%d more notes not kept: a gate keeps %d notes or %d MiB of them", r.dropped, MaxNotes, MaxNotesBytes>>20))
	}
	return notes, append([]Output(nil), r.outputs...), r.summary
}
