package alertpresence

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/testenv"
)

const apiRulesFile = `groups:
  - name: api
    rules:
      - alert: ApiHighCPU
        expr: sum(rate(container_cpu_usage_seconds_total{container="api"}[5m])) > 2
        labels: {severity: page, team: api}
      - record: job:http_errors:ratio_rate5m
        expr: |
          sum by (job) (rate(http_requests_total{code=~"5.."}[5m]))
            / sum by (job) (rate(http_requests_total[5m]))
`

// A PrometheusRule among other Kubernetes objects; its error-rate alert
// reads a recording rule defined in another file.
const apiManifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec: {replicas: 2}
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: api
spec:
  groups:
    - name: api.memory
      labels: {team: api}
      rules:
        - alert: ApiHighMemory
          expr: container_memory_working_set_bytes{container="api"} / container_spec_memory_limit_bytes{container="api"} > 0.9
          labels: {severity: page}
        - alert: ApiErrorRate
          expr: job:http_errors:ratio_rate5m{job="api"} > 0.05
          labels: {severity: page}
`

func workspace(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), content)
	}
	return dir
}

func TestFilesPass(t *testing.T) {
	ws := workspace(t, map[string]string{
		"monitoring/rules/api.rules.yml": apiRulesFile,
		"deploy/k8s/api.yaml":            apiManifests,
		"deploy/k8s/README.md":           "not yaml: [",
	})
	res := runGate(t, "files: ['monitoring/**/*.yml', 'deploy/**/*.yaml']\nselector: {team: api}", testEnv(ws, nil))
	wantStatus(t, res, gates.StatusPass)
	for _, want := range []string{
		"cpu — rule files: ApiHighCPU (monitoring/rules/api.rules.yml:4:9)",
		"memory — rule files: ApiHighMemory (deploy/k8s/api.yaml:15:11)",
		"error-rate — rule files: ApiErrorRate (deploy/k8s/api.yaml:18:11)",
		"rule files: 2 file(s) matched",
	} {
		if !hasNote(res, want) {
			t.Errorf("no note %q\n%s", want, dump(res))
		}
	}
	if want := `cpu, memory, error-rate covered for {team="api"} by 3 alerting rules in rule files`; res.Summary != want {
		t.Errorf("summary %q, want %q", res.Summary, want)
	}
}

func TestFilesMissingCategory(t *testing.T) {
	ws := workspace(t, map[string]string{"rules/api.yml": apiRulesFile})
	res := runGate(t, "files: rules/api.yml", testEnv(ws, nil))
	wantStatus(t, res, gates.StatusFail)
	wantErrorRules(t, res, ruleCategoryMissing, ruleCategoryMissing)
	// A waiver can name the missing category.
	var cats []string
	for _, f := range findingsOf(res, ruleCategoryMissing) {
		cats = append(cats, f.Labels["category"])
	}
	if strings.Join(cats, " ") != "memory error-rate" {
		t.Errorf("category labels %q, want memory and error-rate", cats)
	}
	if res.Summary != "no memory, error-rate alert" {
		t.Errorf("summary %q", res.Summary)
	}
	// The recording rule reads 5xx, but no alerting rule reads it.
	if !hasNote(res, "error-rate — rule files: none; looked for") {
		t.Errorf("notes\n%s", dump(res))
	}
}

func TestFilesKinds(t *testing.T) {
	ws := workspace(t, map[string]string{
		"list.yaml": `apiVersion: v1
kind: List
items:
  - apiVersion: monitoring.coreos.com/v1
    kind: PrometheusRule
    metadata: {name: a}
    spec:
      groups:
        - name: a
          rules:
            - alert: NodeCPU
              expr: instance:node_cpu_utilisation:rate5m > 0.9
`,
		"vm.yaml": `apiVersion: operator.victoriametrics.com/v1beta1
kind: VMRule
metadata: {name: b}
spec:
  groups:
    - name: b
      rules:
        - alert: NodeMemory
          expr: node_memory_MemAvailable_bytes < 1e8
        - alert: Errors
          expr: rate(http_requests_total{code=~"5.."}[5m]) > 1
