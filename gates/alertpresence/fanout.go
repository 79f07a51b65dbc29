package alertpresence

import (
	"context"
	"errors"
	"runtime/debug"
	"sync"
)

// fanout runs the requests of a run at once, each in a slot numbered in the
// order the gate reports errors (the order it made its requests in when it
// made them one after another). The error a run reports is the first one in
// that order, so it never depends on which request finished first:
//
//   - a request that fails cancels the slots after it, whose errors can no
//     longer be the one reported, and never a slot before it, which may
//     still fail with an error that comes first;
//   - so the first slot in order that holds an error holds its own
//     failure, never a cancellation caused by another request.
//
// Every request is done, or cancelled and returned, before wait returns.
type fanout struct {
	wg      sync.WaitGroup
	mu      sync.Mutex
	ctxs    []context.Context
	cancels []context.CancelFunc
	errs    []error
	// done marks the slots whose request returned without error.
	done []bool
	// failed is the lowest slot that failed, len(errs) while none has.
	failed int
	// panicked holds the first panic of a request, re-raised by wait in
	// the gate's goroutine, where the runner recovers it.
	panicked *requestPanic
}

// requestPanic is a panic of a request, with the stack where it happened.
type requestPanic struct {
	value any
	stack []byte
}

// newFanout returns a fanout with n slots, each with a context derived
// from ctx.
func newFanout(ctx context.Context, n int) *fanout {
	f := &fanout{ctxs: make([]context.Context, n), cancels: make([]context.CancelFunc, n), errs: make([]error, n), done: make([]bool, n), failed: n}
	for i := range n {
		f.ctxs[i], f.cancels[i] = context.WithCancel(ctx)
	}
	return f
}

// fail records err as slot i's error and cancels the slots after it.
func (f *fanout) fail(i int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs[i] = err
	if i < f.failed {
		f.failed = i
	}
	for _, cancel := range f.cancels[i+1:] {
		cancel()
	}
}

// start runs task in slot i in a goroutine of its own, with the slot's
// context, and records its error. A slot after one that has already
// failed is not started: its answer could not change the verdict.
func (f *fanout) start(i int, task func(ctx context.Context) error) {
	f.mu.Lock()
	skip := f.failed < i
	f.mu.Unlock()
	if skip {
		return
	}
	f.wg.Go(func() {
		defer func() {
			if p := recover(); p != nil {
				f.mu.Lock()
				if f.panicked == nil {
					f.panicked = &requestPanic{value: p, stack: debug.Stack()}
				}
				f.mu.Unlock()
				f.fail(i, errPanicked)
			}
		}()
		if err := task(f.ctxs[i]); err != nil {
			f.fail(i, err)
			return
		}
		f.mu.Lock()
		f.done[i] = true
		f.mu.Unlock()
	})
}

// errPanicked stands in a slot whose request panicked; wait re-raises the
// panic, so it is never reported.
var errPanicked = errors.New("the request panicked")

// errNotRun is the error of a slot that was never started (one after a
// slot that had failed): reading it is a mistake of the gate, and ends the
// run as an error rather than with a verdict drawn from no answer.
var errNotRun = errors.New("internal error: an answer was read that was never asked for; please report this")

// wait waits for every request and releases the slots' contexts. It
// returns the first panic of a request, if any, for the caller to re-raise.
func (f *fanout) wait() *requestPanic {
	f.wg.Wait()
	for _, cancel := range f.cancels {
		cancel()
	}
	return f.panicked
}

// err returns slot i's error, after wait: nil only when its request
// returned without error.
func (f *fanout) err(i int) error {
	if f.errs[i] != nil {
		return f.errs[i]
	}
	if !f.done[i] {
		return errNotRun
	}
	return nil
}
