package deploywindow

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/internal/wsfile"
)

// maxEventBytes bounds the event payload read for labels.
const maxEventBytes = 16 << 20

// maxReason bounds the override reason kept in reports.
const maxReason = 200

// request is what the run asks for: an override reason in a variable, the
// pull request's labels, and who started the run.
type request struct {
	getenv func(string) string
	actor  string
	labels []string // nil until read
	// labeler is who added label on a "labeled" event.
	labeler, labeled string
	read             bool
	err              error
}

// readEvent reads the labels of the pull request from the event payload
// (GITHUB_EVENT_PATH), once. The payload is the runner's file, but labels
// and names in it are anyone's text: they are compared, and only ever
// shown cleaned.
func (r *request) readEvent() error {
	if r.read {
		return r.err
	}
	r.read = true
	path := r.getenv("GITHUB_EVENT_PATH")
	if path == "" {
		return nil
	}
	data, err := wsfile.ReadRegular(path, maxEventBytes)
	if err != nil {
		r.err = fmt.Errorf("reading the event payload for override labels: %w", err)
		return r.err
	}
	var p struct {
		Action string `json:"action"`
		Label  *struct {
			Name string `json:"name"`
		} `json:"label"`
		Sender *struct {
			Login string `json:"login"`
		} `json:"sender"`
		PullRequest *struct {
			Labels []struct {
				Name string `json:"name"`
			} `json:"labels"`
		} `json:"pull_request"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		r.err = fmt.Errorf("reading the event payload for override labels: %w", err)
		return r.err
	}
	if p.PullRequest != nil {
		for _, l := range p.PullRequest.Labels {
			r.labels = append(r.labels, l.Name)
		}
	}
	if p.Action == "labeled" && p.Label != nil && p.Sender != nil {
		r.labeled, r.labeler = p.Label.Name, p.Sender.Login
	}
	return nil
}

// decision is what came of an override: granted (with who and why), or
// refused (with why), or not asked for.
type decision struct {
	asked, granted bool
	by, how        string
	reason         string
	refusal        string
}

// decide says whether o lets this run deploy anyway.
func (r *request) decide(o *Override) (decision, error) {
	var d decision
	if o == nil {
		return d, nil
	}
	if o.Env != "" {
		if v := strings.TrimSpace(r.getenv(o.Env)); v != "" {
			d.asked, d.how, d.reason, d.by = true, config.ShownEnvName(o.Env), clean(v), clean(r.actor)
			if len(o.Actors) > 0 && !slices.ContainsFunc(o.Actors, func(a string) bool { return strings.EqualFold(a, r.actor) }) {
				d.refusal = fmt.Sprintf("%s asks for an override, but the run's actor %q is not one of override.actors", config.ShownEnvName(o.Env), clean(r.actor))
			} else {
				d.granted = true
				return d, nil
			}
		}
	}
	if o.Label != "" {
		if err := r.readEvent(); err != nil {
			return d, err
		}
		if slices.ContainsFunc(r.labels, func(l string) bool { return strings.EqualFold(strings.TrimSpace(l), o.Label) }) {
			d.asked, d.how, d.reason = true, "label "+o.Label, "label "+o.Label
			switch {
			case len(o.Actors) == 0:
				d.granted, d.by = true, clean(r.actor)
				d.refusal = ""
				return d, nil
			case strings.EqualFold(strings.TrimSpace(r.labeled), o.Label) && slices.ContainsFunc(o.Actors, func(a string) bool { return strings.EqualFold(a, r.labeler) }):
				d.granted, d.by = true, clean(r.labeler)
				d.refusal = ""
				return d, nil
			default:
				if d.refusal == "" {
					d.refusal = fmt.Sprintf("the pull request has label %s, but who added it is not known to be one of override.actors (it is known only on the labeled event)", o.Label)
				}
			}
		}
	}
	return d, nil
}

// clean makes text from the run's environment or the event one short line
// of printable characters.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxReason {
		s = string(r[:maxReason]) + "…"
	}
	return s
}

// overrideHint tells how to deploy anyway, or that one cannot.
func overrideHint(o *Override) string {
	if o == nil {
		return "it cannot be overridden"
	}
	var ways []string
	if o.Env != "" {
		ways = append(ways, "set "+config.ShownEnvName(o.Env)+" to the reason")
	}
	if o.Label != "" {
		ways = append(ways, "add the label "+o.Label+" to the pull request")
	}
	s := "to deploy anyway, " + strings.Join(ways, " or ")
	if len(o.Actors) > 0 {
		s += " (allowed: " + strings.Join(o.Actors, ", ") + ")"
	}
	return s
}
