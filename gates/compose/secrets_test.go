package compose

import (
	"strings"
	"testing"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/google/go-cmp/cmp"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/testenv"
)

func TestEnvironmentSecretsRule(t *testing.T) {
	tok1, tok2, tok3, tok4 := testenv.GitHubToken(t), testenv.GitHubToken(t), testenv.GitHubToken(t), testenv.GitHubToken(t)
	compose := `x-env: &shared
  SHARED_TOKEN: ` + tok3 + `
services:
  api:
    image: nginx:1.27
    environment:
      LOG_LEVEL: info
      GITHUB_TOKEN: ` + tok1 + `
      FROM_ENV: ${FROM_ENV}
      WITH_DEFAULT: ${PORT:-8080}
      EMPTY:
  worker:
    image: nginx:1.27
    environment:
      - LOG_LEVEL=debug
      - DEPLOY_TOKEN=` + tok2 + `
      - PASSTHROUGH
      - REVIEWED=` + tok4 + ` # gitleaks:allow
  a:
    image: nginx:1.27
    environment: *shared
  b:
    image: nginx:1.27
    environment:
      <<: *shared
      OTHER: x
`
	dir := workspace(t, map[string]string{"compose.yaml": compose})
	// FROM_ENV holds a secret in the process environment: it is a
	// reference in the file, so it is neither scanned nor shown.
	fromEnv := testenv.GitHubToken(t)
	res := run(t, dir, "rules: {healthcheck: off, logging: off, depends-on-healthy: off}", map[string]string{"FROM_ENV": fromEnv})
	if res.Status != gates.StatusFail {
		t.Fatalf("status %s: %s %s", res.Status, res.Summary, res.Err)
	}
	want := []string{
		at(t, "compose.yaml", compose, tok3) + " environment-secrets", // once, though two services use it
		at(t, "compose.yaml", compose, tok1) + " environment-secrets",
		at(t, "compose.yaml", compose, "DEPLOY_TOKEN=") + " environment-secrets",
	}
	if diff := cmp.Diff(want, where(res.Findings)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if len(res.Findings) == 3 {
		testenv.MustContain(t, "message", res.Findings[1].Message, "services.api.environment.GITHUB_TOKEN is a literal secret (gitleaks rule github-pat)", "GITHUB_TOKEN: ${GITHUB_TOKEN}", "rotate")
		testenv.MustContain(t, "message", res.Findings[2].Message, "services.worker.environment.DEPLOY_TOKEN")
	}
	all := gatetest.Describe(res)
	for _, secret := range []string{tok1, tok2, tok3, tok4, fromEnv} {
		if strings.Contains(all, secret) || strings.Contains(all, secret[4:20]) {
			t.Errorf("a secret reached the report:\n%s", all)
		}
	}
}

// A secret in an override file, and one in a service of an inactive
// profile, are committed all the same.
func TestEnvironmentSecretsEveryFileAndProfile(t *testing.T) {
	tok1, tok2 := testenv.GitHubToken(t), testenv.GitHubToken(t)
	base := "services:\n  api:\n    image: nginx:1.27\n  debug:\n    image: nginx:1.27\n    profiles: [debug]\n    environment: {TOKEN: " + tok1 + "}\n"
	override := "services:\n  api:\n    environment:\n      TOKEN: " + tok2 + "\n"
	dir := workspace(t, map[string]string{"compose.yaml": base, "compose.override.yaml": override})
	res := run(t, dir, "profiles: []\nrules: {healthcheck: off, logging: off}", nil)
	want := []string{
		at(t, "compose.override.yaml", override, tok2) + " environment-secrets",
		at(t, "compose.yaml", base, tok1) + " environment-secrets",
	}
	if diff := cmp.Diff(want, where(res.Findings)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), "not checked, their profiles are not active: debug")
}
