package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Kinds of registry failure. Every *Error matches exactly one of them with
// errors.Is:
//
//	if errors.Is(err, registry.ErrNotFound) { /* a finding, not an error */ }
var (
	// ErrNotFound: the registry has no such manifest or repository (a 404
	// for a manifest or tag list; a 404 for /v2/ is ErrUnexpected).
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized: 401, no or rejected credentials.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: 403, the credentials may not pull.
	ErrForbidden = errors.New("forbidden")
	// ErrRateLimited: 429 on every attempt.
	ErrRateLimited = errors.New("rate limited")
	// ErrUnavailable: 408 or 5xx on every attempt.
	ErrUnavailable = errors.New("unavailable")
	// ErrUnexpected: any other answer (another status, a body that is not
	// what the API promises).
	ErrUnexpected = errors.New("unexpected answer")
	// ErrTLS: an untrusted certificate or a failed handshake.
	ErrTLS = errors.New("TLS failed")
	// ErrPlainHTTP: the registry speaks plain HTTP and insecure is not set.
	ErrPlainHTTP = errors.New("plain HTTP refused")
	// ErrUnreachable: DNS failed or the connection was refused.
	ErrUnreachable = errors.New("unreachable")
	// ErrNoAnswer: a request got no answer, or not all of it, within the
	// request timeout (see WithRequestTimeout).
	ErrNoAnswer = errors.New("no answer")
)