`,
		"empty.yaml":   "",
		"comment.yaml": "# nothing yet\n",
	})
	res := runGate(t, "files: '*.yaml'", testEnv(ws, nil))
	wantStatus(t, res, gates.StatusPass)
	if !hasNote(res, "4 file(s) matched *.yaml, 2 held rule groups, 3 rules") {
		t.Errorf("notes\n%s", dump(res))
	}
}

func TestFilesBadYAML(t *testing.T) {
	ws := workspace(t, map[string]string{
		"rules/bad.yml": apiRulesFile + "---\ngroups:\n  - name: x\n    rules:\n      - alert: X\n        expr: up == 0\n       labels: {}\n",
	})
	res := runGate(t, "files: 'rules/*.yml'", testEnv(ws, nil))
	wantStatus(t, res, gates.StatusError)
	// The bad line is line 17, in the second document; the parser reports
	// where the list it could not finish began (line 14), counting lines
	// from the top of the file.
	if !strings.HasPrefix(res.Err, "rules/bad.yml:14: invalid YAML in rule file (the mistake is on this line or below it): did not find expected '-' indicator") {
		t.Errorf("error %q, want it at rules/bad.yml:14", res.Err)
	}
}

func TestFilesInvalidRules(t *testing.T) {
	ws := workspace(t, map[string]string{
		"r.yml": `groups:
  - name: g
    rules:
      - alert: NoExpr
        labels: {severity: page}
      - expr: up == 0
      - alert: Both
        record: both
        expr: up
      - alert: BadLabels
        expr: up == 0
        labels: [a, b]
      - alert: Unreadable
        expr: rate(node_cpu_seconds_total{mode="idle"[5m])
`,
	})
	res := runGate(t, "files: r.yml\nrequire: [cpu]", testEnv(ws, nil))
	wantStatus(t, res, gates.StatusFail)
	var got []string
	for _, f := range res.Findings {
		got = append(got, fmt.Sprintf("%s %s %s", f.Rule, f.Severity, f.Pos))
	}
	want := []string{
		"invalid-rule error r.yml:4:9",
		"invalid-rule error r.yml:6:9",
		"invalid-rule error r.yml:7:9",
		"invalid-rule error r.yml:12:17",
		"unreadable-expr warning r.yml:14",
		"category-missing error ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings\n%s\nwant\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), dump(res))
	}
	if !strings.HasPrefix(res.Summary, "no cpu alert; 4 invalid rules in rule files") {
		t.Errorf("summary %q", res.Summary)
	}
}

func TestFilesNoMatch(t *testing.T) {
	ws := workspace(t, map[string]string{"rules/api.yml": apiRulesFile})
	res := runGate(t, "files: ['rules/*.yml', 'monitorng/**/*.yml']", testEnv(ws, nil))
	wantStatus(t, res, gates.StatusError)
	if !strings.Contains(res.Err, `pattern "monitorng/**/*.yml" matches no file`) {
		t.Errorf("error %q", res.Err)
	}
}

func TestFilesOverrideAndUnknownCategory(t *testing.T) {
	ws := workspace(t, map[string]string{"r.yml": `groups:
  - name: g
    rules:
      - alert: AppFailures
        expr: rate(myapp_failed_jobs_total[5m]) > 1
        labels: {release_gate: error-rate}
      - alert: Typo
        expr: rate(myapp_failed_jobs_total[5m]) > 1
        labels: {release_gate: eror-rate}
`})
	res := runGate(t, "files: r.yml\nrequire: error-rate", testEnv(ws, nil))
	wantStatus(t, res, gates.StatusPass)
	ws2 := findingsOf(res, ruleUnknownCategory)
	if len(ws2) != 1 || ws2[0].Pos.String() != "r.yml:7:9" || !strings.Contains(ws2[0].Message, "eror-rate") {
		t.Errorf("want an unknown-category warning at r.yml:7:9\n%s", dump(res))
	}
	if !hasNote(res, "AppFailures (r.yml:4:9) [release_gate]") {
		t.Errorf("notes\n%s", dump(res))
	}
}

// TestFilesWithAlertmanager: rule files are routed and checked for
// silences too, and findings point at the rule.
func TestFilesWithAlertmanager(t *testing.T) {
	am := startAlertmanager(t, testAlertmanagerConfig)
	createSilence(t, am, "deploying", map[string]any{"name": "alertname", "value": "ApiHighCPU", "isRegex": false, "isEqual": true})
	ws := workspace(t, map[string]string{
		"rules/api.yml": strings.ReplaceAll(apiRulesFile, "{severity: page, team: api}", "{severity: warning, team: nobody}"),
	})
	res := runGate(t, fmt.Sprintf("files: rules/api.yml\nalertmanager: %s\nrequire: cpu", am.URL), testEnv(ws, nil))
	wantStatus(t, res, gates.StatusFail)
	wantErrorRules(t, res, ruleSilenced, ruleRouteBlackhole)
	for _, f := range res.Findings {
		if f.Pos.String() != "rules/api.yml:4:9" {
			t.Errorf("%s at %q, want rules/api.yml:4:9", f.Rule, f.Pos)
		}
	}
	if want := `1 rule silenced (ApiHighCPU); 1 rule routed to a receiver that notifies nobody (ApiHighCPU)`; res.Summary != want {
		t.Errorf("summary %q, want %q", res.Summary, want)
	}
}

func TestExpandGlobsSkipsGit(t *testing.T) {
	ws := workspace(t, map[string]string{
		"a.yml":            "",
		".git/x.yml":       "",
		"sub/.git/y.yml":   "",
		"sub/b.yml":        "",
		"sub/deeper/c.yml": "",
	})
	got, err := expandGlobs(context.Background(), ws, []string{"**/*.yml", "sub/b.yml"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "a.yml sub/b.yml sub/deeper/c.yml"; strings.Join(got, " ") != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// Prometheus expands templates in a rule's labels when an alert fires
// (team: '{{ $labels.team }}' takes the series' team), so such a label's
// value is not known before: routing and silences treat it as a label the
// firing series bring, not as the template's text.
func TestTemplatedLabelsAreNotKnown(t *testing.T) {
	am := startAlertmanager(t, testAlertmanagerConfig)
	createSilence(t, am, "team nobody is retired", map[string]any{"name": "alertname", "value": "ApiHighCPU", "isRegex": false, "isEqual": true},
		map[string]any{"name": "team", "value": "nobody", "isRegex": false, "isEqual": true})
	rules := "groups:\n- name: api\n  rules:\n  - alert: ApiHighCPU\n    expr: rate(process_cpu_seconds_total{job=\"api\"}[5m]) > 0.9\n" +
		"    labels: {severity: warning, team: '{{ $labels.team }}'}\n"
	ws := workspace(t, map[string]string{"rules/api.yml": rules})
	res := runGate(t, fmt.Sprintf("files: rules/api.yml\nalertmanager: %s\nrequire: cpu", am.URL), testEnv(ws, nil))
	wantStatus(t, res, gates.StatusPass)
	ws1 := findingsOf(res, ruleRouteUncertain)
	if len(ws1) != 1 || !strings.Contains(ws1[0].Message, `receiver "blackhole"`) || !strings.Contains(ws1[0].Message, "team") {
		t.Errorf("want a route-uncertain warning: team=nobody, which the series may bring, goes to the blackhole\n%s", dump(res))
	}
	if ps := findingsOf(res, rulePartlySilenced); len(ps) != 1 {
		t.Errorf("want a partly-silenced warning: the silence mutes the alerts of series with team=nobody\n%s", dump(res))
	}
}

// Rule files come with the change under test. Aliases can make a small
// file stand for an enormous one, or for one that never ends, and a
// group's labels are copied into each of its rules: each is an error
// naming the file, never a gate that crashes or runs out of memory.
func TestRuleFilesBounded(t *testing.T) {
	// 20 levels of lists of two aliases: a million copies of one rule.
	var doubling strings.Builder
	doubling.WriteString("kind: List\nitems:\n- &l0 {groups: [{name: g, rules: [{alert: A, expr: 'node_cpu_seconds_total > 1'}]}]}\n")
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&doubling, "- &l%d {kind: List, items: [*l%d, *l%d]}\n", i, i-1, i-1)
	}
	// 3,000 group labels, copied into each of 3,000 rules.
	var labels, rules strings.Builder
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&labels, "l%d: v\n      ", i)
		rules.WriteString("  - *r\n")
	}
	merged := "x: &r {alert: A, expr: 'node_cpu_seconds_total > 1'}\ngroups:\n- name: g\n  labels:\n      " + labels.String() + "\n  rules:\n" + rules.String()
	for name, c := range map[string]struct{ file, want string }{
		"cycle":          {"kind: List\nitems: &a\n- kind: List\n  items: *a\n", "r.yml:4:10: an alias refers to a list or mapping that contains it"},
		"doubling":       {doubling.String(), "r.yml: its aliases expand it to more than"},
		"merged labels":  {merged, "r.yml: its rule groups' labels, copied into each rule, come to more than"},
		"huge expr used": {"e: &e '" + strings.Repeat("node_cpu_seconds_total + ", 1<<16) + "1'\ngroups:\n- name: g\n  rules:\n" + strings.Repeat("  - {alert: A, expr: *e}\n", 300), "r.yml: its aliases expand it to more than"},
	} {
		t.Run(name, func(t *testing.T) {
			res := runGate(t, "files: r.yml\nrequire: [cpu]\n", testEnv(workspace(t, map[string]string{"r.yml": c.file}), nil))
			wantStatus(t, res, gates.StatusError)
			testenv.MustContain(t, "error", res.Err, c.want)
		})
	}
}

// Prometheus refuses to load a rule file with an expression its parser
// cannot read, so the file's other rules never run: they cover nothing,
// however well written. The same rule in a file of its own covers.
func TestFileWithAnUnreadableExpressionCoversNothing(t *testing.T) {
	const good = `      - alert: HighCPU
        expr: sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m])) > 0.9
        labels: {severity: page}
`
	const broken = `      - alert: Broken
        expr: rate(node_cpu_seconds_total{mode="idle"[5m])
`
	head := "groups:\n  - name: g\n    rules:\n"
	cases := []struct {
		name  string
		files map[string]string
		want  gates.Status
	}{
		{"one file", map[string]string{"r.yml": head + good + broken}, gates.StatusFail},
		{"two files", map[string]string{"r.yml": head + good, "s.yml": head + broken}, gates.StatusPass},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := runGate(t, "files: '*.yml'\nrequire: [cpu]", testEnv(workspace(t, c.files), nil))
			wantStatus(t, res, c.want)
			if got := findingsOf(res, ruleUnreadableExpr); len(got) != 1 || !strings.Contains(got[0].Message, "Prometheus refuses to load a rule file") {
				t.Errorf("unreadable-expr findings %v\n%s", got, dump(res))
			}
		})
	}
}
