package httpsafe

import (
	"strings"
	"testing"
)

func TestParseBaseURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://prom.example:9090/api/v1/rules":  "https://prom.example:9090",
		"https://prom.example/prometheus/api/v1/": "https://prom.example/prometheus",
		" http://am.example/ ":                    "http://am.example",
	} {
		u, err := ParseBaseURL(raw, "/api/v1/rules", "/api/v1")
		if err != nil || u.String() != want {
			t.Errorf("%q: %v %v, want %s", raw, u, err, want)
		}
	}
	for raw, wantErr := range map[string]string{
		"ftp://u:hunter2pass@h/":              "want an http:// or https:// URL",
		"https://u:hunter2pass@h/x?token=abc": "without ?query",
		"https://u:hunter2pass@/x":            "has no host",
		"https://u:hunter2%zz@h/":             "not a URL",
	} {
		_, err := ParseBaseURL(raw)
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%q: error %v, want %q", raw, err, wantErr)
			continue
		}
		if strings.Contains(err.Error(), "hunter2pass") || strings.Contains(err.Error(), "abc") {
			t.Errorf("%q: the error shows a secret: %v", raw, err)
		}
	}
}
