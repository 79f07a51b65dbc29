package compose

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/testenv"
)

// outsideFiles makes, outside any workspace, a compose file and a .env
// file whose values compose-go would quote in an error, and a FIFO. It
// returns the secret they hold and their paths by kind: yaml, env, fifo.
func outsideFiles(t *testing.T) (secret string, paths map[string]string) {
	t.Helper()
	dir := t.TempDir()
	secret = testenv.Random(t, "abcdefghijklmnopqrstuvwxyz", 32)
	files := map[string]string{
		// compose-go quotes a value it cannot parse as a number.
		"yaml": "services:\n  api:\n    image: x\n    cpus: " + secret + "\n",
		"env":  "DEPLOY_KEY=" + secret + "\n",
	}
	paths = map[string]string{}
	for kind, content := range files {
		p := filepath.Join(dir, "secret."+kind)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		paths[kind] = p
	}
	paths["fifo"] = filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(paths["fifo"], 0o644); err != nil {
		t.Fatal(err)
	}
	paths["zero"] = "/dev/zero"
	return secret, paths
}

// runWithin runs the gate, ending it after timeout.
func runWithin(t *testing.T, dir, body string, environ map[string]string, timeout time.Duration) gates.Result {
	t.Helper()
	return gatetest.Run(t, gateFor(t, body), testEnv(dir, environ), gatetest.Options{Timeout: timeout})
}

// Every file compose would read is the change's: a compose file, a .env,
// an included or extended file that is a symbolic link to the runner's
// files, to a device or to a FIFO makes the gate end with an error naming
// it, and nothing of the file is shown.
func TestFilesLeadingOutOfTheWorkspace(t *testing.T) {
	secret, outside := outsideFiles(t)
	good := "services:\n  api:\n" + goodService
	cases := []struct {
		name  string
		files map[string]string // the workspace, besides the link
		link  string            // the file that is a link
		kind  string            // what the link's target holds: yaml or env
		body  string
	}{
		{"compose file", nil, "compose.yaml", "yaml", ""},
		{"explicit project", map[string]string{"deploy/compose.yaml": good}, "deploy/compose.prod.yaml", "yaml", "projects: [[deploy/compose.yaml, deploy/compose.prod.yaml]]"},
		{"override", map[string]string{"compose.yaml": good}, "compose.override.yaml", "yaml", ""},
		{"dotenv", map[string]string{"compose.yaml": "services:\n  api:\n    image: x\n    cpus: ${DEPLOY_KEY}\n"}, ".env", "env", ""},
		{"include", map[string]string{"compose.yaml": "include: [infra/queue.yaml]\n" + good}, "infra/queue.yaml", "yaml", ""},
		{"include entry", map[string]string{"compose.yaml": "include:\n  - path: [infra/queue.yaml]\n" + good}, "infra/queue.yaml", "yaml", ""},
		{"include's .env", map[string]string{"compose.yaml": "include: [infra/queue.yaml]\n" + good, "infra/queue.yaml": "services:\n  q:\n    image: x\n    cpus: ${DEPLOY_KEY}\n"}, "infra/.env", "env", ""},
		{"nested include", map[string]string{"compose.yaml": "include: [infra/queue.yaml]\n" + good, "infra/queue.yaml": "include: [more/db.yaml]\nservices: {}\n"}, "infra/more/db.yaml", "yaml", ""},
		{"extends", map[string]string{"compose.yaml": "services:\n  api:\n    extends: {file: common/base.yaml, service: api}\n"}, "common/base.yaml", "yaml", ""},
		{"extends in an extended file", map[string]string{
			"compose.yaml":     "services:\n  api:\n    extends: {file: common/base.yaml, service: api}\n",
			"common/base.yaml": "services:\n  api:\n    extends: {file: deeper.yaml, service: api}\n",
		}, "common/deeper.yaml", "yaml", ""},
		{"extends in an included file", map[string]string{
			"compose.yaml":     "include: [infra/queue.yaml]\n" + good,
			"infra/queue.yaml": "services:\n  q:\n    extends: {file: base.yaml, service: api}\n",
		}, "infra/base.yaml", "yaml", ""},
	}
	for _, c := range cases {
		for _, target := range []string{"absolute", "relative", "zero", "fifo"} {
			t.Run(c.name+"/"+target, func(t *testing.T) {
				dir := workspace(t, c.files)
				to := outside[c.kind]
				switch target {
				case "relative":
					rel, err := filepath.Rel(filepath.Dir(filepath.Join(dir, c.link)), to)
					if err != nil {
						t.Fatal(err)
					}
					to = rel
				case "zero", "fifo":
					to = outside[target]
				}
				full := filepath.Join(dir, filepath.FromSlash(c.link))
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(to, full); err != nil {
					t.Fatal(err)
				}
				res := runWithin(t, dir, c.body, nil, 20*time.Second)
				if res.Status != gates.StatusError {
					t.Fatalf("status %s, want error: %s", res.Status, gatetest.Describe(res))
				}
				testenv.MustContain(t, "error", res.Err, c.link, "leads out of the workspace")
				if out := gatetest.Describe(res); strings.Contains(out, secret) {
					t.Errorf("the file outside the workspace is quoted:\n%s", out)
				}
			})
		}
	}
}

