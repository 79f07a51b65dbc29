package stagingdigest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/attempts"
	"github.com/release-gate/release-gate/internal/httpsafe"
	"github.com/release-gate/release-gate/internal/plural"
	"github.com/release-gate/release-gate/internal/promapi"
	"github.com/release-gate/release-gate/internal/registry"
	"github.com/release-gate/release-gate/internal/sanitize"
)

// defaultRequestTimeout bounds one request, to a registry or to the
// staging endpoint (request-timeout).
const defaultRequestTimeout = registry.DefaultRequestTimeout

// maxEndpointBody caps what is read from the staging endpoint.
const maxEndpointBody = 1 << 20

// parseJSONPath parses a simple path: build.digest, $.image.digest,
// images[0].digest or images.0.digest. Keys containing dots are not
// supported.
func parseJSONPath(s string) ([]string, error) {
	p := strings.TrimSpace(s)
	p = strings.TrimPrefix(p, "$")
	p = strings.TrimPrefix(p, ".")
	bad := fmt.Errorf("want a dotted path such as build.digest, $.image.digest or images[0].digest, got %q", s)
	if p == "" {
		return nil, bad
	}
	var steps []string
	for _, part := range strings.Split(p, ".") {
		key, rest, bracket := strings.Cut(part, "[")
		if (key == "" && rest == "") || (bracket && rest == "") {
			return nil, bad
		}
		if key != "" {
			if strings.ContainsAny(key, "]*'\" ") {
				return nil, bad
			}
			steps = append(steps, key)
		}
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			if n, err := strconv.Atoi(idx); !ok || err != nil || n < 0 {
				return nil, bad
			}
			steps = append(steps, idx)
			if after == "" {
				break
			}
			if !strings.HasPrefix(after, "[") {
				return nil, bad
			}
			rest = after[1:]
		}
	}
	return steps, nil
}

// lookupJSONPath walks v along steps. Messages name the part of the path
// that did not match and what was there instead.
func lookupJSONPath(v any, steps []string) (any, error) {
	for i, step := range steps {
		at := strings.Join(steps[:i], ".")
		if at == "" {
			at = "the top level"
		}
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[step]
			if !ok {
				keys := make([]string, 0, len(x))
				for k := range x {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				return nil, &missingKeyError{step: step, at: at, keys: keys}
			}
			v = next
		case []any:
			n, err := strconv.Atoi(step)
			if err != nil || n >= len(x) {
				return nil, fmt.Errorf("%s is a list of %d, so %q does not select an item", at, len(x), step)
			}
			v = x[n]
		default:
			return nil, fmt.Errorf("%s is %s, so %q does not select anything", at, jsonKind(v), step)
		}
	}
	return v, nil
}

// missingKeyError is a path step that names no key of the object there.
// The object's keys are the endpoint's text: Error shows them as they are,
// for tests; messages quote them with quoteKeys.
type missingKeyError struct {
	step, at string
	keys     []string // sorted
}

func (e *missingKeyError) Error() string { return e.message(func(k string) string { return k }) }

// maxNameShown bounds each key (or other name from a server's answer) a
// message lists: an endpoint answering with long keys must not make each
// read's note megabytes long.
const maxNameShown = 60

// message lists the first keys (see firstOf), each shown by quote.
func (e *missingKeyError) message(quote func(string) string) string {
	return fmt.Sprintf("no key %q at %s (keys there: %s)", e.step, e.at, plural.First(len(e.keys), maxListed, func(k int) string { return quote(e.keys[k]) }))
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "true or false"
	case []any:
		return "a list"
	}
	return "an object"
}

// endpointURL names the endpoint in messages: no query string or user
// info, where a token might hide.
func endpointURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the staging endpoint"
	}
	u.RawQuery, u.User, u.Fragment = "", nil, ""
	return u.String()
}

