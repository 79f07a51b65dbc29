package alertpresence

import (
	"strings"
	"testing"

	"github.com/release-gate/release-gate/gates"
)

// patternRule is one rule of a written-down classification: what the rule
// is, the categories it must count for ("" for none) and why.
type patternRule struct {
	name, expr string
	labels     map[string]string
	record     bool
	want       string
	why        string
}

// classifyRules analyses rules and returns, per alerting rule name, its
// categories.
func classifyRules(t *testing.T, rs []patternRule) (map[string]string, *analysis, []*Rule) {
	t.Helper()
	var rules []*Rule
	for _, p := range rs {
		rules = append(rules, &Rule{Name: p.name, Alert: !p.record, Expr: p.expr, Labels: p.labels})
	}
	cl := newClassifier(builtinCategories())
	an := analyze(rules, cl)
	got := map[string]string{}
	for i, r := range rules {
		if err := an.facts[i].exprErr; err != nil {
			t.Errorf("%s: %v", r.Name, err)
		}
		if r.Alert {
			got[r.Name] = strings.Join(cl.names(an.facts[i].cats), ",")
		}
	}
	return got, an, rules
}

func checkPatterns(t *testing.T, rs []patternRule) {
	t.Helper()
	got, _, _ := classifyRules(t, rs)
	for _, p := range rs {
		if p.record {
			continue
		}
		if got[p.name] != p.want {
			_, an, rules := classifyRules(t, rs)
			for i, r := range rules {
				if r.Name == p.name {
					t.Logf("evidence %v", an.facts[i].evidence)
				}
			}
			t.Errorf("%s: %s\n got [%s]\nwant [%s]: %s", p.name, p.expr, got[p.name], p.want, p.why)
		}
	}
}

