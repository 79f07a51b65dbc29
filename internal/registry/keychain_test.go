package registry

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/registry/registrytest"
	"github.com/release-gate/release-gate/internal/testenv"
)

// resolveAuth runs the gate's keychain for repo and returns the credentials
// it found and the secrets it masked.
func resolveAuth(t *testing.T, env gates.Env, cfg envVars, repo string) (*authn.AuthConfig, *credentials, *gates.Masker) {
	t.Helper()
	m := &gates.Masker{}
	var (
		ac    *authn.AuthConfig
		creds *credentials
	)
	// Run inside the runner so that env.Mask reaches the masker.
	g := funcGate(func(ctx context.Context, env *gates.Env) ([]gates.Finding, error) {
		var err error
		creds, err = newCredentials(env, cfg.user, cfg.pass)
		if err != nil {
			return nil, err
		}
		r, err := name.NewRepository(repo)
		if err != nil {
			return nil, err
		}
		a, err := authn.Resolve(ctx, creds.keychain(), r)
		if err != nil {
			return nil, err
		}
		ac, err = authn.Authorization(ctx, a)
		return nil, err
	})
	res := gatetest.Run(t, g, env, gatetest.Options{Masker: m})
	if res.Status != gates.StatusPass {
		t.Fatalf("resolving credentials: %s", gatetest.Describe(res))
	}
	return ac, creds, m
}

// envVars names the username-env and password-env variables, as a gate's
// config would.
type envVars struct{ user, pass string }

type funcGate func(ctx context.Context, env *gates.Env) ([]gates.Finding, error)

func (f funcGate) Name() string { return "keychain" }
func (f funcGate) Run(ctx context.Context, env *gates.Env) ([]gates.Finding, error) {
	return f(ctx, env)
}

func TestGHCRToken(t *testing.T) {
	token := "ghs_" + strings.Repeat("T", 36)
	env := registrytest.Env(nil, map[string]string{"GITHUB_ACTOR": "octocat"})
	env.Token = token

	ac, creds, m := resolveAuth(t, env, envVars{}, "ghcr.io/org/api")
	if ac.Username != "octocat" || ac.Password != token {
		t.Errorf("ghcr.io credentials: user %q, password set %v", ac.Username, ac.Password == token)
	}
	if m.Redact(token) != "***" {
		t.Error("the token was not masked")
	}
	testenv.MustContain(t, "source", creds.describe("ghcr.io"), "the GitHub token", `"octocat"`)

	// Any non-empty user name works with GHCR; without GITHUB_ACTOR one is made up.
	env.Getenv = func(string) string { return "" }
	if ac, _, _ := resolveAuth(t, env, envVars{}, "ghcr.io/org/api"); ac.Username == "" || ac.Password != token {
		t.Errorf("without GITHUB_ACTOR: %+v", ac.Username)
	}

	// The token is for ghcr.io only.
	if ac, _, _ := resolveAuth(t, env, envVars{}, "registry.example.com/org/api"); *ac != (authn.AuthConfig{}) {
		t.Errorf("the GitHub token went to another registry")
	}

	// username-env/password-env come first.
	env.Getenv = func(k string) string { return map[string]string{"U": "me", "P": "pat-" + strings.Repeat("p", 10)}[k] }
	ac, creds, _ = resolveAuth(t, env, envVars{user: "U", pass: "P"}, "ghcr.io/org/api")
	if ac.Username != "me" || !strings.HasPrefix(ac.Password, "pat-") {
		t.Errorf("username-env/password-env did not win: %q", ac.Username)
	}
	testenv.MustContain(t, "source", creds.describe("ghcr.io"), "username-env/password-env (U, P)")
}

