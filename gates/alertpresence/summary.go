package alertpresence

import (
	"fmt"
	"strings"

	"github.com/release-gate/release-gate/internal/plural"

	"github.com/release-gate/release-gate/gates"
)

// report adds a finding about subject (a rule's name, or "" when it
// concerns no rule), remembered for the summary.
func (r *run) report(f gates.Finding, subject string) {
	// A finding about one alerting rule is labelled with its name, so a
	// waiver can name the rule.
	if subject != "" && f.Labels == nil {
		f.Labels = map[string]string{"alertname": subject}
	}
	r.findings = append(r.findings, f)
	if f.Severity != gates.SeverityError || f.Rule == ruleCategoryMissing {
		return
	}
	if _, ok := r.subjects[f.Rule]; !ok {
		r.problemOrder = append(r.problemOrder, f.Rule)
	}
	if r.subjects == nil {
		r.subjects = map[string][]string{}
	}
	r.subjects[f.Rule] = append(r.subjects[f.Rule], subject)
}

// summarise sets the one-line reason: what is covered on a pass, what is
// wrong on a failure.
func (r *run) summarise() {
	var parts []string
	for _, s := range r.sources {
		var missing []string
		for c, name := range r.st.require {
			if len(s.covering[c]) == 0 {
				missing = append(missing, name)
			}
		}
		if len(missing) == 0 {
			continue
		}
		p := "no " + strings.Join(missing, ", ") + " alert" + r.scopeText()
		if len(r.sources) > 1 {
			p += " in " + s.name
		}
		parts = append(parts, p)
	}
	for _, id := range r.problemOrder {
		parts = append(parts, problemText(id, r.subjects[id]))
	}
	if len(parts) > 0 {
		r.env.SetSummary("%s", r.shown(strings.Join(parts, "; ")))
		return
	}
	var per []string
	for _, s := range r.sources {
		per = append(per, fmt.Sprintf("%s in %s", plural.Count(len(coveringRules(s)), "alerting rule"), s.name))
	}
	checks := ""
	if r.st.prometheus != nil {
		checks += ", healthy and evaluated"
	}
	if r.st.alertmanager != nil {
		checks += ", routed to a receiver and not silenced"
	}
	r.env.SetSummary("%s", r.shown(fmt.Sprintf("%s covered%s by %s%s", strings.Join(r.st.require, ", "), r.scopeText(), strings.Join(per, " and "), checks)))
}

// problemText summarises the findings of one check: "2 rules silenced
// (HighCPU, HighMemory)".
func problemText(id string, subjects []string) string {
	var names []string
	for _, s := range subjects {
		if s != "" && !contains(names, s) {
			names = append(names, s)
		}
	}
	who := ""
	if len(names) > 0 {
		who = " (" + listNames(names) + ")"
	}
	n := len(subjects)
	switch id {
	case ruleUnhealthy:
		return plural.Count(n, "rule") + " failing to evaluate" + who
	case ruleNotEvaluated:
		return plural.Count(n, "rule") + " not evaluated recently" + who
	case ruleNoAlertmanager:
		return "Prometheus has no active Alertmanager"
	case ruleSilenced:
		return plural.Count(n, "rule") + " silenced" + who
	case ruleInhibited:
		return plural.Count(n, "rule") + " muted by an inhibit rule" + who
	case ruleRouteBlackhole:
		return plural.Count(n, "rule") + " routed to a receiver that notifies nobody" + who
	case ruleInvalidRule:
		return plural.Count(n, "invalid rule") + " in rule files"
	}
	return fmt.Sprintf("%d %s", n, id)
}
