package alertpresence

import (
	"strings"
	"testing"
)

// classifyOne classifies an alert expression, with recording rules given as
// "record = expr" lines, and returns its categories.
func classifyOne(t *testing.T, expr string, records ...string) []string {
	t.Helper()
	rules := []*Rule{{Name: "A", Alert: true, Expr: expr}}
	for _, rec := range records {
		name, e, ok := strings.Cut(rec, " = ")
		if !ok {
			t.Fatalf("bad record %q", rec)
		}
		rules = append(rules, &Rule{Name: name, Expr: e})
	}
	cl := newClassifier(builtinCategories())
	an := analyze(rules, cl)
	if err := an.facts[0].exprErr; err != nil {
		t.Errorf("%s: %v", expr, err)
	}
	return cl.names(an.facts[0].cats)
}

// TestClassify runs the classification over expressions as real rule sets
// write them: node exporter, cAdvisor, kube-state-metrics, nginx, envoy,
// Istio, Traefik, HAProxy, Linkerd, gRPC, OpenTelemetry, Spring/Micrometer,
// JVM, Go and Node.js runtimes, and recording-rule chains.
func TestClassify(t *testing.T) {
	tests := []struct {
		name    string
		expr    string
		records []string
		want    string // categories, comma-separated; "" for none
	}{
		// node exporter
		{"node cpu idle", `100 - (avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[2m])) * 100) > 80`, nil, "cpu"},
		{"node cpu steal", `avg by (instance) (rate(node_cpu_seconds_total{mode="steal"}[5m])) * 100 > 10`, nil, "cpu"},
		{"node memory available", `node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes * 100 < 10`, nil, "memory"},
		{"node oom kill", `increase(node_vmstat_oom_kill[1m]) > 0`, nil, "memory"},
		{"node load", `node_load1 / count without (cpu, mode) (node_cpu_seconds_total{mode="idle"}) > 2`, nil, "cpu"},
		{"node disk", `node_filesystem_avail_bytes{fstype!="tmpfs"} / node_filesystem_size_bytes < 0.1`, nil, ""},
		{"node swap", `(1 - node_memory_SwapFree_bytes / node_memory_SwapTotal_bytes) * 100 > 80`, nil, "memory"},
		{"node mixin recording", `instance:node_cpu_utilisation:rate5m{job="node"} > 0.9`,
			[]string{`instance:node_cpu_utilisation:rate5m = 1 - avg without (cpu) (sum without (mode) (rate(node_cpu_seconds_total{job="node", mode=~"idle|iowait|steal"}[5m])))`}, "cpu"},
		{"node mixin memory recording", `instance:node_memory_utilisation:ratio > 0.9`,
			[]string{`instance:node_memory_utilisation:ratio = 1 - (node_memory_MemAvailable_bytes{job="node"} / node_memory_MemTotal_bytes{job="node"})`}, "memory"},
		{"node network errors are not error rate", `rate(node_network_receive_errs_total[2m]) / rate(node_network_receive_packets_total[2m]) > 0.01`, nil, ""},
		{"telegraf mem", `mem_used_percent > 90`, nil, "memory"},
		{"telegraf cpu", `100 - cpu_usage_idle{cpu="cpu-total"} > 90`, nil, "cpu"},
		{"windows exporter", `100 - (avg by (instance) (rate(windows_cpu_time_total{mode="idle"}[2m])) * 100) > 80`, nil, "cpu"},
		{"windows memory", `100 - ((windows_os_physical_memory_free_bytes / windows_cs_physical_memory_bytes) * 100) > 90`, nil, "memory"},

		// cAdvisor / containers
		{"container cpu", `sum by (pod) (rate(container_cpu_usage_seconds_total{container!="", namespace="shop"}[5m])) > 0.9`, nil, "cpu"},
		{"container throttling", `sum(increase(container_cpu_cfs_throttled_periods_total{container!=""}[5m])) by (container) / sum(increase(container_cpu_cfs_periods_total[5m])) by (container) > 0.25`, nil, "cpu"},
		{"container memory", `container_memory_working_set_bytes{container="api"} / container_spec_memory_limit_bytes{container="api"} > 0.9`, nil, "memory"},
		{"container oom events", `increase(container_oom_events_total[5m]) > 0`, nil, "memory"},
		{"docker", `sum(rate(container_cpu_usage_seconds_total{name=~".+"}[3m])) by (name) * 100 > 80`, nil, "cpu"},

		// kube-state-metrics
		{"ksm oomkilled", `kube_pod_container_status_last_terminated_reason{reason="OOMKilled"} == 1`, nil, "memory"},
		{"ksm cpu overcommit", `sum(namespace_cpu:kube_pod_container_resource_requests:sum) / sum(kube_node_status_allocatable{resource="cpu"}) > 1.5`, nil, "cpu"},
		{"ksm memory limits", `sum by (namespace) (kube_pod_container_resource_limits{resource="memory"}) > 1e10`, nil, "memory"},
		{"ksm quota", `kube_resourcequota{type="used", resource=~"requests.memory|limits.memory"} / ignoring(type) kube_resourcequota{type="hard"} > 0.9`, nil, "memory"},
		{"ksm quota cpu", `kube_resourcequota{type="used", resource="requests.cpu"} / ignoring(type) kube_resourcequota{type="hard"} > 0.9`, nil, "cpu"},
		{"ksm crashloop", `increase(kube_pod_container_status_restarts_total[15m]) > 3`, nil, ""},
		{"ksm hpa", `kube_horizontalpodautoscaler_status_current_replicas == kube_horizontalpodautoscaler_spec_max_replicas`, nil, ""},
		{"kubelet memory pressure", `kube_node_status_condition{condition="MemoryPressure",status="true"} == 1`, nil, "memory"},

		// HTTP servers and proxies
		{"generic 5xx ratio", `sum(rate(http_requests_total{job="api",code=~"5.."}[5m])) / sum(rate(http_requests_total{job="api"}[5m])) > 0.05`, nil, "error-rate"},
		{"status anchored", `rate(http_requests_total{status=~"^5..$"}[5m]) > 0`, nil, "error-rate"},
		{"status 5.*", `rate(http_requests_total{code=~"5.*"}[5m]) > 0`, nil, "error-rate"},
		{"status 5xx literal", `rate(haproxy_backend_http_responses_total{code="5xx"}[5m]) > 1`, nil, "error-rate"},
		{"status 503", `rate(http_requests_total{code="503"}[5m]) > 1`, nil, "error-rate"},
		{"status class alternation", `rate(x_total{code=~"5..|429"}[5m]) > 1`, nil, "error-rate"},
		{"status digit class", `rate(x_total{code=~"5[0-9]{2}"}[5m]) > 1`, nil, "error-rate"},
		{"not 2xx", `sum(rate(http_requests_total{code!~"2.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.1`, nil, "error-rate"},
		{"not 200", `rate(http_requests_total{code!="200"}[5m]) > 1`, nil, "error-rate"},
		{"4xx only is not error rate", `rate(http_requests_total{code=~"4.."}[5m]) > 10`, nil, ""},
		{"all codes is not error rate", `rate(http_requests_total{code=~".*"}[5m]) > 10`, nil, ""},
		{"excluding 5xx is not error rate", `rate(http_requests_total{code!~"5.."}[5m]) < 1`, nil, ""},
		{"success ratio below a threshold is availability", `sum(rate(http_requests_total{code=~"2.."}[5m])) / sum(rate(http_requests_total[5m])) < 0.99`, nil, "error-rate"},
		{"success ratio above a threshold is not", `sum(rate(http_requests_total{code=~"2.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.5`, nil, ""},
		{"sloth one minus good over total", `slo:sli_error:ratio_rate5m > 14.4 * 0.001`, []string{`slo:sli_error:ratio_rate5m = 1 - (sum(rate(http_request_duration_seconds_count{job="api",code!~"(5..|429)"}[5m])) / sum(rate(http_request_duration_seconds_count{job="api"}[5m])))`}, "error-rate"},
		{"success total alone is traffic", `sum(rate(http_requests_total{code=~"2.."}[5m])) < 1`, nil, ""},
		{"latency is not error rate", `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 1`, nil, ""},
		{"nginx ingress", `sum(rate(nginx_ingress_controller_requests{status=~"5.+"}[5m])) by (ingress) / sum(rate(nginx_ingress_controller_requests[5m])) by (ingress) > 0.05`, nil, "error-rate"},
		{"nginx vts", `sum(rate(nginx_vts_server_requests_total{code="5xx"}[5m])) > 1`, nil, "error-rate"},
		{"envoy class", `sum(rate(envoy_cluster_upstream_rq_xx{envoy_response_code_class="5"}[5m])) / sum(rate(envoy_cluster_upstream_rq_total[5m])) > 0.01`, nil, "error-rate"},
		{"envoy code", `rate(envoy_cluster_upstream_rq{envoy_response_code=~"5.."}[5m]) > 0`, nil, "error-rate"},
		{"istio", `sum(rate(istio_requests_total{reporter="destination", response_code=~"5.."}[5m])) by (destination_service) / sum(rate(istio_requests_total{reporter="destination"}[5m])) by (destination_service) > 0.05`, nil, "error-rate"},
		{"traefik", `sum(rate(traefik_service_requests_total{code=~"5.."}[3m])) by (service) / sum(rate(traefik_service_requests_total[3m])) by (service) * 100 > 5`, nil, "error-rate"},
		{"kong", `sum(rate(kong_http_requests_total{code=~"5.."}[5m])) > 0`, nil, "error-rate"},
		{"linkerd", `sum(rate(response_total{classification="failure", direction="inbound"}[1m])) by (deployment) > 0`, nil, "error-rate"},
		{"aws alb via cloudwatch", `aws_applicationelb_httpcode_target_5_xx_count_sum > 10`, nil, "error-rate"},
		{"apache", `rate(apache_http_response_codes_total{code=~"5.."}[5m]) > 1`, nil, "error-rate"},

		// gRPC
		{"grpc not ok", `sum(rate(grpc_server_handled_total{grpc_code!="OK"}[5m])) / sum(rate(grpc_server_handled_total[5m])) > 0.05`, nil, "error-rate"},
		{"grpc codes", `rate(grpc_server_handled_total{grpc_code=~"Unknown|Internal|Unavailable|DeadlineExceeded"}[5m]) > 0`, nil, "error-rate"},
		{"grpc not-found only", `rate(grpc_server_handled_total{grpc_code="NotFound"}[5m]) > 10`, nil, ""},
		{"otel rpc", `rate(rpc_server_duration_milliseconds_count{rpc_grpc_status_code!="0"}[5m]) > 1`, nil, "error-rate"},

		// OpenTelemetry naming (Prometheus exporter / collector)
		{"otel http new", `sum(rate(http_server_request_duration_seconds_count{http_response_status_code=~"5.."}[5m])) / sum(rate(http_server_request_duration_seconds_count[5m])) > 0.02`, nil, "error-rate"},
		{"otel http old", `rate(http_server_duration_milliseconds_count{http_status_code=~"5.."}[5m]) > 0`, nil, "error-rate"},
		{"otel system cpu", `system_cpu_utilization_ratio{state!="idle"} > 0.9`, nil, "cpu"},
		{"otel k8s memory", `k8s_pod_memory_working_set_bytes / k8s_container_memory_limit_bytes > 0.9`, nil, "memory"},
		{"otel jvm memory", `process_runtime_jvm_memory_usage_bytes{type="heap"} / process_runtime_jvm_memory_limit_bytes{type="heap"} > 0.9`, nil, "memory"},
		{"otel quoted utf8 name", `{"http.server.request.duration_count", "http.response.status_code"=~"5.."} > 0`, nil, "error-rate"},

		// Spring Boot / Micrometer, runtimes
		{"spring status", `sum(rate(http_server_requests_seconds_count{status=~"5.."}[5m])) by (application) > 1`, nil, "error-rate"},
		{"spring outcome", `sum(rate(http_server_requests_seconds_count{outcome="SERVER_ERROR"}[5m])) > 1`, nil, "error-rate"},
		{"spring client errors", `sum(rate(http_server_requests_seconds_count{outcome="CLIENT_ERROR"}[5m])) > 100`, nil, ""},
		{"micrometer cpu", `system_cpu_usage > 0.9 or process_cpu_usage > 0.9`, nil, "cpu"},
		{"micrometer jvm heap", `sum(jvm_memory_used_bytes{area="heap"}) / sum(jvm_memory_max_bytes{area="heap"}) > 0.9`, nil, "memory"},
		{"jmx exporter heap", `jvm_memory_bytes_used{area="heap"} / jvm_memory_bytes_max{area="heap"} > 0.9`, nil, "memory"},
		{"go memstats", `go_memstats_heap_inuse_bytes > 1e9`, nil, "memory"},
		{"process rss", `process_resident_memory_bytes{job="api"} > 2e9`, nil, "memory"},
		{"process cpu", `rate(process_cpu_seconds_total{job="api"}[5m]) > 0.9`, nil, "cpu"},
		{"nodejs heap", `nodejs_heap_size_used_bytes / nodejs_heap_size_total_bytes > 0.95`, nil, "memory"},
		{"gc is not memory", `rate(jvm_gc_pause_seconds_sum[5m]) > 0.5`, nil, ""},
		{"memcached is not memory", `memcached_up == 0`, nil, ""},
		{"bloom is not oom", `rate(loki_bloom_blocks_cache_fetched_total[5m]) < 1`, nil, ""},
		{"oom kills", `sum(increase(kube_pod_container_status_restarts_total[5m])) and on(pod) kube_pod_container_oom_killed == 1`, nil, "memory"},

		// Combinations and recording rules
		{"cpu and memory", `(rate(container_cpu_usage_seconds_total[5m]) > 1) and on(pod) (container_memory_working_set_bytes > 1e9)`, nil, "cpu,memory"},
		{"sloth burn rate", `(slo:sli_error:ratio_rate5m{sloth_service="api"} > (14.4 * 0.001)) and ignoring(sloth_window) (slo:sli_error:ratio_rate1h{sloth_service="api"} > (14.4 * 0.001))`,
			[]string{
				`slo:sli_error:ratio_rate5m = (sum(rate(http_requests_total{job="api",code=~"(5..|429)"}[5m]))) / (sum(rate(http_requests_total{job="api"}[5m])))`,
				`slo:sli_error:ratio_rate1h = sum_over_time(slo:sli_error:ratio_rate5m[1h]) / ignoring (sloth_window) count_over_time(slo:sli_error:ratio_rate5m[1h])`,
			}, "error-rate"},
		{"pyrra chain of two", `http_requests:burnrate5m{job="api"} > 14 * 0.001`,
			[]string{
				`http_requests:burnrate5m = sum by (job) (job:http_errors:rate5m) / sum by (job) (job:http_requests:rate5m)`,
				`job:http_errors:rate5m = sum by (job) (rate(http_requests_total{code=~"5.."}[5m]))`,
				`job:http_requests:rate5m = sum by (job) (rate(http_requests_total[5m]))`,
			}, "error-rate"},
		{"record cycle is cut", `a:x > 1`, []string{`a:x = b:x`, `b:x = a:x + node_memory_Active_bytes`}, "memory"},
		{"record named after what it reads", `namespace:container_cpu_usage:sum > 10`, nil, "cpu"},
		{"regex name", `{__name__=~"container_memory_(rss|cache)"} > 1e9`, nil, "memory"},
		{"blackbox probe", `probe_success == 0`, nil, ""},
		{"up", `up{job="api"} == 0`, nil, ""},
		{"cpu in a string is ignored", `label_replace(up, "cpu", "$1", "instance", "(.*)") == 0`, nil, ""},
		{"cpu in a by clause is ignored", `sum by (cpu) (up) == 0`, nil, ""},
		{"cpu in a comment is ignored", "up == 0 # cpu memory 5xx", nil, ""},
	}
	for _, tc := range tests {
		got := strings.Join(classifyOne(t, tc.expr, tc.records...), ",")
		if got != tc.want {
			t.Errorf("%s: %s\n got [%s]\nwant [%s]", tc.name, tc.expr, got, tc.want)
		}
	}
}