// A path that climbs out of the workspace or is absolute names a file of
// the machine, whatever it is: an error naming where it is written.
func TestPathsLeadingOutOfTheWorkspace(t *testing.T) {
	secret, outside := outsideFiles(t)
	up := strings.Repeat("../", 40) + strings.TrimPrefix(outside["yaml"], "/")
	good := "services:\n  api:\n" + goodService
	for name, compose := range map[string]string{
		"include absolute":   "include: [" + outside["yaml"] + "]\n" + good,
		"include relative":   "include: [" + up + "]\n" + good,
		"include fifo":       "include: [" + outside["fifo"] + "]\n" + good,
		"include variable":   "include: [\"${INCLUDED}\"]\n" + good,
		"extends absolute":   "services:\n  api:\n    extends: {file: " + outside["yaml"] + ", service: api}\n",
		"extends relative":   "services:\n  api:\n    extends: {file: " + up + ", service: api}\n",
		"extends zero":       "services:\n  api:\n    extends: {file: /dev/zero, service: api}\n",
		"project directory":  "include:\n  - path: infra/queue.yaml\n    project_directory: " + filepath.Dir(outside["env"]) + "\n" + good,
		"project dir climbs": "include:\n  - path: infra/queue.yaml\n    project_directory: " + strings.Repeat("../", 40) + "\n" + good,
	} {
		t.Run(name, func(t *testing.T) {
			dir := workspace(t, map[string]string{"compose.yaml": compose, "infra/queue.yaml": "services:\n  q:\n    image: x\n    cpus: ${DEPLOY_KEY:-1}\n"})
			res := runWithin(t, dir, "", map[string]string{"INCLUDED": outside["yaml"]}, 20*time.Second)
			if res.Status != gates.StatusError {
				t.Fatalf("status %s, want error: %s", res.Status, gatetest.Describe(res))
			}
			if out := gatetest.Describe(res); strings.Contains(out, secret) {
				t.Errorf("the file outside the workspace is quoted:\n%s", out)
			}
			testenv.MustContain(t, "error", res.Err, "compose.yaml:")
			if !strings.Contains(res.Err, "leads out of the workspace") && !strings.Contains(res.Err, "project_directory") {
				t.Errorf("the error does not say the path leads out of the workspace: %s", res.Err)
			}
		})
	}
}

// An include's env_file is not read, as a service's is not: variables it
// would set are unset.
func TestIncludeEnvFileNotRead(t *testing.T) {
	secret, outside := outsideFiles(t)
	for _, target := range []string{outside["env"], outside["fifo"], "/dev/zero", "infra/vars.env"} {
		dir := workspace(t, map[string]string{
			"compose.yaml":     "include:\n  - path: infra/queue.yaml\n    env_file: " + target + "\nservices:\n  api:\n" + goodService,
			"infra/queue.yaml": "services:\n  q:\n" + strings.Replace(goodService, "ghcr.io/org/api:1.2.3", "queue:${DEPLOY_KEY:-latest}", 1),
			"infra/vars.env":   "DEPLOY_KEY=" + secret + "\n",
		})
		res := runWithin(t, dir, "", nil, 20*time.Second)
		if res.Status != gates.StatusPass {
			t.Errorf("env_file %s: status %s: %s", target, res.Status, gatetest.Describe(res))
		}
		if out := gatetest.Describe(res); strings.Contains(out, secret) {
			t.Errorf("env_file %s was read:\n%s", target, out)
		}
	}
}

