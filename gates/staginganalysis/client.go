package staginganalysis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/release-gate/release-gate/internal/httpsafe"
	"github.com/release-gate/release-gate/internal/promapi"
	"github.com/release-gate/release-gate/internal/sanitize"
)

// maxAnswer bounds one API answer read into memory: a query answer the
// gate can use has at most max-series series of at most 1,000 points.
const maxAnswer = 32 << 20

// apiClient makes GET requests to one server with its tenant and token.
type apiClient struct {
	hc      *http.Client
	base    *url.URL
	header  http.Header
	server  string
	secrets []string
	timeout time.Duration
}

func newAPIClient(hc *http.Client, base *url.URL, server, tenant, token string, timeout time.Duration) *apiClient {
	h, carried := promapi.Headers("staging-analysis", base, tenant, token)
	return &apiClient{hc: httpsafe.Client(hc), base: base, header: h, server: server, secrets: carried, timeout: timeout}
}

// get fetches path?params and returns the body of a 2xx answer. Every
// failure names the URL without credentials or query.
func (c *apiClient) get(ctx context.Context, p string, params url.Values) ([]byte, error) {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + p
	u.RawQuery = params.Encode()
	shown := httpsafe.Redact(&u)
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", shown, err)
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
			return nil, fmt.Errorf("GET %s: no answer within %s: %w", shown, c.timeout, ctx.Err())
		}
		return nil, fmt.Errorf("GET %s: %s is unreachable: %s", shown, c.server, httpsafe.CutSecrets(err.Error(), c.secrets...))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: reading the answer: %s", shown, httpsafe.CutSecrets(err.Error(), c.secrets...))
	}
	if len(body) > maxAnswer {
		return nil, fmt.Errorf("GET %s: the answer is larger than %s, which no analysis reads; check the URL, or narrow the query", shown, httpsafe.FormatBytes(maxAnswer))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := fmt.Sprintf("GET %s: %s", shown, httpsafe.CutSecrets(resp.Status, c.secrets...))
		var apiErr struct {
			Status    string `json:"status"`
			ErrorType string `json:"errorType"`
			Error     string `json:"error"`
		}
		if json.Unmarshal(body, &apiErr) == nil && apiErr.Status == "error" && apiErr.Error != "" {
			// The query API's own error: say what the server refused.
			msg = fmt.Sprintf("%s refused the query (GET %s: %s): %s: %s", c.server, shown, httpsafe.CutSecrets(resp.Status, c.secrets...),
				c.shown(ctx, apiErr.ErrorType, 40), c.shown(ctx, apiErr.Error, 300))
		} else if ex := promapi.Excerpt(ctx, body, c.secrets, 120); ex != "" {
			msg += ": " + ex
		}
		switch resp.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			msg += fmt.Sprintf(" (the %s refused the credentials: check token-env, tenant, or user:password in the URL)", c.server)
		case http.StatusNotFound:
			msg += fmt.Sprintf(" (is the URL the base of the %s API? for Mimir add /prometheus or /alertmanager)", c.server)
		}
		return nil, errors.New(msg)
	}
	return body, nil
}

// shown is text from the server, with the carried secrets and the secrets
// gitleaks' rules find cut out, clipped to n bytes. Only about its first
// 20n bytes are searched with the rules (an error text may be megabytes,
// and searching 30 MB took 2.5 s for each of a run's queries); see
// promapi.RedactStart, which also cuts the carried secrets from all of it,
// so that none is shown in part.
func (c *apiClient) shown(ctx context.Context, text string, n int) string {
	return sanitize.Clip(promapi.RedactStart(ctx, text, c.secrets, 20*n), n)
}

// decode unmarshals a JSON answer, naming what it was when it is not JSON.
func (c *apiClient) decode(ctx context.Context, p string, body []byte, out any) error {
	if err := json.Unmarshal(body, out); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%s: the answer is not shaped like the %s API's (%s is a JSON %s); check the URL", p, c.server, te.Field, te.Value)
		}
		return fmt.Errorf("%s: the answer is not JSON (starts with %q); is this the %s API? check the URL", p, promapi.Excerpt(ctx, body, c.secrets, 120), c.server)
	}
	return nil
}
