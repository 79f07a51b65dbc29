package deploywindow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/gitrepo"
	"github.com/release-gate/release-gate/internal/httpsafe"
	"github.com/release-gate/release-gate/internal/sanitize"
	"github.com/release-gate/release-gate/internal/wsfile"
)

// maxCalendarBytes bounds a calendar read into memory: a team's freeze
// calendar is a few KiB, a busy exported one a few MiB.
const maxCalendarBytes = 8 << 20

// maxOccurrences bounds how many occurrences of one recurring event are
// expanded: a rule that repeats every minute for years is refused rather
// than walked. maxTotalOccurrences bounds them over the whole calendar.
const (
	maxOccurrences      = 100000
	maxTotalOccurrences = 1000000
)

// fetchTimeout bounds fetching a calendar URL, within the gate's timeout.
const fetchTimeout = 30 * time.Second

// readCalendar reads the calendar: from the commit the configuration was
// read from when there is one (the change under test cannot edit it
// there), else from the workspace, else from its URL.
func (g *Gate) readCalendar(ctx context.Context, env *gates.Env) ([]byte, string, error) {
	if g.calEnv != "" {
		if config.EnvNameLooksSecret(g.calEnv) {
			env.Mask(g.calEnv)
		}
		raw := strings.TrimSpace(env.Getenv(g.calEnv))
		if raw == "" {
			return nil, "", fmt.Errorf("calendar-url-env: %s is empty or unset; without the calendar the freezes are unknown", config.ShownEnvName(g.calEnv))
		}
		env.Mask(raw)
		_, url, err := calendarSource(raw)
		if err != nil || url == "" {
			return nil, "", fmt.Errorf("calendar-url-env: %s does not hold an https:// URL", config.ShownEnvName(g.calEnv))
		}
		data, name, err := fetchCalendar(ctx, env.HTTPClient, url)
		return data, name, err
	}
	if g.calURL != "" {
		return fetchCalendar(ctx, env.HTTPClient, g.calURL)
	}
	if env.ConfigRef != "" {
		repo, err := gitrepo.Open(ctx, env.Workspace)
		if err != nil {
			return nil, "", fmt.Errorf("reading calendar %s at %s: %w", g.calFile, short(env.ConfigRef), err)
		}
		defer repo.Close()
		ws, err := filepath.EvalSymlinks(env.Workspace)
		if err != nil {
			return nil, "", fmt.Errorf("reading calendar %s: %w", g.calFile, err)
		}
		inRepo, err := filepath.Rel(repo.Top(), filepath.Join(ws, filepath.FromSlash(g.calFile)))
		if err != nil || strings.HasPrefix(inRepo, "..") {
			return nil, "", fmt.Errorf("reading calendar %s: it is outside the repository", g.calFile)
		}
		data, _, err := repo.ReadCommitFile(ctx, env.ConfigRef, filepath.ToSlash(inRepo), maxCalendarBytes)
		if err != nil {
			return nil, "", fmt.Errorf("reading calendar %s at %s, the commit the configuration comes from: %w", g.calFile, short(env.ConfigRef), err)
		}
		return data, g.calFile + "@" + short(env.ConfigRef), nil
	}
	data, err := wsfile.ReadFile(env.Workspace, g.calFile, maxCalendarBytes)
	if err != nil {
		return nil, "", fmt.Errorf("reading calendar %w", err)
	}
	return data, g.calFile, nil
}

func short(id string) string { return id[:min(len(id), 7)] }

// fetchCalendar GETs an https calendar: any answer but 200, a redirect to
// plain HTTP, a body over the cap or a timeout is an error. It names the
// calendar by its origin only: a calendar's secret address is in its path.
func fetchCalendar(ctx context.Context, client *http.Client, url string) ([]byte, string, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	client = httpsafe.Client(client)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", errors.New("fetching the calendar: the calendar URL is not a valid URL")
	}
	name := httpsafe.Origin(req.URL) + "/…"
	req.Header.Set("Accept", "text/calendar")
	resp, err := client.Do(req)
	if err != nil {
		return nil, name, fmt.Errorf("fetching calendar %s: %w", name, scrubURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, name, fmt.Errorf("fetching calendar %s: the server answered %s; without the calendar the freezes are unknown", name, resp.Status)
	}
	if resp.Request != nil && resp.Request.URL != nil && !strings.EqualFold(resp.Request.URL.Scheme, "https") {
		return nil, name, fmt.Errorf("fetching calendar %s: it was answered over plain HTTP", name)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxCalendarBytes+1))
	if err != nil {
		return nil, name, fmt.Errorf("fetching calendar %s: %w", name, err)
	}
	if len(data) > maxCalendarBytes {
		return nil, name, fmt.Errorf("fetching calendar %s: the answer is larger than %s", name, httpsafe.FormatBytes(maxCalendarBytes))
	}
	return data, name, nil
}