// TestSLOsRecordedUnderOneName reproduces what Sloth generates: every SLO
// of every service is recorded as slo:sli_error:ratio_rate<window>, told
// apart only by the sloth_id/sloth_service/sloth_slo labels, and each
// burn-rate alert selects its SLO by those labels. A latency SLO's alert
// must not count as error rate because an availability SLO is recorded
// under the same name, nor may another service's SLO bring its alert into
// this service's scope.
func TestSLOsRecordedUnderOneName(t *testing.T) {
	slo := func(svc, name string) map[string]string {
		return map[string]string{"sloth_id": svc + "-" + name, "sloth_service": svc, "sloth_slo": name, "sloth_window": "5m"}
	}
	burn := func(svc, name string) string {
		sel := `{sloth_id="` + svc + `-` + name + `", sloth_service="` + svc + `", sloth_slo="` + name + `"}`
		return `(max(slo:sli_error:ratio_rate5m` + sel + ` > (14.4 * 0.001)) without (sloth_window)
  and max(slo:sli_error:ratio_rate1h` + sel + ` > (14.4 * 0.001)) without (sloth_window))`
	}
	rs := []patternRule{
		{name: "slo:sli_error:ratio_rate5m", record: true, labels: slo("api", "requests-availability"),
			expr: `(sum(rate(http_request_duration_seconds_count{job="api",code=~"(5..|429)"}[5m]))) / (sum(rate(http_request_duration_seconds_count{job="api"}[5m])))`},
		{name: "slo:sli_error:ratio_rate5m", record: true, labels: slo("api", "requests-latency"),
			expr: `(sum(rate(http_request_duration_seconds_count{job="api"}[5m])) - sum(rate(http_request_duration_seconds_bucket{job="api",le="0.25"}[5m]))) / sum(rate(http_request_duration_seconds_count{job="api"}[5m]))`},
		{name: "slo:sli_error:ratio_rate5m", record: true, labels: slo("web", "requests-availability"),
			expr: `(sum(rate(http_request_duration_seconds_count{job="web",code=~"(5..|429)"}[5m]))) / (sum(rate(http_request_duration_seconds_count{job="web"}[5m])))`},
		// Sloth records each window per SLO; its optimised 30d window
		// averages the 5m recording of the same SLO.
		{name: "slo:sli_error:ratio_rate1h", record: true, labels: with(slo("api", "requests-latency"), "sloth_window", "1h"),
			expr: `sum_over_time(slo:sli_error:ratio_rate5m{sloth_id="api-requests-latency", sloth_service="api", sloth_slo="requests-latency"}[1h]) / ignoring (sloth_window) count_over_time(slo:sli_error:ratio_rate5m{sloth_id="api-requests-latency", sloth_service="api", sloth_slo="requests-latency"}[1h])`},
		{name: "slo:sli_error:ratio_rate1h", record: true, labels: with(slo("web", "requests-availability"), "sloth_window", "1h"),
			expr: `(sum(rate(http_request_duration_seconds_count{job="web",code=~"(5..|429)"}[1h]))) / (sum(rate(http_request_duration_seconds_count{job="web"}[1h])))`},
		{name: "ApiLatencyBurn", expr: burn("api", "requests-latency"), labels: map[string]string{"sloth_severity": "page"},
			want: "", why: "the latency SLO's recording reads durations only; the availability SLO under the same name has other sloth_slo"},
		{name: "WebErrorBurn", expr: burn("web", "requests-availability"), labels: map[string]string{"sloth_severity": "page"},
			want: "error-rate", why: "its own SLO reads code=~\"(5..|429)\""},
	}
	checkPatterns(t, rs)

	// Scope: {sloth_service: api} holds the latency alert only, so error
	// rate is missing for api even though web's error alert reads a
	// recording rule of the same name as api's availability SLO.
	_, an, rules := classifyRules(t, rs)
	sel := Selector{{Name: "sloth_service", Op: opEq, Value: "api"}}
	var in []string
	for i, r := range rules {
		if r.Alert && sel.matches(r.Labels, an.facts[i].matchers, &regexCache{}) {
			in = append(in, r.Name)
		}
	}
	if strings.Join(in, ",") != "ApiLatencyBurn" {
		t.Errorf("alerts in scope of {sloth_service=api}: %v, want [ApiLatencyBurn]", in)
	}
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for mk, mv := range m {
		if mk != k {
			out[mk] = mv
		}
	}
	return out
}

// TestPyrraBurnRateLabels reproduces Pyrra's output: <metric>:burnrate<window>
// recordings labelled slo="<name>", shared by every SLO on that metric.
func TestPyrraBurnRateLabels(t *testing.T) {
	rs := []patternRule{
		{name: "http_requests:burnrate5m", record: true, labels: map[string]string{"slo": "api-errors"},
			expr: `sum(rate(http_requests_total{job="api",code=~"5.."}[5m])) / sum(rate(http_requests_total{job="api"}[5m]))`},
		{name: "http_requests:burnrate5m", record: true, labels: map[string]string{"slo": "api-ratelimited"},
			expr: `sum(rate(http_requests_total{job="api",code="429"}[5m])) / sum(rate(http_requests_total{job="api"}[5m]))`},
		{name: "ApiErrorBudgetBurn", expr: `http_requests:burnrate5m{slo="api-errors"} > (14 * (1-0.99))`,
			want: "error-rate", why: "slo=api-errors selects the recording that reads code=~\"5..\""},
		{name: "ApiRateLimitBudgetBurn", expr: `http_requests:burnrate5m{slo="api-ratelimited"} > (14 * (1-0.99))`,
			want: "", why: "slo=api-ratelimited reads 429s only"},
		{name: "AnyBudgetBurn", expr: `http_requests:burnrate5m > 1`,
			want: "error-rate", why: "without matchers it reads every SLO recorded under the name"},
	}
	checkPatterns(t, rs)
}

