package registry

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// dockerConfig is the part of a docker config.json that holds credentials.
type dockerConfig struct {
	Auths       map[string]dockerAuth `json:"auths"`
	CredHelpers map[string]string     `json:"credHelpers"`
	CredsStore  string                `json:"credsStore"`
}

type dockerAuth struct {
	Auth          string `json:"auth"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	IdentityToken string `json:"identitytoken"`
	RegistryToken string `json:"registrytoken"`
}

func (a dockerAuth) empty() bool { return a == dockerAuth{} }

// dockerConfigPath is where docker reads its config: $DOCKER_CONFIG/config.json,
// else $HOME/.docker/config.json; "" when neither variable is set.
func dockerConfigPath(getenv func(string) string) string {
	if dir := getenv("DOCKER_CONFIG"); dir != "" {
		return filepath.Join(dir, "config.json")
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".docker", "config.json")
	}
	return ""
}

// maxDockerConfig bounds what is read of a docker config: a few logins and
// helpers take kilobytes, a registry token a few more.
const maxDockerConfig = 4 << 20

// loadDockerConfig reads a docker config; found is false when the file does
// not exist. A file that exists but cannot be read or parsed is an error:
// quietly going anonymous would hide the real problem. So is one that is
// not a regular file (a named pipe would block the read) or is larger than
// maxDockerConfig: DOCKER_CONFIG may point into the workspace, whose files
// the change under test controls.
func loadDockerConfig(path string) (cfg *dockerConfig, found bool, err error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, fmt.Errorf("reading docker config %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return nil, true, fmt.Errorf("reading docker config %s: it is not a regular file (mode %s)", path, info.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, true, fmt.Errorf("reading docker config %s: %w", path, err)
	}
	defer func() { _ = f.Close() }() // read only: nothing to lose
	data, err := io.ReadAll(io.LimitReader(f, maxDockerConfig+1))
	if err != nil {
		return nil, true, fmt.Errorf("reading docker config %s: %w", path, err)
	}
	if len(data) > maxDockerConfig {
		return nil, true, fmt.Errorf("reading docker config %s: it is larger than %d MiB, which no docker config is", path, maxDockerConfig>>20)
	}
	cfg = &dockerConfig{}
	if len(bytes.TrimSpace(data)) == 0 {
		return cfg, true, nil
	}
	if err := json.Unmarshal(data, cfg); err != nil {
		return nil, true, fmt.Errorf("reading docker config %s: not valid JSON: %w", path, err)
	}
	for key, h := range cfg.CredHelpers {
		if h != "" && !helperName.MatchString(h) {
			return nil, true, badHelper(path, fmt.Sprintf("credHelpers entry %q", key), h)
		}
	}
	if cfg.CredsStore != "" && !helperName.MatchString(cfg.CredsStore) {
		return nil, true, badHelper(path, "credsStore", cfg.CredsStore)
	}
	return cfg, true, nil
}

// helperName is what follows docker-credential- in a credential helper's
// program name (desktop, ecr-login, osxkeychain, desktop.exe): a name to
// look up on PATH, never a path.
var helperName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func badHelper(path, where, helper string) error {
	return fmt.Errorf("reading docker config %s: its %s names %+q, which is not a credential helper name (docker-credential-NAME, looked up on PATH); fix the docker config", path, where, helper)
}

// configHost normalises an auths key or registry name the way docker does:
// no scheme, nothing after the first slash, Docker Hub's aliases as one.
func configHost(key string) string {
	h := strings.TrimPrefix(strings.TrimPrefix(key, "https://"), "http://")
	if i := strings.IndexByte(h, '/'); i >= 0 {
		h = h[:i]
	}
	h = strings.ToLower(h)
	switch h {
	case "docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return "index.docker.io"
	}
	return h
}

// dockerHubServer is the key docker uses for Docker Hub in config files and
// credential helpers.
const dockerHubServer = "https://index.docker.io/v1/"

// lookup finds the auths entry for a repository (podman's repository-scoped
// keys first) or its registry. key is the entry's name in the file.
func (c *dockerConfig) lookup(repo, registry string) (auth dockerAuth, key string) {
	if a, ok := c.Auths[repo]; ok && !a.empty() {
		return a, repo
	}
	want := configHost(registry)
	// Exact key first, then any key that normalises to the same host, in a
	// stable order.
	if a, ok := c.Auths[registry]; ok && !a.empty() {
		return a, registry
	}
	keys := make([]string, 0, len(c.Auths))
	for k := range c.Auths {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if a := c.Auths[k]; !a.empty() && configHost(k) == want {
			return a, k
		}
	}
	return dockerAuth{}, ""
}

// helperFor names the credential helper docker would ask for registry.
func (c *dockerConfig) helperFor(registry string) (helper string, perRegistry bool) {
	want := configHost(registry)
	for k, h := range c.CredHelpers {
		if configHost(k) == want && h != "" {
			return h, true
		}
	}
	return c.CredsStore, false
}

// authConfig turns an auths entry into credentials, registering every secret
// in it with mask.
func (a dockerAuth) authConfig(mask func(string)) (authn.AuthConfig, error) {
	out := authn.AuthConfig{
		Username:      a.Username,
		Password:      a.Password,
		IdentityToken: a.IdentityToken,
		RegistryToken: a.RegistryToken,
	}
	for _, s := range []string{a.Auth, a.Password, a.IdentityToken, a.RegistryToken} {
		if s != "" {
			mask(s)
		}
	}
	if a.Auth != "" {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(a.Auth))
		if err != nil {
			return authn.AuthConfig{}, errors.New(`its "auth" value is not base64`)
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return authn.AuthConfig{}, errors.New(`its "auth" value does not decode to user:password`)
		}
		mask(pass)
		out.Username, out.Password = user, pass
	}
	return out, nil
}

// errHelperNoCredentials is a credential helper saying it holds nothing for
// the server.
var errHelperNoCredentials = errors.New("no credentials stored")

// runHelper asks docker-credential-<helper> for a server's credentials, as
// docker does: "get" with the server URL on stdin. The program is looked up
// in path (the PATH the gate was given).
func runHelper(ctx context.Context, path, helper, server string) (user, secret string, err error) {
	prog := "docker-credential-" + helper
	bin, err := lookPathIn(prog, path)
	if err != nil {
		return "", "", err
	}
	cmd := exec.CommandContext(ctx, bin, "get")
	cmd.Stdin = strings.NewReader(server)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", "", ctx.Err()
		}
		out := strings.TrimSpace(stdout.String() + " " + stderr.String())
		if strings.Contains(strings.ToLower(out), "credentials not found") {
			return "", "", errHelperNoCredentials
		}
		return "", "", fmt.Errorf("%s get: %w", prog, err)
	}
	var creds struct {
		Username string `json:"Username"`
		Secret   string `json:"Secret"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &creds); err != nil {
		return "", "", fmt.Errorf("%s get: answer is not JSON", prog)
	}
	if creds.Secret == "" {
		return "", "", errHelperNoCredentials
	}
	return creds.Username, creds.Secret, nil
}

// lookPathIn finds an executable in a PATH-style list of directories.
func lookPathIn(prog, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, prog)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is not on PATH", prog)
}
