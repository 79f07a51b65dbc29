package compose

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

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
	// It concerns both services, each declared in its own file.
	if len(res.Findings) == 1 && !slices.Equal(res.Findings[0].Within, []string{"a/compose.yaml", "b/compose.yaml"}) {
		t.Errorf("within %v", res.Findings[0].Within)
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

// ladder is a compose file of n diamonds in a row: s0 depends on a0 and
// b0, which both depend on s1, and so on to sn; every service is sound.
func ladder(n int) string {
	var b strings.Builder
	b.WriteString("services:\n")
	svc := func(name string, deps ...string) {
		fmt.Fprintf(&b, "  %s:\n    image: nginx:1.27\n    healthcheck: {test: [CMD, /bin/true], interval: 10s, timeout: 5s, retries: 3, start_period: 5s}\n    logging: {driver: json-file, options: {max-size: \"10m\", max-file: \"3\"}}\n", name)
		if len(deps) > 0 {
			b.WriteString("    depends_on:\n")
			for _, d := range deps {
				fmt.Fprintf(&b, "      %s: {condition: service_healthy}\n", d)
			}
		}
	}
	for i := range n {
		svc(fmt.Sprintf("s%d", i), fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i))
		svc(fmt.Sprintf("a%d", i), fmt.Sprintf("s%d", i+1))
		svc(fmt.Sprintf("b%d", i), fmt.Sprintf("s%d", i+1))
	}
	svc(fmt.Sprintf("s%d", n))
	return b.String()
}

// compose-go's search for a depends_on cycle walks every path: a project
// where that would not end in reasonable time is an error at once, saying
// why, and a smaller one is loaded, and checked, as before.
func TestDependsOnPathsBounded(t *testing.T) {
	res := run(t, workspace(t, map[string]string{"compose.yaml": ladder(20)}), "", nil)
	if res.Status != gates.StatusError {
		t.Fatalf("20 diamonds: status %s, findings %v", res.Status, where(res.Findings))
	}
	testenv.MustContain(t, "error", res.Err, "61 services form too many paths", "docker compose would not finish loading it")
	if res := run(t, workspace(t, map[string]string{"compose.yaml": ladder(8)}), "", nil); res.Status != gates.StatusPass {
		t.Errorf("8 diamonds: status %s, error %q, findings %v", res.Status, res.Err, where(res.Findings))
	}
	cycle := "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n"
	res = run(t, workspace(t, map[string]string{"compose.yaml": cycle}), "", nil)
	if res.Status != gates.StatusError {
		t.Fatalf("a cycle: status %s", res.Status)
	}
	testenv.MustContain(t, "error", res.Err, "dependency cycle detected")
}

// cycleSearchSteps counts what compose-go's search does: every path from
// every service, each step comparing with the path so far, to the first
// cycle.
func TestCycleSearchSteps(t *testing.T) {
	project := func(deps map[string][]string) *types.Project {
		p := &types.Project{Services: types.Services{}}
		for name, ds := range deps {
			s := types.ServiceConfig{Name: name, WorkloadSpec: types.WorkloadSpec{DependsOn: types.DependsOnConfig{}}}
			for _, d := range ds {
				s.DependsOn[d] = types.ServiceDependency{Condition: types.ServiceConditionStarted, Required: true}
			}
			p.Services[name] = s
		}
		return p
	}
	diamonds := func(n int) map[string][]string {
		deps := map[string][]string{fmt.Sprintf("s%d", n): nil}
		for i := range n {
			deps[fmt.Sprintf("s%d", i)] = []string{fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i)}
			deps[fmt.Sprintf("a%d", i)] = []string{fmt.Sprintf("s%d", i+1)}
			deps[fmt.Sprintf("b%d", i)] = []string{fmt.Sprintf("s%d", i+1)}
		}
		return deps
	}
	chain := map[string][]string{}
	for i := range 300 {
		chain[fmt.Sprintf("s%03d", i)] = []string{fmt.Sprintf("s%03d", i+1)}
	}
	chain["s300"] = nil
	for _, c := range []struct {
		name  string
		deps  map[string][]string
		limit int
		want  int
	}{
		// From a: a→b (2), b→a (3) is on the path: the search stops.
		{"cycle", map[string][]string{"a": {"b"}, "b": {"a"}}, 100, 5},
		// A missing service is no step (the consistency check names it).
		{"unknown", map[string][]string{"a": {"b", "nope"}, "b": nil}, 100, 2},
		// Counted by summing over the path lengths (a dynamic program).
		{"14 diamonds", diamonds(14), 1 << 30, 6291716},
		{"chain of 301", chain, 1 << 30, 4590250},
	} {
		if got := cycleSearchSteps(project(c.deps), c.limit); got != c.want {
			t.Errorf("%s: %d steps, want %d", c.name, got, c.want)
		}
	}
	// The count stops at the first step past the limit: one path's length.
	if got := cycleSearchSteps(project(diamonds(30)), 1000); got <= 1000 || got > 1000+2*30+2 {
		t.Errorf("30 diamonds, limit 1000: %d steps", got)
	}
}

