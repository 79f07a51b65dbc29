package staginganalysis

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/configtest"
	"github.com/release-gate/release-gate/internal/gatetest"
	"github.com/release-gate/release-gate/internal/httpsafe"
	"github.com/release-gate/release-gate/internal/testenv"
)

// fakeClock is the gate's clock in tests: its sleep advances it instead of
// waiting, and records how long the gate meant to wait.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	return nil
}

// gateFor builds the gate from a section body; its waits advance clk.
func gateFor(t testing.TB, body string, clk *fakeClock, vars map[string]string) *Gate {
	t.Helper()
	g, err := New(configtest.Section(t, Name, body, func(k string) string { return vars[k] }), WithSleep(clk.sleep))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g
}

// envAt is what the gate sees: the fake clock, the CLI's HTTP client, and
// vars as the process environment.
func envAt(clk *fakeClock, vars map[string]string) gates.Env {
	return gates.Env{
		Now:        clk.Now,
		HTTPClient: httpsafe.NewClient(),
		Getenv:     func(k string) string { return vars[k] },
	}
}

// runGate runs a configured gate at the clock's time, as users see it.
func runGate(t testing.TB, body string, clk *fakeClock, vars map[string]string) gates.Result {
	t.Helper()
	return gatetest.Run(t, gateFor(t, body, clk, vars), envAt(clk, vars))
}

// startPrometheus backfills openmetrics (an OpenMetrics text) into a new
// TSDB with promtool, as an operator would import data, and starts a real
// Prometheus on it. rules, when not empty, is a rule file it evaluates
// every second.
func startPrometheus(t testing.TB, openmetrics, rules string) string {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if openmetrics != "" {
		promtool := testenv.LookPath(t, "promtool")
		src := filepath.Join(dir, "data.om")
		writeFile(t, src, openmetrics)
		out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", src, data).CombinedOutput()
		if err != nil {
			t.Fatalf("promtool tsdb create-blocks-from openmetrics: %v\n%s", err, out)
		}
	}
	cfg := "global:\n  evaluation_interval: 1s\n"
	if rules != "" {
		writeFile(t, filepath.Join(dir, "rules.yml"), rules)
		cfg += "rule_files: [rules.yml]\n"
	}
	writeFile(t, filepath.Join(dir, "prometheus.yml"), cfg)
	addr := testenv.StartServer(t, testenv.Server{Program: "prometheus", Ready: "/-/ready", Args: func(addr string) []string {
		return []string{"--config.file=" + filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path=" + data,
			"--storage.tsdb.retention.time=30d", "--web.listen-address=" + addr}
	}})
	return "http://" + addr
}

// startAlertmanager starts a real Alertmanager that notifies no one.
func startAlertmanager(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "am.yml"), "route: {receiver: 'null'}\nreceivers: [{name: 'null'}]\n")
	addr := testenv.StartServer(t, testenv.Server{Program: "prometheus-alertmanager", Ready: "/-/ready", Args: func(addr string) []string {
		return []string{"--config.file=" + filepath.Join(dir, "am.yml"), "--storage.path=" + filepath.Join(dir, "data"),
			"--web.listen-address=" + addr, "--cluster.listen-address="}
	}})
	return "http://" + addr
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// series writes one OpenMetrics series: value(i) every 15s for n samples
// from t0.
func omSeries(b *strings.Builder, name, labels string, t0 time.Time, n int, value func(i int, at time.Time) string) {
	for i := range n {
		at := t0.Add(time.Duration(i) * 15 * time.Second)
		fmt.Fprintf(b, "%s{%s} %s %d\n", name, labels, value(i, at), at.Unix())
	}
}
