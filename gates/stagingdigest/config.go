// Package stagingdigest is the staging-digest gate: the candidate image
// reference resolves, through the registry, to exactly the digest that
// staging validated. Optionally a staging endpoint proves staging runs it.
package stagingdigest

import (
	"fmt"
	"net/url"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/registry"
)

// Name is the gate's key in the configuration.
const Name = "staging-digest"

// defaultWaitInterval is how often wait re-reads the staging endpoint.
const defaultWaitInterval = 10 * time.Second

// Config is the gate's section of the configuration.
type Config struct {
	// Image is the candidate: a tag or name@sha256:... (action input image).
	Image string `yaml:"image,required"`
	// Staging is what staging validated: a tag or name@sha256:... (action
	// input staging-image).
	Staging string `yaml:"staging,required"`
	// Platform, such as linux/amd64, compares that platform's image of a
	// multi-arch index instead of the top-level digest.
	Platform string `yaml:"platform"`
	// Insecure allows plain HTTP to the registries. Off by default and never
	// implied, not even for localhost.
	Insecure bool `yaml:"insecure"`
	// RegistryCredentials are username-env and password-env: the
	// environment variables holding registry credentials, both or neither.
	config.RegistryCredentials `yaml:",inline"`
	// StagingEndpoint reads the digest staging actually runs.
	StagingEndpoint *Endpoint `yaml:"staging-endpoint"`
	// Wait re-reads the staging endpoint until it shows the candidate.
	Wait *Wait `yaml:"wait"`
	// RequestTimeout bounds one request, to a registry or to the staging
	// endpoint, from sending it to the last byte of the answer.
	RequestTimeout config.Duration `yaml:"request-timeout"`
}

// Endpoint is an HTTP endpoint of the staging deployment that reports, in
// JSON, the image digest it runs.
type Endpoint struct {
	URL string `yaml:"url,required"`
	// JSONPath is a dotted path to the digest: build.digest, $.image.digest,
	// images[0].digest.
	JSONPath string `yaml:"json-path,required"`
}

// Wait says how long to wait for staging to run the candidate.
type Wait struct {
	Interval config.Duration `yaml:"interval"`
	Timeout  config.Duration `yaml:"timeout,required"`
}

// Definition is the staging-digest gate for the list of gates.
func Definition() gates.Definition {
	return gates.Definition{
		Name:      Name,
		Checklist: "Validation: the exact image hash was validated in staging",
		Rules:     []string{ruleDigestMismatch, ruleCandidateMissing, ruleStagingMissing, rulePlatformMissing, "staging-not-running"},
		New:       New,
	}
}

// New builds the gate from its configuration section. It does no I/O.
func New(s *config.Section) (gates.Gate, error) { return newGate(s) }

func newGate(s *config.Section, opts ...option) (*Gate, error) {
	var c Config
	if err := s.Decode(&c); err != nil {
		return nil, err
	}
	g := &Gate{cfg: c, retry: registry.DefaultRetry(), requestTimeout: defaultRequestTimeout}
	for _, o := range opts {
		o(g)
	}
	// Every problem is reported at once: one fix-and-rerun per mistake
	// is a poor way to learn a configuration.
	var errs []error
	fail := func(key, format string, args ...any) { errs = append(errs, s.Errorf(key, format, args...)) }
	var err error
	if g.image, err = registry.ParseReference(c.Image, c.Insecure); err != nil {
		fail("image", "%v", err)
	}
	if g.staging, err = registry.ParseReference(c.Staging, c.Insecure); err != nil {
		fail("staging", "%v", err)
	}
	if c.Platform != "" {
		if g.platform, err = parsePlatform(c.Platform); err != nil {
			fail("platform", "%v", err)
		}
	}
	errs = append(errs, c.RegistryCredentials.Check(s))
	switch {
	case c.RequestTimeout < 0:
		fail("request-timeout", "must be positive")
	case c.RequestTimeout > 0:
		g.requestTimeout = time.Duration(c.RequestTimeout)
	}
	if e := c.StagingEndpoint; e != nil {
		u, err := url.Parse(e.URL)
		switch {
		case err != nil:
			// The text is not quoted: it may hold a password or token.
			fail("staging-endpoint.url", "want an http:// or https:// URL; this one cannot be parsed (check that a user name or password in it is percent-encoded)")
		case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			fail("staging-endpoint.url", "want an http:// or https:// URL, got %q", endpointURL(e.URL))
		}
		if g.jsonPath, err = parseJSONPath(e.JSONPath); err != nil {
			fail("staging-endpoint.json-path", "%v", err)
		}
	}
	if w := c.Wait; w != nil {
		g.interval = time.Duration(w.Interval)
		if g.interval == 0 {
			g.interval = min(defaultWaitInterval, time.Duration(w.Timeout))
		}
		switch {
		case c.StagingEndpoint == nil:
			fail("wait", "wait re-reads staging-endpoint until staging runs the candidate; set staging-endpoint too")
		case w.Timeout <= 0:
			fail("wait.timeout", "must be positive")
		case g.interval <= 0 || g.interval > time.Duration(w.Timeout):
			fail("wait.interval", "must be positive and at most wait.timeout (%s)", w.Timeout)
		case s.Timeout > 0 && time.Duration(w.Timeout) >= s.Timeout:
			fail("wait.timeout", "%s is not shorter than the gate's timeout (%s): the gate would be cut off before it can say what staging runs; raise timeout or lower wait.timeout", w.Timeout, s.Timeout)
		}
	}
	if err := s.Join(errs...); err != nil {
		return nil, err
	}
	return g, nil
}

// parsePlatform parses os/arch[/variant].
func parsePlatform(s string) (*v1.Platform, error) {
	p, err := v1.ParsePlatform(s)
	if err != nil || p.OS == "" || p.Architecture == "" {
		return nil, fmt.Errorf("want os/arch or os/arch/variant such as linux/amd64 or linux/arm64/v8, got %q", s)
	}
	return p, nil
}
