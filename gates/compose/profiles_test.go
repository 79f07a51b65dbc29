package compose

import (
	"strings"
	"testing"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/gatetest"
	"github.com/release-gate/release-gate/internal/testenv"
)

// profilesProject reproduces the layout of docker's "Using profiles with
// Compose" guide: services without a profile always start, a frontend
// profile and a debug profile (phpmyadmin) that only starts when asked for.
// Here only backend is healthy; the others have no healthcheck, so which
// of them fail shows which profiles were active.
const profilesProject = `services:
  frontend:
    image: frontend
    logging: {driver: fluentd}
    profiles: [frontend]
  phpmyadmin:
    image: phpmyadmin
    logging: {driver: fluentd}
    profiles: [debug]
  backend:
    image: backend
    logging: {driver: fluentd}
    healthcheck: {test: ["CMD", "true"], interval: 10s, timeout: 5s, retries: 5, start_period: 30s}
`

func TestComposeProfilesIsHonouredAsDockerComposeDoes(t *testing.T) {
	cases := []struct {
		name    string
		dotenv  string // "" for no .env file
		environ map[string]string
		config  string
		// failing are the services reported without a healthcheck.
		failing []string
		note    string
	}{
		{name: "not set: every profile", failing: []string{"frontend", "phpmyadmin"}, note: "(every profile)"},
		{name: ".env names one", dotenv: "COMPOSE_PROFILES=frontend\n", failing: []string{"frontend"},
			note: "profiles: [frontend] (from COMPOSE_PROFILES in .env;"},
		{name: ".env names two, spaced as people write them", dotenv: "COMPOSE_PROFILES=\" frontend , debug\"\n", failing: []string{"frontend", "phpmyadmin"},
			note: "profiles: [frontend, debug] (from COMPOSE_PROFILES in .env;"},
		{name: "the environment wins over .env", dotenv: "COMPOSE_PROFILES=frontend\n", environ: map[string]string{"COMPOSE_PROFILES": "debug"},
			failing: []string{"phpmyadmin"}, note: "profiles: [debug] (from COMPOSE_PROFILES in the environment;"},
		{name: "the config wins over both", dotenv: "COMPOSE_PROFILES=frontend\n", environ: map[string]string{"COMPOSE_PROFILES": "debug"},
			config: "profiles: [frontend, debug]", failing: []string{"frontend", "phpmyadmin"}, note: "profiles: [frontend, debug])"},
		// A change cannot hide a service that has no profile: docker
		// compose starts it whatever COMPOSE_PROFILES says.
		{name: "a profile nobody uses", dotenv: "COMPOSE_PROFILES=nothing\n", failing: nil, note: "profiles: [nothing] (from COMPOSE_PROFILES in .env;"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{"compose.yaml": profilesProject}
			if c.dotenv != "" {
				files[".env"] = c.dotenv
			}
			res := run(t, workspace(t, files), c.config+"\nallowed-log-drivers: [fluentd]", c.environ)
			var failing []string
			for _, f := range res.Findings {
				if f.Rule == ruleHealthcheck {
					failing = append(failing, strings.Fields(f.Message)[1])
				}
			}
			want := gates.StatusPass
			if len(c.failing) > 0 {
				want = gates.StatusFail
			}
			if res.Status != want || strings.Join(failing, " ") != strings.Join(c.failing, " ") {
				t.Errorf("status %s, healthcheck findings for %q, want %s for %q\n%s", res.Status, failing, want, c.failing, gatetest.Describe(res))
			}
			testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), c.note)
		})
	}
}

func TestNoActiveServiceNamesWhereTheProfilesCameFrom(t *testing.T) {
	compose := "services:\n  tool:\n    image: tool\n    profiles: [tools]\n"
	res := run(t, workspace(t, map[string]string{"compose.yaml": compose, ".env": "COMPOSE_PROFILES=web\n"}), "", nil)
	if res.Status != gates.StatusError {
		t.Fatalf("status %s, want error\n%s", res.Status, gatetest.Describe(res))
	}
	testenv.MustContain(t, "error", res.Err, "none is active with profiles: [web] (from COMPOSE_PROFILES in .env; set profiles: in the config")
}
