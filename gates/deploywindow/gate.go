// Package deploywindow is the deploy-window gate: no production deploy
// during a freeze or outside the team's deploy windows. Windows are weekly
// hours in a time zone; freezes are dated in the configuration or events
// of an iCalendar file or URL. A freeze, or the windows, may name who may
// deploy anyway and how; an override is always reported.
package deploywindow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
)

// Name is the gate's key in the configuration.
const Name = "deploy-window"

// Finding rules.
const (
	RuleFrozen           = "frozen"
	RuleOutsideWindow    = "outside-window"
	RuleFreezeOverridden = "freeze-overridden"
	RuleWindowOverridden = "window-overridden"
)

// horizon is how far ahead the next window is looked for.
const horizon = 400 * 24 * time.Hour

// Definition is the deploy-window gate for the list of gates.
func Definition() gates.Definition {
	return gates.Definition{
		Name:      Name,
		Checklist: "Change management: no production deploy during a freeze or outside the team's deploy window",
		Rules:     []string{RuleFrozen, RuleOutsideWindow, RuleFreezeOverridden, RuleWindowOverridden},
		New:       New,
	}
}

// Gate checks the clock against the windows and freezes.
type Gate struct {
	zone     *time.Location // nil when not set
	windows  []window
	freezes  []freeze // dated ones, from the configuration
	calFile  string   // workspace-relative; "" when none
	calURL   string
	calEnv   string // calendar-url-env
	override *Override
}

// New builds the gate from its configuration section. It does no I/O
// beyond reading the embedded time zone database.
func New(s *config.Section) (gates.Gate, error) {
	var c Config
	if err := s.Decode(&c); err != nil {
		return nil, err
	}
	g := &Gate{override: c.Override}
	var errs []error
	fail := func(key, format string, args ...any) { errs = append(errs, s.Errorf(key, format, args...)) }
	if c.Zone != "" {
		z, err := loadZone(c.Zone)
		if err != nil {
			fail("zone", "%v", err)
		}
		g.zone = z
	}
	for i, text := range c.Windows {
		w, err := parseWindow(text, g.zone)
		if err != nil {
			fail(fmt.Sprintf("windows[%d]", i), "%v", err)
			continue
		}
		g.windows = append(g.windows, w)
	}
	for i, f := range c.Freezes {
		key := fmt.Sprintf("freezes[%d]", i)
		loc := g.zone
		if f.Zone != "" {
			z, err := loadZone(f.Zone)
			if err != nil {
				fail(key, "%v", err)
				continue
			}
			loc = z
		}
		if loc == nil {
			fail(key, "%q names no time zone, so when its days start is unknown; set zone for the gate (zone: Europe/Berlin) or write the freeze as a mapping with dates, reason and zone", f.Dates)
			continue
		}
		from, to, err := parseDates(f.Dates, loc)
		if err != nil {
			fail(key, "%v", err)
			continue
		}
		reason := f.Reason
		if reason == "" {
			reason = "a freeze"
		}
		ov := f.Override
		if ov == nil {
			ov = c.Override
		}
		var pos gates.Pos
		var ce *config.Error
		if e := s.Errorf(key, ""); asConfigError(e, &ce) && !strings.Contains(ce.File, "@") && ce.File != "built-in default" {
			pos = gates.Pos{File: ce.File, Line: ce.Line}
		}
		g.freezes = append(g.freezes, freeze{from: from, to: to, reason: reason, loc: loc, pos: pos, override: ov,
			what: strings.Join(strings.Fields(f.Dates), " ") + " " + loc.String()})
	}
	if c.Calendar != "" {
		file, url, err := calendarSource(c.Calendar)
		if err != nil {
			fail("calendar", "%v", err)
		}
		g.calFile, g.calURL = file, url
	}
	if c.CalendarURLEnv != "" {
		if c.Calendar != "" {
			fail("calendar-url-env", "set calendar (a path or a URL written in the file) or calendar-url-env (a variable holding a secret URL), not both")
		}
		g.calEnv = string(c.CalendarURLEnv)
	}
	if err := s.Join(errs...); err != nil {
		return nil, err
	}
	if len(c.Windows) == 0 && len(c.Freezes) == 0 && c.Calendar == "" && c.CalendarURLEnv == "" {
		return nil, s.Errorf("", "configure windows (such as \"mon-thu 09:00-16:00 Europe/Berlin\"), freezes (such as \"2026-12-20 .. 2027-01-04: year-end freeze\") or a calendar (.ics path or https:// URL)")
	}
	return g, nil
}

func asConfigError(err error, out **config.Error) bool {
	return errors.As(err, out)
}

// Name implements gates.Gate.
func (g *Gate) Name() string { return Name }