// parseCalendar turns the calendar's events into freezes that overlap
// [from, until): one per occurrence of a recurring event. def is the zone
// of floating times and all-day dates when the calendar names none
// (X-WR-TIMEZONE). Anything it cannot read is an error, never an empty
// calendar.
func parseCalendar(ctx context.Context, data []byte, name string, def *time.Location, from, until time.Time, ov *Override, mask func(string) string) ([]freeze, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("calendar %s is empty; an iCalendar file starts with BEGIN:VCALENDAR", name)
	}
	cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		return nil, fmt.Errorf("calendar %s is not an iCalendar file: %w", name, err)
	}
	if cal.Name != ical.CompCalendar {
		return nil, fmt.Errorf("calendar %s holds a %s, not a VCALENDAR", name, cal.Name)
	}
	loc := def
	if loc == nil {
		loc = time.UTC
	}
	if tz, err := cal.Props.Text("X-WR-TIMEZONE"); err == nil && tz != "" {
		if l, err := loadZone(ianaZone(tz)); err == nil {
			loc = l
		}
	}
	// Modified or cancelled occurrences (RECURRENCE-ID) replace the
	// occurrence of the event with the same UID.
	replaced := map[string][]time.Time{}
	events := cal.Events()
	for _, ev := range events {
		rid := ev.Props.Get(ical.PropRecurrenceID)
		if rid == nil {
			continue
		}
		t, err := propTime(rid, loc)
		if err != nil {
			return nil, fmt.Errorf("calendar %s: event %q: RECURRENCE-ID: %w", name, summary(ev, mask), err)
		}
		uid, _ := ev.Props.Text(ical.PropUID)
		replaced[uid] = append(replaced[uid], t)
	}
	var out []freeze
	budget := maxTotalOccurrences
	for _, ev := range events {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		status, _ := ev.Props.Text(ical.PropStatus)
		if strings.EqualFold(status, "CANCELLED") {
			continue
		}
		fs, err := eventFreezes(ev, loc, from, until, replaced, &budget, mask)
		if err != nil {
			return nil, fmt.Errorf("calendar %s: event %q: %w", name, summary(ev, mask), err)
		}
		for i := range fs {
			fs[i].what = "an event of calendar " + name
			fs[i].pos = gates.Pos{File: calendarPosFile(name)}
			fs[i].override = ov
		}
		out = append(out, fs...)
	}
	return out, nil
}

func calendarPosFile(name string) string {
	if strings.Contains(name, "://") || strings.Contains(name, "@") {
		return ""
	}
	return name
}

// summary is how messages name an event: its SUMMARY, or else its UID, with
// the secrets mask finds (the run's registered secrets, such as the
// calendar's URL) masked before it is cut to 120 bytes, since the masking of
// every output recognises a secret only whole.
func summary(ev ical.Event, mask func(string) string) string {
	s, _ := ev.Props.Text(ical.PropSummary)
	if s == "" {
		s, _ = ev.Props.Text(ical.PropUID)
	}
	return sanitize.Clip(mask(s), 120)
}