func TestDockerHubKeys(t *testing.T) {
	auth := base64.StdEncoding.EncodeToString([]byte("hubuser:hub-" + strings.Repeat("h", 10)))
	dir := t.TempDir()
	registrytest.WriteDockerConfig(t, dir, `{"auths": {"https://index.docker.io/v1/": {"auth": "`+auth+`"}}}`)
	env := registrytest.Env(nil, map[string]string{"DOCKER_CONFIG": dir})
	for _, repo := range []string{"docker.io/library/nginx", "index.docker.io/org/api"} {
		ac, creds, _ := resolveAuth(t, env, envVars{}, repo)
		if ac.Username != "hubuser" {
			t.Errorf("%s: Docker Hub's config key not found: %+v", repo, ac.Username)
		}
		testenv.MustContain(t, "source", creds.describe("index.docker.io"), `auths entry "https://index.docker.io/v1/"`)
	}
	for key, want := range map[string]string{
		"https://index.docker.io/v1/": "index.docker.io",
		"docker.io":                   "index.docker.io",
		"https://ghcr.io":             "ghcr.io",
		"Registry.Example.com:5000/x": "registry.example.com:5000",
	} {
		if got := configHost(key); got != want {
			t.Errorf("configHost(%q) = %q, want %q", key, got, want)
		}
	}
}

// Identity tokens (as Azure and some logins write them) are passed on as
// such.
func TestDockerConfigIdentityToken(t *testing.T) {
	dir := t.TempDir()
	idt := "idt-" + strings.Repeat("i", 20)
	registrytest.WriteDockerConfig(t, dir, `{"auths": {"registry.example.com": {"username": "00000000-0000-0000-0000-000000000000", "identitytoken": "`+idt+`"}}}`)
	ac, _, m := resolveAuth(t, registrytest.Env(nil, map[string]string{"DOCKER_CONFIG": dir}), envVars{}, "registry.example.com/api")
	if ac.IdentityToken != idt || m.Redact(idt) != "***" {
		t.Errorf("identity token: %+v", ac)
	}
}

