package healthendpoints

import (
	"time"

	"github.com/release-gate/release-gate/gates"
)

// attemptNotes reports each attempt as a note. A run of attempts with the
// same outcome (statuses and excerpts; latencies aside) after the first of
// them is reported as one line, so a long wait stays readable. Past
// maxAttemptNotes lines, the attempts left are summed up in one line
// naming the last: a server whose every answer differs would otherwise
// add a line for each (68,000 in 90 s at a 1 ms interval).
type attemptNotes struct {
	env *gates.Env
	// the run being collapsed: the attempt that opened it and the ones
	// since with the same outcome.
	sig         string
	first, last int
	lastAt      time.Time
	pending     bool
	// noted counts the lines written; the attempts past maxAttemptNotes
	// lines are skipped, from skipFirst to skipLast (0: none).
	noted               int
	skipFirst, skipLast int
	skipLastAt          time.Time
	skipLastText        string
}

// maxAttemptNotes bounds the lines attemptNotes writes before it sums up.
const maxAttemptNotes = 50

// timeFormat shows attempt times to the millisecond, in UTC.
const timeFormat = "15:04:05.000Z"

func (n *attemptNotes) add(attempt int, at time.Time, text, sig string) {
	if n.first > 0 && sig == n.sig {
		n.last, n.lastAt, n.pending = attempt, at, true
		return
	}
	if n.noted >= maxAttemptNotes-1 { // one line is left for the sum
		n.flushRun()
		if n.skipFirst == 0 {
			n.skipFirst = attempt
		}
		n.skipLast, n.skipLastAt, n.skipLastText = attempt, at, text
		return
	}
	n.flushRun()
	n.note("attempt %d at %s: %s", attempt, at.UTC().Format(timeFormat), text)
	n.sig, n.first, n.last, n.pending = sig, attempt, attempt, false
}

// flush reports the collapsed run and the attempts skipped, if any.
func (n *attemptNotes) flush() {
	n.flushRun()
	if n.skipFirst == 0 {
		return
	}
	if n.skipLast == n.skipFirst {
		n.note("attempt %d at %s: %s", n.skipLast, n.skipLastAt.UTC().Format(timeFormat), n.skipLastText)
	} else {
		n.note("attempts %d to %d (until %s), not noted one by one past %d lines; the last: %s",
			n.skipFirst, n.skipLast, n.skipLastAt.UTC().Format(timeFormat), maxAttemptNotes, n.skipLastText)
	}
	n.skipFirst, n.skipLast = 0, 0
}

// flushRun reports the collapsed run, if any.
func (n *attemptNotes) flushRun() {
	if !n.pending {
		return
	}
	n.pending = false
	if n.last == n.first+1 {
		n.note("attempt %d at %s: the same as attempt %d", n.last, n.lastAt.UTC().Format(timeFormat), n.first)
	} else {
		n.note("attempts %d to %d (until %s): the same as attempt %d", n.first+1, n.last, n.lastAt.UTC().Format(timeFormat), n.first)
	}
	n.first = 0 // the next attempt is noted in full
}

func (n *attemptNotes) note(format string, args ...any) {
	n.noted++
	n.env.Notef(format, args...)
}
