package alertpresence

import (
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/configtest"
	"github.com/release-gate/release-gate/internal/testenv"
)

func TestConfigDefaults(t *testing.T) {
	g := newGate(t, "prometheus: https://prom.example.com/")
	st := g.st
	if st.prometheus.String() != "https://prom.example.com" {
		t.Errorf("prometheus %q", st.prometheus)
	}
	if strings.Join(st.require, ",") != "cpu,memory,error-rate" {
		t.Errorf("require %v", st.require)
	}
	if !st.checkActive || st.maxEvalAge != 0 || st.alertmanager != nil || len(st.selector) != 0 {
		t.Errorf("defaults: %+v", st)
	}
}

func TestConfigValues(t *testing.T) {
	g := newGate(t, `prometheus: https://mimir.example.com/prometheus/api/v1/rules
tenant: team-a
token-env: MIMIR_TOKEN
alertmanager: https://mimir.example.com/alertmanager/api/v2
alertmanager-token-env: AM_TOKEN
files: ["monitoring/**/*.yml", "monitoring/**/*.yml"]
selector: {service: api, env: "=~prod|production", tier: "!=batch"}
require: [cpu, queue]
categories:
  queue: {metric: "_queue_depth$", matcher: 'queue=~"jobs|mail"'}
  cpu: {metric: "load[0-9]+$"}
max-eval-age: 10m
active-alertmanager: false`)
	st := g.st
	if st.prometheus.String() != "https://mimir.example.com/prometheus" || st.alertmanager.String() != "https://mimir.example.com/alertmanager" {
		t.Errorf("base URLs %s %s", st.prometheus, st.alertmanager)
	}
	if st.tenant != "team-a" || st.tokenEnv != "MIMIR_TOKEN" || st.amTokenEnv != "AM_TOKEN" {
		t.Errorf("credentials %+v", st)
	}
	if len(st.files) != 1 {
		t.Errorf("files %v: duplicates are dropped", st.files)
	}
	if got := st.selector.String(); got != `{env=~"prod|production", service="api", tier!="batch"}` {
		t.Errorf("selector %s", got)
	}
	if st.maxEvalAge != 10*time.Minute || st.checkActive {
		t.Errorf("max-eval-age %s, active %v", st.maxEvalAge, st.checkActive)
	}
	// A custom cpu definition extends the built-in one.
	cl := newClassifier(st.cats)
	an := analyze([]*Rule{
		{Name: "Load", Alert: true, Expr: "node_load15 > 4"},
		{Name: "CPU", Alert: true, Expr: "rate(process_cpu_seconds_total[5m]) > 1"},
		{Name: "Queue", Alert: true, Expr: `jobs_queue_depth > 100`},
		{Name: "Queue2", Alert: true, Expr: `sum(pending{queue="mail"}) > 100`},
	}, cl)
	want := []string{"cpu", "cpu", "queue", "queue"}
	for i, w := range want {
		if got := strings.Join(cl.names(an.facts[i].cats), ","); got != w {
			t.Errorf("rule %d: [%s], want [%s]", i, got, w)
		}
	}
}

