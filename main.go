// Command release-gate runs the release checklist as gates before a
// production deployment and returns one verdict. See README.md.
package main

import (
	"context"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// A library that logs through the standard logger (or slog's default)
	// writes to stderr past the sanitiser and the masker; what it says
	// matters is returned as an error, which is reported with both.
	log.SetOutput(io.Discard)
	os.Exit(run(interruptible(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// interruptible returns a context cancelled by the first SIGINT or SIGTERM:
// the gates stop, and the run ends with what it reached (exit 3 for the
// gates cut short). A second signal ends the process at once.
func interruptible() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		cancel()
	}()
	return ctx
}
