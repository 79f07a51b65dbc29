package staginganalysis

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/promapi"
)

// maxAlertFindings is how many firing alerts are reported one by one.
const maxAlertFindings = 20

// firing is one alert of the service firing in staging.
type firing struct {
	name, labels, where, state string
}

// checkAlerts finds the service's alerts firing now in staging's
// Alertmanager, or in its Prometheus when no Alertmanager is configured,
// leaving out the ignored names.
func (r *run) checkAlerts(ctx context.Context) ([]gates.Finding, error) {
	var all []firing
	if r.am != nil {
		got, err := r.alertmanagerAlerts(ctx)
		if err != nil {
			return nil, fmt.Errorf("no-firing-alerts: %w", err)
		}
		all = append(all, got...)
	}
	if r.am == nil && r.prom != nil {
		got, err := r.prometheusAlerts(ctx)
		if err != nil {
			return nil, fmt.Errorf("no-firing-alerts: %w", err)
		}
		all = append(all, got...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].name < all[j].name })
	var out []gates.Finding
	for i, a := range all {
		if i == maxAlertFindings {
			out = append(out, gates.Finding{Rule: ruleAlertFiring, Severity: gates.SeverityError,
				Message: fmt.Sprintf("… and %d more alerts of the service are firing in staging", len(all)-i)})
			break
		}
		state := ""
		if a.state != "" {
			state = " (" + a.state + ")"
		}
		// The name and labels are the server's: a secret it reveals there
		// is cut out.
		out = append(out, gates.Finding{Rule: ruleAlertFiring, Severity: gates.SeverityError,
			Message: promapi.Redact(ctx, fmt.Sprintf("alert %s is firing in staging's %s%s: %s", a.name, a.where, state, a.labels), r.carried())})
	}
	r.env.Notef("no-firing-alerts: %d alert(s) of %s firing (ignoring %s)", len(all), formatLabels(r.st.alerts.Selector, nil, nil), strings.Join(r.st.ignore, ", "))
	return out, nil
}

// carried are the secrets the requests to the servers carry.
func (r *run) carried() []string {
	var out []string
	for _, c := range []*apiClient{r.prom, r.am} {
		if c != nil {
			out = append(out, c.secrets...)
		}
	}
	return out
}

// matches reports whether an alert's labels are the service's and its name
// is not ignored.
func (r *run) matches(labels map[string]string) bool {
	for k, v := range r.st.alerts.Selector {
		if labels[k] != v {
			return false
		}
	}
	return !slices.Contains(r.st.ignore, labels["alertname"])
}

// alertmanagerAlerts reads GET /api/v2/alerts: every active alert,
// silenced and inhibited ones too (an alert silenced in staging still says
// staging is unhealthy).
func (r *run) alertmanagerAlerts(ctx context.Context) ([]firing, error) {
	params := url.Values{"active": {"true"}, "silenced": {"true"}, "inhibited": {"true"}, "unprocessed": {"true"}}
	for _, k := range sortedKeys(r.st.alerts.Selector) {
		params.Add("filter", k+"="+strconv.Quote(r.st.alerts.Selector[k]))
	}
	r.count(1)
	body, err := r.am.get(ctx, "/api/v2/alerts", params)
	if err != nil {
		return nil, err
	}
	var list []struct {
		Labels map[string]string `json:"labels"`
		Status *struct {
			State string `json:"state"`
		} `json:"status"`
	}
	if err := r.am.decode(ctx, "/api/v2/alerts", body, &list); err != nil {
		return nil, err
	}
	var out []firing
	for _, a := range list {
		if a.Status == nil || a.Labels == nil {
			return nil, fmt.Errorf("/api/v2/alerts: an alert has no labels or status; is this an Alertmanager v2 API?")
		}
		if !r.matches(a.Labels) {
			continue
		}
		state := ""
		if a.Status.State != "active" {
			state = serverClip(redactLong(ctx, a.Status.State, 20), 20, r.am.secrets)
		}
		long := func(s string, n int) string { return redactLong(ctx, s, n) }
		out = append(out, firing{name: serverClip(long(a.Labels["alertname"], 100), 100, r.am.secrets), labels: formatLabels(a.Labels, r.am.secrets, long), where: "Alertmanager", state: state})
	}
	return out, nil
}

// prometheusAlerts reads GET /api/v1/alerts: alerts in state firing.
func (r *run) prometheusAlerts(ctx context.Context) ([]firing, error) {
	r.count(1)
	body, err := r.prom.get(ctx, "/api/v1/alerts", nil)
	if err != nil {
		return nil, err
	}
	var a struct {
		Status string `json:"status"`
		Data   *struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	if err := r.prom.decode(ctx, "/api/v1/alerts", body, &a); err != nil {
		return nil, err
	}
	if a.Status != "success" || a.Data == nil || a.Data.Alerts == nil {
		return nil, fmt.Errorf("/api/v1/alerts: the answer has no list of alerts (status %q); is this a Prometheus API?", serverClip(a.Status, 40, r.prom.secrets))
	}
	var out []firing
	for _, al := range a.Data.Alerts {
		if al.State != "firing" || !r.matches(al.Labels) {
			continue
		}
		long := func(s string, n int) string { return redactLong(ctx, s, n) }
		out = append(out, firing{name: serverClip(long(al.Labels["alertname"], 100), 100, r.prom.secrets), labels: formatLabels(al.Labels, r.prom.secrets, long), where: "Prometheus"})
	}
	return out, nil
}

// redactLong cuts from s, when it is longer than the n bytes a finding
// shows of it, the secrets gitleaks' rules find, before it is clipped: the
// finding is searched again, but a secret the clip cut in part no longer
// matches. A shorter s is left whole to that search. (The carried secrets
// are cut by serverClip.)
func redactLong(ctx context.Context, s string, n int) string {
	if len(s) <= n {
		return s
	}
	return promapi.RedactStart(ctx, s, nil, 20*n)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
