package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/internal/testenv"
)

type credsSection struct {
	RegistryCredentials `yaml:",inline"`
	Image               string `yaml:"image"`
}

func decodeCreds(t *testing.T, body string) (*Section, credsSection, error) {
	t.Helper()
	file := "version: 1\ngates:\n  g:\n"
	for _, l := range strings.Split(strings.Trim(body, "\n"), "\n") {
		file += "    " + l + "\n"
	}
	f, err := Parse("f.yml", []byte(file), Options{Gates: []string{"g"}, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	s := f.Section("g")
	var c credsSection
	err = s.Decode(&c)
	return s, c, err
}

// A credential written where a variable's name belongs is refused as it is
// decoded, at its position, and never repeated.
func TestEnvNameRefusesValuesWithoutPrintingThem(t *testing.T) {
	secret := "hunter2-" + strings.Repeat("x", 12) + "/+="
	_, _, err := decodeCreds(t, "username-env: 1USER\npassword-env: "+secret)
	if err == nil {
		t.Fatal("no error")
	}
	var list Errors
	if !errors.As(err, &list) || len(list) != 2 {
		t.Fatalf("want both keys reported at once, got %v", err)
	}
	if list[0].Line != 4 || list[1].Line != 5 || !strings.Contains(list[1].Msg, "password-env") {
		t.Errorf("positions: %v", err)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error repeats the value: %v", err)
	}
	_, c, err := decodeCreds(t, "username-env: REG_USER\npassword-env: REG_PASS")
	if err != nil || c.UsernameEnv != "REG_USER" || c.PasswordEnv != "REG_PASS" || !c.Set() {
		t.Errorf("valid names: %+v, %v", c, err)
	}
}

func TestRegistryCredentialsBothOrNeither(t *testing.T) {
	for body, key := range map[string]string{
		"username-env: U": "f.yml:4:19: gates.g.username-env: set both",
		"password-env: P": "f.yml:4:19: gates.g.password-env: set both",
	} {
		s, c, err := decodeCreds(t, body)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Check(s); err == nil || !strings.HasPrefix(err.Error(), key) {
			t.Errorf("%s: got %v, want %s…", body, err, key)
		}
	}
	s, c, _ := decodeCreds(t, "image: x")
	if err := c.Check(s); err != nil || c.Set() {
		t.Errorf("neither: %v", err)
	}
}

// Join keeps every error, in file order, and one error stays one.
func TestJoin(t *testing.T) {
	s, _, _ := decodeCreds(t, "image: x\nusername-env: U\npassword-env: P")
	a, b := s.Errorf("password-env", "b"), s.Errorf("image", "a")
	err := s.Join(nil, a, nil, b, errors.New("plain"))
	var list Errors
	if !errors.As(err, &list) || len(list) != 3 {
		t.Fatalf("got %v", err)
	}
	if list[0].Line != 0 || list[0].File != "f.yml" || list[1].Line != 4 || list[2].Line != 6 {
		t.Errorf("order: %v", err)
	}
	if s.Join() != nil || s.Join(nil) != nil {
		t.Error("no errors is nil")
	}
	if one := s.Join(a); one != a {
		t.Errorf("one error: %v", one)
	}
}

// Bracketed and dotted indexes find the same node; the message keeps the
// bracketed form the decoder prints.
func TestErrorfListIndexes(t *testing.T) {
	f, err := Parse("f.yml", []byte("version: 1\ngates:\n  g:\n    list:\n      - a\n      - b\n"), Options{Gates: []string{"g"}, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	sec := f.Section("g")
	e1, e2 := sec.Errorf("list[1]", "m"), sec.Errorf("list.1", "m")
	if !strings.HasPrefix(e1.Error(), "f.yml:6:9: gates.g.list[1]: m") || !strings.HasPrefix(e2.Error(), "f.yml:6:9:") {
		t.Errorf("got %v and %v", e1, e2)
	}
}

// A number of days that would overflow a duration is refused, not wrapped.
func TestParseDurationOverflow(t *testing.T) {
	for _, s := range []string{"9999999999d", "106752d", "106751d24h"} {
		if d, err := ParseDuration(s); err == nil {
			t.Errorf("ParseDuration(%q) = %v; want an error", s, d)
		}
	}
	if d, err := ParseDuration("106751d"); err != nil || d <= 0 {
		t.Errorf("106751d: %v, %v", d, err)
	}
}

// A credential written where a variable's name belongs is never shown in a
// message, even when it has the shape of a name (ghp_ and letters and
// digits is one); names people give variables are shown as written.
func TestShownEnvName(t *testing.T) {
	hex := "a" + strings.Repeat("0f3c9e", 7)
	for _, token := range []string{
		testenv.GitHubToken(t),
		testenv.AWSKey(t),
		"AKIAIOSFODNN7EXAMPLE", // AWS's documented example key id
		"sk_live_" + testenv.Random(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 24),
		"glsa_" + testenv.Random(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 32) + "_" + hex[:8],
		"github_pat_11" + testenv.Random(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 20) + "_" + testenv.Random(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 59),
		hex,                                      // a hex key that starts with a letter
		"xoxb-1234-5678-abcdefghijklmnop",        // not a name at all
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.x", // a JWT
		"QWxhZGRpbjpvcGVuIHNlc2FtZQ",             // base64, letters of both cases
		"AK" + "IAQYLPMNETBIZRJXWH",              // a key id of letters only (split: this file is scanned too)
		strings.Repeat("SECRET_", 10),            // longer than any name
	} {
		if !EnvNameLooksSecret(token) {
			t.Errorf("%s: taken for a variable's name", token)
		}
		if shown := ShownEnvName(token); strings.Contains(shown, token[:8]) || !strings.Contains(shown, "not shown") {
			t.Errorf("%s: shown as %q", token, shown)
		}
	}
	for _, name := range []string{
		"PROMETHEUS_TOKEN", "GITHUB_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "AWS_SECRET_ACCESS_KEY",
		"GOOGLE_APPLICATION_CREDENTIALS", "http_proxy", "GRAFANA_SERVICE_ACCOUNT_TOKEN",
		"DOCKERHUB_PASSWORD", "REG_PASS", "STAGING_AUTH", "FREEZE_CALENDAR_URL", "MIMIR_TENANT_2",
		"PROMREMOTEWRITEPASS", "prometheus_bearer_token", "CI_REGISTRY_PASSWORD", "_X", "A1",
	} {
		if EnvNameLooksSecret(name) || ShownEnvName(name) != name {
			t.Errorf("%s: not shown as a variable's name (%q)", name, ShownEnvName(name))
		}
	}
}
