package compose

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/google/go-cmp/cmp"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/testenv"
)

// A base file and its override form one project: a key written in the
// override is reported there; a missing key at the service's first
// definition.
func TestOverrideFilesMergeAndPositions(t *testing.T) {
	base := "services:\n  api:\n" + goodService + "  web:\n    image: nginx:1.27\n"
	override := `services:
  api:
    healthcheck:
      retries: 0
      disable: true
  web:
    logging: {driver: json-file, options: {max-size: 5m, max-file: "2"}}
  extra:
    image: nginx:1.27
`
	dir := workspace(t, map[string]string{"compose.yaml": base, "compose.override.yaml": override})
	res := run(t, dir, "", nil)
	want := []string{
		at(t, "compose.override.yaml", override, "disable: true") + " healthcheck",
		at(t, "compose.override.yaml", override, "extra:") + " healthcheck",
		at(t, "compose.override.yaml", override, "extra:") + " logging",
		at(t, "compose.yaml", base, "web:") + " healthcheck",
	}
	if diff := cmp.Diff(want, where(res.Findings)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), "compose.yaml + compose.override.yaml: 3 service(s) checked")
}

// Explicit projects merge in the order given; docker-compose.*.yml files
// that are not overrides by name are their own projects otherwise.
func TestExplicitProjects(t *testing.T) {
	base := "services:\n  api:\n    image: nginx:1.27\n"
	prod := "services:\n  api:\n" + strings.Replace(goodService, "    image: ghcr.io/org/api:1.2.3\n", "", 1)
	dir := workspace(t, map[string]string{"deploy/compose.yaml": base, "deploy/compose.prod.yaml": prod})

	res := run(t, dir, "projects: [[deploy/compose.yaml, deploy/compose.prod.yaml]]", nil)
	if res.Status != gates.StatusPass {
		t.Errorf("merged project: %s %v %s", res.Status, where(res.Findings), res.Err)
	}

	// As separate projects the production file lacks an image: the
	// loader refuses it and the gate says how to group the files.
	res = run(t, dir, "files: ['deploy/*.yaml']", nil)
	if res.Status != gates.StatusError {
		t.Fatalf("status %s, findings %v", res.Status, where(res.Findings))
	}
	testenv.MustContain(t, "error", res.Err, "deploy/compose.prod.yaml")
}

