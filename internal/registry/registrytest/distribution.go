package registrytest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/testenv"
)

// StartDistribution starts Debian's docker-registry (the CNCF distribution
// registry) on a free 127.0.0.1 port with storage in a temporary directory
// and returns its host:port once it answers. It skips the test when the
// program is missing outside CI (testenv.LookPath), and stops when the
// test ends.
func StartDistribution(t testing.TB) string {
	t.Helper()
	bin := testenv.LookPath(t, "docker-registry")
	dir := t.TempDir()
	var lastErr error
	for try := 0; try < 5; try++ {
		host, err := tryDistribution(t, bin, dir, try)
		if err == nil {
			return host
		}
		lastErr = err
	}
	t.Fatalf("starting docker-registry: %v", lastErr)
	return ""
}

func tryDistribution(t testing.TB, bin, dir string, try int) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	host := l.Addr().String()
	l.Close()
	cfg := filepath.Join(dir, fmt.Sprintf("config-%d.yml", try))
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
http:
  addr: %s
`, filepath.Join(dir, "data"), host)), 0o644); err != nil {
		return "", err
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, "serve", cfg)
	cmd.Env = []string{} // no REGISTRY_* overrides from the machine
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			exited <- err
			return "", fmt.Errorf("docker-registry exited (%v): %s", err, out.String())
		default:
		}
		resp, err := http.Get("http://" + host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Cleanup(stop)
				return host, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	return "", fmt.Errorf("docker-registry did not answer within 10s: %s", out.String())
}
