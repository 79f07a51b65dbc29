package alertpresence

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// promEnvelope is the envelope of every Prometheus API answer.
// Data holds a pointer to the caller's data struct, so the answer is
// decoded in one pass.
type promEnvelope struct {
	Status    string `json:"status"`
	Data      any    `json:"data"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	// Warnings come with partial answers (Thanos with a ruler down).
	Warnings []string `json:"warnings"`
}

// promRulesData, promGroup and promRule hold what the gate reads of
// /api/v1/rules. Everything else a rule carries (annotations, its alerts,
// duration, state, evaluationTime) is skipped unread: on a large server
// most of the answer's bytes.
type promRulesData struct {
	Groups *[]promGroup `json:"groups"`
}

type promGroup struct {
	Name     string     `json:"name"`
	File     string     `json:"file"`
	Interval float64    `json:"interval"` // seconds
	Rules    []promRule `json:"rules"`
	LastEval string     `json:"lastEvaluation"`
}

type promRule struct {
	Type   string            `json:"type"` // alerting | recording
	Name   string            `json:"name"`
	Query  string            `json:"query"`
	Labels map[string]string `json:"labels"`
	Health string            `json:"health"`
	// LastError is read only for a covering rule whose health is err.
	LastError string `json:"lastError"`
	LastEval  string `json:"lastEvaluation"`
}

// promAlertmanagersData is what the gate reads of /api/v1/alertmanagers:
// the active Alertmanagers' URLs, and how many were dropped.
type promAlertmanagersData struct {
	Active  *[]struct{ URL string } `json:"activeAlertmanagers"`
	Dropped []struct{}              `json:"droppedAlertmanagers"`
}

// getPrometheus fetches one Prometheus API path and unwraps its envelope.
// It returns the answer's warnings.
func getPrometheus(ctx context.Context, c *apiClient, p string, data any) ([]string, error) {
	env := promEnvelope{Data: data}
	if err := c.get(ctx, p, &env); err != nil {
		return nil, err
	}
	shown := c.endpoint(p).Redacted()
	if env.Status != "success" {
		if env.Status == "" {
			return nil, fmt.Errorf("GET %s: the answer has no status: is this a Prometheus API? check the URL", shown)
		}
		return nil, fmt.Errorf("GET %s: Prometheus answered status %q (%s): %s", shown, env.Status, env.ErrorType, env.Error)
	}
	return env.Warnings, nil
}

// liveRules is what the rules API reported.
type liveRules struct {
	rules []*Rule
	// skipped counts rules of unknown type.
	skipped int
	// warnings are the server's, for a partial answer.
	warnings []string
}

// fetchRules makes the one rules request of a run. It asks for every rule,
// recording rules included: an alert often reads what they record.
func fetchRules(ctx context.Context, c *apiClient) (*liveRules, error) {
	var d promRulesData
	warnings, err := getPrometheus(ctx, c, "/api/v1/rules", &d)
	if err != nil {
		return nil, err
	}
	if d.Groups == nil {
		return nil, fmt.Errorf("GET %s: the answer has no data.groups: is this a rules API? check the URL",
			c.endpoint("/api/v1/rules").Redacted())
	}
	out := &liveRules{warnings: warnings}
	for _, g := range *d.Groups {
		interval := time.Duration(g.Interval * float64(time.Second))
		groupEval := parseEvalTime(g.LastEval)
		for _, pr := range g.Rules {
			r := &Rule{
				Name:      pr.Name,
				Expr:      pr.Query,
				Labels:    pr.Labels,
				Group:     g.Name,
				File:      g.File,
				Health:    pr.Health,
				LastError: pr.LastError,
				LastEval:  parseEvalTime(pr.LastEval),
				Interval:  interval,
			}
			if r.LastEval.IsZero() {
				r.LastEval = groupEval
			}
			switch pr.Type {
			case "alerting":
				r.Alert = true
			case "recording":
			default:
				out.skipped++
				continue
			}
			out.rules = append(out.rules, r)
		}
	}
	return out, nil
}

// parseEvalTime reads a lastEvaluation; Prometheus reports
// 0001-01-01T00:00:00Z for a rule never evaluated.
func parseEvalTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}

// fetchActiveAlertmanagers returns the URLs of the Alertmanagers
// Prometheus sends alerts to, and how many it dropped.
func fetchActiveAlertmanagers(ctx context.Context, c *apiClient) (active []string, dropped int, err error) {
	var d promAlertmanagersData
	if _, err := getPrometheus(ctx, c, "/api/v1/alertmanagers", &d); err != nil {
		var se *statusError
		if errors.As(err, &se) && se.Code == http.StatusNotFound {
			return nil, 0, fmt.Errorf("%w; if this server does not report its Alertmanagers (Thanos Query, Mimir, Cortex, vmalert), set active-alertmanager: false", err)
		}
		return nil, 0, err
	}
	if d.Active == nil {
		return nil, 0, fmt.Errorf("GET %s: the answer has no data.activeAlertmanagers; if this server does not report its Alertmanagers, set active-alertmanager: false",
			c.endpoint("/api/v1/alertmanagers").Redacted())
	}
	for _, a := range *d.Active {
		active = append(active, a.URL)
	}
	return active, len(d.Dropped), nil
}
