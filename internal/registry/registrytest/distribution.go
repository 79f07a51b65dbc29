package registrytest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/release-gate/release-gate/internal/testenv"
)

// StartDistribution starts Debian's docker-registry (the CNCF distribution
// registry) on a free 127.0.0.1 port with storage in a temporary directory
// and returns its host:port once it answers. It skips the test when the
// program is missing outside CI (testenv.LookPath), and stops when the
// test ends.
func StartDistribution(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	return testenv.StartServer(t, testenv.Server{
		Program: "docker-registry",
		Args: func(addr string) []string {
			cfg := filepath.Join(dir, "config.yml")
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
`, filepath.Join(dir, "data"), addr)), 0o644); err != nil {
				t.Fatal(err)
			}
			return []string{"serve", cfg}
		},
		Env:   []string{}, // no REGISTRY_* overrides from the machine
		Ready: "/v2/",
	})
}