// Links inside the workspace are followed, and a path that climbs up and
// stays inside the workspace is fine. Relative paths resolve from where the
// project file is named, not where a link to it points, as docker compose
// resolves them.
func TestLinksInsideTheWorkspace(t *testing.T) {
	dir := workspace(t, map[string]string{
		"deploy/compose.yaml": "include: [../shared/queue.yaml]\nservices:\n  api:\n    extends: {file: ../shared/base.yaml, service: api}\n",
		"deploy/root.yaml":    "include: [shared/queue.yaml]\nservices:\n  api:\n    extends: {file: shared/base.yaml, service: api}\n",
		"shared/queue.yaml":   "services:\n  q:\n" + goodService,
		"shared/base.yaml":    "services:\n  api:\n" + goodService,
	})
	if err := os.Symlink("deploy/root.yaml", filepath.Join(dir, "compose.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("deploy", filepath.Join(dir, "linked")); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"", "files: [linked/compose.yaml]", "files: [deploy/compose.yaml]"} {
		res := run(t, dir, body, nil)
		if res.Status != gates.StatusPass {
			t.Errorf("%q: status %s: %s", body, res.Status, gatetest.Describe(res))
		}
	}
}

// Should the gate's own reading of a project miss a path compose-go
// follows (a construct it parses differently), the loader still cannot
// leave the sandbox: absolute paths and paths climbing out of it are
// refused, an include's env_file is not read and its project_directory is
// refused. This loads files the gate's reading would refuse, as they are.
func TestSandboxHoldsWhatTheGateMissed(t *testing.T) {
	secret, outside := outsideFiles(t)
	up := strings.Repeat("../", sandboxDepth+1) + strings.TrimPrefix(outside["yaml"], "/")
	queue := "services:\n  q:\n    image: x:${DEPLOY_KEY:-1}\n"
	for name, c := range map[string]struct {
		compose, want string
	}{
		"include absolute":  {"include: [" + outside["yaml"] + "]\nservices: {}\n", "leads out of the workspace"},
		"include climbs":    {"include: [" + up + "]\nservices: {}\n", "leads out of the workspace"},
		"include fifo":      {"include: [" + outside["fifo"] + "]\nservices: {}\n", "leads out of the workspace"},
		"extends absolute":  {"services:\n  api:\n    extends: {file: " + outside["yaml"] + ", service: api}\n", "leads out of the workspace"},
		"extends climbs":    {"services:\n  api:\n    extends: {file: " + up + ", service: api}\n", "leads out of the workspace"},
		"extends zero":      {"services:\n  api:\n    extends: {file: /dev/zero, service: api}\n", "leads out of the workspace"},
		"project directory": {"include:\n  - path: q.yaml\n    project_directory: " + filepath.Dir(outside["env"]) + "\nservices: {}\n", "project_directory is not supported"},
		"env_file":          {"include:\n  - path: q.yaml\n    env_file: [" + outside["env"] + ", " + outside["fifo"] + ", /dev/zero]\nservices: {}\n", ""},
	} {
		t.Run(name, func(t *testing.T) {
			sb, src := sandboxed(t, map[string]string{"compose.yaml": c.compose, "q.yaml": queue})
			done := make(chan struct{})
			var (
				model any
				err   error
			)
			go func() {
				defer close(done)
				model, _, err = loadSandboxed(t.Context(), sb, src, projectFiles{"compose.yaml"}, nil, []string{"*"})
			}()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("the loader is still reading")
			}
			if c.want == "" {
				if err != nil || strings.Contains(fmt.Sprint(model), secret) {
					t.Errorf("err %v; model %v", err, model)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error quotes the file: %v", err)
			}
		})
	}
}

// compose-go merges every YAML document of a file; the gate reads files
// as one document (its positions, the environment secrets it scans), so a
// second document would be loaded but not read: refused.
func TestSecondYAMLDocumentRefused(t *testing.T) {
	key := testenv.AWSKey(t)
	compose := "services:\n  api:\n" + goodService + "---\nservices:\n  api:\n    environment:\n      AWS_ACCESS_KEY_ID: " + key + "\n"
	res := run(t, workspace(t, map[string]string{"compose.yaml": compose}), "", nil)
	if res.Status != gates.StatusError {
		t.Fatalf("status %s, want error: %s", res.Status, gatetest.Describe(res))
	}
	testenv.MustContain(t, "error", res.Err, "compose.yaml:14:", "second YAML document")
	if strings.Contains(gatetest.Describe(res), key) {
		t.Errorf("the key is shown: %s", gatetest.Describe(res))
	}
}
