package gates

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/internal/glob"
)

// DefaultMaxWaiverDays is how far ahead a waiver may expire when the
// runner is not told otherwise.
const DefaultMaxWaiverDays = 90

// Rules of the findings the runner makes about waivers, in the result
// named WaiversResult.
const (
	RuleWaiverExpired = "waiver-expired"  // error: the waiver's date has passed
	RuleWaiverTooLong = "waiver-too-long" // error: it expires beyond the cap
	RuleWaiverUnused  = "waiver-unused"   // warning: it matched no finding
)

// WaiversResult names the result the runner adds when waivers are
// configured: what became of each of them.
const WaiversResult = "waivers"

// Waiver lets the findings it matches pass until it expires: the finding is
// still reported, marked waived. A waiver never changes a gate that could
// not decide. Gate is required; every other matcher that is set must match.
type Waiver struct {
	Gate string
	// Rule matches the finding's rule exactly.
	Rule string
	// Path is a glob (internal/glob: *, **, ?, [...], {a,b}) matched
	// against the finding's workspace-relative file.
	Path string // braces and [! are literal, as path.Match has them
	// Fingerprint matches secret-scan's commit:file:rule:line, or
	// file:rule:line for a finding on any commit or in the tree.
	Fingerprint string
	// Image matches the finding's "image" label exactly (the reference as
	// the configuration or the image input writes it).
	Image string
	// Labels match when the finding carries every one of them with the
	// same value.
	Labels  map[string]string
	Owner   string
	Reason  string
	Ticket  string
	Expires time.Time
	// Source is where the waiver is written.
	Source Pos
}

// Waived says which waiver lets a finding pass.
type Waived struct {
	Owner   string
	Reason  string
	Ticket  string
	Expires time.Time
	// DaysLeft is the number of days, rounded up, until the waiver
	// expires.
	DaysLeft int
	Source   Pos
}

// matches reports whether w waives f, a finding of gate.
func (w *Waiver) matches(gate string, f Finding) bool {
	if w.Gate != gate {
		return false
	}
	if w.Rule != "" && w.Rule != f.Rule {
		return false
	}
	if w.Path != "" {
		if f.Pos.File == "" || !glob.Match(w.Path, f.Pos.File) {
			return false
		}
		for _, file := range f.Within {
			if !glob.Match(w.Path, file) {
				return false
			}
		}
	}
	if w.Image != "" && f.Labels["image"] != w.Image {
		return false
	}
	for k, v := range w.Labels {
		if got, ok := f.Labels[k]; !ok || got != v {
			return false
		}
	}
	if w.Fingerprint != "" {
		if f.Pos.File == "" || f.Pos.Line == 0 {
			return false
		}
		// One that names a commit matches on that commit only: read also
		// as file:rule:line, it would match a file named "<commit>:file".
		global := f.Pos.File + ":" + f.Rule + ":" + strconv.Itoa(f.Pos.Line)
		if commit, rest, named := config.FingerprintCommit(w.Fingerprint); named {
			if commit != f.Commit || rest != global {
				return false
			}
		} else if w.Fingerprint != global {
			return false
		}
	}
	return true
}

// label names a waiver in messages: where it is written and what it waives.
func (w *Waiver) label() string {
	parts := []string{"gate " + w.Gate}
	if w.Rule != "" {
		parts = append(parts, "rule "+w.Rule)
	}
	if w.Path != "" {
		parts = append(parts, "path "+w.Path)
	}
	if w.Fingerprint != "" {
		parts = append(parts, "fingerprint "+w.Fingerprint)
	}
	if w.Image != "" {
		parts = append(parts, "image "+w.Image)
	}
	if len(w.Labels) > 0 {
		keys := make([]string, 0, len(w.Labels))
		for k := range w.Labels {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			keys[i] = k + "=" + w.Labels[k]
		}
		parts = append(parts, "labels "+strings.Join(keys, ","))
	}
	return fmt.Sprintf("the waiver at %s (%s, owner %s)", w.Source, strings.Join(parts, ", "), w.Owner)
}

