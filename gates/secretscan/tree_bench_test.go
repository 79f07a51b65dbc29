package secretscan

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/testenv"
)

// BenchmarkTreeScope runs the tree scope over a repository: the one
// $RELEASE_GATE_BENCH_TREE names (Go's source tree committed once, say),
// else a copy of $GOROOT/src/net committed once. Profile it with
// -cpuprofile to see where a tree scan spends its time.
func BenchmarkTreeScope(b *testing.B) {
	dir := os.Getenv("RELEASE_GATE_BENCH_TREE")
	if dir == "" {
		dir = b.TempDir()
		src := filepath.Join(testenv.GOROOT(b), "src", "net")
		for _, args := range [][]string{
			{"cp", "-r", src + "/.", dir},
			{"git", "-C", dir, "init", "-q"},
			{"git", "-C", dir, "add", "-A"},
			{"git", "-C", dir, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "net"},
		} {
			if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
				b.Fatalf("%v: %v\n%s", args, err, out)
			}
		}
	}
	b.ResetTimer()
	for b.Loop() {
		res := scan(b, dir, "scope: tree\nforbid-files: []", gates.Event{})
		if res.Err != "" {
			b.Fatal(res.Err)
		}
	}
}
