package httpsafe

import (
	"fmt"
	"io"
	"net/http"
)

// LimitBodies wraps inner (http.DefaultTransport when nil) so that reading
// more than max bytes of an answer's body fails with a *TooLargeError: a
// server cannot make a library that reads whole answers (a tag list, an
// S3 listing, a token) hold more than that in memory. It caps the body as
// read, after any transparent decompression.
func LimitBodies(inner http.RoundTripper, max int64) http.RoundTripper {
	if inner == nil {
		inner = http.DefaultTransport
	}
	return &limitTransport{inner: inner, max: max}
}

type limitTransport struct {
	inner      http.RoundTripper
	max        int64
	errorsOnly bool
}

func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.inner.RoundTrip(req)
	if err != nil || resp.Body == nil || (t.errorsOnly && resp.StatusCode < 300) {
		return resp, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max,
		err: &TooLargeError{Method: req.Method, URL: Redact(req.URL), Limit: t.max}}
	return resp, nil
}

// TooLargeError is an answer whose body is longer than the limit.
type TooLargeError struct {
	Method, URL string // URL is redacted
	Limit       int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the answer to %s %s is larger than %s: is this the server the configuration means?", e.Method, e.URL, FormatBytes(e.Limit))
}

// FormatBytes writes a limit for people: 32 MiB, 64 KiB, 100 bytes.
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
	err  *TooLargeError
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// At the limit: one more byte means the answer is too large.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			// Close now: a library that stops at the error may never
			// close the body, leaving the server sending.
			b.rc.Close()
			return 0, b.err
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// LimitErrorBodies is LimitBodies for the answers whose status is not a
// success (300 and above) only: for a client whose successful answers are
// large by nature (a backup), and whose library reads an error's body whole.
func LimitErrorBodies(inner http.RoundTripper, max int64) http.RoundTripper {
	if inner == nil {
		inner = http.DefaultTransport
	}
	return &limitTransport{inner: inner, max: max, errorsOnly: true}
}
