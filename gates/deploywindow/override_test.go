package deploywindow

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/gatetest"
)

const frozenNow = "2026-12-22T10:00:00Z" // inside the year-end freeze below

// eventFile writes a GitHub event payload and returns its path.
func eventFile(t *testing.T, payload any) string {
	t.Helper()
	data, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, t.TempDir(), "event.json", data)
}

func prEvent(action, sender string, labels ...string) map[string]any {
	var ls []map[string]string
	for _, l := range labels {
		ls = append(ls, map[string]string{"name": l})
	}
	ev := map[string]any{"action": action, "pull_request": map[string]any{"labels": ls}, "sender": map[string]string{"login": sender}}
	if action == "labeled" && len(labels) > 0 {
		ev["label"] = map[string]string{"name": labels[len(labels)-1]}
	}
	return ev
}

func TestOverrideThroughVariable(t *testing.T) {
	body := "zone: Europe/Berlin\nfreezes: [\"2026-12-20 .. 2027-01-04: year-end freeze\"]\noverride:\n  env: RELEASE_GATE_OVERRIDE\n"
	// Not asked for: the freeze holds, and says how to override.
	r := runAt(t, body, frozenNow, nil)
	gatetest.Want(t, r, gates.StatusFail, []string{RuleFrozen}, "to deploy anyway, set RELEASE_GATE_OVERRIDE to the reason")

	// Asked for: a pass, recorded as a warning and in the summary. The
	// reason is someone's text: one line, no workflow command.
	vars := map[string]string{"RELEASE_GATE_OVERRIDE": "hotfix for the checkout outage\n::error::forged", "GITHUB_ACTOR": "alice"}
	r = runAt(t, body, frozenNow, vars)
	gatetest.Want(t, r, gates.StatusPass, []string{RuleFreezeOverridden},
		"summary: OVERRIDDEN: freeze year-end freeze overridden by alice through RELEASE_GATE_OVERRIDE: hotfix for the checkout outage ::error::forged",
		"note: freeze year-end freeze overridden by alice")
	if r.Findings[0].Severity != gates.SeverityWarning {
		t.Errorf("an override is a %s finding; want a warning", r.Findings[0].Severity)
	}
	gatetest.WantNot(t, r, "\n::error")

	// A whitespace-only value asks for nothing.
	r = runAt(t, body, frozenNow, map[string]string{"RELEASE_GATE_OVERRIDE": "  \n "})
	gatetest.Want(t, r, gates.StatusFail, []string{RuleFrozen})
}

func TestOverrideActors(t *testing.T) {
	body := "zone: Europe/Berlin\nfreezes: [\"2026-12-20 .. 2027-01-04: year-end freeze\"]\noverride:\n  env: RELEASE_GATE_OVERRIDE\n  actors: [alice, bob]\n"
	r := runAt(t, body, frozenNow, map[string]string{"RELEASE_GATE_OVERRIDE": "please", "GITHUB_ACTOR": "mallory"})
	gatetest.Want(t, r, gates.StatusFail, []string{RuleFrozen}, `override refused: RELEASE_GATE_OVERRIDE asks for an override, but the run's actor "mallory" is not one of override.actors`)
	r = runAt(t, body, frozenNow, map[string]string{"RELEASE_GATE_OVERRIDE": "incident 42", "GITHUB_ACTOR": "Bob"})
	gatetest.Want(t, r, gates.StatusPass, []string{RuleFreezeOverridden}, "overridden by Bob through RELEASE_GATE_OVERRIDE, reason: incident 42")
}