// TestRecordingRuleOutputLabels: the labels a recording's series carry are
// what its expression keeps; a matcher on a label aggregated away selects
// nothing from it.
func TestRecordingRuleOutputLabels(t *testing.T) {
	rs := []patternRule{
		{name: "job:http_errors:rate5m", record: true, expr: `sum by (job) (rate(http_requests_total{job="api",code=~"5.."}[5m]))`},
		{name: "ByJob", expr: `job:http_errors:rate5m{job="api"} > 1`, want: "error-rate", why: "by (job) keeps job=\"api\""},
		{name: "OtherJob", expr: `job:http_errors:rate5m{job="web"} > 1`, want: "", why: "the recording only has job=\"api\""},
		{name: "ByCode", expr: `job:http_errors:rate5m{code="500"} > 1`, want: "", why: "code is aggregated away by by (job)"},
		{name: "NotCode", expr: `job:http_errors:rate5m{code!="500"} > 1`, want: "error-rate", why: "a missing code is not 500"},
		{name: "instance:cpu:ratio", record: true, expr: `1 - avg without (cpu, mode) (rate(node_cpu_seconds_total{mode="idle"}[5m]))`},
		{name: "job:batch_failed:count", record: true, expr: `sum by (job) (batch_job_status{status="ERROR"})`},
		{name: "BatchFailedViaRecord", expr: `job:batch_failed:count > 0`, want: "", why: "the recording counts jobs in a state: a gauge, not a rate, whatever the alert's name"},
		{name: "CPUByInstance", expr: `instance:cpu:ratio{instance="a"} > 0.9`, want: "cpu", why: "without keeps instance, whose value the series bring"},
		{name: "CPUByMode", expr: `instance:cpu:ratio{mode="user"} > 0.9`, want: "", why: "mode is dropped by without (cpu, mode)"},
	}
	checkPatterns(t, rs)
}

