// Package configtest builds gate configuration sections for tests, the way
// users write them: in a release-gate.yml file, so errors carry real
// positions.
package configtest

import (
	"strings"
	"testing"

	"github.com/release-gate/release-gate/config"
)

// FileName is the name the sections' file has in messages.
const FileName = "release-gate.yml"

// File wraps body (the gate's keys, unindented) as the gate's section of a
// configuration file. The body starts at line 4, column 5.
func File(gate, body string) string {
	var b strings.Builder
	b.WriteString("version: 1\ngates:\n  " + gate + ":\n")
	for _, line := range strings.Split(strings.Trim(body, "\n"), "\n") {
		if line != "" {
			b.WriteString("    " + line)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Section parses File(gate, body) and returns the gate's section; ${VAR}
// resolves through getenv (nil: every variable unset).
func Section(t testing.TB, gate, body string, getenv func(string) string) *config.Section {
	t.Helper()
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	f, err := config.Parse(FileName, []byte(File(gate, body)), config.Options{Gates: []string{gate}, Getenv: getenv})
	if err != nil {
		t.Fatalf("parsing the configuration: %v", err)
	}
	return f.Section(gate)
}

// WantError checks that err is a configuration error at pos ("file:line:col")
// whose message holds every one of wants.
func WantError(t testing.TB, err error, pos string, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one at %s", pos)
	}
	if !strings.HasPrefix(err.Error(), pos+":") {
		t.Errorf("error %q is not at %s", err, pos)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}
