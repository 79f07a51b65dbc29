package alertpresence

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/testenv"
)

// matcher is a silence matcher as the Alertmanager API takes it.
func matcher(name, op, value string) map[string]any {
	return map[string]any{"name": name, "value": value, "isRegex": strings.Contains(op, "~"), "isEqual": !strings.HasPrefix(op, "!")}
}

// TestSilencesAsAlertmanagerMutes: the gate calls a rule silenced exactly
// when the real Alertmanager mutes the rule's alert. Each case is a rule
// (alert CaseN, labelled case=N) and a silence of case="N" plus the
// matchers under test; the rule's alert, with exactly the rule's labels (its
// expression adds none), is posted to the Alertmanager, and /api/v2/alerts
// says which alerts it mutes.
func TestSilencesAsAlertmanagerMutes(t *testing.T) {
	cases := []struct {
		name     string
		matchers []map[string]any
		partly   bool // the gate warns that some series may be muted
	}{
		{name: "alertname", matchers: []map[string]any{matcher("alertname", "=", "Case0")}},
		{name: "absent label equals empty", matchers: []map[string]any{matcher("foo", "=", "")}},
		{name: "absent label not matching .+", matchers: []map[string]any{matcher("foo", "!~", ".+")}},
		{name: "absent label not equal", matchers: []map[string]any{matcher("foo", "!=", "x")}},
		{name: "absent label, regex accepting empty", matchers: []map[string]any{matcher("foo", "=~", "x|")}},
		{name: "present label not equal", matchers: []map[string]any{matcher("team", "!=", "api")}},
		{name: "series label", matchers: []map[string]any{matcher("instance", "=", "host-1")}, partly: true},
		{name: "regex on a present label", matchers: []map[string]any{matcher("severity", "=~", "page|critical")}},
		{name: "regex refusing a present label", matchers: []map[string]any{matcher("team", "=~", "web.*")}},
		{name: "present label equals empty", matchers: []map[string]any{matcher("severity", "=", "")}},
		{name: "absent label matching .+", matchers: []map[string]any{matcher("foo", "=~", ".+")}, partly: true},
		{name: "negative regex on a present label", matchers: []map[string]any{matcher("team", "!~", "a.*")}},
	}
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: cases\n    rules:\n")
	var alerts []map[string]any
	for i := range cases {
		name := fmt.Sprintf("Case%d", i)
		lbls := map[string]string{"case": fmt.Sprint(i), "team": "api", "severity": "page", overrideLabel: "cpu"}
		fmt.Fprintf(&rules, "      - alert: %s\n        expr: vector(1) > 0\n        labels: {case: '%d', team: api, severity: page, %s: cpu}\n", name, i, overrideLabel)
		posted := map[string]string{"alertname": name}
		for k, v := range lbls {
			posted[k] = v
		}
		alerts = append(alerts, map[string]any{"labels": posted,
			"startsAt": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
			"endsAt":   time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	}
	ws := workspace(t, map[string]string{"rules.yml": rules.String()})

	am := startAlertmanager(t, testAlertmanagerConfig)
	for i, tc := range cases {
		createSilence(t, am, tc.name, append([]map[string]any{matcher("case", "=", fmt.Sprint(i))}, tc.matchers...)...)
	}
	body, _ := json.Marshal(alerts)
	resp, err := http.Post(am.URL+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("posting alerts: %s", resp.Status)
	}

	// The ground truth: which alerts the Alertmanager mutes.
	var muted []string
	poll(t, "the posted alerts", func() bool {
		var got []struct {
			Labels map[string]string `json:"labels"`
			Status struct {
				SilencedBy []string `json:"silencedBy"`
			} `json:"status"`
		}
		if !getJSON(am.URL+"/api/v2/alerts", &got) || len(got) != len(cases) {
			return false
		}
		muted = nil
		for _, a := range got {
			if len(a.Status.SilencedBy) > 0 {
				muted = append(muted, a.Labels["alertname"])
			}
		}
		return true
	})
	sort.Strings(muted)

	res := runGate(t, "files: rules.yml\nrequire: cpu\nalertmanager: "+am.URL, testEnv(ws, nil))
	var silenced, partly []string
	for _, f := range findingsOf(res, ruleSilenced) {
		silenced = append(silenced, strings.Fields(f.Message)[0])
	}
	for _, f := range findingsOf(res, rulePartlySilenced) {
		partly = append(partly, strings.Fields(f.Message)[0])
	}
	sort.Strings(silenced)
	if strings.Join(silenced, " ") != strings.Join(muted, " ") {
		t.Errorf("the gate calls silenced %v; the Alertmanager mutes %v\n%s", silenced, muted, dump(res))
	}
	var wantPartly []string
	for i, tc := range cases {
		if tc.partly {
			wantPartly = append(wantPartly, fmt.Sprintf("Case%d", i))
		}
	}
	sort.Strings(partly)
	sort.Strings(wantPartly)
	if strings.Join(partly, " ") != strings.Join(wantPartly, " ") {
		t.Errorf("partly silenced: got %v, want %v", partly, wantPartly)
	}
	if len(muted) < 6 {
		t.Errorf("the Alertmanager mutes only %v: the cases do not test what they mean to", muted)
	}
}

// TestSilenceClockDisagreement: a silence the Alertmanager calls active
// but which starts later than this machine's clock allows is an error
// naming the silence and both times, not a verdict either way.
func TestSilenceClockDisagreement(t *testing.T) {
	ws := workspace(t, map[string]string{"r.yml": apiRulesFile})
	am := startAlertmanager(t, testAlertmanagerConfig)
	id := createSilence(t, am, "maintenance", matcher("alertname", "=", "ApiHighCPU"))
	env := testEnv(ws, nil)
	behind := time.Now().Add(-time.Hour)
	env.Now = func() time.Time { return behind }
	res := runGate(t, "files: r.yml\nrequire: cpu\nalertmanager: "+am.URL, env)
	wantStatus(t, res, gates.StatusError)
	testenv.MustContain(t, "error", res.Err, "silence "+id+" is active, yet it starts at", "by this machine's clock ("+behind.UTC().Format(time.RFC3339)+")", "check the clocks")

	// With the clock right, the same silence is a finding.
	res = runGate(t, "files: r.yml\nrequire: cpu\nalertmanager: "+am.URL, testEnv(ws, nil))
	wantStatus(t, res, gates.StatusFail)
	if len(findingsOf(res, ruleSilenced)) != 1 {
		t.Errorf("want one silenced finding\n%s", dump(res))
	}
}
