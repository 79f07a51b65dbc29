package stagingdigest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/internal/configtest"
	"github.com/release-gate/release-gate/internal/testenv"
)

func TestConfigValid(t *testing.T) {
	g := gateFor(t, `
image: ghcr.io/org/api:abc123
staging: ghcr.io/org/api@sha256:`+strings.Repeat("a", 64)+`
platform: linux/arm64/v8
username-env: REG_USER
password-env: REG_PASS
staging-endpoint: {url: "https://staging.example.com/version", json-path: "$.image.digest"}
wait: {interval: 5s, timeout: 2m}
`)
	if g.image.String() != "ghcr.io/org/api:abc123" {
		t.Errorf("image %s", g.image)
	}
	if g.platform.String() != "linux/arm64/v8" {
		t.Errorf("platform %s", g.platform)
	}
	if strings.Join(g.jsonPath, "|") != "image|digest" {
		t.Errorf("json path %q", g.jsonPath)
	}
	if g.interval != 5*time.Second {
		t.Errorf("interval %s", g.interval)
	}
	if g.Name() != "staging-digest" || Definition().Name != Name || Definition().Checklist == "" {
		t.Errorf("definition: %+v", Definition())
	}
}

func TestConfigWaitIntervalDefaultsWithinTimeout(t *testing.T) {
	g := gateFor(t, `
image: ghcr.io/org/api:abc123
staging: ghcr.io/org/api:staging
staging-endpoint: {url: "http://staging.internal/version", json-path: digest}
wait: {timeout: 3s}
`)
	if g.interval != 3*time.Second {
		t.Errorf("interval %s, want the timeout when it is under the 10s default", g.interval)
	}
}

