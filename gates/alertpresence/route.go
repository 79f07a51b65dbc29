package alertpresence

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

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
	matchers []labelMatcher
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
		r.matchers = append(r.matchers, labelMatcher{Name: k, Op: opEq, Value: ar.Match[k]})
	}
	for _, k := range sortedKeys(ar.MatchRE) {
		if _, err := regexp.Compile("^(?:" + ar.MatchRE[k] + ")$"); err != nil {
			return nil, fmt.Errorf("route to %q: match_re %s: %w", r.receiver, k, err)
		}
		r.matchers = append(r.matchers, labelMatcher{Name: k, Op: opRe, Value: ar.MatchRE[k]})
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

// parseAMMatchers reads an Alertmanager matchers string: one or more
// comma-separated matchers, optionally in braces, values quoted or not
// (foo="bar", foo=~bar.*, {a="b",c!="d"}).
func parseAMMatchers(s string) ([]labelMatcher, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
		t = strings.TrimSpace(t[1 : len(t)-1])
	}
	var out []labelMatcher
	for _, part := range splitOutsideQuotes(t) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		i := strings.IndexAny(part, "=!")
		if i <= 0 {
			return nil, fmt.Errorf("matcher %q: want name=value, name!=value, name=~regex or name!~regex", part)
		}
		name := strings.TrimSpace(part[:i])
		rest := part[i:]
		var op matchOp
		switch {
		case strings.HasPrefix(rest, "=~"):
			op = opRe
		case strings.HasPrefix(rest, "!~"):
			op = opNre
		case strings.HasPrefix(rest, "!="):
			op = opNeq
		case strings.HasPrefix(rest, "="):
			op = opEq
		default:
			return nil, fmt.Errorf("matcher %q: want name=value, name!=value, name=~regex or name!~regex", part)
		}
		value := strings.TrimSpace(rest[len(op.String()):])
		if strings.HasPrefix(value, `"`) {
			v, err := strconv.Unquote(value)
			if err != nil {
				return nil, fmt.Errorf("matcher %q: bad quoted value: %w", part, err)
			}
			value = v
		}
		if op == opRe || op == opNre {
			if _, err := regexp.Compile("^(?:" + value + ")$"); err != nil {
				return nil, fmt.Errorf("matcher %q: %w", part, err)
			}
		}
		out = append(out, labelMatcher{Name: name, Op: op, Value: value})
	}
	return out, nil
}

// splitOutsideQuotes splits at commas that are not inside "double quotes".
func splitOutsideQuotes(s string) []string {
	var parts []string
	start, inQuote := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if inQuote {
				i++
			}
		case '"':
			inQuote = !inQuote
		case ',':
			if !inQuote {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
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
				if !matcherAccepts(m, v, w.rc) {
					return []routeResult{{matched: false}}
				}
				continue
			}
			if m.Op == opRe && m.Value == ".*" {
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
