package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// RetryPolicy bounds the retries of one registry call on 408, 429, 5xx and
// dropped connections.
type RetryPolicy struct {
	Attempts int           // in all, including the first
	Initial  time.Duration // wait before the second attempt
	Factor   float64       // growth of the wait
	Max      time.Duration // longest wait, also for Retry-After
}

// DefaultRetry is three attempts, waiting 1s then 2s (longer when the
// registry asks with Retry-After, up to 10s).
func DefaultRetry() RetryPolicy {
	return RetryPolicy{Attempts: 3, Initial: time.Second, Factor: 2, Max: 10 * time.Second}
}

// retrying calls f until it succeeds, fails for good, or the attempts run
// out. Waits honour ctx and never run past its deadline.
func retrying[T any](ctx context.Context, c *Client, host string, f func() (T, error)) (T, error) {
	p := c.retry
	delay := p.Initial
	for attempt := 1; ; attempt++ {
		v, err := f()
		if err == nil {
			return v, nil
		}
		if attempt >= p.Attempts || !retryable(err) || ctx.Err() != nil {
			if attempt > 1 {
				err = &attemptsError{err: err, attempts: attempt}
			}
			return v, err
		}
		wait := delay
		if ra, ok := c.tr.retryAfterFor(host); ok && ra > wait {
			wait = ra
		}
		wait = min(wait, p.Max)
		if dl, ok := ctx.Deadline(); ok && !c.env.Now().Add(wait).Before(dl) {
			return v, &attemptsError{err: err, attempts: attempt, note: "the next would start after the gate's timeout"}
		}
		c.env.Notef("%s: attempt %d failed (%s); retrying in %s", host, attempt, ShortError(err), wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return v, fmt.Errorf("waiting to retry after %s: %w", ShortError(err), ctx.Err())
		case <-t.C:
		}
		delay = time.Duration(float64(delay) * p.Factor)
	}
}

// attemptsError is the last error of several attempts.
type attemptsError struct {
	err      error
	attempts int
	note     string
}

func (e *attemptsError) Error() string {
	if e.note != "" {
		return fmt.Sprintf("%v (gave up after %d attempts: %s)", e.err, e.attempts, e.note)
	}
	return fmt.Sprintf("%v (after %d attempts)", e.err, e.attempts)
}

func (e *attemptsError) Unwrap() error { return e.err }

// retryStatus lists the statuses worth another try.
var retryStatus = map[int]bool{
	http.StatusRequestTimeout:      true,
	http.StatusTooManyRequests:     true,
	http.StatusInternalServerError: true,
	http.StatusBadGateway:          true,
	http.StatusServiceUnavailable:  true,
	http.StatusGatewayTimeout:      true,
}

// retryable reports whether an error may go away on its own: a busy or
// failing server, a dropped connection. Never 401/403/404, refused
// connections, TLS or DNS failures, or the context ending.
func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if te := findTransportError(err); te != nil {
		return retryStatus[te.StatusCode]
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE)
}

// findTransportError finds the registry's answer in err. Besides the usual
// wrapping it looks into go-containerregistry's list of ping errors (an
// unexported slice type without Unwrap, used when both HTTPS and HTTP were
// tried).
func findTransportError(err error) *transport.Error {
	te, _ := find[*transport.Error](err)
	return te
}

// find is errors.As that also looks into lists of errors (see
// errorList).
func find[E error](err error) (E, bool) {
	var e E
	if errors.As(err, &e) {
		return e, true
	}
	for _, inner := range errorList(err) {
		if e, ok := find[E](inner); ok {
			return e, true
		}
	}
	return e, false
}

// errorList returns the errors err holds when it is a slice of errors or
// wraps several.
func errorList(err error) []error {
	for err != nil {
		if m, ok := err.(interface{ Unwrap() []error }); ok {
			return m.Unwrap()
		}
		v := reflect.ValueOf(err)
		if v.Kind() == reflect.Slice && v.Type().Elem().Implements(reflect.TypeFor[error]()) {
			out := make([]error, 0, v.Len())
			for i := 0; i < v.Len(); i++ {
				if e, ok := v.Index(i).Interface().(error); ok && e != nil {
					out = append(out, e)
				}
			}
			return out
		}
		err = errors.Unwrap(err)
	}
	return nil
}

// isNotFound reports whether the registry said the manifest or its
// repository does not exist: a 404 for a manifest or tag-list URL, never for
// the registry's /v2/ endpoint or a token server.
func isNotFound(err error) bool {
	te := findTransportError(err)
	if te == nil || te.StatusCode != http.StatusNotFound {
		return false
	}
	return te.Request == nil || pathIsRepositoryObject(te.Request.URL.Path)
}

func pathIsRepositoryObject(p string) bool {
	return strings.HasPrefix(p, "/v2/") && (strings.Contains(p, "/manifests/") || strings.HasSuffix(p, "/tags/list"))
}
