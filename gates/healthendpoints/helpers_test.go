package healthendpoints

import (
	"net/http"
	"testing"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/configtest"
)

func gateFor(t testing.TB, body string) *Gate {
	t.Helper()
	g, err := newGate(configtest.Section(t, Name, body, nil))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g
}

// testEnv is what the gate sees: a fresh transport like the CLI's, and
// environ as the process environment.
func testEnv(environ map[string]string) gates.Env {
	return gates.Env{
		HTTPClient: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()},
		Getenv:     func(k string) string { return environ[k] },
	}
}

// run runs the gate the way users see it.
func run(t testing.TB, body string, environ map[string]string) gates.Result {
	t.Helper()
	return gatetest.Run(t, gateFor(t, body), testEnv(environ))
}
