// Package httpsafe is release-gate's one policy for HTTP servers it does
// not take at their word: where credentials may go when a server redirects,
// and how much of an answer is read.
//
// Every gate sends its requests through a Transport (Client wraps an
// http.Client's). On a redirect the client follows:
//
//   - from HTTPS to plain HTTP, the request is refused with a *RedirectError
//     naming both URLs: the answer could be forged on the way, and whatever
//     the request carries could be read;
//   - to another origin (scheme, host or port differ from the first
//     request's), the request goes without credentials: only the headers
//     that describe what is asked for (Accept, Range, User-Agent, ...) are
//     kept, so Authorization, cookies, tenant and API-key headers, AWS
//     signatures and session tokens, and the Referer all stay behind, and
//     so does any user:password in the URL;
//   - to another origin with a body (a 307 or 308 after a POST, whose form
//     may hold a refresh token), the request is refused: a body cannot be
//     told apart from a credential.
//
// Go's http.Client drops Authorization and cookies only for another host
// name that is not a subdomain: it keeps them for a subdomain, another port
// and a downgrade to plain HTTP on the same host, and keeps every custom
// header (X-Scope-OrgID, X-Api-Key, X-Amz-Security-Token) wherever the
// redirect leads. Libraries that add credentials in their own transports
// (go-containerregistry, the AWS SDK) send them through this one too, so
// the policy holds for them as well.
package httpsafe

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Transport applies the redirect policy to each request before inner sends
// it. Make one with NewTransport.
type Transport struct {
	inner http.RoundTripper
}

// NewTransport wraps inner (http.DefaultTransport when nil) with the
// redirect policy. A Transport is returned as it is: the policy is applied
// once.
func NewTransport(inner http.RoundTripper) http.RoundTripper {
	if t, ok := inner.(*Transport); ok {
		return t
	}
	if inner == nil {
		inner = http.DefaultTransport
	}
	return &Transport{inner: inner}
}

// NewClient is the HTTP client release-gate gives its gates: a fresh
// transport (no connections shared with other users of
// http.DefaultTransport) behind the policy.
func NewClient() *http.Client {
	return &http.Client{Transport: NewTransport(http.DefaultTransport.(*http.Transport).Clone())}
}

// Client returns a copy of c (http.DefaultClient when nil) whose transport
// applies the policy. c itself is not changed.
func Client(c *http.Client) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	out := *c
	out.Transport = NewTransport(c.Transport)
	return &out
}

// Inner returns the transport a Transport wraps, or rt itself when it is
// not one (for code that must reach the *http.Transport underneath, to set
// TLS options, and wraps the result again).
func Inner(rt http.RoundTripper) http.RoundTripper {
	if t, ok := rt.(*Transport); ok {
		return t.inner
	}
	return rt
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Response == nil || req.Response.Request == nil {
		return t.inner.RoundTrip(req) // not a redirect
	}
	prev := req.Response.Request
	if strings.EqualFold(prev.URL.Scheme, "https") && !strings.EqualFold(req.URL.Scheme, "https") {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &RedirectError{From: Redact(prev.URL), To: Redact(req.URL), Why: whyDowngrade}
	}
	if Origin(first(req).URL) != Origin(req.URL) {
		if req.Body != nil && req.Body != http.NoBody {
			req.Body.Close()
			return nil, &RedirectError{From: Redact(prev.URL), To: Redact(req.URL), Why: whyBody}
		}
		req = withoutCredentials(req)
	}
	return t.inner.RoundTrip(req)
}

// first is the request a chain of redirects started from.
func first(req *http.Request) *http.Request {
	for req.Response != nil && req.Response.Request != nil {
		req = req.Response.Request
	}
	return req
}

// keptAcrossOrigins are the request headers that travel to another origin:
// they say what is asked for, and none of them can hold a credential.
var keptAcrossOrigins = map[string]bool{
	"Accept":              true,
	"Accept-Encoding":     true,
	"Accept-Language":     true,
	"Cache-Control":       true,
	"Content-Length":      true,
	"Content-Type":        true,
	"If-Match":            true,
	"If-Modified-Since":   true,
	"If-None-Match":       true,
	"If-Range":            true,
	"If-Unmodified-Since": true,
	"Pragma":              true,
	"Range":               true,
	"User-Agent":          true,
}

// withoutCredentials is a copy of req with only the headers every origin
// may see, and no user info in its URL.
func withoutCredentials(req *http.Request) *http.Request {
	out := req.Clone(req.Context())
	for k := range out.Header {
		if !keptAcrossOrigins[http.CanonicalHeaderKey(k)] {
			delete(out.Header, k)
		}
	}
	out.URL.User = nil
	return out
}

// Origin is a URL's scheme, host and port, with the scheme's default port
// written out: https://example.com and https://EXAMPLE.com:443 are one
// origin; http://example.com, https://example.com:8443 and
// https://api.example.com are three others.
func Origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// Redact is a URL as messages may show it: without user info, query string
// or fragment, where credentials and signed tokens travel.
func Redact(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = nil, "", false, "", ""
	return c.String()
}

// Why a redirect is refused.
const (
	whyDowngrade = "it leaves HTTPS for plain HTTP, where the answer could be forged and credentials read; point the configuration at the final HTTPS address, or fix the server's redirect"
	whyBody      = "it would send the request's body, which may hold credentials, to another origin; fix the server's redirect"
)

// RedirectError is a redirect the policy refused to follow.
type RedirectError struct {
	From, To string // both redacted
	Why      string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("refused to follow the redirect from %s to %s: %s", e.From, e.To, e.Why)
}
