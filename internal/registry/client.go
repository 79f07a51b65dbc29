// Package registry reads container registries for release-gate's gates:
// it resolves image references to digests and lists tags, with the
// credentials each ecosystem expects, bounded retries that honour the
// context, and errors that say what failed, where, and what to do.
//
// A Client lives for one gate run and reaches the outside world only
// through the gate's Env (its HTTP transport, environment, clock and token;
// every secret it reads is masked there):
//
//	c, err := registry.New(env, registry.WithCredentialsFrom("REG_USER", "REG_PASS"))
//	d, err := c.Resolve(ctx, ref)
//	switch {
//	case errors.Is(err, registry.ErrNotFound): // a finding
//	case err != nil:                           // no verdict
//	}
package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/httpsafe"
)

// Client reads one or more registries for a gate run. Credentials come, in
// this order, from username-env/password-env (WithCredentialsFrom), the
// GitHub token for ghcr.io, and the docker config (DOCKER_CONFIG, else
// $HOME/.docker/config.json, with its credential helpers).
type Client struct {
	puller    *remote.Puller
	tr        *registryTransport
	creds     *credentials
	retry     RetryPolicy
	env       *gates.Env
	loginHelp string
}

// Option changes a Client's defaults.
type Option func(*settings)

type settings struct {
	insecure         bool
	userVar, passVar string
	retry            RetryPolicy
	loginHelp        string
	requestTimeout   time.Duration
	timeoutSetting   string
}

// WithInsecure allows plain HTTP to the registries. Without it plain HTTP
// is refused, even for localhost, where the library would otherwise fall
// back to it.
func WithInsecure(insecure bool) Option { return func(s *settings) { s.insecure = insecure } }

// WithCredentialsFrom names the environment variables holding a user name
// and password (username-env and password-env in the configuration). They
// are tried first, for every registry; New fails when either is empty.
func WithCredentialsFrom(usernameEnv, passwordEnv string) Option {
	return func(s *settings) { s.userVar, s.passVar = usernameEnv, passwordEnv }
}

// WithRetry replaces DefaultRetry (tests use fast backoffs).
func WithRetry(p RetryPolicy) Option { return func(s *settings) { s.retry = p } }

// DefaultRequestTimeout bounds one request to a registry, from sending it
// to the last byte of the answer.
const DefaultRequestTimeout = 30 * time.Second

// WithRequestTimeout replaces DefaultRequestTimeout; setting names where
// users change it ("request-timeout"), for the error of a request that ran
// out of time. A request that does is not retried: it already took that
// long.
func WithRequestTimeout(d time.Duration, setting string) Option {
	return func(s *settings) { s.requestTimeout, s.timeoutSetting = d, setting }
}

// WithLoginHelp names where users read about registry logins, for messages
// about refused credentials: "the staging-digest section of the README".
func WithLoginHelp(where string) Option { return func(s *settings) { s.loginHelp = where } }

// New makes a client for one gate run. It reads the credentials
// WithCredentialsFrom names (an error when they are empty) and does no
// network I/O.
func New(env *gates.Env, opts ...Option) (*Client, error) {
	s := settings{retry: DefaultRetry(), loginHelp: "the README", requestTimeout: DefaultRequestTimeout}
	for _, o := range opts {
		o(&s)
	}
	creds, err := newCredentials(env, s.userVar, s.passVar)
	if err != nil {
		return nil, err
	}
	var base http.RoundTripper
	if env.HTTPClient != nil {
		base = env.HTTPClient.Transport
	}
	// Credentials never follow a redirect to another origin, and no answer
	// (a tag list the library decodes whole, say) is read past maxAnswer.
	base = httpsafe.LimitBodies(httpsafe.NewTransport(base), maxAnswer)
	tr := newRegistryTransport(base, s.insecure, s.requestTimeout, s.timeoutSetting)
	puller, err := remote.NewPuller(
		remote.WithTransport(tr),
		remote.WithAuthFromKeychain(creds.keychain()),
		remote.WithUserAgent("release-gate"),
		// The client retries itself (retrying), with a backoff that honours
		// the context; the library's sleeps do not.
		remote.WithRetryPredicate(func(error) bool { return false }),
		remote.WithRetryStatusCodes(),
		remote.WithRetryBackoff(remote.Backoff{Steps: 1}),
	)
	if err != nil {
		return nil, fmt.Errorf("setting up the registry client: %w", err)
	}
	return &Client{puller: puller, tr: tr, creds: creds, retry: s.retry, env: env, loginHelp: s.loginHelp}, nil
}

