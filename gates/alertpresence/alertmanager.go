package alertpresence

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// silence is an active Alertmanager silence.
type silence struct {
	ID        string
	CreatedBy string
	Comment   string
	EndsAt    time.Time
	Matchers  []labelMatcher
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
	EndsAt    time.Time `json:"endsAt"`
}

// fetchSilences returns the active silences (GET /api/v2/silences).
func fetchSilences(ctx context.Context, c *apiClient) ([]silence, error) {
	var raw []amSilence
	if err := c.get(ctx, "/api/v2/silences", &raw); err != nil {
		return nil, err
	}
	var out []silence
	for _, s := range raw {
		if s.Status.State != "active" {
			continue
		}
		sl := silence{ID: s.ID, CreatedBy: s.CreatedBy, Comment: s.Comment, EndsAt: s.EndsAt}
		for _, m := range s.Matchers {
			eq := m.IsEqual == nil || *m.IsEqual
			op := opEq
			switch {
			case m.IsRegex && eq:
				op = opRe
			case m.IsRegex:
				op = opNre
			case !eq:
				op = opNeq
			}
			sl.Matchers = append(sl.Matchers, labelMatcher{Name: m.Name, Op: op, Value: m.Value})
		}
		out = append(out, sl)
	}
	return out, nil
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
	rt, err := parseRouting(*st.Config.Original)
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

// silenceApplies decides whether s mutes the alerts of a rule whose sure
// labels are known (alertname and the rule's labels) and whose expression
// pins likely labels with = (job="api": the series carry that value, unless
// aggregated away). A silence that only names labels neither knows is left
// out: it targets particular series, not this rule.
func silenceApplies(s silence, known, likely map[string]string, rc *regexCache) silenceVerdict {
	sure, hits := true, 0
	for _, m := range s.Matchers {
		if v, ok := known[m.Name]; ok {
			if !matcherAccepts(m, v, rc) {
				return silenceNone
			}
			hits++
			continue
		}
		sure = false
		if v, ok := likely[m.Name]; ok {
			if !matcherAccepts(m, v, rc) {
				return silenceNone
			}
			hits++
		}
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
