package alertpresence

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/testenv"
)

// server is a real Prometheus or Alertmanager started by a test.
type server struct {
	URL  string
	Addr string
}

// startServer runs the program with args built for an address and waits
// for /-/ready.
func startServer(t testing.TB, program string, args func(addr string) []string) *server {
	t.Helper()
	addr := testenv.StartServer(t, testenv.Server{Program: program, Args: args, Ready: "/-/ready"})
	return &server{URL: "http://" + addr, Addr: addr}
}

// startAlertmanager starts prometheus-alertmanager with the configuration.
func startAlertmanager(t testing.TB, cfg string) *server {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "alertmanager.yml")
	writeFile(t, file, cfg)
	return startServer(t, "prometheus-alertmanager", func(addr string) []string {
		return []string{"--config.file=" + file, "--storage.path=" + filepath.Join(dir, "data"),
			"--web.listen-address=" + addr, "--cluster.listen-address="}
	})
}

// startPrometheus starts prometheus evaluating rules every second, sending
// alerts to the Alertmanager at amAddr when it is not empty, and waits until
// every rule has been evaluated once.
func startPrometheus(t testing.TB, rules string, amAddr string) *server {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "rules.yml"), rules)
	cfg := "global:\n  evaluation_interval: 1s\nrule_files: [rules.yml]\n"
	if amAddr != "" {
		cfg += fmt.Sprintf("alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['%s']\n", amAddr)
	}
	writeFile(t, filepath.Join(dir, "prometheus.yml"), cfg)
	s := startServer(t, "prometheus", func(addr string) []string {
		return []string{"--config.file=" + filepath.Join(dir, "prometheus.yml"),
			"--storage.tsdb.path=" + filepath.Join(dir, "data"), "--web.listen-address=" + addr}
	})
	poll(t, "every rule evaluated", func() bool {
		var body struct {
			Data struct {
				Groups []struct {
					Rules []struct {
						LastEvaluation time.Time `json:"lastEvaluation"`
					} `json:"rules"`
				} `json:"groups"`
			} `json:"data"`
		}
		if !getJSON(s.URL+"/api/v1/rules", &body) || len(body.Data.Groups) == 0 {
			return false
		}
		for _, g := range body.Data.Groups {
			for _, r := range g.Rules {
				if r.LastEvaluation.Year() <= 1 {
					return false
				}
			}
		}
		return true
	})
	if amAddr != "" {
		poll(t, "Prometheus to discover its Alertmanager", func() bool {
			var body struct {
				Data struct {
					Active []struct{ URL string } `json:"activeAlertmanagers"`
				} `json:"data"`
			}
			return getJSON(s.URL+"/api/v1/alertmanagers", &body) && len(body.Data.Active) > 0
		})
	}
	return s
}

// createSilence creates an active silence through the Alertmanager API.
func createSilence(t testing.TB, am *server, comment string, matchers ...map[string]any) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"matchers":  matchers,
		"startsAt":  time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
		"endsAt":    time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339),
		"createdBy": "release-gate-test",
		"comment":   comment,
	})
	resp, err := http.Post(am.URL+"/api/v2/silences", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		SilenceID string `json:"silenceID"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("creating a silence: %s %v", resp.Status, err)
	}
	return out.SilenceID
}

func getJSON(url string, out any) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(out) == nil
}

// poll waits until cond holds, checking every 50ms for up to 30s.
func poll(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
