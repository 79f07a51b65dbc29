package healthendpoints

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/release-gate/release-gate/internal/httpsafe"
	detectsecrets "github.com/release-gate/release-gate/internal/secrets"
)

// maxExcerpt bounds the body excerpt shown for an unhealthy answer.
const maxExcerpt = 200

// maxBodyRead bounds what is read of an answer to make the excerpt.
const maxBodyRead = 4096

// maxCutSecret is the longest secret of a server's own (one gitleaks'
// rules find, not a credential the probe carried) that is sure not to be
// shown in part where the body read is cut.
const maxCutSecret = detectsecrets.RedactMargin

// probe is one endpoint the gate checks.
type probe struct {
	rule string // liveness | readiness
	url  *url.URL
}

// where names the probe's URL in messages: no user info or query string,
// where a credential might hide.
func (p probe) where() string { return displayURL(p.url) }

func displayURL(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.ForceQuery, c.Fragment = nil, "", false, ""
	return c.String()
}

// answer is what one request to a probe gave.
type answer struct {
	status  int    // 0 when no HTTP answer came
	text    string // "503 Service Unavailable"
	excerpt string // of the body, sanitized; for unhealthy answers
	latency time.Duration
	netErr  error // why no answer came
	tlsErr  bool
}

// answered reports whether the server answered over HTTP at all.
func (a answer) answered() bool { return a.netErr == nil }

// request sends one GET to p, bounded by timeout and ctx. secrets are what
// the request carries (headers-env values, the URL's password): an answer
// that echoes them has them cut out of its excerpt.
func request(ctx context.Context, client *http.Client, p probe, headers http.Header, secrets []string, timeout time.Duration, now func() time.Time) answer {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url.String(), nil)
	if err != nil {
		return answer{netErr: err}
	}
	for k, v := range headers {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "release-gate health-endpoints")
	start := now()
	resp, err := client.Do(req)
	lat := now().Sub(start)
	if err != nil {
		a := answer{latency: lat, netErr: describeNetError(err)}
		// The client's error may quote the server (a Location it could
		// not read), which may echo the credentials: they are cut before
		// an attempt's note cuts the error short.
		if msg := a.netErr.Error(); httpsafe.CutSecrets(msg, secrets...) != msg {
			a.netErr = errors.New(httpsafe.CutSecrets(msg, secrets...))
		}
		if parent.Err() == nil && ctx.Err() != nil {
			a.netErr = fmt.Errorf("no answer within %s (request-timeout)", timeout)
		}
		a.tlsErr = isTLSError(err)
		return a
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, text: resp.Status, latency: lat}
	if a.text == "" {
		a.text = fmt.Sprint(resp.StatusCode)
	}
	if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" {
		if lu, err := resp.Request.URL.Parse(loc); err == nil {
			a.excerpt = "redirects to " + displayURL(lu)
		}
	}
	// Past maxBodyRead, a margin as long as the longest form of a secret
	// is read (escaped, one may be several times its length), so that one
	// across that end is cut out whole; what is left of one the longer
	// read cuts is dropped with the margin, after the secrets are cut. The
	// margin is at least maxCutSecret, for the secrets gitleaks' rules
	// find.
	margin := max(maxCutSecret, httpsafe.LongestForm(secrets...))
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(maxBodyRead+margin)))
	if a.excerpt == "" {
		// Secrets are cut out of the whole body before it is cut short:
		// half a secret is no longer recognised, and would be shown.
		text := httpsafe.CutSecrets(string(body), secrets...)
		if red, rerr := detectsecrets.RedactString(parent, text); rerr == nil {
			if len(body) == maxBodyRead+margin { // cut short: the margin may end in part of one
				red = red[:max(len(red)-margin, 0)]
			}
			a.excerpt = excerpt([]byte(red))
		} else {
			a.excerpt = "(the body is not shown: " + rerr.Error() + ")"
		}
	}
	if err != nil && a.excerpt == "" {
		a.excerpt = "(the body could not be read: " + describeNetError(err).Error() + ")"
	}
	// An unhealthy answer may quote a connection string or a token: the
	// excerpt goes into reports, so secrets are cut out first.
	a.text = httpsafe.CutSecrets(a.text, secrets...)
	a.excerpt = httpsafe.CutSecrets(a.excerpt, secrets...)
	if red, rerr := detectsecrets.RedactString(parent, a.excerpt); rerr == nil {
		a.excerpt = red
	} else {
		a.excerpt = "(the body is not shown: " + rerr.Error() + ")"
	}
	return a
}

// describeNetError shortens a client error: *url.Error repeats the method
// and the full URL (with its query string).
func describeNetError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("the server closed the connection without answering")
	}
	return err
}

func isTLSError(err error) bool {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
	)
	return errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &verify) || errors.As(err, &record)
}

// isDNSError reports whether err is a name resolution failure.
func isDNSError(err error) bool {
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// excerpt returns the start of a body as one printable line: control
// characters and invalid UTF-8 become spaces, runs of space collapse, and
// it is cut at maxExcerpt bytes on a character boundary.
func excerpt(body []byte) string {
	var b strings.Builder
	space := false
	for len(body) > 0 {
		r, size := utf8.DecodeRune(body)
		body = body[size:]
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		if b.Len()+utf8.RuneLen(r) > maxExcerpt {
			return strings.TrimSpace(b.String()) + "…"
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}
