package deploywindow

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/release-gate/release-gate/gates"
)

// window is one weekly deploy window: on days, from start to end (minutes
// after midnight, local time in loc). An end not after the start spans
// midnight: the window ends on the next day.
type window struct {
	text       string
	days       [7]bool // by time.Weekday
	start, end int
	loc        *time.Location
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

const windowHelp = `want days, hours and a time zone, such as "mon-thu 09:00-16:00 Europe/Berlin" (days: mon tue wed thu fri sat sun, ranges mon-fri, lists mon,wed,fri; hours HH:MM-HH:MM, an end before the start spans midnight)`

// parseWindow reads "mon-thu 09:00-16:00 Europe/Berlin"; the zone may be
// left out when def (the gate's zone) is set.
func parseWindow(s string, def *time.Location) (window, error) {
	w := window{text: strings.Join(strings.Fields(s), " ")}
	f := strings.Fields(s)
	if len(f) < 2 || len(f) > 3 {
		return w, fmt.Errorf("%q: %s", s, windowHelp)
	}
	if err := parseDays(f[0], &w.days); err != nil {
		return w, fmt.Errorf("%q: %v; %s", s, err, windowHelp)
	}
	a, b, ok := strings.Cut(f[1], "-")
	var err error
	if !ok {
		return w, fmt.Errorf("%q: hours %q are not HH:MM-HH:MM; %s", s, f[1], windowHelp)
	}
	if w.start, err = parseClock(a, false); err == nil {
		w.end, err = parseClock(b, true)
	}
	if err != nil {
		return w, fmt.Errorf("%q: %v; %s", s, err, windowHelp)
	}
	if w.start == w.end {
		return w, fmt.Errorf("%q: the window starts and ends at the same time; for a whole day write 00:00-24:00", s)
	}
	if len(f) == 3 {
		if w.loc, err = loadZone(f[2]); err != nil {
			return w, fmt.Errorf("%q: %v", s, err)
		}
	} else if def != nil {
		w.loc = def
		w.text += " " + def.String()
	} else {
		return w, fmt.Errorf("%q names no time zone; add one (\"%s Europe/Berlin\") or set zone for the gate", s, w.text)
	}
	return w, nil
}

func parseDays(s string, days *[7]bool) error {
	for _, part := range strings.Split(strings.ToLower(s), ",") {
		a, b, isRange := strings.Cut(part, "-")
		da, ok := dayNames[a]
		if !ok {
			return fmt.Errorf("%q is not a day", a)
		}
		if !isRange {
			days[da] = true
			continue
		}
		db, ok := dayNames[b]
		if !ok {
			return fmt.Errorf("%q is not a day", b)
		}
		for d := da; ; d = (d + 1) % 7 {
			days[d] = true
			if d == db {
				break
			}
		}
	}
	return nil
}

// parseClock reads HH:MM as minutes after midnight; 24:00 only as an end.
func parseClock(s string, end bool) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(h) != 2 || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && (mm != 0 || !end)) {
		return 0, fmt.Errorf("%q is not a time of day HH:MM (00:00 to 23:59, 24:00 as an end)", s)
	}
	return hh*60 + mm, nil
}

// intervalOn is the window's interval that starts on the local date of day
// (whatever its clock), and whether the window opens that day at all.
// Times that a DST change skips or repeats resolve as time.Date does.
func (w window) intervalOn(day time.Time) (from, to time.Time, ok bool) {
	y, m, d := day.Date()
	if !w.days[time.Date(y, m, d, 12, 0, 0, 0, w.loc).Weekday()] {
		return time.Time{}, time.Time{}, false
	}
	from = time.Date(y, m, d, 0, w.start, 0, 0, w.loc)
	endDay := d
	if w.end <= w.start {
		endDay++
	}
	to = time.Date(y, m, endDay, 0, w.end, 0, 0, w.loc)
	return from, to, to.After(from)
}

// at reports whether t is inside the window and, if so, when it closes.
func (w window) at(t time.Time) (closes time.Time, open bool) {
	local := t.In(w.loc)
	for _, off := range []int{-1, 0} {
		from, to, ok := w.intervalOn(local.AddDate(0, 0, off))
		if ok && !t.Before(from) && t.Before(to) {
			return to, true
		}
	}
	return time.Time{}, false
}

// next is the first time after t the window opens.
func (w window) next(t time.Time) (time.Time, bool) {
	local := t.In(w.loc)
	for off := 0; off <= 8; off++ {
		from, _, ok := w.intervalOn(local.AddDate(0, 0, off))
		if ok && from.After(t) {
			return from, true
		}
	}
	return time.Time{}, false
}

// freeze is one interval during which deploys are frozen: a dated freeze
// or one occurrence of a calendar event.
type freeze struct {
	from, to time.Time // [from, to)
	reason   string
	what     string // how it was written: "2026-12-20 .. 2027-01-04 Europe/Berlin", "event in .github/freezes.ics"
	loc      *time.Location
	pos      gates.Pos
	override *Override // nil: cannot be overridden
}

func (f freeze) covers(t time.Time) bool { return !t.Before(f.from) && t.Before(f.to) }

// parseDates reads "2026-12-20 .. 2027-01-04" or "2026-12-24", inclusive of
// both days in loc.
func parseDates(s string, loc *time.Location) (from, to time.Time, err error) {
	a, b, isRange := strings.Cut(s, "..")
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if !isRange {
		b = a
	}
	da, err1 := time.ParseInLocation("2006-01-02", a, loc)
	db, err2 := time.ParseInLocation("2006-01-02", b, loc)
	if err1 != nil || err2 != nil {
		return from, to, fmt.Errorf("%q: want dates such as \"2026-12-20 .. 2027-01-04\" (both days included) or one date \"2026-12-24\"", s)
	}
	if db.Before(da) {
		return from, to, fmt.Errorf("%q ends before it starts", s)
	}
	y, m, d := db.Date()
	return da, time.Date(y, m, d+1, 0, 0, 0, 0, loc), nil
}

// formatAt writes t in loc and in UTC: "Mon 2026-11-30 09:00 CET (08:00 UTC)".
func formatAt(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	l, u := t.In(loc), t.UTC()
	if loc == time.UTC || l.Format("-0700") == "+0000" && loc.String() == "UTC" {
		return l.Format("Mon 2006-01-02 15:04 UTC")
	}
	utc := u.Format("15:04 UTC")
	if l.YearDay() != u.YearDay() {
		utc = u.Format("Mon 15:04 UTC")
	}
	return fmt.Sprintf("%s %s (%s)", l.Format("Mon 2006-01-02 15:04"), zoneLabel(l, loc), utc)
}

func zoneLabel(l time.Time, loc *time.Location) string {
	abbr, _ := l.Zone()
	if abbr == "" || abbr[0] == '+' || abbr[0] == '-' {
		return loc.String() + " " + l.Format("-07:00")
	}
	return abbr
}
