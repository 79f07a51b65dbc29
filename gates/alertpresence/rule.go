package alertpresence

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/release-gate/release-gate/gates"
)

// Rule is one alerting or recording rule, from a rule file or a rules API.
type Rule struct {
	// Name is the alert's name (alert:) or the recorded metric (record:).
	Name   string
	Alert  bool
	Expr   string
	Labels map[string]string
	Group  string
	// File is the rule file: relative to the workspace in static mode, the
	// path on the server (as the API reports it) in live mode.
	File string
	// Pos is where the rule is written and ExprLine the line of its expr
	// (static mode only).
	Pos      gates.Pos
	ExprLine int

	// Live mode only.
	Health    string // ok | err | unknown
	LastError string
	LastEval  time.Time // zero when never evaluated
	Interval  time.Duration
}

// where names the rule for people: file:line in static mode, the group
// otherwise.
func (r *Rule) where() string {
	if r.Pos.File != "" {
		return r.Pos.String()
	}
	if r.Group != "" {
		return "group " + r.Group
	}
	return ""
}

// describe is the rule's name with where it is: HighCPU (rules/api.yml:12).
func (r *Rule) describe() string {
	if w := r.where(); w != "" {
		return r.Name + " (" + w + ")"
	}
	return r.Name
}

// alertLabels are the labels every alert of the rule is sure to carry:
// alertname and the rule's own labels (which override the series'). A
// label whose value is a template (team: '{{ $labels.team }}') is left
// out: Prometheus expands it when the alert fires, so its value is not
// known before, as for a label the series bring.
func (r *Rule) alertLabels() map[string]string {
	ls := make(map[string]string, len(r.Labels)+1)
	for k, v := range r.Labels {
		if isTemplate(v) {
			continue
		}
		ls[k] = v
	}
	ls["alertname"] = r.Name
	return ls
}

// labelKey identifies an alert by its name and labels, to check each once.
func (r *Rule) labelKey() string {
	keys := make([]string, 0, len(r.Labels))
	for k := range r.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(r.Name)
	for _, k := range keys {
		fmt.Fprintf(&b, "\x00%s=%s", k, r.Labels[k])
	}
	return b.String()
}

// isTemplate reports whether a label value is a Go template, which
// Prometheus expands for each alert.
func isTemplate(v string) bool { return strings.Contains(v, "{{") }
