package alertpresence

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/common/model"

	"github.com/release-gate/release-gate/internal/httpsafe"
	"github.com/release-gate/release-gate/internal/promapi"
)

// firingAlert is an alert that may inhibit others: one the Alertmanager
// holds now, or an alerting rule that fires always (vector(1)).
type firingAlert struct {
	labels map[string]string
	// what names it in messages.
	what string
}

// amAlert is what the gate reads of an alert: its labels. The rest
// (annotations, status, receivers, times) is skipped unread.
type amAlert struct {
	Labels map[string]string `json:"labels"`
}

// fetchAlerts returns the alerts the Alertmanager holds (GET
// /api/v2/alerts): firing ones, silenced and inhibited included, since
// Alertmanager's inhibitor lets any firing source alert inhibit.
func fetchAlerts(ctx context.Context, c *apiClient) ([]firingAlert, error) {
	var raw []amAlert
	if err := c.get(ctx, "/api/v2/alerts", &raw); err != nil {
		return nil, err
	}
	out := make([]firingAlert, 0, len(raw))
	for _, a := range raw {
		name := a.Labels["alertname"]
		// The secrets the requests carry, and those gitleaks' rules find,
		// are cut before the text is cut short: a part of one would no
		// longer be recognised when the finding is searched again.
		what := httpsafe.CutSecrets("alert "+name+formatLabels(a.Labels, "alertname"), c.secrets...)
		if len(what) > maxAlertText {
			what = promapi.RedactStart(ctx, what, nil, 20*maxAlertText)
		}
		if len(what) > maxAlertText {
			what = strings.ToValidUTF8(what[:maxAlertText], "") + "…"
		}
		out = append(out, firingAlert{labels: a.Labels, what: what + " firing now"})
	}
	return out, nil
}

// formatLabels writes labels as {a="b", c="d"}, leaving out skip.
func formatLabels(ls map[string]string, skip string) string {
	keys := make([]string, 0, len(ls))
	for k := range ls {
		if k != skip {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, ls[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// matchesLabels reports whether every matcher holds for a label set, a
// missing label counting as empty, as Alertmanager matches.
func matchesLabels(ms labels.Matchers, ls map[string]string) bool {
	set := make(model.LabelSet, len(ls))
	for k, v := range ls {
		set[model.LabelName(k)] = model.LabelValue(v)
	}
	return ms.Matches(set)
}

// inhibition says whether an inhibit rule mutes a rule's alerts while one
// of the firing alerts fires, with the rule's labels known (alertname and
// its own labels) or likely (pinned with = in its expression), as
// Alertmanager's inhibitor decides: the target matchers hold for the
// alert, a firing alert matches the source matchers, and both have the
// same value (or both lack) each equal label. An alert that matches both
// sides is not inhibited by source alerts that also match both.
//
// exact says the rule's alerts carry the known labels and no other (its
// expression reads no series, as vector(1)): a label it does not set is
// empty.
//
// firing holds the alerts that match the rule's source matchers (see
// sourcesOf).
func inhibition(ir inhibitRule, known, likely map[string]string, exact bool, firing []*firingAlert) (silenceVerdict, *firingAlert) {
	target := silenceWhole
	if len(ir.target) > 0 {
		target = matchersApply(ir.target, known, likely)
	}
	if target == silenceNone {
		return silenceNone, nil
	}
	twoSided := len(ir.source) == 0 || matchersApply(ir.source, known, likely) == silenceWhole
	best := silenceNone
	var by *firingAlert
	for _, src := range firing {
		if twoSided && matchesLabels(ir.target, src.labels) {
			continue
		}
		v := target
		for _, l := range ir.equal {
			sv := src.labels[l]
			if tv, ok := known[l]; ok {
				if tv != sv {
					v = silenceNone
					break
				}
				continue
			}
			if exact {
				if sv != "" {
					v = silenceNone
					break
				}
				continue
			}
			if tv, ok := likely[l]; ok {
				if tv != sv {
					v = silenceNone
					break
				}
				v = silencePartly
				continue
			}
			v = silencePartly // the value comes with the firing series
		}
		if v > best {
			best, by = v, src
		}
		if best == silenceWhole {
			break
		}
	}
	return best, by
}

// sourcesOf returns, per inhibit rule, the firing alerts that match its
// source matchers: computed once, however many rules are checked.
func sourcesOf(irs []inhibitRule, firing []firingAlert) [][]*firingAlert {
	out := make([][]*firingAlert, len(irs))
	for i, ir := range irs {
		for j := range firing {
			if matchesLabels(ir.source, firing[j].labels) {
				out[i] = append(out[i], &firing[j])
			}
		}
	}
	return out
}

// maxAlertText bounds how much of an alert's labels a message quotes.
const maxAlertText = 200

// describeInhibit names an inhibit rule in messages.
func describeInhibit(ir inhibitRule) string {
	parts := func(ms labels.Matchers) string {
		s := make([]string, len(ms))
		for i, m := range ms {
			s[i] = m.String()
		}
		return "{" + strings.Join(s, ", ") + "}"
	}
	d := fmt.Sprintf("inhibit rule %s (source %s, target %s", ir.name, parts(ir.source), parts(ir.target))
	if len(ir.equal) > 0 {
		d += ", equal " + strings.Join(ir.equal, ", ")
	}
	return d + ")"
}
