package healthendpoints

import (
	"time"

	"github.com/release-gate/release-gate/gates"
)

// attemptNotes reports each attempt as a note. A run of attempts with the
// same outcome (statuses and excerpts; latencies aside) after the first of
// them is reported as one line, so a long wait stays readable.
type attemptNotes struct {
	env *gates.Env
	// the run being collapsed: the attempt that opened it and the ones
	// since with the same outcome.
	sig         string
	first, last int
	lastAt      time.Time
	pending     bool
}

// timeFormat shows attempt times to the millisecond, in UTC.
const timeFormat = "15:04:05.000Z"

func (n *attemptNotes) add(attempt int, at time.Time, text, sig string) {
	if n.first > 0 && sig == n.sig {
		n.last, n.lastAt, n.pending = attempt, at, true
		return
	}
	n.flush()
	n.env.Notef("attempt %d at %s: %s", attempt, at.UTC().Format(timeFormat), text)
	n.sig, n.first, n.last, n.pending = sig, attempt, attempt, false
}

// flush reports the collapsed run, if any.
func (n *attemptNotes) flush() {
	if !n.pending {
		return
	}
	n.pending = false
	if n.last == n.first+1 {
		n.env.Notef("attempt %d at %s: the same as attempt %d", n.last, n.lastAt.UTC().Format(timeFormat), n.first)
	} else {
		n.env.Notef("attempts %d to %d (until %s): the same as attempt %d", n.first+1, n.last, n.lastAt.UTC().Format(timeFormat), n.first)
	}
	n.first = 0 // the next attempt is noted in full
}