// Action inputs override the file through Section.Set; the gate reads them
// like any key.
func TestConfigInputsOverride(t *testing.T) {
	s := configtest.Section(t, Name, "image: ghcr.io/org/api:old\nstaging: ghcr.io/org/api:staging", nil)
	s.Set("image", "ghcr.io/org/api:new")
	s.Set("staging", "ghcr.io/org/api:validated")
	g, err := newGate(s)
	if err != nil {
		t.Fatal(err)
	}
	if g.image.String() != "ghcr.io/org/api:new" || g.staging.String() != "ghcr.io/org/api:validated" {
		t.Errorf("got %s and %s", g.image, g.staging)
	}

	// A section made by inputs alone.
	s = config.NewSection("(action inputs)", Name)
	s.Set("image", "ghcr.io/org/api:new")
	s.Set("staging", "ghcr.io/org/api:validated")
	if _, err := New(s); err != nil {
		t.Errorf("inputs alone: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	const img = "image: ghcr.io/org/api:v1\n"
	const stg = "staging: ghcr.io/org/api:staging\n"
	tests := []struct {
		name, body string
		want       []string // substrings of the error, the first is its position
	}{
		{"missing image", stg, []string{"release-gate.yml:4:5", `missing required key "image"`}},
		{"missing staging", img, []string{"release-gate.yml:4:5", `missing required key "staging"`}},
		{"empty image", "image: ''\n" + stg, []string{"release-gate.yml:4:12", "gates.staging-digest.image", "got nothing"}},
		{"no tag", "image: ghcr.io/org/api\n" + stg, []string{"release-gate.yml:4:12", "names no tag or digest", "never assumes :latest"}},
		{"implied registry", "image: nginx:1.25\n" + stg, []string{"release-gate.yml:4:12", "does not name its registry", "docker.io/library/nginx:1.25"}},
		{"implied library", img + "staging: docker.io/nginx@sha256:" + strings.Repeat("b", 64) + "\n", []string{"release-gate.yml:5:14", "docker.io/library/nginx@sha256:bbbb"}},
		{"not a reference", "image: 'ghcr.io/Org/API:v1'\n" + stg, []string{"release-gate.yml:4:12", "is not an image reference"}},
		{"bad platform", img + stg + "platform: amd64\n", []string{"release-gate.yml:6:15", "want os/arch"}},
		{"platform type", img + stg + "platform: [linux/amd64]\n", []string{"release-gate.yml:6:15", "want a string"}},
		{"insecure type", img + stg + "insecure: yes please\n", []string{"release-gate.yml:6:15", "want true or false"}},
		{"unknown key", img + stg + "platfrom: linux/amd64\n", []string{"release-gate.yml:6:5", `unknown key "platfrom"`, "platform"}},
		{"username without password", img + stg + "username-env: U\n", []string{"release-gate.yml:6:19", "set both username-env and password-env"}},
		{"password without username", img + stg + "password-env: P\n", []string{"release-gate.yml:6:19", "set both"}},
		{"credential in file", img + stg + "username-env: U\npassword-env: hunter2-is-my-password!\n", []string{"release-gate.yml:7:19", "not a variable name"}},
		{"endpoint scheme", img + stg + "staging-endpoint: {url: 'ftp://x/v', json-path: d}\n", []string{"release-gate.yml:6:29", "want an http:// or https:// URL"}},
		{"endpoint path", img + stg + "staging-endpoint: {url: 'https://x/v', json-path: 'a..b'}\n", []string{"release-gate.yml:6:55", "want a dotted path"}},
		{"endpoint missing path", img + stg + "staging-endpoint: {url: 'https://x/v'}\n", []string{"release-gate.yml:6:23", `missing required key "json-path"`}},
		{"wait without endpoint", img + stg + "wait: {timeout: 1m}\n", []string{"release-gate.yml:6:11", "set staging-endpoint too"}},
		{"wait interval", img + stg + "staging-endpoint: {url: 'https://x/v', json-path: d}\nwait: {interval: 2m, timeout: 1m}\n", []string{"release-gate.yml:7:22", "at most wait.timeout"}},
		{"wait timeout zero", img + stg + "staging-endpoint: {url: 'https://x/v', json-path: d}\nwait: {timeout: 0}\n", []string{"release-gate.yml:7:21", "must be positive"}},
		{"request-timeout negative", img + stg + "request-timeout: -5s\n", []string{"release-gate.yml:6:22", "request-timeout", "want a duration"}},
		{"wait past gate timeout", img + stg + "timeout: 1m\nstaging-endpoint: {url: 'https://x/v', json-path: d}\nwait: {timeout: 5m}\n", []string{"release-gate.yml:8:21", "not shorter than the gate's timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newGate(configtest.Section(t, Name, tt.body, nil))
			configtest.WantError(t, err, tt.want[0], tt.want[1:]...)
		})
	}
}

func TestParseJSONPath(t *testing.T) {
	good := map[string]string{
		"digest":              "digest",
		"build.digest":        "build|digest",
		"$.image.digest":      "image|digest",
		"$image.digest":       "image|digest",
		"images[0].digest":    "images|0|digest",
		"images.1.digest":     "images|1|digest",
		"a[1][2]":             "a|1|2",
		"  spaced.path.here ": "spaced|path|here",
	}
	for in, want := range good {
		got, err := parseJSONPath(in)
		if err != nil || strings.Join(got, "|") != want {
			t.Errorf("parseJSONPath(%q) = %q, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "$", "a..b", "a[", "a[x]", "a[-1]", "a[1]b", "a.*", "a['b']", "."} {
		if got, err := parseJSONPath(bad); err == nil {
			t.Errorf("parseJSONPath(%q) = %q, want an error", bad, got)
		}
	}
}

// The endpoint's URL is refused without showing the credentials a ${VAR}
// put into it (user info, query string): configuration errors are printed
// and annotated before anything is masked.
func TestConfigEndpointErrorHidesCredentials(t *testing.T) {
	secret := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 24)
	for _, url := range []string{
		"staging.example.com/version?token=${V}",     // no scheme
		"ftp://deploy:${V}@staging.example.com/v",    // wrong scheme
		"https://deploy:${V}@staging.example.com/v%", // unparsable
	} {
		body := "image: ghcr.io/org/api:v1\nstaging: ghcr.io/org/api:staging\nstaging-endpoint: {url: '" + url + "', json-path: d}\n"
		_, err := newGate(configtest.Section(t, Name, body, func(k string) string {
			if k == "V" {
				return secret
			}
			return ""
		}))
		if err == nil {
			t.Fatalf("no error for %s", url)
		}
		testenv.MustContain(t, "error", err.Error(), "release-gate.yml:6:29", "gates.staging-digest.staging-endpoint.url", "want an http:// or https:// URL")
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
}

// Every mistake in the section is reported at once, in file order, each at
// its own position.
func TestConfigErrorsAllAtOnce(t *testing.T) {
	body := "image: ghcr.io/org/api\nstaging: nginx:1.25\nplatform: amd64\nusername-env: U\nstaging-endpoint: {url: 'ftp://x/v', json-path: 'a..b'}\n"
	_, err := newGate(configtest.Section(t, Name, body, nil))
	var list config.Errors
	if !errors.As(err, &list) {
		t.Fatalf("got %T %v; want config.Errors", err, err)
	}
	want := []string{"4:12", "5:14", "6:15", "7:19", "8:29", "8:53"}
	var got []string
	for _, e := range list {
		got = append(got, fmt.Sprintf("%d:%d", e.Line, e.Col))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("positions %v, want %v:\n%v", got, want, err)
	}
}
