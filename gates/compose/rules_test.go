package compose

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/testenv"
)

func TestGoodProjectPasses(t *testing.T) {
	compose := "services:\n  api:\n" + goodService + `    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
    environment:
      DATABASE_URL: ${DATABASE_URL}
      LOG_LEVEL: info
  db:
` + goodService + `  migrate:
    image: ghcr.io/org/api:1.2.3
    command: ["migrate"]
    logging: {driver: fluentd}
`
	dir := workspace(t, map[string]string{"compose.yaml": compose})
	res := run(t, dir, "allow-no-healthcheck: [migrate]\nallowed-log-drivers: [fluentd]", map[string]string{"DATABASE_URL": "postgres://u:p@db/app"})
	if res.Status != gates.StatusPass || len(res.Findings) != 0 {
		t.Fatalf("status %s (%s %s), findings %v", res.Status, res.Summary, res.Err, where(res.Findings))
	}
	testenv.MustContain(t, "summary", res.Summary, "3 services in 1 compose project", "healthcheck", "logging")
	testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), "compose.yaml: 3 service(s) checked (every profile): api, db, migrate")
}

func TestHealthcheckRule(t *testing.T) {
	compose := `services:
  none:
    image: nginx:1.27
  partial:
    image: nginx:1.27
    healthcheck:
      test: ["CMD", "true"]
      interval: 10s
  notest:
    image: nginx:1.27
    healthcheck:
      interval: 10s
      timeout: 5s
      retries: 3
      start_period: 5s
  disabled:
    image: nginx:1.27
    healthcheck:
      disable: true
  nonetest:
    image: nginx:1.27
    healthcheck:
      test: ["NONE"]
  tool:
    image: nginx:1.27
`
	dir := workspace(t, map[string]string{"compose.yaml": compose})
	res := run(t, dir, "rules: {logging: off}\nallow-no-healthcheck: [tool, ghost]", nil)
	if res.Status != gates.StatusFail {
		t.Fatalf("status %s: %s %s", res.Status, res.Summary, res.Err)
	}
	want := []string{
		at(t, "compose.yaml", compose, "none:") + " healthcheck",
		at(t, "compose.yaml", compose, "healthcheck:\n      test: [\"CMD\"") + " healthcheck",
		at(t, "compose.yaml", compose, "healthcheck:\n      interval: 10s\n      timeout") + " healthcheck",
		at(t, "compose.yaml", compose, "disable: true") + " healthcheck",
		at(t, "compose.yaml", compose, `test: ["NONE"]`) + " healthcheck",
	}
	if diff := cmp.Diff(want, where(res.Findings)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	msgs := map[string]string{}
	for _, f := range res.Findings {
		msgs[strings.Fields(strings.TrimPrefix(strings.TrimPrefix(f.Message, "the healthcheck of "), "service "))[0]] = f.Message
	}
	testenv.MustContain(t, "none", msgs["none"], "has no healthcheck", "HEALTHCHECK built into the image cannot be seen", "allow-no-healthcheck")
	testenv.MustContain(t, "partial", msgs["partial"], "does not set timeout, retries and start_period", "timeout 30s, retries 3, start_period 0s")
	testenv.MustContain(t, "notest", msgs["notest"], "does not set test", "image's HEALTHCHECK")
	testenv.MustContain(t, "disabled", msgs["disabled"], "disable: true")
	testenv.MustContain(t, "nonetest", msgs["nonetest"], "test: [NONE]")
	testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), `allow-no-healthcheck names "ghost", which no compose project defines`)
	for _, f := range res.Findings {
		if f.Severity != gates.SeverityError {
			t.Errorf("%s: severity %s", f.Pos, f.Severity)
		}
	}
}

