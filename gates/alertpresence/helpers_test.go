package alertpresence

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/configtest"
)

// newGate builds the gate from the YAML body of its section.
func newGate(t testing.TB, section string) *Gate {
	t.Helper()
	g, err := parseGate(t, section)
	if err != nil {
		t.Fatalf("configuring the gate: %v\n%s", err, section)
	}
	return g
}

func parseGate(t testing.TB, section string) (*Gate, error) {
	t.Helper()
	g, err := Definition().New(configtest.Section(t, Name, section, nil))
	if err != nil {
		return nil, err
	}
	return g.(*Gate), nil
}

// testEnv is an environment with the real clock and HTTP client.
func testEnv(workspace string, vars map[string]string) gates.Env {
	return gates.Env{
		Workspace:  workspace,
		Now:        time.Now,
		HTTPClient: &http.Client{Timeout: 30 * time.Second},
		Getenv:     func(k string) string { return vars[k] },
	}
}

// runGate runs the gate as the runner does and returns what users see.
func runGate(t testing.TB, section string, env gates.Env) gates.Result {
	t.Helper()
	g := newGate(t, section)
	res := (&gates.Runner{Timeout: time.Minute}).Run(context.Background(), env, []gates.Job{{Gate: g}})
	return res[0]
}

// findingsOf returns the findings with the rule id, formatted.
func findingsOf(res gates.Result, rule string) []gates.Finding {
	var out []gates.Finding
	for _, f := range res.Findings {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

// dump formats a result for failure messages.
func dump(res gates.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status %s, summary %q", res.Status, res.Summary)
	if res.Err != "" {
		fmt.Fprintf(&b, "\nerror: %s", res.Err)
	}
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "\nfinding %s %s %s: %s", f.Severity, f.Rule, f.Pos, f.Message)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(&b, "\nnote: %s", n)
	}
	return b.String()
}

// wantStatus fails the test unless the result has the status.
func wantStatus(t testing.TB, res gates.Result, want gates.Status) {
	t.Helper()
	if res.Status != want {
		t.Fatalf("status %s, want %s\n%s", res.Status, want, dump(res))
	}
}

// wantRules checks the error findings' rule ids, in any order.
func wantErrorRules(t testing.TB, res gates.Result, want ...string) {
	t.Helper()
	var got []string
	for _, f := range res.Findings {
		if f.Severity == gates.SeverityError {
			got = append(got, f.Rule)
		}
	}
	if strings.Join(sortedCopy(got), ",") != strings.Join(sortedCopy(want), ",") {
		t.Errorf("error findings %v, want %v\n%s", got, want, dump(res))
	}
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func hasNote(res gates.Result, substr string) bool {
	for _, n := range res.Notes {
		if strings.Contains(n, substr) {
			return true
		}
	}
	return false
}