// eventFreezes expands one event into its occurrences overlapping
// [from, until).
func eventFreezes(ev ical.Event, loc *time.Location, from, until time.Time, replaced map[string][]time.Time, budget *int, mask func(string) string) ([]freeze, error) {
	startProp := ev.Props.Get(ical.PropDateTimeStart)
	if startProp == nil {
		return nil, errors.New("it has no DTSTART")
	}
	start, err := propTime(startProp, loc)
	if err != nil {
		return nil, fmt.Errorf("DTSTART: %w", err)
	}
	var end time.Time
	switch {
	case ev.Props.Get(ical.PropDateTimeEnd) != nil:
		if end, err = propTime(ev.Props.Get(ical.PropDateTimeEnd), loc); err != nil {
			return nil, fmt.Errorf("DTEND: %w", err)
		}
	case ev.Props.Get(ical.PropDuration) != nil:
		d, err := ev.Props.Get(ical.PropDuration).Duration()
		if err != nil {
			return nil, fmt.Errorf("DURATION: %w", err)
		}
		end = start.Add(d)
	case isDate(startProp):
		y, m, d := start.Date()
		end = time.Date(y, m, d+1, 0, 0, 0, 0, start.Location())
	default:
		end = start
	}
	if end.Before(start) {
		return nil, errors.New("it ends before it starts")
	}
	reason := summary(ev, mask)
	if reason == "" {
		reason = "a calendar freeze"
	}
	mk := func(s, e time.Time) freeze {
		return freeze{from: s, to: e, reason: reason, loc: s.Location()}
	}
	dur := end.Sub(start)
	allDay := isDate(startProp)
	days := 0
	if allDay {
		// Whole days stay whole across a DST change.
		days = int((dur + 12*time.Hour) / (24 * time.Hour))
	}
	endOf := func(s time.Time) time.Time {
		if allDay {
			y, m, d := s.Date()
			return time.Date(y, m, d+days, 0, 0, 0, 0, s.Location())
		}
		return s.Add(dur)
	}

	ropt, err := ev.Props.RecurrenceRule()
	if err != nil {
		return nil, fmt.Errorf("RRULE: %w", err)
	}
	uid, _ := ev.Props.Text(ical.PropUID)
	if ropt == nil {
		if end.After(from) && start.Before(until) {
			return []freeze{mk(start, end)}, nil
		}
		return nil, nil
	}
	if ev.Props.Get(ical.PropRecurrenceID) != nil {
		return nil, errors.New("a modified occurrence (RECURRENCE-ID) carries its own RRULE")
	}
	ropt.Dtstart = start
	rule, err := rrule.NewRRule(*ropt)
	if err != nil {
		return nil, fmt.Errorf("RRULE: %w", err)
	}
	set := &rrule.Set{}
	set.RRule(rule)
	// DTSTART is always the first occurrence (RFC 5545, 3.8.5.3), even
	// when the rule would not produce it.
	set.RDate(start)
	for _, p := range ev.Props.Values(ical.PropExceptionDates) {
		ts, err := propTimes(&p, loc)
		if err != nil {
			return nil, fmt.Errorf("EXDATE: %w", err)
		}
		for _, t := range ts {
			set.ExDate(t)
		}
	}
	for _, t := range replaced[uid] {
		set.ExDate(t)
	}
	for _, p := range ev.Props.Values(ical.PropRecurrenceDates) {
		ts, err := propTimes(&p, loc)
		if err != nil {
			return nil, fmt.Errorf("RDATE: %w", err)
		}
		for _, t := range ts {
			set.RDate(t)
		}
	}
	var out []freeze
	next := set.Iterator()
	for n := 0; ; n++ {
		s, ok := next()
		if !ok || !s.Before(until) {
			break
		}
		if n >= maxOccurrences {
			return nil, fmt.Errorf("RRULE repeats more than %d times before %s; a freeze calendar needs no such rule", maxOccurrences, until.UTC().Format("2006-01-02"))
		}
		if *budget--; *budget < 0 {
			return nil, fmt.Errorf("the calendar's rules repeat more than %d times in all before %s; a freeze calendar needs no such rules", maxTotalOccurrences, until.UTC().Format("2006-01-02"))
		}
		if e := endOf(s); e.After(from) {
			out = append(out, mk(s, e))
		}
	}
	return out, nil
}

func isDate(p *ical.Prop) bool {
	return p.ValueType() == ical.ValueDate || len(p.Value) == len("20060102")
}

// propTime reads a DATE or DATE-TIME property: UTC (Z), in its TZID, or
// floating in loc.
func propTime(p *ical.Prop, loc *time.Location) (time.Time, error) {
	ts, err := propTimes(p, loc)
	if err != nil {
		return time.Time{}, err
	}
	if len(ts) != 1 {
		return time.Time{}, fmt.Errorf("want one date, got %d", len(ts))
	}
	return ts[0], nil
}

// propTimes reads a property holding one or more (comma-separated) dates
// or date-times.
func propTimes(p *ical.Prop, loc *time.Location) ([]time.Time, error) {
	if tzid := p.Params.Get(ical.PropTimezoneID); tzid != "" {
		l, err := loadZone(ianaZone(tzid))
		if err != nil {
			return nil, fmt.Errorf("unknown time zone TZID=%q; release-gate knows IANA zones (Europe/Berlin) and the Windows names Outlook writes for the common ones", tzid)
		}
		loc = l
	}
	var out []time.Time
	for _, v := range strings.Split(p.Value, ",") {
		v = strings.TrimSpace(v)
		var t time.Time
		var err error
		switch {
		case p.ValueType() == ical.ValueDate || len(v) == len("20060102"):
			t, err = time.ParseInLocation("20060102", v, loc)
		case strings.HasSuffix(v, "Z"):
			t, err = time.ParseInLocation("20060102T150405Z", v, time.UTC)
		default:
			t, err = time.ParseInLocation("20060102T150405", v, loc)
		}
		if err != nil {
			return nil, fmt.Errorf("%q is not an iCalendar date or date-time", v)
		}
		out = append(out, t)
	}
	return out, nil
}

// scrubURL drops the URL net/http puts in its errors (it may hold the
// calendar's secret address), keeping what went wrong.
func scrubURL(err error) error {
	var re *httpsafe.RedirectError
	if errors.As(err, &re) {
		return fmt.Errorf("refused a redirect: %s", re.Why)
	}
	var ue *neturl.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
