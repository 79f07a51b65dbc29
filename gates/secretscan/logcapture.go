package secretscan

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"

	"github.com/rs/zerolog"
	"github.com/zricethezav/gitleaks/v8/logging"
)

// gitleaks reports trouble only by logging it: a git error that stops a
// history scan early, a file it could not read. Its scans still return no
// error. To fail closed, its log is captured: every error-level event is
// a scan error, warnings become notes. Debug and trace events, which carry
// secret values, are never produced.

// scanLog collects what gitleaks logged during one scan.
type scanLog struct {
	mu       sync.Mutex
	errors   []string
	warnings []string
}

func (l *scanLog) add(level, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch level {
	case "error", "fatal", "panic":
		l.errors = append(l.errors, msg)
	case "warn":
		l.warnings = append(l.warnings, msg)
	}
}

func (l *scanLog) snapshot() (errs, warns []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.errors...), append([]string(nil), l.warnings...)
}

// logRouter receives gitleaks' process-wide log and hands each event to
// every scan in progress. (gitleaks has one global logger; a scan cannot
// tell its own events from another's, so a failure in one concurrent scan
// fails them all, which is the safe direction.)
type logRouter struct {
	mu     sync.Mutex
	active map[*scanLog]int
}

var router = &logRouter{active: map[*scanLog]int{}}

var installLogger sync.Once

// capture routes gitleaks' log into l until the returned function is called.
func capture(l *scanLog) (stop func()) {
	installLogger.Do(func() {
		logging.Logger = zerolog.New(router).Level(zerolog.WarnLevel)
	})
	router.mu.Lock()
	router.active[l]++
	router.mu.Unlock()
	return func() {
		router.mu.Lock()
		if router.active[l]--; router.active[l] <= 0 {
			delete(router.active, l)
		}
		router.mu.Unlock()
	}
}

// Write receives one JSON log event.
func (r *logRouter) Write(p []byte) (int, error) {
	var ev map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(p), &ev); err != nil {
		return len(p), nil
	}
	level, _ := ev["level"].(string)
	msg := describeEvent(ev)
	if benign(msg) {
		return len(p), nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for l := range r.active {
		l.add(level, msg)
	}
	return len(p), nil
}

// describeEvent renders a log event as one line: message, path and error.
func describeEvent(ev map[string]any) string {
	msg, _ := ev["message"].(string)
	var parts []string
	if msg != "" {
		parts = append(parts, msg)
	}
	for _, key := range []string{"path", "error"} {
		if v, ok := ev[key].(string); ok && v != "" {
			parts = append(parts, key+": "+v)
		}
	}
	return strings.Join(parts, "; ")
}

// benign are warnings git prints on big histories that do not affect what
// is scanned.
func benign(msg string) bool {
	for _, s := range []string{
		"rename detection was skipped",
		"diff.renameLimit",
		"git help gc",
		"Auto packing the repository",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