// waiverState is what the runner learns about the waivers during a run.
type waiverState struct {
	now     time.Time
	maxDays int
	list    []Waiver
	active  []bool // neither expired nor beyond the cap

	mu      sync.Mutex
	used    []int           // findings each waiver let pass
	decided map[string]bool // gates that ran and reached a verdict
}

func newWaiverState(list []Waiver, now time.Time, maxDays int) *waiverState {
	if maxDays <= 0 {
		maxDays = DefaultMaxWaiverDays
	}
	s := &waiverState{now: now, maxDays: maxDays, list: list, active: make([]bool, len(list)), used: make([]int, len(list)), decided: map[string]bool{}}
	limit := now.Add(time.Duration(maxDays) * 24 * time.Hour)
	for i, w := range list {
		s.active[i] = now.Before(w.Expires) && !w.Expires.After(limit)
	}
	return s
}

// apply marks the findings of gate that an active waiver matches; the
// first waiver in file order that matches is the one named. Only findings
// that would fail the gate are waived: a warning (such as secret-scan's
// report that the change edits the waivers) stays a warning, whatever a
// waiver says. It returns a copy of findings and how many it waived.
func (s *waiverState) apply(gate string, findings []Finding) ([]Finding, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.decided[gate] = true
	out := slices.Clone(findings)
	n := 0
	for i := range out {
		out[i].Waived = nil // only the runner waives
		if !blocks(out[i]) {
			continue
		}
		for j := range s.list {
			w := &s.list[j]
			if !s.active[j] || !w.matches(gate, out[i]) {
				continue
			}
			left := w.Expires.Sub(s.now)
			days := int((left + 24*time.Hour - 1) / (24 * time.Hour))
			out[i].Waived = &Waived{Owner: w.Owner, Reason: w.Reason, Ticket: w.Ticket, Expires: w.Expires, DaysLeft: days, Source: w.Source}
			s.used[j]++
			n++
			break
		}
	}
	return out, n
}

// result is the waivers' own result: an expired waiver or one beyond the
// cap fails it (enforced, whatever the gates' modes); one that matched
// nothing on a gate that reached a verdict is a warning.
func (s *waiverState) result() Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := Result{Name: WaiversResult, Mode: ModeEnforce}
	applied, unused := 0, 0
	for i := range s.list {
		w := &s.list[i]
		switch {
		case !s.now.Before(w.Expires):
			res.Findings = append(res.Findings, Finding{Rule: RuleWaiverExpired, Severity: SeverityError, Pos: w.Source,
				Message: fmt.Sprintf("%s expired on %s: what it waived counts again. Fix the findings, or renew the waiver with a new date if the reason still holds.", w.label(), w.Expires.UTC().Format(time.RFC3339))})
		case !s.active[i]:
			res.Findings = append(res.Findings, Finding{Rule: RuleWaiverTooLong, Severity: SeverityError, Pos: w.Source,
				Message: fmt.Sprintf("%s expires on %s, more than max-waiver-days (%d) from now: it waives nothing. Set an earlier date.", w.label(), w.Expires.UTC().Format(time.DateOnly), s.maxDays)})
		case s.used[i] > 0:
			applied++
			res.Notes = append(res.Notes, fmt.Sprintf("%s let %d finding(s) pass; it expires on %s.", w.label(), s.used[i], w.Expires.UTC().Format(time.RFC3339)))
		case s.decided[w.Gate]:
			unused++
			res.Findings = append(res.Findings, Finding{Rule: RuleWaiverUnused, Severity: SeverityWarning, Pos: w.Source,
				Message: fmt.Sprintf("%s matched no finding: remove it if what it waived is fixed.", w.label())})
		default:
			res.Notes = append(res.Notes, fmt.Sprintf("%s was not checked: its gate did not run or could not decide.", w.label()))
		}
	}
	res.Status = statusOf(res.Findings, nil)
	if res.Status == StatusFail {
		res.Summary = defaultSummary(res.Status, res.Findings, nil)
	} else {
		res.Summary = fmt.Sprintf("%d waiver(s): %d applied, %d unused", len(s.list), applied, unused)
	}
	return res
}