func TestExtendsAndIncludePositions(t *testing.T) {
	common := `services:
  base:
    image: nginx:1.27
    healthcheck:
      test: ["CMD", "true"]
      interval: 5s
    logging: {driver: json-file, options: {max-size: 5m, max-file: "2"}}
`
	included := `services:
  queue:
    image: rabbitmq:3
    logging: {driver: json-file, options: {max-size: 5m, max-file: "2"}}
`
	compose := `include:
  - infra/queue.yaml
services:
  api:
    extends: {file: common/base.yaml, service: base}
  worker:
    extends: api
`
	dir := workspace(t, map[string]string{"compose.yaml": compose, "common/base.yaml": common, "infra/queue.yaml": included})
	res := run(t, dir, "", nil)
	want := []string{
		at(t, "common/base.yaml", common, "healthcheck:") + " healthcheck", // api, inherited
		at(t, "common/base.yaml", common, "healthcheck:") + " healthcheck", // worker, through api
		at(t, "infra/queue.yaml", included, "queue:") + " healthcheck",
	}
	if diff := cmp.Diff(want, where(res.Findings)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if res.Status != gates.StatusFail {
		t.Errorf("status %s: %s", res.Status, res.Err)
	}
}

func TestProfiles(t *testing.T) {
	compose := "services:\n  api:\n" + goodService + "  debug:\n    image: nginx:1.27\n    profiles: [debug]\n  ops:\n    image: nginx:1.27\n    profiles: [ops]\n"
	dir := workspace(t, map[string]string{"compose.yaml": compose})
	cases := []struct {
		body string
		want []string // services with findings
	}{
		{"", []string{"debug", "ops"}},
		{"profiles: ['*']", []string{"debug", "ops"}},
		{"profiles: []", nil},
		{"profiles: [ops]", []string{"ops"}},
	}
	for _, c := range cases {
		res := run(t, dir, c.body, nil)
		var got []string
		for _, f := range res.Findings {
			name := strings.Fields(strings.TrimPrefix(strings.TrimPrefix(f.Message, "the healthcheck of "), "service "))[0]
			if !slices.Contains(got, name) {
				got = append(got, name)
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%q: findings for %v, want %v (%s)", c.body, got, c.want, res.Err)
		}
	}
}

// Interpolation follows docker compose: the process environment wins over
// .env; unset variables, even required ones, never stop the gate.
func TestInterpolation(t *testing.T) {
	compose := `name: ${PROJECT_NAME:?set the project name}
services:
  api:
    image: ghcr.io/org/api:${TAG:?set TAG}
    healthcheck:
      test: ["CMD", "true"]
      interval: ${HC_INTERVAL}
      timeout: 5s
      retries: 3
      start_period: 10s
    logging:
      driver: ${LOG_DRIVER:-json-file}
      options: {max-size: "${LOG_MAX_SIZE}", max-file: "3"}
`
	dotenv := "HC_INTERVAL=7s\nLOG_MAX_SIZE=1m\n"
	dir := workspace(t, map[string]string{"compose.yaml": compose, ".env": dotenv})
	res := run(t, dir, "", map[string]string{"LOG_DRIVER": "syslog"})
	if !slices.Equal(where(res.Findings), []string{at(t, "compose.yaml", compose, "driver: ${") + " logging"}) {
		t.Fatalf("status %s, findings %v, err %s", res.Status, where(res.Findings), res.Err)
	}
	notes := strings.Join(res.Notes, "\n")
	testenv.MustContain(t, "notes", notes, "not set where the gate runs", "PROJECT_NAME, TAG", "read from .env")

	// An invalid .env is an error that does not quote the file.
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("OK=1\nnot a line with secret-value-here\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res = run(t, dir, "", nil)
	if res.Status != gates.StatusError || strings.Contains(res.Err, "secret-value-here") {
		t.Errorf("status %s, error %q", res.Status, res.Err)
	}
	testenv.MustContain(t, "error", res.Err, ".env")
}

func TestDiscovery(t *testing.T) {
	good := "services:\n  api:\n" + goodService
	t.Run("no compose file", func(t *testing.T) {
		res := run(t, workspace(t, map[string]string{"README.md": "x"}), "", nil)
		if res.Status != gates.StatusError {
			t.Fatalf("status %s", res.Status)
		}
		testenv.MustContain(t, "error", res.Err, "no compose file in the workspace", "compose.yaml", "files:")
	})
	t.Run("pattern matches nothing", func(t *testing.T) {
		res := run(t, workspace(t, map[string]string{"compose.yaml": good}), "files: [compose.yaml, 'deploy/*.yml']", nil)
		if res.Status != gates.StatusError {
			t.Fatalf("status %s", res.Status)
		}
		testenv.MustContain(t, "error", res.Err, `"deploy/*.yml" matches no file`)
	})
	t.Run("override without base", func(t *testing.T) {
		res := run(t, workspace(t, map[string]string{"ops/compose.override.yml": good}), "files: ['**/compose*.yml']", nil)
		if res.Status != gates.StatusError {
			t.Fatalf("status %s", res.Status)
		}
		testenv.MustContain(t, "error", res.Err, "ops/compose.override.yml overrides ops/compose.yaml, which is not among the files checked", "projects:")
	})
	t.Run("several directories", func(t *testing.T) {
		dir := workspace(t, map[string]string{
			"svc/a/docker-compose.yml": good, "svc/a/docker-compose.override.yml": good,
			"svc/b/compose.yaml": good, "node_modules/x/compose.yaml": "not: [valid", ".git/compose.yaml": "x: [",
		})
		res := run(t, dir, "files: ['**/*compose*.y*ml']", nil)
		if res.Status != gates.StatusPass {
			t.Fatalf("status %s: %s", res.Status, res.Err)
		}
		testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), "svc/a/docker-compose.yml + svc/a/docker-compose.override.yml: 1 service(s)", "svc/b/compose.yaml: 1 service(s)")
		testenv.MustContain(t, "summary", res.Summary, "2 services in 2 compose projects")
	})
	t.Run("no service", func(t *testing.T) {
		res := run(t, workspace(t, map[string]string{"compose.yaml": "services: {}\n"}), "", nil)
		if res.Status != gates.StatusError {
			t.Fatalf("status %s", res.Status)
		}
		testenv.MustContain(t, "error", res.Err, "no service to check in 1 compose project: they define none")
		res = run(t, workspace(t, map[string]string{"compose.yaml": "services:\n  a: {image: x, profiles: [p]}\n"}), "profiles: []", nil)
		testenv.MustContain(t, "error", res.Err, "none is active with profiles: []")
	})
	t.Run("missing project file", func(t *testing.T) {
		res := run(t, workspace(t, map[string]string{"compose.yaml": good}), "projects: [[compose.yaml, compose.prod.yaml]]", nil)
		testenv.MustContain(t, "error", res.Err, "compose.prod.yaml does not exist")
	})
}

func TestGroupProjects(t *testing.T) {
	got, err := groupProjects([]string{
		"a/compose.override.yml", "a/compose.yaml", "b/docker-compose.override.yaml", "b/docker-compose.yml",
		"c/compose.yaml", "c/compose.yml", "c/compose.ci.yaml",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []projectFiles{
		{"a/compose.yaml", "a/compose.override.yml"},
		{"b/docker-compose.yml", "b/docker-compose.override.yaml"},
		{"c/compose.yaml"}, {"c/compose.yml"}, {"c/compose.ci.yaml"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, compose string
		want          []string // the error starts with the first
	}{
		{"yaml syntax", "services:\n  api:\n    image: x\n  bad: [\n", []string{"compose.yaml:4: invalid YAML"}},
		{"not a mapping", "- a\n- b\n", []string{"compose.yaml:1:1: a compose file is a mapping"}},
		{"wrong type", "services:\n  api:\n    image: x\n    healthcheck:\n      interval: 5\n", []string{"compose.yaml:5:7: services.api.healthcheck.interval must be a string", "loading compose project compose.yaml"}},
		{"unknown key", "services:\n  api:\n    image: x\n    helthcheck: {}\n", []string{"compose.yaml:4:5: services.api.helthcheck: unknown key"}},
		{"undefined dependency", "services:\n  api:\n    image: x\n    depends_on: [db]\n", []string{"compose.yaml:2:3: service \"api\" depends on undefined service \"db\""}},
		{"condition required", "services:\n  api:\n    image: x\n    depends_on:\n      db: {restart: true}\n  db:\n    image: y\n", []string{"compose.yaml:5:7: services.api.depends_on.db missing property 'condition'"}},
		{"bad duration", "services:\n  api:\n    image: x\n    healthcheck:\n      timeout: 5 minutes\n", []string{"compose.yaml:5:7:", "services.api.healthcheck.timeout", "5 minutes"}},
		{"missing extends file", "services:\n  api:\n    extends: {file: nope.yaml, service: base}\n", []string{"compose.yaml:3:21: open nope.yaml: no such file"}},
		{"missing include", "include: [nope.yaml]\nservices: {}\n", []string{"compose.yaml:1:11: open nope.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, workspace(t, map[string]string{"compose.yaml": tt.compose}), "", nil)
			if res.Status != gates.StatusError {
				t.Fatalf("status %s, findings %v", res.Status, where(res.Findings))
			}
			if !strings.HasPrefix(res.Err, tt.want[0]) {
				t.Errorf("error %q does not start with %q", res.Err, tt.want[0])
			}
			testenv.MustContain(t, "error", res.Err, tt.want[1:]...)
		})
	}
}

// One broken project makes the gate error, and the other's findings are
// still shown.
func TestBrokenProjectFailsClosed(t *testing.T) {
	dir := workspace(t, map[string]string{
		"a/compose.yaml": "services:\n  api:\n    image: nginx:1.27\n",
		"b/compose.yaml": "services: [\n",
	})
	res := run(t, dir, "files: ['*/compose.yaml']", nil)
	if res.Status != gates.StatusError || len(res.Findings) == 0 {
		t.Errorf("status %s, findings %v", res.Status, where(res.Findings))
	}
	testenv.MustContain(t, "error", res.Err, "b/compose.yaml:1")
}

func TestUnreadableFile(t *testing.T) {
	dir := workspace(t, nil)
	if err := os.Mkdir(filepath.Join(dir, "compose.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	res := run(t, dir, "projects: [[compose.yaml]]", nil)
	if res.Status != gates.StatusError {
		t.Fatalf("status %s", res.Status)
	}
	testenv.MustContain(t, "error", res.Err, "compose.yaml is not a regular file")

	// A file that exists but cannot be read (skipped as root, who reads
	// everything).
	if os.Geteuid() == 0 {
		return
	}
	dir = workspace(t, map[string]string{"compose.yaml": "services: {}\n"})
	if err := os.Chmod(filepath.Join(dir, "compose.yaml"), 0); err != nil {
		t.Fatal(err)
	}
	res = run(t, dir, "", nil)
	if res.Status != gates.StatusError {
		t.Fatalf("status %s", res.Status)
	}
	testenv.MustContain(t, "error", res.Err, "reading compose file compose.yaml", "permission denied")
}

func TestCancelledContext(t *testing.T) {
	dir := workspace(t, map[string]string{"compose.yaml": "services:\n  api:\n" + goodService})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := gatetest.Run(t, gateFor(t, ""), testEnv(dir, nil), gatetest.Options{Ctx: ctx})
	if res.Status != gates.StatusError {
		t.Errorf("status %s after cancel", res.Status)
	}
}

// Two projects that extend one shared file: a finding placed in the shared
// file is reported once.
func TestSharedFileFindingsOnce(t *testing.T) {
	common := "services:\n  base:\n    image: nginx:1.27\n    healthcheck: {test: [CMD, \"true\"]}\n    logging: {driver: local, options: {max-size: 1m, max-file: \"2\"}}\n"
	user := "services:\n  api:\n    extends: {file: ../common.yaml, service: base}\n"
	dir := workspace(t, map[string]string{"common.yaml": common, "a/compose.yaml": user, "b/compose.yaml": user})
	res := run(t, dir, "files: ['*/compose.yaml']", nil)
	want := []string{at(t, "common.yaml", common, "healthcheck:") + " healthcheck"}
	if diff := cmp.Diff(want, where(res.Findings)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestLibraryWarningsBecomeNotes(t *testing.T) {
	res := run(t, workspace(t, map[string]string{"compose.yaml": "version: \"3.8\"\nservices:\n  api:\n" + goodService}), "", nil)
	if res.Status != gates.StatusPass {
		t.Fatalf("status %s %v", res.Status, where(res.Findings))
	}
	want := "docker compose would warn: compose.yaml: the attribute `version` is obsolete"
	if !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.HasPrefix(n, want) }) {
		t.Errorf("notes %q lack %q", res.Notes, want)
	}
}