func TestConfigSelectorString(t *testing.T) {
	g := newGate(t, `prometheus: http://p:9090
selector: '{service="api", env=~"prod.*"}'`)
	if got := g.st.selector.String(); got != `{service="api", env=~"prod.*"}` {
		t.Errorf("selector %s", got)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		section string
		want    string // the error, positioned in release-gate.yml
	}{
		{"require: [cpu]", `release-gate.yml:3:3: gates.alert-presence: set prometheus (the URL of a rules API) or files`},
		{"prometheus: prom:9090", `release-gate.yml:4:17: gates.alert-presence.prometheus: want an http:// or https:// URL, got "prom:9090"`},
		{"prometheus: http://", `release-gate.yml:4:17: gates.alert-presence.prometheus: URL "http:" has no host`},
		{"prometheus: http://p/?x=1", `gates.alert-presence.prometheus: want a base URL without ?query`},
		{"files: x.yml\ntenant: a", `release-gate.yml:5:13: gates.alert-presence.tenant: is only used with prometheus or alertmanager`},
		{"prometheus: http://p\ntoken-env: abc-def", `release-gate.yml:5:16: gates.alert-presence.token-env: want the name of an environment variable`},
		{"prometheus: http://p\nalertmanager-token-env: T", `gates.alert-presence.alertmanager-token-env: is only used with alertmanager`},
		{"files: x.yml\nactive-alertmanager: false", `release-gate.yml:5:26: gates.alert-presence.active-alertmanager: is only used with prometheus`},
		{"files: x.yml\nmax-eval-age: 5m", `gates.alert-presence.max-eval-age: is only used with prometheus`},
		{"files: /etc/prometheus/*.yml", `release-gate.yml:4:12: gates.alert-presence.files: pattern "/etc/prometheus/*.yml": want a path relative to the workspace`},
		{"files: [a.yml, ../b.yml]", `release-gate.yml:4:20: gates.alert-presence.files.1: pattern "../b.yml": must stay inside the workspace`},
		{"files: 'rules/**.yml'", `** must be a whole path segment`},
		{"files: 'rules/[.yml'", `pattern "rules/[.yml": syntax error in pattern`},
		{"files: x.yml\nrequire: [cpu, disk]", `release-gate.yml:5:20: gates.alert-presence.require.1: unknown category "disk"; known: cpu, memory, error-rate (define others under categories)`},
		{"files: x.yml\nrequire: []", `gates.alert-presence.require: lists no category`},
		{"files: x.yml\nselector: {service: [a]}", `release-gate.yml:5:15: gates.alert-presence.selector: label "service": want a value`},
		{"files: x.yml\nselector: {service: '=~(api'}", `label "service": bad regular expression "(api"`},
		{"files: x.yml\nselector: '{service=api}'", `gates.alert-presence.selector: reading "{service=api}": want a quoted value after service=`},
		{"files: x.yml\nselector: {bad-name: x}", `"bad-name" is not a valid label name`},
		{"files: x.yml\nselector: [a]", `want a mapping of labels such as {service: api}`},
		{"files: x.yml\ncategories: {disk: {}}", `release-gate.yml:5:24: gates.alert-presence.categories.disk: set metric (a regex of metric names) or matcher`},
		{"files: x.yml\ncategories: {disk: {metric: '(x'}}", `release-gate.yml:5:33: gates.alert-presence.categories.disk.metric: bad regular expression "(x"`},
		{"files: x.yml\ncategories: {disk: {matcher: 'resource!=\"disk\"'}}", `gates.alert-presence.categories.disk.matcher: resource!="disk": use = or =~`},
		{"files: x.yml\ncategories: {disk: {matcher: ['a=\"b\"', 'x']}}", `release-gate.yml:5:44: gates.alert-presence.categories.disk.matcher.1: reading "x": want =, !=, =~ or !~ after label "x"`},
		{"files: x.yml\ncategories: {Disk: {metric: x}}", `"Disk" is not a usable category name`},
		{"files: x.yml\ncategories: {none: {metric: x}}", `"none" is not a usable category name`},
		{"files: x.yml\nmax-eval-age: soon", `gates.alert-presence.max-eval-age: want a duration`},
		{"files: x.yml\nselectr: {a: b}", `unknown key "selectr" (did you mean "selector"?)`},
	}
	for _, tc := range tests {
		_, err := parseGate(t, tc.section)
		if err == nil {
			t.Errorf("%q: no error, want %s", tc.section, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant %s", tc.section, err, tc.want)
		}
	}
}

// A URL that fails validation is reported without the password or query
// string a ${VAR} put into it: configuration errors are printed, annotated
// and written to the job summary before anything is masked.
func TestConfigErrorsHideCredentials(t *testing.T) {
	secret := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 24)
	for _, tc := range []struct {
		section, value, want string
	}{
		// A password with a character that must be percent-encoded.
		{"prometheus: https://admin:${V}@prom:9090", "p%zz" + secret, "gates.alert-presence.prometheus: not a URL"},
		{"alertmanager: https://admin:${V}@am:9093\nfiles: x.yml", "x#" + secret, "gates.alert-presence.alertmanager: not a URL"},
		// A token in the query string.
		{"prometheus: https://prom:9090/?token=${V}", secret, "want a base URL without ?query"},
		{"prometheus: prom.example.com/?token=${V}", secret, "want an http:// or https:// URL"},
	} {
		getenv := func(k string) string {
			if k == "V" {
				return tc.value
			}
			return ""
		}
		_, err := Definition().New(configtest.Section(t, Name, tc.section, getenv))
		if err == nil {
			t.Errorf("%q: no error", tc.section)
			continue
		}
		testenv.MustContain(t, "error", err.Error(), tc.want)
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%q: the error shows the secret: %v", tc.section, err)
		}
	}
}
