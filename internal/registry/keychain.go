package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
)

// ghcrRegistry is GitHub's container registry, where the workflow's token
// works as a password.
const ghcrRegistry = "ghcr.io"

// Why not authn.DefaultKeychain (go-containerregistry v0.22.1, docker/cli
// v29 underneath), read rather than assumed: it reads DOCKER_CONFIG,
// XDG_CONFIG_HOME, XDG_RUNTIME_DIR and REGISTRY_AUTH_FILE with os.Getenv,
// not through the gate's Env, so neither tests nor the CLI decide where the
// config comes from; it runs "docker-credential-"+credsStore/credHelpers
// value as given (docker/cli's NewShellProgramFunc), so a config that
// DOCKER_CONFIG points into the workspace can name a path to run; it reads
// the file with no size bound and opens a FIFO as readily as a file; and
// it masks nothing. Ours checks helper names, bounds and types the file,
// masks every secret as read, and names the source whose credentials a
// registry refused. The authn types (Keychain, AuthConfig, Anonymous)
// are go-containerregistry's.
//
// credentials finds registry credentials the way each ecosystem expects, in
// this order: username-env/password-env, the GitHub token for ghcr.io, the
// docker config (DOCKER_CONFIG, else $HOME/.docker/config.json, with its
// credential helpers). Everything is read through the gate's Env, every
// secret is masked as soon as it is read, and for each registry it remembers
// what it used, so that a 401 or 403 can say whose credentials were refused.
type credentials struct {
	getenv func(string) string
	mask   func(string)
	token  string

	envUser, envPass string
	envNames         string // "username-env/password-env (USER, PASS)"

	dockerPath  string
	dockerOnce  sync.Once
	docker      *dockerConfig
	dockerFound bool
	dockerErr   error

	mu      sync.Mutex
	used    map[string]string   // registry -> the credentials used
	checked map[string][]string // registry -> places that had none
}

// newCredentials reads the username-env/password-env credentials, if the
// gate names them (userVar and passVar, both or neither): naming variables
// that turn out empty is an error, not a reason to try anonymously.
func newCredentials(env *gates.Env, userVar, passVar string) (*credentials, error) {
	c := &credentials{
		getenv:     env.Getenv,
		mask:       env.Mask,
		token:      env.Token,
		dockerPath: dockerConfigPath(env.Getenv),
		used:       map[string]string{},
		checked:    map[string][]string{},
	}
	if c.token != "" {
		c.mask(c.token)
	}
	if userVar != "" || passVar != "" {
		c.envUser, c.envPass = env.Getenv(userVar), env.Getenv(passVar)
		if c.envPass != "" {
			c.mask(c.envPass)
		}
		for _, name := range []string{userVar, passVar} {
			if name != "" && config.EnvNameLooksSecret(name) {
				c.mask(name)
			}
		}
		var missing []string
		if c.envUser == "" {
			missing = append(missing, "username-env names "+config.ShownEnvName(userVar))
		}
		if c.envPass == "" {
			missing = append(missing, "password-env names "+config.ShownEnvName(passVar))
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("reading registry credentials: %s, which is empty or not set; set it in the step's env (e.g. from a secret)", strings.Join(missing, " and "))
		}
		c.envNames = fmt.Sprintf("username-env/password-env (%s, %s)", config.ShownEnvName(userVar), config.ShownEnvName(passVar))
	}
	return c, nil
}

// keychain is the chain of credential sources, for go-containerregistry.
func (c *credentials) keychain() authn.Keychain {
	return authn.NewMultiKeychain(envKeychain{c}, ghcrKeychain{c}, dockerKeychain{c}, anonymousKeychain{c})
}

// describe says which credentials were used for registry, for messages.
func (c *credentials) describe(registry string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if u, ok := c.used[registry]; ok {
		return u
	}
	return "no credentials (anonymous)"
}

// short says which credentials were used for registry, for notes.
func (c *credentials) short(registry string) string {
	if c.anonymous(registry) {
		return "anonymous"
	}
	return "credentials: " + c.describe(registry)
}

// anonymous reports whether no credentials were found for registry.
func (c *credentials) anonymous(registry string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, ok := c.used[registry]
	return !ok || strings.HasPrefix(u, "no credentials")
}

func (c *credentials) use(registry, what string) {
	c.mu.Lock()
	c.used[registry] = what
	c.mu.Unlock()
}

func (c *credentials) check(registry, what string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range c.checked[registry] {
		if w == what {
			return
		}
	}
	c.checked[registry] = append(c.checked[registry], what)
}

// envKeychain answers with username-env/password-env, for every registry the
// gate reads.
type envKeychain struct{ c *credentials }

func (k envKeychain) Resolve(t authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), t)
}