// readEndpoint GETs the staging endpoint once and returns the digest at the
// JSON path.
func (g *Gate) readEndpoint(ctx context.Context, env *gates.Env) (v1.Hash, error) {
	e := g.cfg.StagingEndpoint
	where := endpointURL(e.URL)
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, g.requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.URL, nil)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("GET %s: %w", where, err)
	}
	req.Header.Set("Accept", "application/json")
	// The URL's password and query values go to the endpoint, which may
	// echo them: they are cut out of whatever of its answer is quoted,
	// before it is cut short.
	var secrets []string
	if pw, ok := req.URL.User.Password(); ok {
		env.Mask(pw)
		secrets = append(secrets, pw)
	}
	for _, vs := range req.URL.Query() {
		for _, v := range vs {
			if len(v) >= 8 { // a token; not format=json
				secrets = append(secrets, v)
			}
		}
	}
	// quote is how any of the endpoint's text is shown: redacted, then cut
	// to n bytes.
	quote := func(s string, n int) string { return promapi.Excerpt(parent, []byte(s), secrets, n) }
	// user:password and the query string (the Referer) never follow a
	// redirect to another origin, and a redirect to plain HTTP, where the
	// digest could be forged, is refused.
	resp, err := httpsafe.Client(env.HTTPClient).Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // its text repeats the full URL
		}
		if parent.Err() == nil && ctx.Err() != nil {
			return v1.Hash{}, fmt.Errorf("GET %s: no answer within %s (request-timeout)", where, g.requestTimeout)
		}
		// The client's error may quote the server (a Location it could
		// not read), which may echo what the request carried.
		return v1.Hash{}, fmt.Errorf("GET %s: %s", where, httpsafe.CutSecrets(err.Error(), secrets...))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxEndpointBody+1))
	if err != nil {
		if parent.Err() == nil && ctx.Err() != nil {
			return v1.Hash{}, fmt.Errorf("GET %s: the answer did not finish within %s (request-timeout)", where, g.requestTimeout)
		}
		return v1.Hash{}, fmt.Errorf("GET %s: reading the answer: %w", where, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return v1.Hash{}, fmt.Errorf("GET %s: %s", where, quote(resp.Status, 100))
	}
	if len(body) > maxEndpointBody {
		return v1.Hash{}, fmt.Errorf("GET %s: the answer is larger than %d bytes", where, maxEndpointBody)
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return v1.Hash{}, fmt.Errorf("GET %s: the answer is not JSON (Content-Type %q, starts %q)", where, quote(resp.Header.Get("Content-Type"), 60), quote(string(body), 60))
	}
	v, err := lookupJSONPath(doc, g.jsonPath)
	if mk := (*missingKeyError)(nil); errors.As(err, &mk) {
		return v1.Hash{}, fmt.Errorf("GET %s: json-path %s: %s", where, e.JSONPath, mk.message(func(k string) string { return quote(k, maxNameShown) }))
	}
	if err != nil {
		return v1.Hash{}, fmt.Errorf("GET %s: json-path %s: %w", where, e.JSONPath, err)
	}
	s, ok := v.(string)
	if !ok {
		return v1.Hash{}, fmt.Errorf("GET %s: json-path %s is %s, not a digest string", where, e.JSONPath, jsonKind(v))
	}
	h, err := parseDigestValue(s)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("GET %s: json-path %s is %q, not a digest (sha256:… or name@sha256:…)", where, e.JSONPath, quote(s, 120))
	}
	return h, nil
}

// parseDigestValue reads "sha256:…" or "name@sha256:…".
func parseDigestValue(s string) (v1.Hash, error) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	return v1.NewHash(s)
}

// checkEndpoint requires the staging endpoint to report one of want (the
// candidate's digest; with a platform, also its index's). With wait it
// re-reads until it does or wait.timeout passes, noting each attempt.
// A mismatch on the last read is a finding; a failed last read is an error.
func (g *Gate) checkEndpoint(ctx context.Context, env *gates.Env, want []v1.Hash) (*gates.Finding, error) {
	where := endpointURL(g.cfg.StagingEndpoint.URL)
	path := g.cfg.StagingEndpoint.JSONPath
	var timeout time.Duration
	maxAttempts := 1
	if g.cfg.Wait != nil {
		timeout = time.Duration(g.cfg.Wait.Timeout)
		// A bound that does not depend on the clock moving.
		maxAttempts = int(timeout/g.interval) + 2
	}
	start := env.Now()
	deadline := start.Add(timeout)
	lastProgress := start
	var (
		seen    v1.Hash
		lastErr error
	)
	// A long wait on an endpoint that keeps answering the same is one
	// note for all the attempts after the first.
	notes := attempts.New(env, "staging-endpoint attempt", "(%s)")
	defer notes.Flush()
	attempt := 0
	for attempt < maxAttempts {
		attempt++
		seen, lastErr = g.readEndpoint(ctx, env)
		elapsed := env.Now().Sub(start).Round(time.Millisecond).String()
		var text string
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("reading staging-endpoint %s: %w", where, ctx.Err())
		case lastErr != nil:
			text = lastErr.Error()
		case slices.Contains(want, seen):
			text = fmt.Sprintf("%s at %s is %s: staging runs the candidate", where, path, seen)
			notes.Add(attempt, elapsed, text, text)
			return nil, nil
		default:
			text = fmt.Sprintf("%s at %s is %s, not the candidate", where, path, seen)
		}
		notes.Add(attempt, elapsed, text, text)
		remaining := deadline.Sub(env.Now())
		if g.cfg.Wait == nil || remaining <= 0 || attempt >= maxAttempts {
			break
		}
		if now := env.Now(); now.Sub(lastProgress) >= 5*time.Second {
			env.Progressf("waiting for staging to run %s: attempt %d, %s left", want[0], attempt, remaining.Round(time.Second))
			lastProgress = now
		}
		t := time.NewTimer(min(g.interval, remaining))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("waiting for staging-endpoint %s to show %s: %w", where, want[0], ctx.Err())
		case <-t.C:
		}
	}
	over := ""
	if g.cfg.Wait != nil {
		over = fmt.Sprintf(" (last of %d attempts over %s)", attempt, env.Now().Sub(start).Round(time.Millisecond))
	}
	notes.Flush()
	if lastErr != nil {
		if len(lastErr.Error()) > attempts.MaxText {
			return nil, fmt.Errorf("reading staging-endpoint: %s%s", sanitize.Clip(lastErr.Error(), attempts.MaxText), over)
		}
		return nil, fmt.Errorf("reading staging-endpoint: %w%s", lastErr, over)
	}
	msg := fmt.Sprintf("staging-endpoint %s reports %s at %s, not the candidate's %s%s: staging does not run the image being released", where, seen, path, want[0], over)
	if g.cfg.Wait == nil {
		msg += "; if staging is still rolling out, add wait: {interval, timeout}"
	}
	return &gates.Finding{Rule: "staging-not-running", Severity: gates.SeverityError, Message: msg}, nil
}