func TestOverrideLabel(t *testing.T) {
	cl := newClassifier(builtinCategories())
	rules := []*Rule{
		{Name: "Custom", Alert: true, Expr: `my_app_failures_total > 3`, Labels: map[string]string{"release_gate": "error-rate"}},
		{Name: "Both", Alert: true, Expr: `x > 1`, Labels: map[string]string{"release_gate": "cpu, memory"}},
		{Name: "NotReally", Alert: true, Expr: `rate(node_cpu_seconds_total[5m]) > 0`, Labels: map[string]string{"release_gate": "none"}},
		{Name: "Typo", Alert: true, Expr: `rate(node_cpu_seconds_total[5m]) > 0`, Labels: map[string]string{"release_gate": "cpuu"}},
	}
	an := analyze(rules, cl)
	want := []string{"error-rate", "cpu,memory", "", ""}
	for i, w := range want {
		if got := strings.Join(cl.names(an.facts[i].cats), ","); got != w {
			t.Errorf("%s: got [%s], want [%s]", rules[i].Name, got, w)
		}
		if !an.facts[i].overridden {
			t.Errorf("%s: not marked overridden", rules[i].Name)
		}
	}
	if got := an.facts[3].badOverride; len(got) != 1 || got[0] != "cpuu" {
		t.Errorf("unknown category in the label: got %q", got)
	}
}