func (k envKeychain) ResolveContext(_ context.Context, t authn.Resource) (authn.Authenticator, error) {
	if k.c.envNames == "" {
		k.c.check(t.RegistryStr(), "username-env/password-env are not set in the gate's config")
		return authn.Anonymous, nil
	}
	k.c.use(t.RegistryStr(), k.c.envNames)
	return authn.FromConfig(authn.AuthConfig{Username: k.c.envUser, Password: k.c.envPass}), nil
}

// ghcrKeychain answers for ghcr.io with the GitHub token.
type ghcrKeychain struct{ c *credentials }

func (k ghcrKeychain) Resolve(t authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), t)
}

func (k ghcrKeychain) ResolveContext(_ context.Context, t authn.Resource) (authn.Authenticator, error) {
	if t.RegistryStr() != ghcrRegistry {
		return authn.Anonymous, nil
	}
	if k.c.token == "" {
		k.c.check(t.RegistryStr(), "no GitHub token (the action's token input, else GITHUB_TOKEN)")
		return authn.Anonymous, nil
	}
	// GHCR accepts any non-empty user name with a token; the actor is the
	// honest one.
	user := k.c.getenv("GITHUB_ACTOR")
	if user == "" {
		user = "release-gate"
	}
	k.c.use(t.RegistryStr(), fmt.Sprintf("the GitHub token (the action's token input) as user %q", user))
	return authn.FromConfig(authn.AuthConfig{Username: user, Password: k.c.token}), nil
}

// dockerKeychain answers from the docker config and its credential helpers.
type dockerKeychain struct{ c *credentials }

func (k dockerKeychain) Resolve(t authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), t)
}

func (k dockerKeychain) ResolveContext(ctx context.Context, t authn.Resource) (authn.Authenticator, error) {
	c := k.c
	reg := t.RegistryStr()
	if c.dockerPath == "" {
		c.check(reg, "no docker config (neither DOCKER_CONFIG nor HOME is set)")
		return authn.Anonymous, nil
	}
	c.dockerOnce.Do(func() { c.docker, c.dockerFound, c.dockerErr = loadDockerConfig(c.dockerPath) })
	if c.dockerErr != nil {
		return nil, c.dockerErr
	}
	if !c.dockerFound {
		c.check(reg, fmt.Sprintf("no docker config at %s", c.dockerPath))
		return authn.Anonymous, nil
	}
	cfg := c.docker
	helper, perRegistry := cfg.helperFor(reg)
	if perRegistry {
		return k.fromHelper(ctx, reg, helper)
	}
	if a, key := cfg.lookup(t.String(), reg); key != "" {
		ac, err := a.authConfig(c.mask)
		if err != nil {
			return nil, fmt.Errorf("reading docker config %s: auths entry %q: %w", c.dockerPath, key, err)
		}
		c.use(reg, fmt.Sprintf("docker config %s (auths entry %q)", c.dockerPath, key))
		return authn.FromConfig(ac), nil
	}
	if helper != "" {
		return k.fromHelper(ctx, reg, helper)
	}
	c.check(reg, fmt.Sprintf("docker config %s has no entry for %s", c.dockerPath, reg))
	return authn.Anonymous, nil
}

func (k dockerKeychain) fromHelper(ctx context.Context, reg, helper string) (authn.Authenticator, error) {
	c := k.c
	server := reg
	if configHost(reg) == "index.docker.io" {
		server = dockerHubServer
	}
	user, secret, err := runHelper(ctx, c.getenv("PATH"), helper, server)
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, errHelperNoCredentials):
		c.check(reg, fmt.Sprintf("credential helper docker-credential-%s (from docker config %s) has none for %s", helper, c.dockerPath, server))
		return authn.Anonymous, nil
	case err != nil:
		// Public images still work anonymously; a 401 will name this.
		c.check(reg, fmt.Sprintf("credential helper from docker config %s failed: %v", c.dockerPath, err))
		return authn.Anonymous, nil
	}
	c.mask(secret)
	c.use(reg, fmt.Sprintf("docker config %s (credential helper docker-credential-%s)", c.dockerPath, helper))
	if user == "<token>" {
		return authn.FromConfig(authn.AuthConfig{IdentityToken: secret}), nil
	}
	return authn.FromConfig(authn.AuthConfig{Username: user, Password: secret}), nil
}

// anonymousKeychain comes last: it records that nothing was found and what
// was looked at.
type anonymousKeychain struct{ c *credentials }

func (k anonymousKeychain) Resolve(t authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), t)
}

func (k anonymousKeychain) ResolveContext(_ context.Context, t authn.Resource) (authn.Authenticator, error) {
	reg := t.RegistryStr()
	k.c.mu.Lock()
	k.c.used[reg] = "no credentials (anonymous); looked at: " + strings.Join(k.c.checked[reg], "; ")
	k.c.mu.Unlock()
	return authn.Anonymous, nil
}
