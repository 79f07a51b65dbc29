// Package promapi holds what the gates that read Prometheus-compatible
// APIs (Prometheus, Mimir, Cortex, Thanos, Alertmanager) share: the headers
// a request carries, and what of a server's answer a message may quote.
// The requests themselves stay with each gate: their bounds, timeouts and
// hints differ.
package promapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/internal/httpsafe"
	"github.com/release-gate/release-gate/internal/secrets"
)

// BearerToken reads the token that the variable name holds (named by key,
// token-env or alertmanager-token-env) and masks it; "" when name is "". A
// variable that is empty or not set is an error that says how to set it,
// and does not repeat a name that looks like the token itself (see
// config.EnvNameLooksSecret), which is masked too.
func BearerToken(getenv func(string) string, mask func(string), key, name string) (string, error) {
	if name == "" {
		return "", nil
	}
	tok := getenv(name)
	if tok == "" {
		if config.EnvNameLooksSecret(name) {
			mask(name)
			return "", fmt.Errorf("%s: names a variable that is not set or empty, and the name looks like a token itself, so it is not shown; %s takes the name of the variable that holds the token (such as PROMETHEUS_TOKEN), never the token", key, key)
		}
		return "", fmt.Errorf("%s: the environment variable %s is not set or empty; set it to the bearer token (in GitHub Actions: env: {%s: ${{ secrets.%s }}})", key, name, name, name)
	}
	mask(tok)
	return tok, nil
}

// Headers returns the headers of a request by gate to the API at base,
// for tenant (Mimir's and Cortex's X-Scope-OrgID, none when empty) with a
// bearer token (none when empty), and the secrets the request carries:
// the token and the password of base's user information, which an answer
// may echo (see Excerpt).
func Headers(gate string, base *url.URL, tenant, token string) (http.Header, []string) {
	h := http.Header{}
	h.Set("Accept", "application/json")
	h.Set("User-Agent", "release-gate ("+gate+")")
	if tenant != "" {
		h.Set("X-Scope-OrgID", tenant)
	}
	var carried []string
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
		carried = append(carried, token)
	}
	if pw, ok := base.User.Password(); ok {
		carried = append(carried, pw)
	}
	return h, carried
}

// Redact returns text a server sent with the secrets the request carried,
// and those gitleaks' default rules (and a URL's password) find, cut out.
// When it cannot be checked, it says so instead of showing it.
func Redact(ctx context.Context, text string, carried []string) string {
	s, err := secrets.RedactString(ctx, httpsafe.CutSecrets(text, carried...))
	if err != nil {
		return "(not shown: " + err.Error() + ")"
	}
	return s
}

// RedactStart is Redact for the start of a long text: the carried secrets
// are cut from all of it, but only its first limit bytes, and a margin of
// secrets.RedactMargin past them, are searched with gitleaks' rules, and the
// margin is then dropped. Dropped after the search, not before: a secret
// across the end of what is searched would be cut there, no longer
// recognised, and the secrets found before it, cut to ***, could bring
// its start within what a caller shows.
func RedactStart(ctx context.Context, text string, carried []string, limit int) string {
	text = httpsafe.CutSecrets(text, carried...)
	if len(text) <= limit+secrets.RedactMargin {
		return Redact(ctx, text, nil)
	}
	s, err := secrets.RedactString(ctx, text[:limit+secrets.RedactMargin])
	if err != nil {
		return "(not shown: " + err.Error() + ")"
	}
	return s[:max(len(s)-secrets.RedactMargin, 0)]
}

// Excerpt is the first line of a server's answer, at most max bytes (then
// ending in …), printable UTF-8, redacted (see Redact) before it is cut:
// half a secret is no longer recognised. The carried secrets are cut from
// the whole answer; only about its first 20*max bytes are searched with
// gitleaks' rules (see RedactStart).
func Excerpt(ctx context.Context, body []byte, carried []string, max int) string {
	s := RedactStart(ctx, string(body), carried, 20*max)
	s = strings.TrimSpace(s[:min(len(s), 4*max)])
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "…"
	}
	return s
}
