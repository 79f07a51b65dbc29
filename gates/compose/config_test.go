package compose

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/internal/configtest"
)

func TestConfigDefaults(t *testing.T) {
	g := gateFor(t, "")
	if !g.defaultFiles || !slices.Equal(g.files, DefaultFiles) {
		t.Errorf("files %v (default %v)", g.files, g.defaultFiles)
	}
	if g.profiles != nil {
		t.Errorf("profiles %v, want none from the config (COMPOSE_PROFILES, else every profile)", g.profiles)
	}
	for _, r := range []string{ruleHealthcheck, ruleDependsOnHealthy, ruleLogging, ruleEnvironmentSecrets} {
		if g.levels[r] != LevelError {
			t.Errorf("rule %s is %q by default, want error", r, g.levels[r])
		}
	}
	d := Definition()
	if d.Name != "compose" || d.Checklist == "" || g.Name() != d.Name {
		t.Errorf("definition %+v", d)
	}
}

func TestConfigValid(t *testing.T) {
	g := gateFor(t, `
files: ["compose.yaml", "deploy/**/*.yml"]
projects:
  - [ops/compose.yaml, ops/compose.prod.yaml]
profiles: []
rules: {healthcheck: warn, logging: off, depends-on-healthy: error}
allow-no-healthcheck: [migrate, adminer]
allowed-log-drivers: [fluentd, awslogs, grafana/loki-docker-driver:2.9.2]
`)
	if !slices.Equal(g.files, []string{"compose.yaml", "deploy/**/*.yml"}) || g.defaultFiles {
		t.Errorf("files %v", g.files)
	}
	if len(g.profiles) != 0 || g.profiles == nil {
		t.Errorf("profiles %#v, want an explicit empty list", g.profiles)
	}
	want := map[string]Level{ruleHealthcheck: LevelWarn, ruleLogging: LevelOff, ruleDependsOnHealthy: LevelError, ruleEnvironmentSecrets: LevelError}
	for r, l := range want {
		if g.levels[r] != l {
			t.Errorf("rule %s: %q, want %q", r, g.levels[r], l)
		}
	}
	if !slices.Equal([]string(g.cfg.AllowedLogDrivers), []string{"fluentd", "awslogs", "grafana/loki-docker-driver:2.9.2"}) {
		t.Errorf("drivers %v", g.cfg.AllowedLogDrivers)
	}

	// Projects alone: no default files are added.
	g = gateFor(t, "projects: [[a/compose.yaml]]")
	if len(g.files) != 0 {
		t.Errorf("files %v, want none besides the project", g.files)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string // the position first, then substrings
	}{
		{"unknown rule", "rules: {healthchecks: warn}\n", []string{"release-gate.yml:4:13", `unknown key "healthchecks"`, `did you mean "healthcheck"`}},
		{"bad level", "rules: {logging: block}\n", []string{"release-gate.yml:4:22", "want off, warn or error", `"block"`}},
		{"level not scalar", "rules: {logging: [warn]}\n", []string{"release-gate.yml:4:22", "want off, warn or error"}},
		{"all off", "rules: {healthcheck: off, logging: off, depends-on-healthy: off, environment-secrets: off}\n", []string{"release-gate.yml:4:12", "every rule is off"}},
		{"json-file allowed", "allowed-log-drivers: [fluentd, json-file]\n", []string{"release-gate.yml:4:36", "json-file is always checked"}},
		{"bad driver", "allowed-log-drivers: 'Fluent D'\n", []string{"release-gate.yml:4:26", "not a logging driver name"}},
		{"bad service name", "allow-no-healthcheck:\n  - migrate\n  - 'my service'\n", []string{"release-gate.yml:6:9", `"my service" is not a compose service name`}},
		{"bad profile", "profiles: [prod, '-x']\n", []string{"release-gate.yml:4:22", "not a compose profile name"}},
		{"absolute file", "files: /srv/compose.yaml\n", []string{"release-gate.yml:4:12", "not relative to the workspace"}},
		{"leaving file", "files: [compose.yaml, ../other/compose.yaml]\n", []string{"release-gate.yml:4:27", "leaves the workspace"}},
		{"bad glob", "files: ['deploy/[a-.yml']\n", []string{"release-gate.yml:4:13", "not a valid pattern"}},
		{"trailing **", "files: ['deploy/**']\n", []string{"release-gate.yml:4:13", "ends in **"}},
		{"empty files", "files: []\n", []string{"release-gate.yml:4:12", "names no file"}},
		{"empty project", "projects: [[]]\n", []string{"release-gate.yml:4:16", "merge order"}},
		{"project leaves", "projects: [[a.yml, /b.yml]]\n", []string{"release-gate.yml:4:24", "not relative"}},
		{"file in two projects", "projects:\n  - [a/compose.yaml]\n  - [b/compose.yaml, ./a/compose.yaml]\n", []string{"release-gate.yml:6:26", "already listed in projects[0]"}},
		{"unknown key", "file: compose.yaml\n", []string{"release-gate.yml:4:5", `unknown key "file"`, `did you mean "files"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newGate(configtest.Section(t, Name, tt.body, nil))
			configtest.WantError(t, err, tt.want[0], tt.want[1:]...)
		})
	}
}

func TestLevelOffAsYAMLBool(t *testing.T) {
	// Unquoted off may reach the decoder as a boolean false.
	g := gateFor(t, "rules: {logging: off, healthcheck: OFF}\n")
	if g.levels[ruleLogging] != LevelOff || g.levels[ruleHealthcheck] != LevelOff {
		t.Errorf("levels %v", g.levels)
	}
}

// Every mistake in the section is reported at once, in file order.
func TestConfigErrorsAllAtOnce(t *testing.T) {
	body := "projects:\n  - []\n  - [a.yaml, ./a.yaml]\nrules: {healthcheck: off, depends-on-healthy: off, logging: off, environment-secrets: off}\n"
	_, err := newGate(configtest.Section(t, Name, body, nil))
	var list config.Errors
	if !errors.As(err, &list) {
		t.Fatalf("got %T %v; want config.Errors", err, err)
	}
	var keys []string
	for _, e := range list {
		keys = append(keys, strings.SplitN(strings.TrimPrefix(e.Msg, "gates.compose."), ":", 2)[0])
	}
	if want := "projects[0] projects[1][1] rules"; strings.Join(keys, " ") != want {
		t.Errorf("keys %q, want %q:\n%v", keys, want, err)
	}
}
