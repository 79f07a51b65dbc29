package alertpresence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/release-gate/release-gate/internal/httpsafe"
	"github.com/release-gate/release-gate/internal/promapi"
)

// maxResponse bounds an API answer read into memory (a large Prometheus
// serves tens of MB of rules).
const maxResponse = 512 << 20

// Smaller bounds for the answers that are small by nature: the
// Alertmanager's configuration, parsed again as YAML at tens of times its
// size in memory, is kilobytes (a few MB for the largest); a silence is a
// few hundred bytes.
const (
	maxStatusResponse   = 16 << 20
	maxSilencesResponse = 64 << 20
	maxListResponse     = 16 << 20 // /api/v1/alertmanagers
)

// answerLimit is the bound on the answer to an API path.
func answerLimit(p string) int64 {
	switch p {
	case "/api/v2/status":
		return maxStatusResponse
	case "/api/v2/silences", "/api/v2/alerts":
		return maxSilencesResponse
	case "/api/v1/alertmanagers":
		return maxListResponse
	}
	return maxResponse
}

// apiClient makes GET requests to one server with its tenant and token.
type apiClient struct {
	hc     *http.Client
	base   *url.URL
	header http.Header
	// server names the server in hints ("Prometheus", "Alertmanager").
	server string
	// secrets are what requests carry that an answer may echo: the token
	// and the URL's password, cut out of what messages quote of answers.
	secrets []string
}

func newAPIClient(hc *http.Client, base *url.URL, server, tenant, token string) *apiClient {
	h, carried := promapi.Headers("alert-presence", base, tenant, token)
	return &apiClient{hc: hc, base: base, header: h, server: server, secrets: carried}
}

// endpoint returns the URL of an API path under the base.
func (c *apiClient) endpoint(p string) *url.URL {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + p
	return &u
}

// get fetches path and decodes its JSON body into out. Every failure names
// the URL (without credentials): unreachable, non-2xx with the start of the
// body, an answer that is not JSON.
func (c *apiClient) get(ctx context.Context, p string, out any) error {
	u := c.endpoint(p)
	shown := u.Redacted()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", shown, err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("GET %s: %w", shown, ctx.Err())
		}
		return fmt.Errorf("GET %s: %s is unreachable: %w", shown, c.server, err)
	}
	defer resp.Body.Close()
	limit := answerLimit(p)
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("GET %s: reading the answer: %w", shown, err)
	}
	if int64(len(body)) > limit {
		return fmt.Errorf("GET %s: the answer is larger than %d MiB, which is not what the %s API answers; check the URL", shown, limit>>20, c.server)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := fmt.Sprintf("GET %s: %s", shown, httpsafe.CutSecrets(resp.Status, c.secrets...))
		if excerpt := promapi.Excerpt(ctx, body, c.secrets, 200); excerpt != "" {
			msg += ": " + excerpt
		}
		return &statusError{Code: resp.StatusCode, msg: msg + c.hint(resp.StatusCode, p)}
	}
	if err := json.Unmarshal(body, out); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("GET %s: the answer is not shaped like the %s API's (%s is a JSON %s); is this the %s API? check the URL",
				shown, c.server, te.Field, te.Value, c.server)
		}
		ct := httpsafe.CutSecrets(resp.Header.Get("Content-Type"), c.secrets...)
		return fmt.Errorf("GET %s: the answer is not JSON (Content-Type %q; starts with %q): %v; is this the %s API? check the URL",
			shown, ct, promapi.Excerpt(ctx, body, c.secrets, 200), err, c.server)
	}
	return nil
}

// statusError is a non-2xx answer.
type statusError struct {
	Code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

// hint says what to check for statuses a user can fix.
func (c *apiClient) hint(status int, p string) string {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Sprintf(" (the %s refused the credentials: check token-env, tenant, or user:password in the URL)", c.server)
	case http.StatusNotFound:
		if p == "/api/v1/alertmanagers" {
			return ""
		}
		if c.server == "Prometheus" {
			return " (is the URL the base of the Prometheus API? for Mimir or Cortex add /prometheus, e.g. https://mimir.example.com/prometheus)"
		}
		return " (is the URL the base of the Alertmanager API? for Mimir add /alertmanager)"
	}
	return ""
}