func TestCustomCategories(t *testing.T) {
	cat, cerr := buildCategory("queue", CategoryConfig{Metric: `kafka_consumergroup_lag|_queue_depth$`})
	if cerr != nil {
		t.Fatal(cerr.msg)
	}
	disk, cerr := buildCategory("disk", CategoryConfig{Matcher: []string{`resource="disk"`, `fstype=~"ext4|xfs"`}})
	if cerr != nil {
		t.Fatal(cerr.msg)
	}
	cl := newClassifier(append(builtinCategories(), cat, disk))
	tests := []struct{ expr, want string }{
		{`sum(kafka_consumergroup_lag{group="api"}) > 1000`, "queue"},
		{`jobs_queue_depth > 10`, "queue"},
		{`jobs_queue_depth_total > 10`, ""},
		{`x{resource="disk"} > 1`, "disk"},
		{`x{resource=~"disk|net"} > 1`, "disk"},
		{`node_filesystem_avail_bytes{fstype="xfs"} < 1e9`, "disk"},
		{`node_filesystem_avail_bytes{fstype=~"ext4|xfs"} < 1e9`, "disk"},
		{`node_filesystem_avail_bytes{fstype=~"ext.*"} < 1e9`, ""},
		{`node_filesystem_avail_bytes{fstype!="xfs"} < 1e9`, ""},
	}
	for _, tc := range tests {
		an := analyze([]*Rule{{Name: "A", Alert: true, Expr: tc.expr}}, cl)
		if got := strings.Join(cl.names(an.facts[0].cats), ","); got != tc.want {
			t.Errorf("%s: got [%s], want [%s]", tc.expr, got, tc.want)
		}
	}
}