// Run implements gates.Gate.
func (g *Gate) Run(ctx context.Context, env *gates.Env) ([]gates.Finding, error) {
	if g.override != nil && g.override.Env != "" && config.EnvNameLooksSecret(g.override.Env) {
		env.Mask(g.override.Env) // a token written where the variable's name belongs
	}
	now := env.Now()
	freezes := slices.Clone(g.freezes)
	if g.calFile != "" || g.calURL != "" || g.calEnv != "" {
		data, name, err := g.readCalendar(ctx, env)
		if err != nil {
			return nil, err
		}
		// Occurrences that may cover now, up to the horizon of the next
		// window.
		evs, err := parseCalendar(ctx, data, name, g.zone, now.Add(-time.Second), now.Add(horizon), g.override, env.Masked)
		if err != nil {
			return nil, err
		}
		env.Notef("calendar %s: %d freeze occurrence(s) from now to %s", name, len(evs), now.Add(horizon).UTC().Format("2006-01-02"))
		freezes = append(freezes, evs...)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	req := &request{getenv: env.Getenv, actor: env.Getenv("GITHUB_ACTOR")}

	var findings []gates.Finding
	var overridden []string
	blocked := false
	for _, f := range freezes {
		if !f.covers(now) {
			continue
		}
		d, err := req.decide(f.override)
		if err != nil {
			return nil, err
		}
		span := fmt.Sprintf("%s (%s, until %s)", clean(f.reason), f.what, formatAt(f.to, f.loc))
		if d.granted {
			overridden = append(overridden, fmt.Sprintf("freeze %s overridden by %s through %s: %s", clean(f.reason), who(d.by), d.how, d.reason))
			findings = append(findings, gates.Finding{Rule: RuleFreezeOverridden, Severity: gates.SeverityWarning, Pos: f.pos,
				Message: fmt.Sprintf("deploying during the freeze %s: overridden by %s through %s, reason: %s", span, who(d.by), d.how, d.reason)})
			continue
		}
		blocked = true
		msg := fmt.Sprintf("deploys are frozen: %s; %s", span, overrideHint(f.override))
		if d.refusal != "" {
			msg += "; override refused: " + d.refusal
		}
		findings = append(findings, gates.Finding{Rule: RuleFrozen, Severity: gates.SeverityError, Pos: f.pos, Message: msg})
	}

	var inside *window
	var closes time.Time
	for i := range g.windows {
		if c, ok := g.windows[i].at(now); ok {
			inside, closes = &g.windows[i], c
			break
		}
	}
	if len(g.windows) > 0 && inside == nil {
		d, err := req.decide(g.override)
		if err != nil {
			return nil, err
		}
		list := make([]string, len(g.windows))
		for i, w := range g.windows {
			list[i] = w.text
		}
		nowText := formatAt(now, g.windows[0].loc)
		if d.granted {
			overridden = append(overridden, fmt.Sprintf("deploy window overridden by %s through %s: %s", who(d.by), d.how, d.reason))
			findings = append(findings, gates.Finding{Rule: RuleWindowOverridden, Severity: gates.SeverityWarning,
				Message: fmt.Sprintf("deploying at %s, outside every deploy window (%s): overridden by %s through %s, reason: %s", nowText, strings.Join(list, "; "), who(d.by), d.how, d.reason)})
		} else {
			blocked = true
			msg := fmt.Sprintf("%s is outside every deploy window (%s); %s", nowText, strings.Join(list, "; "), overrideHint(g.override))
			if d.refusal != "" {
				msg += "; override refused: " + d.refusal
			}
			findings = append(findings, gates.Finding{Rule: RuleOutsideWindow, Severity: gates.SeverityError, Message: msg})
		}
	}

	next := g.nextOpen(now, freezes)
	for _, o := range overridden {
		env.Notef("%s", o)
	}
	switch {
	case blocked:
		env.SetSummary("deploys are closed; %s", next)
	case len(overridden) > 0:
		env.SetSummary("OVERRIDDEN: %s", strings.Join(overridden, "; "))
	case inside != nil:
		env.SetSummary("inside the window %s until %s; no freeze", inside.text, formatAt(closes, inside.loc))
	default:
		env.SetSummary("no freeze now")
	}
	if !blocked {
		env.Notef("%s", next)
	}
	return findings, nil
}

func who(by string) string {
	if by == "" {
		return "an unnamed actor"
	}
	return by
}

// nextOpen says when deploys are next allowed, ignoring overrides: the
// first moment from now inside a window (when there are any) and outside
// every freeze.
func (g *Gate) nextOpen(now time.Time, freezes []freeze) string {
	t := now
	limit := now.Add(horizon)
	show := g.displayZone()
	for step := 0; step < 10000 && !t.After(limit); step++ {
		moved := false
		for _, f := range freezes {
			if f.covers(t) {
				t, moved = f.to, true
				if g.zone == nil && f.loc != nil {
					show = f.loc
				}
			}
		}
		if moved {
			continue
		}
		if len(g.windows) == 0 {
			if t.Equal(now) {
				return "deploys are open now"
			}
			return "deploys reopen " + formatAt(t, show)
		}
		var best time.Time
		var bestW *window
		for i := range g.windows {
			w := &g.windows[i]
			if _, ok := w.at(t); ok {
				if t.Equal(now) {
					return "the window " + w.text + " is open now"
				}
				return "the next window opens " + formatAt(t, w.loc)
			}
			if n, ok := w.next(t); ok && (bestW == nil || n.Before(best)) {
				best, bestW = n, w
			}
		}
		if bestW == nil {
			break
		}
		t = best
	}
	return fmt.Sprintf("no window opens before %s", formatAt(limit, g.displayZone()))
}

func (g *Gate) displayZone() *time.Location {
	if g.zone != nil {
		return g.zone
	}
	return time.UTC
}
