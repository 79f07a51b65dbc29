package stagingdigest

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

// explained is an error whose message is written for the people reading
// the job summary; the original stays reachable for errors.Is and As.
type explained struct {
	msg    string // the whole message
	detail string // the message without "resolving <role> <ref>: "
	key    string // the kind of failure and the registry, to merge repeats
	err    error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

// explain turns a failure to resolve ref into an error that says what
// failed, where, and what to do about it.
func (r *resolver) explain(ctx context.Context, role string, ref name.Reference, err error) error {
	prefix := fmt.Sprintf("resolving %s %q", role, ref.String())
	host := ref.Context().RegistryStr()
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", prefix, err)
	}
	te := findTransportError(err)
	var msg, key string
	if te != nil {
		key = fmt.Sprintf("status %d", te.StatusCode)
	}
	switch {
	case te != nil && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden):
		msg = r.authAdvice(host, ref, te)
	case te != nil && retryStatus[te.StatusCode]:
		msg = fmt.Sprintf("registry %s keeps failing: %s; try again later", host, shortError(err))
	case te != nil:
		msg = fmt.Sprintf("registry %s answered %s", host, shortError(err))
	case anyError(err, isCertError):
		key = "certificate"
		msg = fmt.Sprintf("TLS with registry %s failed: %s. If it uses a private certificate authority, add that to the trust store (SSL_CERT_FILE or SSL_CERT_DIR)", host, shortError(err))
	case anyError(err, isUnreachable):
		key = "unreachable"
		msg = fmt.Sprintf("cannot reach registry %s: %s", host, shortError(err))
	case r.tr.refusedHTTP(host) || (!r.tr.insecure && anyError(err, isHTTPAnswer)):
		key = "plain http"
		msg = fmt.Sprintf("registry %s did not answer over HTTPS (%s); release-gate uses plain HTTP only when the gate sets insecure: true", host, shortError(err))
	case anyError(err, isTLSError):
		key = "tls"
		msg = fmt.Sprintf("TLS with registry %s failed: %s", host, shortError(err))
	default:
		return fmt.Errorf("%s: %w", prefix, err)
	}
	return &explained{msg: prefix + ": " + msg, detail: msg, key: key + " " + host, err: err}
}

// authAdvice explains a 401 or 403: whose credentials, and what to check.
func (r *resolver) authAdvice(host string, ref name.Reference, te *transport.Error) string {
	status := statusLine(te)
	used := r.creds.describe(host)
	var msg string
	switch {
	case r.creds.anonymous(host):
		msg = fmt.Sprintf("registry %s requires credentials (%s) and none were found (%s)", host, status, strings.TrimPrefix(used, "no credentials (anonymous); "))
	case te.StatusCode == http.StatusUnauthorized:
		msg = fmt.Sprintf("registry %s refused the credentials from %s (%s): check that they are valid, not expired and allowed to pull %s", host, used, status, ref.Context())
	default:
		msg = fmt.Sprintf("registry %s denied access with the credentials from %s (%s): they may not pull %s", host, used, status, ref.Context())
	}
	msg += "; many registries also answer 401 or 403 for a repository that does not exist"
	if host == ghcrRegistry {
		msg += ". For GHCR: give the job permissions: packages: read, pass the action's token input (default github.token), and grant this repository access to the package (package settings, Manage Actions access)"
	} else {
		msg += ". See the staging-digest section of the README for registry logins"
	}
	return msg
}

// shortError formats err for a message: the registry's answer as
// "METHOD URL: status" when there is one, with the number of attempts. Of
// the errors of an HTTPS-then-HTTP ping it keeps the HTTPS one when plain
// HTTP was not allowed.
func shortError(err error) string {
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
			parts = append(parts, shortError(e))
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
