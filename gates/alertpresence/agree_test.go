package alertpresence

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/gates"
)

// agreeRules holds one scenario per service label, each reproducing a
// published pattern. Every alert has a for: of 0 and fires or not; what
// matters is how the gate reads it.
const agreeRules = `groups:
  # Sloth: SLOs of two services recorded under the same names, told apart
  # by sloth_* labels; shop has only a latency SLO.
  - name: sloth-slo-sli-recordings
    rules:
      - record: slo:sli_error:ratio_rate5m
        expr: (sum(rate(http_request_duration_seconds_count{job="shop"}[5m])) - sum(rate(http_request_duration_seconds_bucket{job="shop",le="0.25"}[5m]))) / sum(rate(http_request_duration_seconds_count{job="shop"}[5m]))
        labels: {sloth_id: shop-latency, sloth_service: shop, sloth_slo: latency, sloth_window: 5m}
      - record: slo:sli_error:ratio_rate5m
        expr: sum(rate(http_request_duration_seconds_count{job="web",code=~"(5..|429)"}[5m])) / sum(rate(http_request_duration_seconds_count{job="web"}[5m]))
        labels: {sloth_id: web-availability, sloth_service: web, sloth_slo: availability, sloth_window: 5m}
  - name: sloth-slo-alerts
    rules:
      - alert: ShopLatencyBurn
        expr: max(slo:sli_error:ratio_rate5m{sloth_id="shop-latency", sloth_service="shop", sloth_slo="latency"} > (14.4 * 0.001)) without (sloth_window)
        labels: {sloth_severity: page, severity: critical, service: shop}
      - alert: WebAvailabilityBurn
        expr: max(slo:sli_error:ratio_rate5m{sloth_id="web-availability", sloth_service="web", sloth_slo="availability"} > (14.4 * 0.001)) without (sloth_window)
        labels: {sloth_severity: page, severity: critical, service: web}
  # awesome-prometheus-alerts: an under-utilisation alert is the only CPU
  # alert of lowcpu.
  - name: lowcpu
    rules:
      - alert: LowcpuCPUUnderutilized
        expr: 100 - (rate(node_cpu_seconds_total{mode="idle", job="lowcpu"}[30m]) * 100) < 20
        labels: {service: lowcpu, severity: critical}
      - alert: LowcpuMemory
        expr: node_memory_MemAvailable_bytes{job="lowcpu"} / node_memory_MemTotal_bytes{job="lowcpu"} < 0.1
        labels: {service: lowcpu, severity: critical}
      - alert: LowcpuErrors
        expr: sum(rate(http_requests_total{job="lowcpu", code=~"5.."}[5m])) / sum(rate(http_requests_total{job="lowcpu"}[5m])) > 0.05
        labels: {service: lowcpu, severity: critical}
  # A batch service whose only "error" alert is a state gauge.
  - name: gauge
    rules:
      - alert: GaugeCPU
        expr: rate(process_cpu_seconds_total{job="gauge"}[5m]) > 0.9
        labels: {service: gauge, severity: critical}
      - alert: GaugeMemory
        expr: process_resident_memory_bytes{job="gauge"} > 2e9
        labels: {service: gauge, severity: critical}
      - alert: GaugeJobFailed
        expr: batch_job_status{job="gauge", status="ERROR"} == 1
        labels: {service: gauge, severity: critical}
  # Micrometer without Prometheus naming, ram, result="err".
  - name: camel
    rules:
      - alert: CamelCPU
        expr: avg(processCpuUsage{job="camel"}) > 0.9
        labels: {service: camel, severity: critical}
      - alert: CamelRam
        expr: system_ram_used_percent{job="camel"} > 90
        labels: {service: camel, severity: critical}
      - alert: CamelErrors
        expr: sum(rate(rpc_calls_total{job="camel", result="err"}[5m])) / sum(rate(rpc_calls_total{job="camel"}[5m])) > 0.01
        labels: {service: camel, severity: critical}
  # kube-prometheus style: warnings go to the "null" receiver, criticals page.
  - name: stack
    rules:
      - alert: StackCPUWarning
        expr: sum(rate(container_cpu_usage_seconds_total{namespace="stack"}[5m])) > 0.8
        labels: {service: stack, severity: warning}
      - alert: StackCPUCritical
        expr: sum(rate(container_cpu_usage_seconds_total{namespace="stack"}[5m])) > 0.95
        labels: {service: stack, severity: critical}
      - alert: StackMemoryWarning
        expr: sum(container_memory_working_set_bytes{namespace="stack"}) > 1e9
        labels: {service: stack, severity: warning}
      - alert: StackMemoryCritical
        expr: sum(container_memory_working_set_bytes{namespace="stack"}) > 2e9
        labels: {service: stack, severity: critical}
      - alert: StackErrors
        expr: sum(rate(http_requests_total{namespace="stack", code=~"5.."}[5m])) > 1
        labels: {service: stack, severity: critical}
  # Everything of muted is inhibited by an always-firing Watchdog.
  - name: muted
    rules:
      - alert: MutedCPU
        expr: rate(process_cpu_seconds_total{job="muted"}[5m]) > 0.9
        labels: {service: muted, severity: critical}
      - alert: MutedMemory
        expr: process_resident_memory_bytes{job="muted"} > 2e9
        labels: {service: muted, severity: critical}
      - alert: MutedErrors
        expr: sum(rate(http_requests_total{job="muted", code=~"5.."}[5m])) > 1
        labels: {service: muted, severity: critical}
  - name: general
    rules:
      - alert: Watchdog
        expr: vector(1)
        labels: {severity: none}
`