func TestDependsOnHealthyRule(t *testing.T) {
	compose := "services:\n  db:\n" + goodService + "  cache:\n" + goodService + "  nohc:\n    image: redis:7\n" + `  short:
    image: nginx:1.27
    depends_on: [nohc, db]
  started:
    image: nginx:1.27
    depends_on:
      db:
        condition: service_started
      cache: {condition: service_healthy}
`
	dir := workspace(t, map[string]string{"compose.yaml": compose})
	res := run(t, dir, "rules: {healthcheck: off, logging: off}", nil)
	if res.Status != gates.StatusFail {
		t.Fatalf("status %s: %s %s", res.Status, res.Summary, res.Err)
	}
	want := []string{
		at(t, "compose.yaml", compose, "db]") + " depends-on-healthy",
		at(t, "compose.yaml", compose, "condition: service_started") + " depends-on-healthy",
	}
	if diff := cmp.Diff(want, where(res.Findings)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if len(res.Findings) == 2 {
		testenv.MustContain(t, "short", res.Findings[0].Message, "service short depends on db with the short list syntax, which means condition: service_started", "condition: service_healthy")
		testenv.MustContain(t, "started", res.Findings[1].Message, "service started depends on db with condition: service_started")
	}
}

func TestLoggingRule(t *testing.T) {
	compose := `x-logging: &rotated
  driver: json-file
  options:
    max-size: 10m
    max-file: "3"
services:
  anchored:
    image: nginx:1.27
    logging: *rotated
  local:
    image: nginx:1.27
    logging: {driver: local, options: {max-size: 20m, max-file: "5"}}
  optionsonly:
    image: nginx:1.27
    logging:
      options: {max-size: 10m, max-file: "2"}
  unset:
    image: nginx:1.27
  syslog:
    image: nginx:1.27
    logging:
      driver: syslog
  nofile:
    image: nginx:1.27
    logging:
      driver: json-file
      options:
        max-size: 10m
  unlimited:
    image: nginx:1.27
    logging:
      driver: json-file
      options:
        max-size: "-1"
        max-file: "3"
  badfile:
    image: nginx:1.27
    logging:
      driver: local
      options:
        max-size: 1g
        max-file: "0"
  shipped:
    image: nginx:1.27
    logging: {driver: awslogs, options: {awslogs-group: api}}
  fromvar:
    image: nginx:1.27
    logging:
      driver: json-file
      options:
        max-size: ${LOG_MAX_SIZE}
        max-file: ${LOG_MAX_FILE:-4}
`
	dir := workspace(t, map[string]string{"compose.yaml": compose})
	res := run(t, dir, "rules: {healthcheck: off}\nallowed-log-drivers: [awslogs]", map[string]string{"LOG_MAX_SIZE": "50m"})
	want := []string{
		at(t, "compose.yaml", compose, "unset:") + " logging",
		at(t, "compose.yaml", compose, "driver: syslog") + " logging",
		at(t, "compose.yaml", compose, "options:\n        max-size: 10m\n  unlimited") + " logging",
		at(t, "compose.yaml", compose, `max-size: "-1"`) + " logging",
		at(t, "compose.yaml", compose, `max-file: "0"`) + " logging",
	}
	if diff := cmp.Diff(want, where(res.Findings)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if len(res.Findings) == 5 {
		testenv.MustContain(t, "unset", res.Findings[0].Message, "sets no logging", "daemon.json", `max-size: "10m", max-file: "3"`)
		testenv.MustContain(t, "syslog", res.Findings[1].Message, `"syslog" driver`, "add syslog to allowed-log-drivers")
		testenv.MustContain(t, "nofile", res.Findings[2].Message, "json-file but max-file is not set")
		testenv.MustContain(t, "unlimited", res.Findings[3].Message, "max-size is -1 (unlimited)")
		testenv.MustContain(t, "badfile", res.Findings[4].Message, "local but max-file is not a whole number")
	}

	// Without LOG_MAX_SIZE the variable is empty: a finding that says so,
	// and a note naming the variable; never a load error.
	res = run(t, dir, "rules: {healthcheck: off}\nallowed-log-drivers: [awslogs]", nil)
	if res.Status != gates.StatusFail || !slices.Contains(where(res.Findings), at(t, "compose.yaml", compose, "max-size: ${LOG_MAX_SIZE}")+" logging") {
		t.Fatalf("status %s, findings %v", res.Status, where(res.Findings))
	}
	testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), "variables not set where the gate runs (interpolated as their default, or empty): LOG_MAX_FILE, LOG_MAX_SIZE")
}

func TestRuleLevels(t *testing.T) {
	compose := "services:\n  api:\n    image: nginx:1.27\n"
	dir := workspace(t, map[string]string{"compose.yaml": compose})

	res := run(t, dir, "rules: {healthcheck: warn, logging: off}", nil)
	if res.Status != gates.StatusPass {
		t.Errorf("warn-level findings failed the gate: %s", res.Status)
	}
	if len(res.Findings) != 1 || res.Findings[0].Rule != ruleHealthcheck || res.Findings[0].Severity != gates.SeverityWarning {
		t.Errorf("findings %+v", res.Findings)
	}
	testenv.MustContain(t, "summary", res.Summary, "1 problem", "healthcheck 1")

	res = run(t, dir, "", nil)
	if res.Status != gates.StatusFail || !slices.Equal(where(res.Findings), []string{"compose.yaml:2:3 healthcheck", "compose.yaml:2:3 logging"}) {
		t.Errorf("defaults: %s %v", res.Status, where(res.Findings))
	}
}
