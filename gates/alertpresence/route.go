package alertpresence

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	amconfig "github.com/prometheus/alertmanager/config"
	"github.com/prometheus/alertmanager/dispatch"
	"github.com/prometheus/alertmanager/inhibit"
	"github.com/prometheus/alertmanager/pkg/labels"
)

// routing is an Alertmanager's route tree, what each receiver does, and
// its inhibition rules.
type routing struct {
	root *route
	// integrations counts each receiver's notifiers (*_configs entries).
	integrations map[string]int
	inhibits     []inhibitRule
}

type route struct {
	receiver string
	matchers labels.Matchers
	cont     bool
	routes   []*route
}

// inhibitRule is an inhibit_rules entry as Alertmanager's inhibitor reads
// it: alerts matching target are muted while an alert matching source
// fires with the same values of the equal labels.
type inhibitRule struct {
	name   string
	source labels.Matchers
	target labels.Matchers
	equal  []string
}

// parseRouting reads an Alertmanager configuration (YAML) with
// Alertmanager's own packages: config.Load validates it as Alertmanager
// does, dispatch.NewRoute builds the route tree (receivers and matchers
// inherited as Alertmanager inherits them), and inhibit.NewInhibitRule
// assembles each inhibition rule's matchers, old-style match/match_re
// included. The route tree is then walked here rather than with
// dispatch's Route.Match, because an alert's labels are only partly known
// before it fires and both ways of a matcher on an unknown label must be
// followed.
//
// The cost, measured with go build on linux/amd64: Alertmanager's config
// package links every notifier's client (SNS through the AWS SDK, Jira,
// Teams...), and the release-gate binary grows from 29.6 MB to 53.4 MB
// (a program importing only alertmanager/config is 22.0 MB, against 5.6 MB
// for alertmanager/pkg/labels). It is taken for verdicts that follow
// Alertmanager's own reading of its configuration; inhibit alone would
// bring 20.7 MB of the same tree.
func parseRouting(text string) (*routing, error) {
	cfg, err := amconfig.Load(text)
	if err != nil {
		return nil, err
	}
	if cfg.Route == nil {
		return nil, fmt.Errorf("it has no route")
	}
	rt := &routing{integrations: map[string]int{}}
	for _, rc := range cfg.Receivers {
		rt.integrations[rc.Name] = countIntegrations(rc)
	}
	rt.root = convertRoute(dispatch.NewRoute(cfg.Route, nil))
	if rt.root.receiver == "" {
		return nil, fmt.Errorf("the root route has no receiver")
	}
	for i, ir := range cfg.InhibitRules {
		r := inhibit.NewInhibitRule(ir)
		name := r.Name
		if name == "" {
			name = fmt.Sprintf("inhibit_rules[%d]", i)
		}
		var equal []string
		for ln := range r.Equal {
			equal = append(equal, string(ln))
		}
		sort.Strings(equal)
		rt.inhibits = append(rt.inhibits, inhibitRule{name: name, source: r.SourceMatchers, target: r.TargetMatchers, equal: equal})
	}
	return rt, nil
}

// countIntegrations counts a receiver's notifiers: every *Configs list of
// Alertmanager's Receiver type, so that integrations added in later
// versions count without a change here.
func countIntegrations(rc amconfig.Receiver) int {
	v := reflect.ValueOf(rc)
	n := 0
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if strings.HasSuffix(f.Name, "Configs") && v.Field(i).Kind() == reflect.Slice {
			n += v.Field(i).Len()
		}
	}
	return n
}

func convertRoute(r *dispatch.Route) *route {
	out := &route{receiver: r.RouteOpts.Receiver, matchers: r.Matchers, cont: r.Continue}
	for _, c := range r.Routes {
		out.routes = append(out.routes, convertRoute(c))
	}
	return out
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