// loadWhole is loadSandboxed as one call of the loader, with its
// consistency check: what loadSandboxed must return for any project whose
// cycle search is cheap.
func loadWhole(ctx context.Context, sb *sandbox, src *sourceSet, pf projectFiles, environment types.Mapping, profiles []string) (*types.Project, error) {
	files := make([]types.ConfigFile, len(pf))
	for i, rel := range pf {
		files[i] = types.ConfigFile{Filename: sb.path(rel), Content: src.byRel[rel].data}
	}
	details := types.ConfigDetails{WorkingDir: sb.path(path.Dir(pf[0])), ConfigFiles: files, Environment: environment}
	return loader.LoadWithContext(ctx, details, loaderOptions(sb, &unsetRecorder{}, profiles))
}

// Loading the model once and making the project from it twice (without,
// then with, the consistency check) gives the project, or the error, one
// call of the loader gives: with profiles, extends, include, overrides,
// interpolation, and the consistency check's own errors.
func TestLoadSandboxedAsOneLoad(t *testing.T) {
	base := "services:\n  base:\n    image: nginx:${TAG:-1.27}\n    healthcheck: {test: [CMD, /bin/true], interval: 5s}\n"
	for name, c := range map[string]struct {
		files    map[string]string
		pf       projectFiles
		profiles []string
		env      types.Mapping
	}{
		"profiles and depends_on": {files: map[string]string{"compose.yaml": "services:\n  api:\n    image: x:${TAG}\n    depends_on: {db: {condition: service_healthy}, cache: {condition: service_started, required: false}}\n  db:\n    image: postgres:16\n  cache:\n    image: redis\n    profiles: [full]\n"}, pf: projectFiles{"compose.yaml"}, profiles: []string{"*"}, env: types.Mapping{"TAG": "2"}},
		"a profile off":           {files: map[string]string{"compose.yaml": "services:\n  api:\n    image: x\n    depends_on: {cache: {condition: service_started, required: false}}\n  cache:\n    image: redis\n    profiles: [full]\n"}, pf: projectFiles{"compose.yaml"}, profiles: []string{"other"}},
		"extends and include":     {files: map[string]string{"compose.yaml": "include: [inc.yaml]\nservices:\n  api:\n    extends: {file: base.yaml, service: base}\n    environment:\n      A: ${A:-x}\n", "base.yaml": base, "inc.yaml": "services:\n  worker:\n    image: w\n    depends_on: [api]\n"}, pf: projectFiles{"compose.yaml"}, profiles: []string{"*"}},
		"override":                {files: map[string]string{"compose.yaml": base, "compose.override.yaml": "services:\n  base:\n    image: y\n    ports: ['8080:80']\n"}, pf: projectFiles{"compose.yaml", "compose.override.yaml"}, profiles: []string{"*"}},
		"undefined dependency":    {files: map[string]string{"compose.yaml": "services:\n  api:\n    image: x\n    depends_on: [db]\n"}, pf: projectFiles{"compose.yaml"}, profiles: []string{"*"}},
		"cycle":                   {files: map[string]string{"compose.yaml": "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n"}, pf: projectFiles{"compose.yaml"}, profiles: []string{"*"}},
		"no image":                {files: map[string]string{"compose.yaml": "services:\n  a:\n    restart: always\n"}, pf: projectFiles{"compose.yaml"}, profiles: []string{"*"}},
	} {
		t.Run(name, func(t *testing.T) {
			sb, src := sandboxed(t, c.files)
			want, wantErr := loadWhole(t.Context(), sb, src, c.pf, maps.Clone(c.env), c.profiles)
			got, _, err := loadSandboxed(t.Context(), sb, src, c.pf, maps.Clone(c.env), c.profiles)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("error %v, one load gives %v", err, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("project\n%+v\none load gives\n%+v", got, want)
			}
			if wantErr == nil && len(got.Services) == 0 {
				t.Error("no services")
			}
		})
	}
}

// key finds, for every key, what pairs lists first for it: explicit keys
// before merged ones (<<: *a and <<: [*a, *b], nested), the first of
// duplicates, and nothing for a key no mapping has.
func TestKeyAsPairs(t *testing.T) {
	doc := `
base: &base {image: a, tag: "1", only-base: x}
more: &more {tag: "2", only-more: y, <<: *base}
svc:
  image: explicit
  <<: [*more, *base]
  dup: first
  dup: second
alias: *more
`
	f, err := parseYAMLFile("x.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"base", "more", "svc", "alias"} {
		_, node := key(f.root, m)
		ps := pairs(node)
		for _, k := range []string{"image", "tag", "only-base", "only-more", "dup", "missing"} {
			var wantK, wantV *yaml.Node
			for _, p := range ps {
				if p[0].Value == k {
					wantK, wantV = p[0], p[1]
					break
				}
			}
			if gotK, gotV := key(node, k); gotK != wantK || gotV != wantV {
				t.Errorf("%s.%s: key gives %v, pairs %v", m, k, gotV, wantV)
			}
		}
	}
	if _, v := key(f.root, "svc"); v == nil {
		t.Fatal("no svc")
	} else if _, tag := key(v, "tag"); tag == nil || tag.Value != "2" {
		t.Errorf("svc.tag = %v, want the first merged mapping's 2", tag)
	}
}