// TestClassifyWhatIsMeasured is a classification written down per rule:
// direction, state gauges, object counts, name styles. The published rule
// sets each pattern comes from are named.
func TestClassifyWhatIsMeasured(t *testing.T) {
	rs := []patternRule{
		// awesome-prometheus-alerts "Host CPU is underutilized" style.
		{name: "HostCpuUnderutilized", expr: `100 - (rate(node_cpu_seconds_total{mode="idle"}[30m]) * 100) < 20`,
			want: "", why: "CPU usage below a threshold is under-utilisation"},
		{name: "HostCpuHigh", expr: `100 - (avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[2m])) * 100) > 80`,
			want: "cpu", why: "100 - idle above a threshold is usage above it"},
		// awesome-prometheus-alerts "Host memory is underutilized".
		{name: "HostMemoryUnderutilized", expr: `min_over_time(node_memory_MemFree_bytes[1w]) > node_memory_MemTotal_bytes * .8`,
			want: "", why: "free memory above 80% of total compares two series: no usage threshold; free memory rising is not a shortage"},
		{name: "HostOutOfMemory", expr: `node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes * 100 < 10`,
			want: "memory", why: "available below a threshold is usage above it"},
		// kubernetes-mixin style over-provisioned requests.
		{name: "ContainerMemoryLow", expr: `sum by (pod) (container_memory_working_set_bytes{container!=""}) / sum by (pod) (kube_pod_container_resource_requests{resource="memory"}) < 0.2`,
			want: "", why: "usage ratio below a threshold: requests are too high, nothing runs out"},
		{name: "ContainerCpuLow", expr: `sum(rate(container_cpu_usage_seconds_total[5m])) by (pod) < 0.01`,
			want: "", why: "CPU usage below a threshold"},
		// Capacity alerts on what is left, over recording rules the
		// source does not hold (cluster overcommit mixins).
		{name: "ClusterLowCPUAvailable", expr: `100 * sum(node:cpu_cores_for_pod_available:cores{node!~"master.*"}) / sum(node:node_num_cpu:sum{node!~"master.*"}) < 10`,
			want: "cpu", why: "available CPU below a threshold is usage above it"},
		// Memory filling up between two thresholds (warning band).
		{name: "NodesMemoryFillingUp", expr: `((sum(node_memory_MemTotal_bytes) - sum(node_memory_MemAvailable_bytes)) / sum(node_memory_MemTotal_bytes) * 100) > 80 and ((sum(node_memory_MemTotal_bytes) - sum(node_memory_MemAvailable_bytes)) / sum(node_memory_MemTotal_bytes) * 100) <= 90`,
			want: "memory", why: "used = total - available above a threshold; the upper bound is a condition"},
		// kubernetes-mixin KubeNodePressure / kube-state-metrics.
		{name: "KubeNodeMemoryPressure", expr: `kube_node_status_condition{condition="MemoryPressure",status="true"} == 1`,
			want: "memory", why: "the kubelet's memory-pressure condition"},
		// Cortex/Loki mixins: object counts with memory in the name.
		{name: "IngesterTooManySeries", expr: `cortex_ingester_memory_series > 1.5e6`,
			want: "", why: "a count of series held in memory, not memory"},
		{name: "IngesterTooManyTenants", expr: `max(cortex_ingester_memory_users) > 1000`,
			want: "", why: "a count of tenants"},
		{name: "LokiChunks", expr: `sum(loki_ingester_memory_chunks) > 1e6`, want: "", why: "a count of chunks"},
		// Name styles: camelCase (Micrometer without the Prometheus naming
		// convention, Azure/CloudWatch exporters) and ram.
		{name: "CamelMemory", expr: `jvmMemoryUsedBytes{area="heap"} / jvmMemoryMaxBytes{area="heap"} > 0.9`,
			want: "memory", why: "camelCase memory"},
		{name: "CamelCPU", expr: `avg(processCpuUsage) > 0.9`, want: "cpu", why: "camelCase cpu"},
		{name: "RamPercent", expr: `system_ram_used_percent > 90`, want: "memory", why: "ram as a word"},
		{name: "RamCamel", expr: `hostRamUsage > 0.95`, want: "memory", why: "ram as a camelCase word"},
		{name: "NotRam", expr: `rate(param_parse_failures_total[5m]) > 10`, want: "", why: "param is not ram"},
		// State gauges are not error rates (ArgoCD, Flux, batch jobs).
		{name: "JobStatusError", expr: `backup_job_status{status="ERROR"} == 1`, want: "", why: "a state gauge, not a rate"},
		{name: "ArgoSyncFailed", expr: `argocd_app_info{sync_status="Failed"} > 0`, want: "", why: "a state gauge"},
		{name: "SyncUpDown", expr: `flux_resource_info{ready="False"} == 0 or up{job="api"} == 0`, want: "", why: "readiness and up are availability of a target, not an error rate"},
		{name: "StatusCounter", expr: `increase(backup_job_runs_total{status="ERROR"}[1h]) > 0`, want: "error-rate", why: "a counter of failed runs"},
		// Error rates in other spellings.
		{name: "ResultErr", expr: `sum(rate(rpc_calls_total{result="err"}[5m])) / sum(rate(rpc_calls_total[5m])) > 0.01`,
			want: "error-rate", why: "result=\"err\""},
		{name: "ErrorsRatio", expr: `sum(rate(app_http_errors[5m])) / sum(rate(app_http_requests[5m])) > 0.05`,
			want: "error-rate", why: "an errors counter over the total"},
		{name: "FailedRatio", expr: `rate(payments_failed_total[5m]) / rate(payments_total[5m]) > 0.02`,
			want: "error-rate", why: "a failed counter over the total"},
		{name: "ErrorsNotRatio", expr: `rate(app_http_errors_total[5m]) > 0`, want: "", why: "an errors counter alone is no rate of requests"},
		{name: "NetworkErrs", expr: `rate(node_network_receive_errs_total[2m]) / rate(node_network_receive_packets_total[2m]) > 0.01`,
			want: "", why: "network receive errors are not the service's error rate"},
		{name: "AbsentErrors", expr: `absent(http_requests_total{code=~"5.."})`, want: "", why: "an alert on missing series"},
		{name: "UnlessCPU", expr: `up{job="api"} == 0 unless on(instance) node_cpu_seconds_total`, want: "", why: "the right of unless is a condition for not firing"},
	}
	checkPatterns(t, rs)
}