// maxAnswer bounds what is read of any one registry answer. Manifests are
// at most 4 MiB on most registries; a page of tags of a large repository is
// a few MiB.
const maxAnswer = 32 << 20

// Resolve finds the digest ref points at with as few manifest requests as
// the registry allows: one HEAD, and a GET only when HEAD cannot answer
// usefully (405, 501, or no Docker-Content-Digest), never after a 401, 403
// or 404. For a multi-arch tag the digest is the index's.
//
// A missing manifest or repository is an *Error matching ErrNotFound; other
// failures are *Errors of the other kinds, except when ctx ended or the
// failure is of no known kind (the error is then returned as it is).
func (c *Client) Resolve(ctx context.Context, ref name.Reference) (*Descriptor, error) {
	d, err := c.resolve(ctx, ref)
	if err != nil {
		return nil, c.classify(ctx, ref.Context(), ref.String(), err)
	}
	return d, nil
}

func (c *Client) resolve(ctx context.Context, ref name.Reference) (*Descriptor, error) {
	host := ref.Context().RegistryStr()
	path := manifestPath(ref)
	desc, err := retrying(ctx, c, host, func() (*v1.Descriptor, error) {
		c.tr.forgetHead(path)
		return c.puller.Head(ctx, ref)
	})
	if err == nil {
		if mt := desc.MediaType; mt.IsImage() || mt.IsIndex() {
			return &Descriptor{Ref: ref, Descriptor: *desc, Method: http.MethodHead}, nil
		}
		// A login page or proxy answering 200 is not a manifest, whatever
		// Docker-Content-Digest it sends: only GET, which hashes what it
		// gets and checks that it is a manifest, can tell.
		c.env.Notef("%s: the registry answered HEAD with Content-Type %q, which is not an image manifest's or index's; asked with GET instead", ref, desc.MediaType)
		return c.get(ctx, ref)
	}
	if !headUnusable(c.tr.headStatus(path)) || ctx.Err() != nil {
		return nil, err
	}
	// The registry answered HEAD but not usefully (405, no
	// Docker-Content-Digest): ask with GET, which hashes the manifest itself.
	c.env.Notef("%s: the registry could not answer HEAD usefully (%v); asked with GET instead", ref, err)
	return c.get(ctx, ref)
}

// headUnusable reports whether a HEAD status means "ask with GET": the
// method is not supported, or the answer was a success the library could
// not use (no digest header). Never on 401, 403 or 404.
func headUnusable(status int) bool {
	switch {
	case status == http.StatusMethodNotAllowed, status == http.StatusNotImplemented:
		return true
	case status >= 200 && status < 300:
		return true
	}
	return false
}

// Get fetches ref's manifest with GET (one request, retried like every
// call), for when the manifest itself is needed: to pick a platform from an
// index. Errors are as Resolve's.
func (c *Client) Get(ctx context.Context, ref name.Reference) (*Descriptor, error) {
	d, err := c.get(ctx, ref)
	if err != nil {
		return nil, c.classify(ctx, ref.Context(), ref.String(), err)
	}
	return d, nil
}

func (c *Client) get(ctx context.Context, ref name.Reference) (*Descriptor, error) {
	d, err := retrying(ctx, c, ref.Context().RegistryStr(), func() (*remote.Descriptor, error) { return c.puller.Get(ctx, ref) })
	if err != nil {
		return nil, err
	}
	if err := checkManifest(ref, d); err != nil {
		return nil, err
	}
	return &Descriptor{Ref: ref, Descriptor: d.Descriptor, Manifest: d.Manifest, Method: http.MethodGet}, nil
}

