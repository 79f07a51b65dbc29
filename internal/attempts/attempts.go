// Package attempts notes the attempts of a gate that tries something again
// and again (a wait for a rollout, a probe until it is healthy), so that a
// long wait stays readable and bounded whatever the servers answer.
package attempts

import (
	"fmt"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/sanitize"
)

// MaxText bounds what one attempt notes: a server's answer quoted in it
// cannot make a note, repeated for every attempt, fill the report.
const MaxText = 2000

// Notes reports each attempt as a note. A run of attempts with the same
// outcome (the same sig) after the first of them is reported as one line.
// Past MaxLines lines, the attempts left are summed up in one line naming
// the last: a server whose every answer differs would otherwise add a
// line for each (68,000 in 90 s at a 1 ms interval).
type Notes struct {
	env *gates.Env
	// label names an attempt before its number: "attempt 3".
	label string
	// stamp formats when an attempt ended, after its number: "at %s".
	stamp string
	// the run being collapsed: the attempt that opened it and the ones
	// since with the same outcome.
	sig         string
	first, last int
	lastAt      string
	pending     bool
	// noted counts the lines written; the attempts past MaxLines lines
	// are skipped, from skipFirst to skipLast (0: none).
	noted               int
	skipFirst, skipLast int
	skipLastAt          string
	skipLastText        string
}

// MaxLines bounds the lines Notes writes before it sums up.
const MaxLines = 50

// New notes attempts as env's notes: "<label> 3 <stamp>: text", where
// stamp is a format of when the attempt ended ("at %s", "(%s)"); a run of
// the same outcome is "<label>s 4 to 9 (until …): the same as attempt 3".
func New(env *gates.Env, label, stamp string) *Notes {
	return &Notes{env: env, label: label, stamp: stamp}
}

// Add notes an attempt that ended at (as the stamp shows it) with text;
// sig is its outcome, without what varies between equal outcomes (times,
// latencies). Text longer than MaxText is cut: it must hold no secret
// that the cut could leave in part (cut them out before).
func (n *Notes) Add(attempt int, at, text, sig string) {
	if n.first > 0 && sig == n.sig {
		n.last, n.lastAt, n.pending = attempt, at, true
		return
	}
	n.flushRun()
	if n.noted >= MaxLines-1 { // one line is left for the sum
		if n.skipFirst == 0 {
			n.skipFirst = attempt
		}
		n.skipLast, n.skipLastAt, n.skipLastText = attempt, at, text
		return
	}
	n.note("%s %d %s: %s", n.label, attempt, fmt.Sprintf(n.stamp, at), sanitize.Clip(text, MaxText))
	n.sig, n.first, n.last, n.pending = sig, attempt, attempt, false
}

// Flush reports the collapsed run and the attempts skipped, if any.
func (n *Notes) Flush() {
	n.flushRun()
	if n.skipFirst == 0 {
		return
	}
	if n.skipLast == n.skipFirst {
		n.note("%s %d %s: %s", n.label, n.skipLast, fmt.Sprintf(n.stamp, n.skipLastAt), sanitize.Clip(n.skipLastText, MaxText))
	} else {
		n.note("%ss %d to %d (until %s), not noted one by one past %d lines; the last: %s",
			n.label, n.skipFirst, n.skipLast, n.skipLastAt, MaxLines, sanitize.Clip(n.skipLastText, MaxText))
	}
	n.skipFirst, n.skipLast = 0, 0
}

// flushRun reports the collapsed run, if any.
func (n *Notes) flushRun() {
	if !n.pending {
		return
	}
	n.pending = false
	if n.last == n.first+1 {
		n.note("%s %d %s: the same as attempt %d", n.label, n.last, fmt.Sprintf(n.stamp, n.lastAt), n.first)
	} else {
		n.note("%ss %d to %d (until %s): the same as attempt %d", n.label, n.first+1, n.last, n.lastAt, n.first)
	}
	n.first = 0 // the next attempt is noted in full
}

func (n *Notes) note(format string, args ...any) {
	n.noted++
	n.env.Notef(format, args...)
}
