package alertpresence

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/gatetest"
	"github.com/release-gate/release-gate/internal/testenv"
)

// everything is every piece of text a result shows, labels included.
func everything(res gates.Result) string {
	b, _ := json.Marshal(res)
	return gatetest.Describe(res) + "\n" + string(b)
}

// TestServerTextRedacted: what a server says is shown without the secrets
// gitleaks' default rules find in it, and without a URL's password, in
// findings, labels, notes, the summary and errors, while the verdict and
// the rest of the message stay. Servers say such things: an evaluation
// error quoting a remote-write URL and its credentials, a warning quoting
// a store's configuration, an error status quoting a query.
func TestServerTextRedacted(t *testing.T) {
	key := testenv.AWSKey(t)
	leak := "aws_access_key_id = " + key
	rules := func(lastError string, warnings ...string) string {
		now := time.Now().Add(-time.Second).UTC().Format(time.RFC3339Nano)
		rule := map[string]any{"name": "HighCPU", "type": "alerting", "query": "up == 0", "health": "err", "lastError": lastError,
			"lastEvaluation": now, "labels": map[string]string{overrideLabel: "cpu"}}
		b, _ := json.Marshal(map[string]any{"status": "success", "warnings": warnings,
			"data": map[string]any{"groups": []map[string]any{{"name": "g", "file": "g.yml", "interval": 30, "lastEvaluation": now, "rules": []any{rule}}}}})
		return string(b)
	}
	t.Run("finding, note and summary", func(t *testing.T) {
		url := fakeServer(t, map[string]http.HandlerFunc{
			"/api/v1/rules": answer(200, "application/json", rules("remote write to https://ops:hunter2-pw@hooks.example.com/x failed: "+leak, "store unavailable: "+leak)),
		})
		res := runGate(t, "prometheus: "+url+"\nactive-alertmanager: false\nrequire: cpu", testEnv("", nil))
		wantStatus(t, res, gates.StatusFail)
		fs := findingsOf(res, ruleUnhealthy)
		if len(fs) != 1 || !strings.Contains(fs[0].Message, "failed: aws_access_key_id = ***") {
			t.Fatalf("the unhealthy rule is not reported with its error redacted:\n%s", dump(res))
		}
		if !hasNote(res, "warned: store unavailable: aws_access_key_id = ***") {
			t.Errorf("the warning is not shown redacted:\n%s", dump(res))
		}
		all := everything(res)
		for _, s := range []string{key, "hunter2-pw"} {
			if strings.Contains(all, s) {
				t.Errorf("the result shows %q:\n%s", s, all)
			}
		}
		if !strings.Contains(all, "https://ops:***@hooks.example.com/x") {
			t.Errorf("the URL is not shown with its password cut:\n%s", all)
		}
	})
	t.Run("error", func(t *testing.T) {
		url := fakeServer(t, map[string]http.HandlerFunc{
			"/api/v1/rules": answer(200, "application/json", `{"status":"error","errorType":"bad_data","error":"cannot read `+leak+`"}`),
		})
		res := runGate(t, "prometheus: "+url+"\nactive-alertmanager: false\nrequire: cpu", testEnv("", nil))
		wantStatus(t, res, gates.StatusError)
		if strings.Contains(everything(res), key) || !strings.Contains(res.Err, `(bad_data): cannot read aws_access_key_id = ***`) {
			t.Errorf("error %q", res.Err)
		}
	})
}

// TestSilenceCommentRedacted: a silence's comment is free text anyone
// with access to the Alertmanager may paste a token into; the rule is
// still reported silenced, with the silence's id, without the token.
func TestSilenceCommentRedacted(t *testing.T) {
	ws := workspace(t, map[string]string{"r.yml": apiRulesFile})
	am := startAlertmanager(t, testAlertmanagerConfig)
	token := testenv.GitHubToken(t)
	id := createSilence(t, am, "muted while rotating "+token, matcher("alertname", "=", "ApiHighCPU"))
	res := runGate(t, "files: r.yml\nrequire: cpu\nalertmanager: "+am.URL, testEnv(ws, nil))
	wantStatus(t, res, gates.StatusFail)
	fs := findingsOf(res, ruleSilenced)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, id) || !strings.Contains(fs[0].Message, "muted while rotating ***") {
		t.Fatalf("the silence is not reported with its comment redacted:\n%s", dump(res))
	}
	if all := everything(res); strings.Contains(all, token) {
		t.Errorf("the result shows the token:\n%s", all)
	}
}