// checkManifest refuses a GET answer that is not a manifest. The library
// hashes whatever body comes back, so a proxy or login page answering 200
// with HTML for every tag would otherwise "resolve" two different tags to
// the same digest. An answer labelled as a manifest is taken as one (an
// index is parsed, and refused, where it is read); any other is accepted
// only as a JSON object with a schemaVersion, which every manifest (Docker
// schema 1 and 2, OCI image and index) has.
func checkManifest(ref name.Reference, d *remote.Descriptor) error {
	host := ref.Context().RegistryStr()
	if d.MediaType == types.DockerManifestSchema1Signed {
		// For these the library takes the digest from the
		// Docker-Content-Digest header, not from the content.
		return &Error{Kind: ErrUnexpected, Host: host, Status: http.StatusOK,
			Msg: fmt.Sprintf("registry %s answered GET %s://%s%s with a signed schema 1 manifest, whose digest release-gate cannot check against its content; schema 1 is deprecated: push the image again with a current client",
				host, ref.Context().Scheme(), host, manifestPath(ref))}
	}
	if mt := d.MediaType; mt.IsImage() || mt.IsIndex() || mt.IsSchema1() {
		return nil
	}
	var probe struct {
		SchemaVersion *json.Number `json:"schemaVersion"`
	}
	if json.Unmarshal(d.Manifest, &probe) == nil && probe.SchemaVersion != nil {
		return nil
	}
	return &Error{Kind: ErrUnexpected, Host: host, Status: http.StatusOK,
		Msg: fmt.Sprintf("registry %s answered GET %s://%s%s with something that is not an image manifest (Content-Type %q, %d bytes); is a proxy or a login page in front of the registry?",
			host, ref.Context().Scheme(), host, manifestPath(ref), d.MediaType, len(d.Manifest))}
}

// ListTags lists every tag of repo, following the registry's pages, in the
// order the registry gives them. A repository the registry does not know is
// an *Error matching ErrNotFound; an answer that is not a tag list is
// ErrUnexpected; other errors are as Resolve's.
func (c *Client) ListTags(ctx context.Context, repo name.Repository) ([]string, error) {
	what := "repository " + repo.String()
	tags, err := retrying(ctx, c, repo.RegistryStr(), func() ([]string, error) { return c.listPages(ctx, repo) })
	var (
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case err == nil:
		return tags, nil
	case ctx.Err() == nil && (errors.As(err, &syntax) || errors.As(err, &typeErr)):
		return nil, &Error{Kind: ErrUnexpected, Host: repo.RegistryStr(), Err: err,
			Msg: fmt.Sprintf("registry %s answered GET %s with something that is not a tag list (%v)", repo.RegistryStr(), tagsPath(repo), err)}
	}
	return nil, c.classify(ctx, repo, what, err)
}

// Bounds on a tag listing: a registry whose pages never end (each linking
// to another, or back) must not be followed until the memory runs out.
const maxTags = 1 << 20

// listPages lists every tag of repo, page by page, as the library's List
// does, but refuses a listing longer than maxTags or one that links back to
// a page it already gave.
func (c *Client) listPages(ctx context.Context, repo name.Repository) ([]string, error) {
	l, err := c.puller.Lister(ctx, repo)
	if err != nil {
		return nil, err
	}
	host := repo.RegistryStr()
	tags := []string{}
	seen := map[string]bool{}
	for l.HasNext() {
		page, err := l.Next(ctx)
		if err != nil {
			return nil, err
		}
		tags = append(tags, page.Tags...)
		if len(tags) > maxTags {
			return nil, &Error{Kind: ErrUnexpected, Host: host, Status: http.StatusOK,
				Msg: fmt.Sprintf("registry %s listed more than %d tags for %s and kept going: check that it is the registry the configuration means", host, maxTags, repo)}
		}
		if page.Next != "" {
			if seen[page.Next] {
				return nil, &Error{Kind: ErrUnexpected, Host: host, Status: http.StatusOK,
					Msg: fmt.Sprintf("registry %s answered GET %s with a page that links back to a page it already gave; its paging is broken", host, tagsPath(repo))}
			}
			seen[page.Next] = true
		}
	}
	return tags, nil
}

func tagsPath(repo name.Repository) string {
	return fmt.Sprintf("/v2/%s/tags/list", repo.RepositoryStr())
}

// CredentialsFor says which credentials were used for a registry, for
// notes: "anonymous" or "credentials: <where they came from>". It never
// holds a secret.
func (c *Client) CredentialsFor(host string) string { return c.creds.short(host) }