func TestSelectorScope(t *testing.T) {
	rc := &regexCache{}
	tests := []struct {
		selector string
		labels   map[string]string
		expr     string
		records  []string
		want     bool
	}{
		{`{service="api"}`, map[string]string{"service": "api"}, `up == 0`, nil, true},
		{`{service="api"}`, map[string]string{"service": "web"}, `up == 0`, nil, false},
		{`{service="api"}`, nil, `up{service="api"} == 0`, nil, true},
		{`{job="api"}`, nil, `rate(http_requests_total{job=~"api|web",code=~"5.."}[5m]) > 0`, nil, true},
		{`{job="api"}`, nil, `rate(http_requests_total{job=~"web|batch"}[5m]) > 0`, nil, false},
		{`{job="api"}`, nil, `rate(http_requests_total{job!="api"}[5m]) > 0`, nil, false},
		{`{job=~"api|api-canary"}`, nil, `up{job="api-canary"} == 0`, nil, true},
		{`{job=~"api.*"}`, nil, `up{job=~"api|web"} == 0`, nil, true},
		{`{job=~"api.*"}`, nil, `up{job=~"api.*"} == 0`, nil, true},
		{`{job="api"}`, nil, `job:errors:ratio > 0.1`, []string{`job:errors:ratio = sum(rate(x{job="api",code=~"5.."}[5m]))`}, true},
		{`{service="api"}`, nil, `svc:errors:ratio > 0.1`, nil, false},
		{`{service="api", env="prod"}`, map[string]string{"env": "prod"}, `up{service="api"} == 0`, nil, true},
		{`{service="api", env="prod"}`, map[string]string{"env": "dev"}, `up{service="api"} == 0`, nil, false},
		{`{env!="dev"}`, nil, `up == 0`, nil, true},
		{`{env!="dev"}`, map[string]string{"env": "dev"}, `up == 0`, nil, false},
		{`{env!~"dev|test"}`, nil, `up{env="test"} == 0`, nil, false},
	}
	for _, tc := range tests {
		sel, err := parseMatcherList(tc.selector)
		if err != nil {
			t.Fatal(err)
		}
		rules := []*Rule{{Name: "A", Alert: true, Expr: tc.expr, Labels: tc.labels}}
		for _, rec := range tc.records {
			name, e, _ := strings.Cut(rec, " = ")
			rules = append(rules, &Rule{Name: name, Expr: e})
		}
		an := analyze(rules, newClassifier(builtinCategories()))
		if got := Selector(sel).matches(tc.labels, an.facts[0].matchers, rc); got != tc.want {
			t.Errorf("selector %s, labels %v, expr %s: got %v, want %v", tc.selector, tc.labels, tc.expr, got, tc.want)
		}
	}
}

// TestRecordingRuleLabelsScope: a recording rule's own labels are carried by
// the series it records, so an alert reading them is in that scope.
func TestRecordingRuleLabelsScope(t *testing.T) {
	rules := []*Rule{
		{Name: "A", Alert: true, Expr: `api:errors:ratio > 0.1`},
		{Name: "api:errors:ratio", Expr: `sum(rate(http_requests_total{code=~"5.."}[5m]))`, Labels: map[string]string{"service": "api"}},
	}
	cl := newClassifier(builtinCategories())
	an := analyze(rules, cl)
	sel := Selector{{Name: "service", Op: opEq, Value: "api"}}
	if !sel.matches(nil, an.facts[0].matchers, &regexCache{}) {
		t.Errorf("alert reading a recording rule labelled service=api is not in scope; matchers %v", an.facts[0].matchers)
	}
	if got := strings.Join(cl.names(an.facts[0].cats), ","); got != "error-rate" {
		t.Errorf("categories [%s], want [error-rate]", got)
	}
}