// Error is a registry call that failed, explained for the people reading
// the job summary. Its message says what failed, where and what to do; it
// never holds a credential. errors.Is matches its Kind; errors.As reaches
// the library's error underneath (such as *transport.Error).
type Error struct {
	Kind   error  // one of the Err* kinds above
	Host   string // the registry
	Status int    // the registry's HTTP status; 0 when it did not answer
	Msg    string
	Err    error
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the library's error.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the error's kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// classify explains a failed call about what (a reference or a repository)
// in repo. It returns err itself when the context ended (the caller says
// why) or when the failure is none of the known kinds.
func (c *Client) classify(ctx context.Context, repo name.Repository, what string, err error) error {
	host := repo.RegistryStr()
	var explained *Error
	if errors.As(err, &explained) {
		return err
	}
	if isNotFound(err) {
		return &Error{Kind: ErrNotFound, Host: host, Status: http.StatusNotFound, Err: err,
			Msg: fmt.Sprintf("%s does not exist in registry %s (%s)", what, host, ShortError(err))}
	}
	if ctx.Err() != nil {
		return err
	}
	e := &Error{Host: host, Err: err}
	te := findTransportError(err)
	if te != nil {
		e.Status = te.StatusCode
	}
	switch {
	case te != nil && te.StatusCode == http.StatusUnauthorized:
		e.Kind, e.Msg = ErrUnauthorized, c.authAdvice(host, repo, te)
	case te != nil && te.StatusCode == http.StatusForbidden:
		e.Kind, e.Msg = ErrForbidden, c.authAdvice(host, repo, te)
	case te != nil && retryStatus[te.StatusCode]:
		e.Kind = ErrUnavailable
		if te.StatusCode == http.StatusTooManyRequests {
			e.Kind = ErrRateLimited
		}
		e.Msg = fmt.Sprintf("registry %s keeps failing: %s; try again later", host, ShortError(err))
	case te != nil:
		e.Kind, e.Msg = ErrUnexpected, fmt.Sprintf("registry %s answered %s", host, ShortError(err))
	case findNoAnswer(err) != nil:
		e.Kind, e.Msg = ErrNoAnswer, findNoAnswer(err).Error()
	case anyError(err, isCertError):
		e.Kind, e.Msg = ErrTLS, fmt.Sprintf("TLS with registry %s failed: %s. If it uses a private certificate authority, add that to the trust store (SSL_CERT_FILE or SSL_CERT_DIR)", host, ShortError(err))
	case anyError(err, isUnreachable):
		e.Kind, e.Msg = ErrUnreachable, fmt.Sprintf("cannot reach registry %s: %s", host, ShortError(err))
	case c.tr.refusedHTTP(host) || (!c.tr.insecure && anyError(err, isHTTPAnswer)):
		e.Kind, e.Msg = ErrPlainHTTP, fmt.Sprintf("registry %s did not answer over HTTPS (%s); release-gate uses plain HTTP only when the gate sets insecure: true", host, ShortError(err))
	case anyError(err, isTLSError):
		e.Kind, e.Msg = ErrTLS, fmt.Sprintf("TLS with registry %s failed: %s", host, ShortError(err))
	default:
		return err
	}
	return e
}

// authAdvice explains a 401 or 403: whose credentials, and what to check.
func (c *Client) authAdvice(host string, repo name.Repository, te *transport.Error) string {
	status := statusLine(te)
	used := c.creds.describe(host)
	var msg string
	switch {
	case c.creds.anonymous(host):
		msg = fmt.Sprintf("registry %s requires credentials (%s) and none were found (%s)", host, status, strings.TrimPrefix(used, "no credentials (anonymous); "))
	case te.StatusCode == http.StatusUnauthorized:
		msg = fmt.Sprintf("registry %s refused the credentials from %s (%s): check that they are valid, not expired and allowed to pull %s", host, used, status, repo)
	default:
		msg = fmt.Sprintf("registry %s denied access with the credentials from %s (%s): they may not pull %s", host, used, status, repo)
	}
	msg += "; many registries also answer 401 or 403 for a repository that does not exist"
	if host == ghcrRegistry {
		msg += ". For GHCR: give the job permissions: packages: read, pass the action's token input (default github.token), and grant this repository access to the package (package settings, Manage Actions access)"
	} else {
		msg += ". See " + c.loginHelp + " for registry logins"
	}
	return msg
}

// ShortError formats err for a message: the registry's answer as
// "METHOD URL: status" when there is one, with the number of attempts. Of
// the errors of an HTTPS-then-HTTP ping it keeps the HTTPS one when plain
// HTTP was not allowed.
func ShortError(err error) string {
	if list := errorList(err); len(list) > 1 {
		// The registry's own answer says most; else every failure but the
		// plain HTTP the gate refused itself.
		answered := slices.ContainsFunc(list, func(e error) bool { return findTransportError(e) != nil })
		var parts []string
		for _, e := range list {
			var refused *plainHTTPRefused
			if errors.As(e, &refused) || (answered && findTransportError(e) == nil) {
				continue
			}
			parts = append(parts, ShortError(e))
		}
		if len(parts) > 0 {
			return strings.Join(parts, "; ") + attemptsSuffix(err)
		}
	}
	te := findTransportError(err)
	if te == nil {
		return err.Error()
	}
	return statusLine(te) + attemptsSuffix(err)
}

func attemptsSuffix(err error) string {
	var ae *attemptsError
	if !errors.As(err, &ae) {
		return ""
	}
	if ae.note != "" {
		return fmt.Sprintf(" (gave up after %d attempts: %s)", ae.attempts, ae.note)
	}
	return fmt.Sprintf(" (after %d attempts)", ae.attempts)
}

// statusLine is "HEAD https://host/v2/repo/manifests/tag: 404 Not Found"
// plus the registry's error codes; the query string (token scopes) is left out.
func statusLine(te *transport.Error) string {
	var b strings.Builder
	if te.Request != nil {
		u := *te.Request.URL
		u.RawQuery, u.User = "", nil
		fmt.Fprintf(&b, "%s %s: ", te.Request.Method, u.String())
	}
	fmt.Fprintf(&b, "%d %s", te.StatusCode, http.StatusText(te.StatusCode))
	var diags []string
	for _, d := range te.Errors {
		s := string(d.Code)
		if d.Message != "" {
			s += ": " + d.Message
		}
		diags = append(diags, s)
	}
	if len(diags) > 0 {
		b.WriteString(" (" + strings.Join(diags, "; ") + ")")
	}
	return b.String()
}

// anyError reports whether pred holds for err, anything it wraps, or any
// error in a list it holds.
func anyError(err error, pred func(error) bool) bool {
	if err == nil {
		return false
	}
	if pred(err) {
		return true
	}
	for _, e := range errorList(err) {
		if anyError(e, pred) {
			return true
		}
	}
	return false
}

// isCertError reports a certificate the client does not trust.
func isCertError(err error) bool {
	var (
		verr *tls.CertificateVerificationError
		uerr x509.UnknownAuthorityError
		herr x509.HostnameError
		cerr x509.CertificateInvalidError
	)
	return errors.As(err, &verr) || errors.As(err, &uerr) || errors.As(err, &herr) || errors.As(err, &cerr)
}

// isHTTPAnswer reports a plain-HTTP server answering a TLS handshake.
func isHTTPAnswer(err error) bool {
	var rherr tls.RecordHeaderError
	return errors.As(err, &rherr) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// isTLSError reports any other failed handshake.
func isTLSError(err error) bool {
	var aerr tls.AlertError
	return errors.As(err, &aerr) || strings.Contains(err.Error(), "tls: ")
}

// findNoAnswer finds a request that ran out of time in err, or in a list
// of errors it holds.
func findNoAnswer(err error) *NoAnswerError {
	na, _ := find[*NoAnswerError](err)
	return na
}

func isUnreachable(err error) bool {
	var (
		operr  *net.OpError
		dnserr *net.DNSError
	)
	if errors.As(err, &dnserr) {
		return true
	}
	return errors.As(err, &operr) && operr.Op == "dial"
}