func TestOverrideThroughLabel(t *testing.T) {
	body := "zone: Europe/Berlin\nfreezes:\n  - dates: 2026-12-20 .. 2027-01-04\n    reason: year-end freeze\n    override:\n      label: deploy-during-freeze\n"
	run := func(payload any, vars map[string]string) gates.Result {
		if vars == nil {
			vars = map[string]string{}
		}
		vars["GITHUB_EVENT_PATH"] = eventFile(t, payload)
		return runAt(t, body, frozenNow, vars)
	}
	gatetest.Want(t, run(prEvent("synchronize", "carol", "bug"), nil), gates.StatusFail, []string{RuleFrozen}, "add the label deploy-during-freeze")
	r := run(prEvent("synchronize", "carol", "bug", "deploy-during-freeze"), map[string]string{"GITHUB_ACTOR": "carol"})
	gatetest.Want(t, r, gates.StatusPass, []string{RuleFreezeOverridden}, "OVERRIDDEN", "through label deploy-during-freeze")
	// A variable override does not apply to a freeze whose own override
	// names only a label.
	r = runAt(t, body, frozenNow, map[string]string{"RELEASE_GATE_OVERRIDE": "x"})
	gatetest.Want(t, r, gates.StatusFail, []string{RuleFrozen})

	// A label that only looks like it (control characters, a workflow
	// command) is not the label, and is never shown raw.
	r = run(prEvent("synchronize", "carol", "deploy-during-freeze\n::error::x", "deploy\u202eduring-freeze"), nil)
	gatetest.Want(t, r, gates.StatusFail, []string{RuleFrozen})
	gatetest.WantNot(t, r, "::error::x", "\u202e")

	// A payload that cannot be read is an error, not "no label".
	vars := map[string]string{"GITHUB_EVENT_PATH": writeFile(t, t.TempDir(), "event.json", []byte("{not json"))}
	gatetest.Want(t, runAt(t, body, frozenNow, vars), gates.StatusError, nil, "reading the event payload for override labels")
	vars = map[string]string{"GITHUB_EVENT_PATH": filepath.Join(t.TempDir(), "missing.json")}
	gatetest.Want(t, runAt(t, body, frozenNow, vars), gates.StatusError, nil, "reading the event payload")
	huge := writeFile(t, t.TempDir(), "event.json", []byte(`{"pull_request":{"body":"`+strings.Repeat("a", maxEventBytes)+`"}}`))
	gatetest.Want(t, runAt(t, body, frozenNow, map[string]string{"GITHUB_EVENT_PATH": huge}), gates.StatusError, nil, "too large")
}

func TestLabelOverrideWithActors(t *testing.T) {
	body := "zone: Europe/Berlin\nfreezes: [\"2026-12-20 .. 2027-01-04: year-end freeze\"]\noverride:\n  label: deploy-during-freeze\n  actors: [alice]\n"
	run := func(payload any) gates.Result {
		return runAt(t, body, frozenNow, map[string]string{"GITHUB_EVENT_PATH": eventFile(t, payload), "GITHUB_ACTOR": "mallory"})
	}
	// Who added the label is unknown on a synchronize event: refused.
	gatetest.Want(t, run(prEvent("synchronize", "alice", "deploy-during-freeze")), gates.StatusFail, []string{RuleFrozen}, "override refused", "known only on the labeled event")
	// Labelled by alice: granted, and recorded as hers.
	gatetest.Want(t, run(prEvent("labeled", "alice", "deploy-during-freeze")), gates.StatusPass, []string{RuleFreezeOverridden}, "overridden by alice through label deploy-during-freeze")
	// Labelled by someone else.
	gatetest.Want(t, run(prEvent("labeled", "mallory", "deploy-during-freeze")), gates.StatusFail, []string{RuleFrozen}, "override refused")
}

func TestWindowOverride(t *testing.T) {
	body := "windows: [\"mon-thu 09:00-16:00 Europe/Berlin\"]\noverride:\n  env: RELEASE_GATE_OVERRIDE\n"
	r := runAt(t, body, "2026-11-28T10:00:00Z", map[string]string{"RELEASE_GATE_OVERRIDE": "weekend migration, approved in CHG-7", "GITHUB_ACTOR": "alice"})
	gatetest.Want(t, r, gates.StatusPass, []string{RuleWindowOverridden}, "OVERRIDDEN: deploy window overridden by alice", "CHG-7", "the next window opens Mon 2026-11-30 09:00 CET (08:00 UTC)")
	// No override configured: the variable is ignored.
	r = runAt(t, "windows: [\"mon-thu 09:00-16:00 Europe/Berlin\"]\n", "2026-11-28T10:00:00Z", map[string]string{"RELEASE_GATE_OVERRIDE": "please"})
	gatetest.Want(t, r, gates.StatusFail, []string{RuleOutsideWindow}, "it cannot be overridden")
}