// TestEvidenceShown: the note per category names the part of the expression
// that made a rule count.
func TestEvidenceShown(t *testing.T) {
	ws := workspace(t, map[string]string{"rules.yml": `groups:
  - name: api
    rules:
      - alert: ApiMemory
        expr: container_memory_working_set_bytes{container="api"} / container_spec_memory_limit_bytes{container="api"} > 0.9
        labels: {service: api}
      - alert: ApiCPULow
        expr: sum(rate(container_cpu_usage_seconds_total{container="api"}[5m])) < 0.05
        labels: {service: api}
`})
	res := runGate(t, "files: rules.yml\nselector: {service: api}\nrequire: [memory, cpu]", testEnv(ws, nil))
	wantStatus(t, res, gates.StatusFail)
	if !hasNote(res, "metric container_memory_working_set_bytes above a threshold") {
		t.Errorf("no evidence for memory\n%s", dump(res))
	}
	if !hasNote(res, "ApiCPULow") || !hasNote(res, "under-utilisation") {
		t.Errorf("the under-utilisation alert is not explained\n%s", dump(res))
	}
}

func TestMetricWords(t *testing.T) {
	for name, want := range map[string]string{
		"jvm_memory_used_bytes":          "jvm memory used bytes",
		"jvmMemoryUsedBytes":             "jvm memory used bytes",
		"node_memory_MemAvailable_bytes": "node memory mem available bytes",
		"CPUUtilization":                 "cpu utilization",
		"slo:sli_error:ratio_rate5m":     "slo sli error ratio rate5m",
		"http.server.request.duration":   "http server request duration",
		"_x__y_":                         "x y",
		"":                               "",
	} {
		var words []string
		forEachWord(name, func(w string) bool {
			words = append(words, w)
			return true
		})
		if got := strings.Join(words, " "); got != want {
			t.Errorf("%q: got %q, want %q", name, got, want)
		}
	}
}

// TestLongExpressionNotRead: an expression longer than the parser is given
// is reported unread, and its rule counts for nothing, rather than stalling
// the gate.
func TestLongExpressionNotRead(t *testing.T) {
	long := strings.Repeat("node_memory_MemTotal_bytes + ", maxExprBytes/28+1) + "1 > 0"
	got, an, _ := classifyRulesQuiet([]patternRule{{name: "Long", expr: long}})
	if got["Long"] != "" || an.facts[0].exprErr == nil || !strings.Contains(an.facts[0].exprErr.Error(), "more than the 32768 read") {
		t.Errorf("categories [%s], error %v", got["Long"], an.facts[0].exprErr)
	}
	got, _, _ = classifyRulesQuiet([]patternRule{{name: "Short", expr: long[len(long)-2000:]}})
	if got["Short"] != "memory" {
		t.Errorf("a 2 KB expression: [%s]", got["Short"])
	}
}

func classifyRulesQuiet(rs []patternRule) (map[string]string, *analysis, []*Rule) {
	var rules []*Rule
	for _, p := range rs {
		rules = append(rules, &Rule{Name: p.name, Alert: !p.record, Expr: p.expr, Labels: p.labels})
	}
	cl := newClassifier(builtinCategories())
	an := analyze(rules, cl)
	got := map[string]string{}
	for i, r := range rules {
		got[r.Name] = strings.Join(cl.names(an.facts[i].cats), ",")
	}
	return got, an, rules
}
