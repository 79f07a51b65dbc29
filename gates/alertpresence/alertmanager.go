package alertpresence

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/alertmanager/pkg/labels"

	"github.com/release-gate/release-gate/internal/httpsafe"
)

// silence is an Alertmanager silence, its matchers read with
// Alertmanager's own library, so that they match as Alertmanager matches:
// a label the alert lacks is compared as the empty value.
type silence struct {
	ID        string
	State     string // active | pending | expired
	CreatedBy string
	Comment   string
	StartsAt  time.Time
	EndsAt    time.Time
	Matchers  labels.Matchers
}

type amSilence struct {
	ID     string `json:"id"`
	Status struct {
		State string `json:"state"`
	} `json:"status"`
	Matchers []struct {
		Name    string `json:"name"`
		Value   string `json:"value"`
		IsRegex bool   `json:"isRegex"`
		IsEqual *bool  `json:"isEqual"` // absent before Alertmanager 0.22: equal
	} `json:"matchers"`
	CreatedBy string    `json:"createdBy"`
	Comment   string    `json:"comment"`
	StartsAt  time.Time `json:"startsAt"`
	EndsAt    time.Time `json:"endsAt"`
}

// The states of a silence in the v2 API.
const (
	stateActive  = "active"
	statePending = "pending"
	stateExpired = "expired"
)

// fetchSilences returns every silence the Alertmanager has (GET
// /api/v2/silences), in any state: whether one mutes an alert is decided
// later, with the clock.
func fetchSilences(ctx context.Context, c *apiClient) ([]silence, error) {
	var raw []amSilence
	if err := c.get(ctx, "/api/v2/silences", &raw); err != nil {
		return nil, err
	}
	shown := c.endpoint("/api/v2/silences").Redacted()
	out := make([]silence, 0, len(raw))
	for _, s := range raw {
		switch s.Status.State {
		case stateActive, statePending, stateExpired:
		default:
			return nil, fmt.Errorf("GET %s: silence %s has state %q, not active, pending or expired: is this an Alertmanager v2 API?", shown, s.ID, s.Status.State)
		}
		sl := silence{ID: s.ID, State: s.Status.State, CreatedBy: s.CreatedBy, Comment: s.Comment, StartsAt: s.StartsAt, EndsAt: s.EndsAt}
		for _, m := range s.Matchers {
			eq := m.IsEqual == nil || *m.IsEqual
			t := labels.MatchEqual
			switch {
			case m.IsRegex && eq:
				t = labels.MatchRegexp
			case m.IsRegex:
				t = labels.MatchNotRegexp
			case !eq:
				t = labels.MatchNotEqual
			}
			lm, err := labels.NewMatcher(t, m.Name, m.Value)
			if err != nil {
				return nil, fmt.Errorf("GET %s: silence %s has a matcher Alertmanager would not accept (%s): %w", shown, s.ID, m.Name, err)
			}
			sl.Matchers = append(sl.Matchers, lm)
		}
		out = append(out, sl)
	}
	return out, nil
}

// mutesNow says whether a silence mutes alerts now: the Alertmanager's
// state, checked against this machine's clock. A silence whose times
// contradict its state by more than maxClockSkew (active but starting later,
// pending but started long ago, expired but ending later) is an error: the
// Alertmanager's clock, or its answer, is wrong, and which silences mute
// what is unknown.
func mutesNow(s silence, now time.Time) (bool, error) {
	clash := func(what string, at time.Time) error {
		return fmt.Errorf("silence %s is %s, yet %s %s by this machine's clock (%s): the Alertmanager's clock and this runner's disagree by more than %s; check the clocks",
			s.ID, s.State, what, at.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), maxClockSkew)
	}
	switch s.State {
	case stateActive:
		if s.StartsAt.After(now.Add(maxClockSkew)) {
			return false, clash("it starts at", s.StartsAt)
		}
		return true, nil
	case statePending:
		if !s.StartsAt.IsZero() && s.StartsAt.Before(now.Add(-maxClockSkew)) {
			return false, clash("it started at", s.StartsAt)
		}
		return false, nil
	default:
		if s.EndsAt.After(now.Add(maxClockSkew)) {
			return false, clash("it ends at", s.EndsAt)
		}
		return false, nil
	}
}

type amStatus struct {
	Config *struct {
		Original *string `json:"original"`
	} `json:"config"`
}