// writeHelper makes docker-credential-<name>, a shell script that answers
// "get" for one server.
func writeHelper(t *testing.T, dir, helper, server, user, secret string) {
	t.Helper()
	script := `#!/bin/sh
[ "$1" = get ] || exit 2
read server
if [ "$server" = "` + server + `" ]; then
  printf '{"ServerURL":"%s","Username":"` + user + `","Secret":"` + secret + `"}' "$server"
  exit 0
fi
echo "credentials not found in native keychain"
exit 1
`
	if err := os.WriteFile(filepath.Join(dir, "docker-credential-"+helper), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestCredentialHelpers(t *testing.T) {
	testenvSh(t)
	bin := t.TempDir()
	secret := "helper-" + strings.Repeat("s", 12)
	writeHelper(t, bin, "fake", "registry.example.com", "helperuser", secret)
	writeHelper(t, bin, "store", "https://index.docker.io/v1/", "hubuser", secret)
	dir := t.TempDir()
	registrytest.WriteDockerConfig(t, dir, `{"credHelpers": {"registry.example.com": "fake", "other.example.com": "missing"}, "credsStore": "store",
		"auths": {"registry.example.com": {}, "inline.example.com": {"username": "inl", "password": "inline-password"}}}`)
	env := registrytest.Env(nil, map[string]string{"DOCKER_CONFIG": dir, "PATH": bin})

	ac, creds, m := resolveAuth(t, env, envVars{}, "registry.example.com/api")
	if ac.Username != "helperuser" || ac.Password != secret || m.Redact(secret) != "***" {
		t.Errorf("credHelpers: %q (masked %v)", ac.Username, m.Redact(secret) == "***")
	}
	testenv.MustContain(t, "source", creds.describe("registry.example.com"), "credential helper docker-credential-fake")

	// credsStore answers for registries without their own helper.
	if ac, _, _ := resolveAuth(t, env, envVars{}, "docker.io/library/nginx"); ac.Username != "hubuser" {
		t.Errorf("credsStore for Docker Hub: %q", ac.Username)
	}
	// Inline credentials in auths are used before the store.
	if ac, _, _ := resolveAuth(t, env, envVars{}, "inline.example.com/api"); ac.Username != "inl" {
		t.Errorf("inline auths: %q", ac.Username)
	}
	// A store without credentials for the server: anonymous, and says so.
	ac, creds, _ = resolveAuth(t, env, envVars{}, "nothing.example.com/api")
	if *ac != (authn.AuthConfig{}) {
		t.Errorf("want anonymous: %+v", ac)
	}
	testenv.MustContain(t, "source", creds.describe("nothing.example.com"), "docker-credential-store", "has none for nothing.example.com")
	// A helper that is not installed: anonymous (public images still work),
	// and a 401 would say why.
	ac, creds, _ = resolveAuth(t, env, envVars{}, "other.example.com/api")
	if *ac != (authn.AuthConfig{}) {
		t.Errorf("want anonymous: %+v", ac)
	}
	testenv.MustContain(t, "source", creds.describe("other.example.com"), "docker-credential-missing is not on PATH")
}

// testenvSh skips where no POSIX shell runs the helper scripts.
func testenvSh(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh for the fake credential helpers")
	}
}

// A credential helper is a program on PATH: a docker config naming one with
// a path in it (a config the change under test can supply, when
// DOCKER_CONFIG points into the workspace) never runs a program elsewhere.
func TestCredentialHelperNameIsNotAPath(t *testing.T) {
	testenvSh(t)
	root := t.TempDir()
	bin := filepath.Join(root, "bin")
	ws := filepath.Join(root, "ws")
	for _, d := range []string{bin, ws} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	marker := filepath.Join(root, "ran")
	evil := "#!/bin/sh\ntouch " + marker + "\nprintf '{\"Username\":\"u\",\"Secret\":\"s3cr3t-from-the-change\"}'\n"
	if err := os.WriteFile(filepath.Join(ws, "evil.sh"), []byte(evil), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, helper := range []string{"/../../ws/evil.sh", "x/../../../ws/evil.sh"} {
		dir := t.TempDir()
		registrytest.WriteDockerConfig(t, dir, `{"credHelpers": {"registry.example.com": "`+helper+`"}, "credsStore": "`+helper+`"}`)
		env := registrytest.Env(nil, map[string]string{"DOCKER_CONFIG": dir, "PATH": bin})
		var err error
		g := funcGate(func(ctx context.Context, env *gates.Env) ([]gates.Finding, error) {
			creds, cerr := newCredentials(env, "", "")
			if cerr != nil {
				return nil, cerr
			}
			for _, repo := range []string{"registry.example.com/api", "other.example.com/api"} {
				r, _ := name.NewRepository(repo)
				if _, rerr := authn.Resolve(ctx, creds.keychain(), r); rerr != nil {
					err = rerr
				}
			}
			return nil, nil
		})
		gatetest.Run(t, g, env)
		if _, serr := os.Stat(marker); serr == nil {
			t.Fatalf("helper %q: a program outside PATH ran", helper)
		}
		if err == nil {
			t.Errorf("helper %q: no error", helper)
			continue
		}
		testenv.MustContain(t, "error", err.Error(), "is not a credential helper name")
	}
}

// The docker config is read only when it is a regular file, and only so
// much of it: a named pipe or an endless file in its place is an error at
// once, not a gate that waits for its deadline.
func TestDockerConfigBounded(t *testing.T) {
	fifoDir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(fifoDir, "config.json"), 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	bigDir := t.TempDir()
	registrytest.WriteDockerConfig(t, bigDir, `{"auths": {}, "x": "`+strings.Repeat("a", 5<<20)+`"}`)
	for dir, want := range map[string]string{fifoDir: "not a regular file", bigDir: "larger than"} {
		env := registrytest.Env(nil, map[string]string{"DOCKER_CONFIG": dir})
		g := funcGate(func(ctx context.Context, env *gates.Env) ([]gates.Finding, error) {
			creds, err := newCredentials(env, "", "")
			if err != nil {
				return nil, err
			}
			r, _ := name.NewRepository("registry.example.com/api")
			_, err = authn.Resolve(ctx, creds.keychain(), r)
			return nil, err
		})
		res := gatetest.Run(t, g, env, gatetest.Options{Timeout: 2 * time.Second})
		if res.Status != gates.StatusError {
			t.Fatalf("%s: %s", want, gatetest.Describe(res))
		}
		testenv.MustContain(t, "error", res.Err, "docker config", want)
	}
}
