package alertpresence

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/alertmanager/pkg/labels"
)

func TestParseAMMatchers(t *testing.T) {
	tests := []struct{ in, want string }{
		{`team="api"`, `team="api"`},
		{`team=api`, `team="api"`},
		{` team = "api" `, `team="api"`},
		{`severity=~"page|critical"`, `severity=~"page|critical"`},
		{`env!~dev.*`, `env!~"dev.*"`},
		{`env!=""`, `env!=""`},
		{`{a="b", c!="d,e"}`, `a="b" c!="d,e"`},
		{`a="x\"y"`, `a="x\"y"`},
	}
	for _, tc := range tests {
		ms, err := parseAMMatchers(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.String())
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: got %s, want %s", tc.in, strings.Join(got, " "), tc.want)
		}
	}
	for _, bad := range []string{`team`, `=x`, `a=~"("`, `a="unterminated`} {
		if _, err := parseAMMatchers(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// routingOf formats the outcomes of routing labels: receivers reached per
// way, with the unknown labels each way assumed.
func routingOf(t *testing.T, cfg string, labels map[string]string) string {
	t.Helper()
	rt, err := parseRouting(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outs, complete := rt.outcomes(labels, &regexCache{})
	var parts []string
	for _, o := range outs {
		p := strings.Join(o.receivers, "+")
		if len(o.assumed) > 0 {
			p += "?" + strings.Join(o.assumed, ",")
		}
		parts = append(parts, p)
	}
	if !complete {
		parts = append(parts, "incomplete")
	}
	return strings.Join(parts, " | ")
}

const routeTree = `
global:
  smtp_smarthost: localhost:25
  smtp_from: am@example.com
  slack_api_url: http://slack.example.com/hook
route:
  receiver: default
  routes:
    - matchers: ['severity="page"']
      receiver: pager
      continue: true
    - match: {team: db}
      receiver: db
      routes:
        - match_re: {alertname: "Disk.*"}
          receiver: db-disk
    - matchers: ['team=~"api|web"', 'env!="dev"']
      receiver: web
    - match: {team: api}
      receiver: never-reached
receivers:
  - name: default
    email_configs: [{to: ops@example.com}]
  - name: pager
    pagerduty_configs: [{routing_key: x}]
  - name: db
    slack_configs: [{channel: '#db'}]
  - name: db-disk
  - name: web
    webhook_configs: [{url: http://x}]
  - name: never-reached
`

func TestRouteOutcomes(t *testing.T) {
	tests := []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{"alertname": "X", "severity": "page", "team": "db", "env": "prod"}, "pager+db"},
		{map[string]string{"alertname": "DiskFull", "severity": "info", "team": "db", "env": "prod"}, "db-disk"},
		{map[string]string{"alertname": "X", "severity": "info", "team": "api", "env": "prod"}, "web"},
		{map[string]string{"alertname": "X", "severity": "info", "team": "api", "env": "dev"}, "never-reached"},
		{map[string]string{"alertname": "X", "severity": "info", "team": "ml", "env": "prod"}, "default"},
		// team unknown: every way team could go.
		{map[string]string{"alertname": "X", "severity": "info", "env": "prod"}, "db?team | web?team | never-reached?team | default?team"},
		// env unknown: the web route may or may not match.
		{map[string]string{"alertname": "X", "severity": "page", "team": "web"}, "pager+web?env | pager?env"},
	}
	for _, tc := range tests {
		if got := routingOf(t, routeTree, tc.labels); got != tc.want {
			t.Errorf("%v:\n got %s\nwant %s", tc.labels, got, tc.want)
		}
	}
}

func TestRouteNotifies(t *testing.T) {
	rt, err := parseRouting(routeTree)
	if err != nil {
		t.Fatal(err)
	}
	for recv, want := range map[string]bool{"default": true, "pager": true, "db-disk": false, "never-reached": false, "unknown": false} {
		if got := rt.notifies(routeOutcome{receivers: []string{recv}}); got != want {
			t.Errorf("%s notifies: %v", recv, got)
		}
	}
	if !rt.notifies(routeOutcome{receivers: []string{"db-disk", "pager"}}) {
		t.Error("an alert reaching one receiver with an integration notifies someone")
	}
}

// TestRouteExplosion: many routes on unknown labels stop at a bound and say
// so, instead of exploring forever.
func TestRouteExplosion(t *testing.T) {
	var b strings.Builder
	b.WriteString("route:\n  receiver: r\n  routes:\n")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, "    - matchers: ['l%d=\"x\"']\n      receiver: r\n      continue: true\n", i)
	}
	b.WriteString("receivers:\n  - name: r\n    webhook_configs: [{url: http://x}]\n")
	got := routingOf(t, b.String(), map[string]string{"alertname": "A"})
	if !strings.HasSuffix(got, "incomplete") {
		t.Errorf("got %.200s…", got)
	}
}

func TestSilenceApplies(t *testing.T) {
	known := map[string]string{"alertname": "HighCPU", "severity": "page", "team": "api"}
	likely := map[string]string{"job": "api"}
	m := func(name string, mt labels.MatchType, v string) *labels.Matcher {
		lm, err := labels.NewMatcher(mt, name, v)
		if err != nil {
			t.Fatal(err)
		}
		return lm
	}
	const (
		eq  = labels.MatchEqual
		neq = labels.MatchNotEqual
		re  = labels.MatchRegexp
		nre = labels.MatchNotRegexp
	)
	tests := []struct {
		matchers labels.Matchers
		want     silenceVerdict
	}{
		{labels.Matchers{m("alertname", eq, "HighCPU")}, silenceWhole},
		{labels.Matchers{m("alertname", re, "High.*"), m("severity", neq, "info")}, silenceWhole},
		{labels.Matchers{m("team", eq, "api")}, silenceWhole},
		{labels.Matchers{m("alertname", eq, "HighMemory")}, silenceNone},
		{labels.Matchers{m("alertname", eq, "HighCPU"), m("team", eq, "web")}, silenceNone},
		{labels.Matchers{m("alertname", eq, "HighCPU"), m("instance", eq, "host-1")}, silencePartly},
		{labels.Matchers{m("job", eq, "api")}, silencePartly},
		{labels.Matchers{m("job", eq, "web")}, silenceNone},
		{labels.Matchers{m("instance", eq, "host-1")}, silenceNone},
		// A label the alert lacks compares as the empty value.
		{labels.Matchers{m("alertname", eq, "HighCPU"), m("foo", eq, "")}, silenceWhole},
		{labels.Matchers{m("foo", nre, ".+")}, silenceWhole},
		{labels.Matchers{m("foo", neq, "x")}, silenceWhole},
		{labels.Matchers{m("foo", re, "x|")}, silenceWhole},
		{labels.Matchers{m("severity", eq, "")}, silenceNone},
		{labels.Matchers{m("foo", nre, ".+"), m("team", neq, "api")}, silenceNone},
		{labels.Matchers{m("foo", re, ".+")}, silenceNone},
		{labels.Matchers{}, silenceWhole},
	}
	for _, tc := range tests {
		if got := silenceApplies(silence{ID: "s", Matchers: tc.matchers}, known, likely); got != tc.want {
			t.Errorf("%v: got %d, want %d", tc.matchers, got, tc.want)
		}
	}
}