// fetchRouting reads the running configuration (GET /api/v2/status) and
// returns its route tree and receivers.
func fetchRouting(ctx context.Context, c *apiClient) (*routing, error) {
	var st amStatus
	if err := c.get(ctx, "/api/v2/status", &st); err != nil {
		return nil, err
	}
	shown := c.endpoint("/api/v2/status").Redacted()
	if st.Config == nil || st.Config.Original == nil {
		return nil, fmt.Errorf("GET %s: the answer has no config.original: is this an Alertmanager v2 API?", shown)
	}
	// The parser's errors quote the start of a value it cannot read: the
	// credentials the requests carry, which the answer may echo, are cut
	// first, as a part of one would no longer be recognised.
	rt, err := parseRouting(httpsafe.CutSecrets(*st.Config.Original, c.secrets...))
	if err != nil {
		return nil, fmt.Errorf("reading the configuration from GET %s: %w", shown, err)
	}
	return rt, nil
}

// silenceVerdict says how a silence applies to a rule's alerts.
type silenceVerdict int

const (
	silenceNone   silenceVerdict = iota
	silencePartly                // some of the rule's alerts, depending on the series' labels
	silenceWhole                 // every alert of the rule
)

// silenceApplies decides whether s mutes the alerts of a rule, matching as
// Alertmanager does. The rule's alerts surely carry the known labels
// (alertname and the rule's labels); the likely ones are those its
// expression pins with = (job="api": the series carry that value, unless
// aggregated away); any other label may come with the series or not, and
// an alert without it compares as the empty value.
//
// A silence mutes the whole rule when each matcher holds for a known label,
// or holds for the empty value of a label the rule does not set (foo="",
// foo!~".+", foo!="x"): the alert as the rule defines it is muted, as
// Alertmanager itself would mute it. A matcher on a likely label, or one
// that needs a value the rule does not set (instance="host-1"), makes it
// partly: only alerts of some series. A silence whose matchers all need
// labels neither known nor likely targets other series and is left out.
func silenceApplies(s silence, known, likely map[string]string) silenceVerdict {
	if len(s.Matchers) == 0 {
		return silenceWhole // Alertmanager mutes everything with it
	}
	return matchersApply(s.Matchers, known, likely)
}

// matchersApply decides whether matchers hold for a rule's alerts, as
// silenceApplies explains.
func matchersApply(ms labels.Matchers, known, likely map[string]string) silenceVerdict {
	sure, hits := true, 0
	for _, m := range ms {
		if v, ok := known[m.Name]; ok {
			if !m.Matches(v) {
				return silenceNone
			}
			hits++
			continue
		}
		if v, ok := likely[m.Name]; ok {
			if !m.Matches(v) {
				return silenceNone
			}
			sure = false
			hits++
			continue
		}
		if m.Matches("") {
			hits++ // the alert lacks the label unless its series bring it
			continue
		}
		sure = false
	}
	switch {
	case hits == 0:
		return silenceNone
	case sure:
		return silenceWhole
	default:
		return silencePartly
	}
}

// likelyLabels are the labels an expression pins to one value with =.
func likelyLabels(ms []labelMatcher) map[string]string {
	out := map[string]string{}
	multi := map[string]bool{}
	for _, m := range ms {
		if m.Op != opEq || m.Name == "__name__" {
			continue
		}
		if v, ok := out[m.Name]; ok && v != m.Value {
			multi[m.Name] = true
		}
		out[m.Name] = m.Value
	}
	for k := range multi {
		delete(out, k)
	}
	return out
}

// describeSilence is how a silence is named in messages.
func describeSilence(s silence, now time.Time) string {
	parts := make([]string, len(s.Matchers))
	for i, m := range s.Matchers {
		parts[i] = m.String()
	}
	d := fmt.Sprintf("silence %s {%s}", s.ID, strings.Join(parts, ", "))
	if s.State == statePending {
		d += ", pending"
	}
	if s.CreatedBy != "" {
		d += " by " + s.CreatedBy
	}
	if !s.EndsAt.IsZero() {
		d += fmt.Sprintf(", ends %s (in %s)", s.EndsAt.UTC().Format(time.RFC3339), s.EndsAt.Sub(now).Round(time.Minute))
	}
	if s.Comment != "" {
		d += fmt.Sprintf(", comment %q", s.Comment)
	}
	return d
}