const agreeAlertmanager = `
route:
  receiver: "null"
  routes:
    - matchers: ['alertname="Watchdog"']
      receiver: "null"
    - matchers: ['severity=~"critical|page"']
      receiver: pager
receivers:
  - name: "null"
  - name: pager
    webhook_configs: [{url: 'http://127.0.0.1:9/page'}]
inhibit_rules:
  - source_matchers: ['alertname="Watchdog"']
    target_matchers: ['service="muted"']
`

// verdictOf is what a run decided, independent of where rules came from:
// the status, each finding's rule id, severity and subject, and the
// covering rules per category.
func verdictOf(res gates.Result) string {
	var parts []string
	for _, f := range res.Findings {
		subject := strings.Fields(f.Message)[0]
		if f.Rule == ruleCategoryMissing {
			subject = strings.Fields(f.Message)[1] // no <category> alert
		}
		parts = append(parts, fmt.Sprintf("%s %s %s", f.Severity, f.Rule, subject))
	}
	sort.Strings(parts)
	return string(res.Status) + ": " + strings.Join(parts, "; ")
}

// TestFilesAndLiveAgree: the same rules, read from files and from a real
// Prometheus that loaded them, give the same verdicts, which are the ones
// written down here.
func TestFilesAndLiveAgree(t *testing.T) {
	am := startAlertmanager(t, agreeAlertmanager)
	prom := startPrometheus(t, agreeRules, am.Addr)
	ws := workspace(t, map[string]string{"rules.yml": agreeRules})
	tests := []struct {
		selector string
		want     string
	}{
		{"{sloth_service: shop}", "fail: error category-missing cpu; error category-missing error-rate; error category-missing memory"},
		{"{sloth_service: web}", "fail: error category-missing cpu; error category-missing memory"},
		{"{service: lowcpu}", "fail: error category-missing cpu"},
		{"{service: gauge}", "fail: error category-missing error-rate"},
		{"{service: camel}", "pass: "},
		{"{service: stack}", "pass: warning route-blackhole StackCPUWarning; warning route-blackhole StackMemoryWarning"},
		{"{service: muted}", "fail: error inhibited MutedCPU; error inhibited MutedErrors; error inhibited MutedMemory"},
	}
	for _, tc := range tests {
		t.Run(tc.selector, func(t *testing.T) {
			files := runGate(t, "files: rules.yml\nalertmanager: "+am.URL+"\nselector: "+tc.selector, testEnv(ws, nil))
			live := runGate(t, "prometheus: "+prom.URL+"\nalertmanager: "+am.URL+"\nselector: "+tc.selector, testEnv("", nil))
			if got := verdictOf(files); got != tc.want {
				t.Errorf("from files: %s\nwant %s\n%s", got, tc.want, dump(files))
			}
			if got := verdictOf(live); got != tc.want {
				t.Errorf("from Prometheus: %s\nwant %s\n%s", got, tc.want, dump(live))
			}
		})
	}
}
