package alertpresence

import (
	"fmt"
	"strings"

	"github.com/release-gate/release-gate/gates"
)

// summarise sets the one-line reason: what is covered on a pass, what is
// wrong on a failure.
func (r *run) summarise() {
	var missing []string
	counts := map[string]int{}
	var order []string
	for _, f := range r.findings {
		if f.Severity != gates.SeverityError {
			continue
		}
		if f.Rule == ruleCategoryMissing {
			continue
		}
		if counts[f.Rule] == 0 {
			order = append(order, f.Rule)
		}
		counts[f.Rule]++
	}
	for c, name := range r.st.require {
		for _, s := range r.sources {
			if len(s.covering[c]) == 0 {
				missing = append(missing, fmt.Sprintf("%s (%s)", name, s.name))
			}
		}
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing "+strings.Join(missing, ", ")+r.scopeText())
	}
	for _, id := range order {
		parts = append(parts, problemText(id, counts[id]))
	}
	if len(parts) > 0 {
		r.env.SetSummary("%s", strings.Join(parts, "; "))
		return
	}
	var per []string
	for _, s := range r.sources {
		per = append(per, fmt.Sprintf("%d alerting rule(s) in %s", len(coveringRules(s)), s.name))
	}
	checks := ""
	if r.st.prometheus != nil {
		checks += ", healthy and evaluated"
	}
	if r.st.alertmanager != nil {
		checks += ", routed to a receiver and not silenced"
	}
	r.env.SetSummary("%s covered%s by %s%s", strings.Join(r.st.require, ", "), r.scopeText(), strings.Join(per, " and "), checks)
}

func problemText(id string, n int) string {
	rules := "rule"
	if n > 1 {
		rules = "rules"
	}
	switch id {
	case ruleUnhealthy:
		return fmt.Sprintf("%d %s failing to evaluate", n, rules)
	case ruleNotEvaluated:
		return fmt.Sprintf("%d %s not evaluated recently", n, rules)
	case ruleNoAlertmanager:
		return "Prometheus has no active Alertmanager"
	case ruleSilenced:
		return fmt.Sprintf("%d %s silenced", n, rules)
	case ruleRouteBlackhole:
		return fmt.Sprintf("%d %s routed to a receiver that notifies nobody", n, rules)
	case ruleInvalidRule:
		return fmt.Sprintf("%d invalid %s in rule files", n, rules)
	}
	return fmt.Sprintf("%d %s", n, id)
}
