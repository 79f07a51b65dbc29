package staginganalysis

import (
	"strings"
	"testing"

	"github.com/release-gate/release-gate/internal/configtest"
)

func parse(t *testing.T, body string) error {
	t.Helper()
	_, err := New(configtest.Section(t, Name, body, nil))
	return err
}

const head = "prometheus: https://prom.example.com\nqueries:\n  - query: up\n" // lines 4-6

// A condition that does not compile is a configuration error at its line,
// and so is one that reads anything but result: the environment holds the
// result and nothing else.
func TestConditionErrors(t *testing.T) {
	for _, tc := range []struct {
		cond  string
		wants []string
	}{
		{"result <", []string{"does not compile"}},
		{"result[0] >= 0.95", []string{"result is one number, not a list"}},
		{`env.HOME != ""`, []string{"unknown name env"}},
		{"now().Year() > 2000", []string{"does not compile"}},
		{`getenv("HOME") != ""`, []string{"does not compile"}},
		{"result + 1", []string{"does not compile"}},       // not a bool
		{`trim("a") == "a"`, []string{"does not compile"}}, // builtins are off
		{strings.Repeat("result < 1 && ", 100) + "true", []string{"characters long"}},
	} {
		err := parse(t, head+"    success: '"+tc.cond+"'\n")
		configtest.WantError(t, err, "release-gate.yml:7:18", tc.wants...)
	}
	// The math that conditions need compiles.
	for _, ok := range []string{"result < 0.01", "abs(result - 1) < 0.1 && result >= 0", "max(result, 0) <= 1", "round(result) == 1"} {
		if err := parse(t, head+"    success: '"+ok+"'\n"); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// Every mistake is reported at once, each at its position.
func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		pos        string
		wants      []string
	}{
		{"nothing to check", "tenant: x\n", "release-gate.yml:3:3", []string{"set queries"}},
		{"queries without prometheus", "queries:\n  - query: up\n    success: result == 1\n", "release-gate.yml:3:3", []string{"queries need prometheus"}},
		{"failure-limit", head + "    success: result == 1\n    count: 3\n    interval: 1m\n    failure-limit: 3\n", "release-gate.yml:10:24", []string{"must be below count (3)"}},
		{"count without interval", head + "    success: result == 1\n    count: 3\n", "release-gate.yml:8:16", []string{"set interval, the time between the 3 evaluations"}},
		{"window and count", head + "    success: result == 1\n    window: 10m\n    count: 2\n", "release-gate.yml:8:17", []string{"leave out count and interval"}},
		{"too many points", head + "    success: result == 1\n    window: 24h\n    step: 10s\n", "release-gate.yml:9:15", []string{"8640 points"}},
		{"token itself", head + "    success: result == 1\ntoken-env: 'glpat-abc'\n", "release-gate.yml:8:16", []string{"name of an environment variable"}},
		{"selector", "prometheus: https://p\nno-firing-alerts: {ignore: [Watchdog]}\n", "release-gate.yml:5:23", []string{"set the labels"}},
		{"alertmanager alone", head + "    success: result == 1\nalertmanager: https://am\n", "release-gate.yml:8:19", []string{"only used with no-firing-alerts"}},
		{"waits beyond the timeout", "timeout: 2m\n" + head + "    success: result == 1\n    count: 3\n    interval: 1m\n", "release-gate.yml:10:19", []string{"(count - 1) × interval = 2m0s, not less than the gate's timeout (2m0s)"}},
		{"since-digest without a query", head + "    success: result == 1\nsince-digest: {digest: x}\n", "release-gate.yml:8:19", []string{"set query, which returns a series per running image"}},
		{"since-digest label", head + "    success: result == 1\nsince-digest: {digest: x, query: up, label: 'image-id'}\n", "release-gate.yml:8:49", []string{`"image-id" is not a label name`}},
		{"unknown key", head + "    sucess: result == 1\n", "release-gate.yml:7:9", []string{"unknown key", "success"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			configtest.WantError(t, parse(t, tc.body), tc.pos, tc.wants...)
		})
	}
	// Two mistakes, two errors.
	err := parse(t, head+"    success: 'result <'\n  - query: up\n    success: result == 1\n    count: 2\n") // lines 7 and 10
	if err == nil || !strings.Contains(err.Error(), "release-gate.yml:7:") || !strings.Contains(err.Error(), "release-gate.yml:10:") {
		t.Errorf("want errors at lines 7 and 10, got %v", err)
	}
}
