package rollbackreadiness

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/gates"
)

// A runbook that is a link to a named pipe (the change controls the
// repository's links) is not a document, and reading it must not block
// the gate: opening a pipe for reading waits for a writer.
func TestRunbookLinkToAPipe(t *testing.T) {
	ws := committed(t, 0o755, 0o755)
	pipe := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Skipf("cannot make a named pipe here: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(ws, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(pipe, filepath.Join(ws, "docs", "runbook.md")); err != nil {
		t.Fatal(err)
	}
	g := scriptGate(t, "runbook: docs/runbook.md")
	env := testEnv(ws, nil, nil)
	done := make(chan gates.Result, 1)
	go func() { done <- gatetest.Run(t, g, env) }()
	select {
	case res := <-done:
		gatetest.Want(t, res, gates.StatusFail, []string{RuleRunbookMissing}, "runbook docs/runbook.md is a named pipe, not a document")
	case <-time.After(30 * time.Second):
		// Unblock the open so the test can end.
		if f, err := os.OpenFile(pipe, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
		t.Fatal("reading the runbook blocked the gate")
	}
}
