// Package healthendpoints is the health-endpoints gate: the deployment's
// liveness and readiness endpoints answer with a healthy status,
// optionally until they have done so a number of times in a row.
package healthendpoints

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
)

// Name is the gate's key in the configuration.
const Name = "health-endpoints"

// Defaults.
const (
	DefaultLiveness       = "/health"
	DefaultReadiness      = "/health/ready"
	defaultRequestTimeout = 5 * time.Second
	defaultWaitInterval   = 5 * time.Second
)

// Config is the gate's section of the configuration.
type Config struct {
	// BaseURL is where the deployment answers: https://staging.example.com.
	BaseURL string `yaml:"base-url"`
	// Liveness and Readiness are paths joined to BaseURL, or absolute URLs.
	Liveness  *string `yaml:"liveness"`
	Readiness *string `yaml:"readiness"`
	// ExpectStatus is the statuses that count as healthy; default 2xx.
	ExpectStatus *StatusSet `yaml:"expect-status"`
	// HeadersEnv maps a request header to the environment variable that
	// holds its value: {Authorization: STAGING_AUTH}.
	HeadersEnv map[string]config.EnvName `yaml:"headers-env"`
	// InsecureSkipVerify accepts any TLS certificate (a self-signed
	// staging certificate). Off by default.
	InsecureSkipVerify bool `yaml:"insecure-skip-verify"`
	// RequestTimeout bounds one request; default 5s.
	RequestTimeout config.Duration `yaml:"request-timeout"`
	// Wait re-probes until both endpoints are healthy wait.steady times
	// in a row, or wait.timeout passes.
	Wait *Wait `yaml:"wait"`
}

// Wait says how long to wait for the endpoints to become healthy.
type Wait struct {
	Interval config.Duration `yaml:"interval"`
	Timeout  config.Duration `yaml:"timeout,required"`
	// Steady is how many consecutive healthy rounds are needed; default 1.
	Steady *int `yaml:"steady"`
}

// StatusSet is a set of HTTP statuses written as 200, "2xx", "200-204",
// or a list of those.
type StatusSet []statusRange

type statusRange struct{ lo, hi int }

// defaultStatuses is 2xx.
var defaultStatuses = StatusSet{{200, 299}}

// UnmarshalConfig implements config.Unmarshaler.
func (s *StatusSet) UnmarshalConfig(n *yaml.Node) error {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
		if len(items) == 0 {
			return fmt.Errorf("want at least one status, such as 200 or 2xx")
		}
	}
	var out StatusSet
	for _, item := range items {
		if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
			return config.ErrorAt(item, "want a status such as 200, 2xx or 200-204")
		}
		r, err := parseStatusRange(item.Value)
		if err != nil {
			return config.ErrorAt(item, "%v", err)
		}
		out = append(out, r)
	}
	*s = out
	return nil
}

func parseStatusRange(v string) (statusRange, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	bad := fmt.Errorf("want a status such as 200, 2xx or 200-204, got %q", v)
	if len(v) == 3 && strings.HasSuffix(v, "xx") {
		d := int(v[0] - '0')
		if d < 1 || d > 5 {
			return statusRange{}, bad
		}
		return statusRange{d * 100, d*100 + 99}, nil
	}
	lo, hi, isRange := strings.Cut(v, "-")
	a, err := strconv.Atoi(strings.TrimSpace(lo))
	if err != nil {
		return statusRange{}, bad
	}
	b := a
	if isRange {
		if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
			return statusRange{}, bad
		}
	}
	if a < 100 || b > 599 || a > b {
		return statusRange{}, fmt.Errorf("%q is not a range of HTTP statuses (100 to 599)", v)
	}
	return statusRange{a, b}, nil
}

// has reports whether code is in the set.
func (s StatusSet) has(code int) bool {
	for _, r := range s {
		if code >= r.lo && code <= r.hi {
			return true
		}
	}
	return false
}

func (s StatusSet) String() string {
	parts := make([]string, len(s))
	for i, r := range s {
		switch {
		case r.lo == r.hi:
			parts[i] = strconv.Itoa(r.lo)
		case r.lo%100 == 0 && r.hi == r.lo+99:
			parts[i] = fmt.Sprintf("%dxx", r.lo/100)
		default:
			parts[i] = fmt.Sprintf("%d-%d", r.lo, r.hi)
		}
	}
	return strings.Join(parts, ", ")
}

// Definition describes the gate for the gate list.
func Definition() gates.Definition {
	return gates.Definition{
		Name:      Name,
		Checklist: "Reliability: the service answers on /health (liveness) and /health/ready (readiness)",
		Rules:     []string{ruleLiveness, ruleReadiness},
		New:       New,
	}
}

// New builds the gate from its configuration section. It does no I/O.
func New(s *config.Section) (gates.Gate, error) { return newGate(s) }

