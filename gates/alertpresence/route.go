package alertpresence

import (
	"fmt"
	"sort"
	"strings"

	"github.com/prometheus/alertmanager/pkg/labels"
	"gopkg.in/yaml.v3"
)

// routing is an Alertmanager's route tree and what each receiver does.
type routing struct {
	root *route
	// integrations counts each receiver's notifiers (*_configs entries).
	integrations map[string]int
}

type route struct {
	receiver string
	matchers labels.Matchers
	cont     bool
	routes   []*route
}

type amConfig struct {
	Route     *amRoute         `yaml:"route"`
	Receivers []map[string]any `yaml:"receivers"`
}

type amRoute struct {
	Receiver string            `yaml:"receiver"`
	Match    map[string]string `yaml:"match"`
	MatchRE  map[string]string `yaml:"match_re"`
	Matchers []string          `yaml:"matchers"`
	Continue bool              `yaml:"continue"`
	Routes   []*amRoute        `yaml:"routes"`
}

// parseRouting reads an Alertmanager configuration (YAML).
func parseRouting(text string) (*routing, error) {
	var c amConfig
	if err := yaml.Unmarshal([]byte(text), &c); err != nil {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	if c.Route == nil {
		return nil, fmt.Errorf("it has no route")
	}
	rt := &routing{integrations: map[string]int{}}
	for _, r := range c.Receivers {
		name, _ := r["name"].(string)
		n := 0
		for k, v := range r {
			if list, ok := v.([]any); ok && strings.HasSuffix(k, "_configs") {
				n += len(list)
			}
		}
		rt.integrations[name] = n
	}
	root, err := compileRoute(c.Route, "")
	if err != nil {
		return nil, err
	}
	if root.receiver == "" {
		return nil, fmt.Errorf("the root route has no receiver")
	}
	rt.root = root
	return rt, nil
}

func compileRoute(ar *amRoute, parentReceiver string) (*route, error) {
	r := &route{receiver: ar.Receiver, cont: ar.Continue}
	if r.receiver == "" {
		r.receiver = parentReceiver
	}
	for _, k := range sortedKeys(ar.Match) {
		m, err := labels.NewMatcher(labels.MatchEqual, k, ar.Match[k])
		if err != nil {
			return nil, fmt.Errorf("route to %q: match %s: %w", r.receiver, k, err)
		}
		r.matchers = append(r.matchers, m)
	}
	for _, k := range sortedKeys(ar.MatchRE) {
		m, err := labels.NewMatcher(labels.MatchRegexp, k, ar.MatchRE[k])
		if err != nil {
			return nil, fmt.Errorf("route to %q: match_re %s: %w", r.receiver, k, err)
		}
		r.matchers = append(r.matchers, m)
	}
	for _, s := range ar.Matchers {
		ms, err := parseAMMatchers(s)
		if err != nil {
			return nil, fmt.Errorf("route to %q: %w", r.receiver, err)
		}
		r.matchers = append(r.matchers, ms...)
	}
	for _, child := range ar.Routes {
		if child == nil {
			continue
		}
		cr, err := compileRoute(child, r.receiver)
		if err != nil {
			return nil, err
		}
		r.routes = append(r.routes, cr)
	}
	return r, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// parseAMMatchers reads an Alertmanager matchers string (foo="bar",
// foo=~bar.*, {a="b",c!="d"}) with Alertmanager's own parser.
func parseAMMatchers(s string) (labels.Matchers, error) {
	ms, err := labels.ParseMatchers(s)
	if err != nil {
		return nil, fmt.Errorf("matchers %q: %w", s, err)
	}
	return ms, nil
}

// maxRoutePaths bounds how many routing outcomes are explored per alert.
const maxRoutePaths = 1024

// routeOutcome is one way an alert may be routed: the receivers it reaches
// and the labels, unknown until it fires, this way depends on.
type routeOutcome struct {
	receivers []string
	assumed   []string
}

// notifies reports whether any reached receiver has an integration.
func (rt *routing) notifies(o routeOutcome) bool {
	for _, r := range o.receivers {
		if rt.integrations[r] > 0 {
			return true
		}
	}
	return false
}

// outcomes routes an alert with the given known labels the way Alertmanager
// does (depth first; the first matching child wins unless it has continue:
// true; a route no child takes keeps the alert). A matcher on a label not
// known may go either way, so every way is returned. complete is false when
// there were too many to explore.
func (rt *routing) outcomes(known map[string]string, rc *regexCache) (outs []routeOutcome, complete bool) {
	w := routeWalker{known: known, rc: rc}
	for _, res := range w.match(rt.root, true) {
		if res.matched {
			outs = append(outs, routeOutcome{receivers: res.receivers, assumed: res.assumed})
		}
	}
	return dedupeOutcomes(outs), !w.overflow
}

type routeWalker struct {
	known    map[string]string
	rc       *regexCache
	overflow bool
}

type routeResult struct {
	matched   bool
	receivers []string
	assumed   []string
}

// match returns the possible results of offering the alert to r.
func (w *routeWalker) match(r *route, root bool) []routeResult {
	var assumed []string
	if !root {
		sure := true
		for _, m := range r.matchers {
			v, ok := w.known[m.Name]
			if ok {
				if !m.Matches(v) {
					return []routeResult{{matched: false}}
				}
				continue
			}
			if m.Type == labels.MatchRegexp && m.Value == ".*" {
				continue
			}
			sure = false
			assumed = appendUnique(assumed, m.Name)
		}
		if !sure {
			// Either way: the route may match, or not.
			matched := w.matchChildren(r, assumed)
			return append(matched, routeResult{matched: false, assumed: assumed})
		}
	}
	return w.matchChildren(r, assumed)
}

type partialRoute struct {
	receivers []string
	assumed   []string
	stopped   bool
}

// matchChildren routes through r's children once r matched.
func (w *routeWalker) matchChildren(r *route, assumed []string) []routeResult {
	partials := []partialRoute{{assumed: assumed}}
	for _, child := range r.routes {
		results := w.match(child, false)
		var next []partialRoute
		for _, p := range partials {
			if p.stopped {
				next = append(next, p)
				continue
			}
			for _, res := range results {
				q := partialRoute{
					receivers: p.receivers,
					assumed:   p.assumed,
					stopped:   p.stopped,
				}
				for _, a := range res.assumed {
					q.assumed = appendUnique(q.assumed, a)
				}
				if res.matched {
					q.receivers = append(append([]string(nil), p.receivers...), res.receivers...)
					q.stopped = !child.cont
				}
				next = append(next, q)
			}
		}
		if len(next) > maxRoutePaths {
			w.overflow = true
			next = next[:maxRoutePaths]
		}
		partials = next
	}
	out := make([]routeResult, 0, len(partials))
	for _, p := range partials {
		recv := p.receivers
		if len(recv) == 0 {
			recv = []string{r.receiver}
		}
		out = append(out, routeResult{matched: true, receivers: recv, assumed: p.assumed})
	}
	return out
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(append([]string(nil), list...), s)
}

func dedupeOutcomes(outs []routeOutcome) []routeOutcome {
	seen := map[string]bool{}
	var out []routeOutcome
	for _, o := range outs {
		a := append([]string(nil), o.assumed...)
		sort.Strings(a)
		key := strings.Join(o.receivers, "\x00") + "\x01" + strings.Join(a, "\x00")
		if !seen[key] {
			seen[key] = true
			out = append(out, routeOutcome{receivers: o.receivers, assumed: a})
		}
	}
	return out
}