func newGate(s *config.Section) (*Gate, error) {
	var c Config
	if err := s.Decode(&c); err != nil {
		return nil, err
	}
	g := &Gate{cfg: c, expect: defaultStatuses, requestTimeout: defaultRequestTimeout, steady: 1}
	// Every problem is reported at once.
	var errs []error
	fail := func(key, format string, args ...any) { errs = append(errs, s.Errorf(key, format, args...)) }
	var base *url.URL
	baseBad := false
	if strings.TrimSpace(c.BaseURL) != "" {
		u, err := parseHTTPURL(c.BaseURL)
		if err != nil {
			fail("base-url", "%v", err)
			baseBad = true
		}
		base = u
	}
	for _, p := range []struct {
		key, dflt string
		set       *string
		out       **url.URL
	}{
		{"liveness", DefaultLiveness, c.Liveness, &g.liveness},
		{"readiness", DefaultReadiness, c.Readiness, &g.readiness},
	} {
		ref := p.dflt
		if p.set != nil {
			ref = *p.set
		}
		if baseBad && !strings.Contains(ref, "://") {
			continue // relative to a base-url already reported
		}
		u, err := probeURL(base, ref)
		if err != nil {
			key := p.key
			if p.set == nil {
				key = "base-url"
			}
			fail(key, "%v", err)
			continue
		}
		*p.out = u
	}
	if c.ExpectStatus != nil {
		g.expect = *c.ExpectStatus
	}
	for h := range c.HeadersEnv { // the values are EnvNames: checked as decoded
		if !validHeaderName(h) {
			fail("headers-env."+h, "%q is not an HTTP header name", h)
		}
	}
	if c.RequestTimeout != 0 {
		if c.RequestTimeout < 0 {
			fail("request-timeout", "must be positive")
		}
		g.requestTimeout = time.Duration(c.RequestTimeout)
	}
	if w := c.Wait; w != nil {
		g.waitTimeout = time.Duration(w.Timeout)
		g.interval = time.Duration(w.Interval)
		if g.interval == 0 {
			g.interval = min(defaultWaitInterval, g.waitTimeout)
		}
		timing := true
		switch {
		case w.Timeout <= 0:
			fail("wait.timeout", "must be positive")
			timing = false
		case g.interval <= 0 || g.interval > g.waitTimeout:
			fail("wait.interval", "must be positive and at most wait.timeout (%s)", w.Timeout)
			timing = false
		}
		if w.Steady != nil {
			if *w.Steady < 1 {
				fail("wait.steady", "want how many healthy rounds in a row are needed, 1 or more; got %d", *w.Steady)
				timing = false
			} else {
				g.steady = *w.Steady
			}
		}
		if w.Timeout > 0 && s.Timeout > 0 && g.waitTimeout >= s.Timeout {
			fail("wait.timeout", "%s is not shorter than the gate's timeout (%s): the gate would be cut off before it can report the last answers; raise timeout or lower wait.timeout", w.Timeout, s.Timeout)
		}
		if need := time.Duration(g.steady-1) * g.interval; timing && need > g.waitTimeout {
			fail("wait.steady", "%d healthy rounds %s apart take %s, longer than wait.timeout (%s)", g.steady, g.interval, need, w.Timeout)
		}
	}
	if err := s.Join(errs...); err != nil {
		return nil, err
	}
	return g, nil
}

// parseHTTPURL parses an absolute http(s) URL.
func parseHTTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		if !strings.Contains(raw, "://") {
			// Not quoted: what cannot be parsed cannot have its password cut.
			return nil, errors.New("want an http:// or https:// URL such as https://staging.example.com, got a value without a scheme: write http:// or https:// before the host")
		}
		return nil, fmt.Errorf("want an http:// or https:// URL such as https://staging.example.com, got %q", redactURLString(raw))
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("%q has a #fragment, which is never sent to the server", redactURLString(raw))
	}
	return u, nil
}

// probeURL resolves a probe's setting: an absolute URL as it is, or a path
// joined to base's path (base https://x/api and /health give
// https://x/api/health), with its query.
func probeURL(base *url.URL, ref string) (*url.URL, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, fmt.Errorf("want a path such as /health, or a URL")
	}
	if strings.Contains(ref, "://") {
		return parseHTTPURL(ref)
	}
	if base == nil {
		return nil, fmt.Errorf("%s is a path; set base-url (such as https://staging.example.com) or write the whole URL", withoutQuery(ref))
	}
	r, err := url.Parse(ref)
	if err != nil || r.Host != "" || r.Scheme != "" {
		return nil, fmt.Errorf("want a path such as /health, or an http(s) URL, got %q", withoutQuery(ref))
	}
	u := *base
	p := path.Join("/", base.Path, r.Path)
	if strings.HasSuffix(r.Path, "/") && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	u.Path, u.RawPath = p, ""
	u.RawQuery = r.RawQuery
	if r.RawQuery == "" {
		u.RawQuery = base.RawQuery
	}
	return &u, nil
}

// redactURLString drops the password and the query string (where a token
// may hide, as the probes' messages assume) of a URL written in the file.
func redactURLString(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		c := *u
		c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = "", false, "", ""
		s := c.Redacted()
		if u.RawQuery != "" {
			s += "?…"
		}
		if u.Fragment != "" {
			s += "#" + u.Fragment
		}
		return s
	}
	return "(an unparsable URL)"
}

// withoutQuery cuts the query string off a path written in the file.
func withoutQuery(ref string) string {
	if p, _, ok := strings.Cut(ref, "?"); ok {
		return p + "?…"
	}
	return ref
}

func validHeaderName(h string) bool {
	if h == "" {
		return false
	}
	for _, r := range h {
		if r > 126 || r <= 32 || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return http.CanonicalHeaderKey(h) != ""
}
