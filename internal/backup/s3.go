package backup

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/httpsafe"
)

// s3Store is a prefix of an S3 bucket.
type s3Store struct {
	client   *s3.Client
	list     *http.Client // for listings: answers capped at maxListAnswer
	download *http.Client // for object bodies: no whole-request timeout
	bucket   string
	prefix   string        // "" or ends with "/"
	where    string        // the endpoint (or AWS region) for messages
	timeout  time.Duration // request-timeout
	maxPages int           // maxListPages
}

func newS3Store(ctx context.Context, env *gates.Env, loc Location, opts S3Options) (*s3Store, error) {
	settings, err := readAWSSettings(env, opts)
	if err != nil {
		return nil, err
	}
	if settings.endpoint != "" {
		if err := checkEndpoint(settings.endpoint); err != nil {
			return nil, err
		}
	}
	// The AWS signature and session token never follow a redirect to
	// another origin.
	httpClient := httpsafe.Client(env.HTTPClient)
	httpClient, err = withCABundle(httpClient, settings.caBundle)
	if err != nil {
		return nil, err
	}
	cfg, err := awsConfig(ctx, settings, httpClient)
	if err != nil {
		return nil, err
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if settings.endpoint != "" {
			o.BaseEndpoint = aws.String(settings.endpoint)
		}
		o.UsePathStyle = opts.PathStyle
		// Objects uploaded without an S3 checksum are common; the gate's
		// own verification covers them, so no warning on stderr.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	// A backup of many gigabytes takes longer to read than any sensible
	// per-request timeout; the gate's context bounds it instead.
	download := *httpClient
	download.Timeout = 0
	// The SDK reads an error's body whole: an error answer is capped, a
	// backup is not (Verify bounds it by its listed size).
	download.Transport = httpsafe.LimitErrorBodies(httpClient.Transport, maxErrorAnswer)
	// The SDK decodes a listing whole: a page of 1,000 keys is well under
	// a MiB, and an endless answer must not fill the memory.
	list := *httpClient
	list.Transport = httpsafe.LimitBodies(httpClient.Transport, maxListAnswer)
	where := settings.endpoint
	if where == "" {
		where = "AWS S3 (" + cfg.Region + ")"
	}
	timeout := opts.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	return &s3Store{client: client, list: &list, download: &download, bucket: loc.Bucket, prefix: loc.Prefix, where: where, timeout: timeout, maxPages: maxListPages}, nil
}

// Bounds on what is read of S3's answers: one page of a listing, and the
// body of an error answer to a download.
const (
	maxListAnswer  = 64 << 20
	maxErrorAnswer = 1 << 20
)

// maxListPages bounds the pages of one listing: 100 million keys at S3's
// 1,000 a page, which take hours to list from any real service (well past
// any sensible timeout), while an endpoint's endless listing of small pages
// reaches it within a minute. It also bounds the tokens kept.
const maxListPages = 100_000

// checkEndpoint makes sure an endpoint is a URL the SDK can use.
func checkEndpoint(e string) error {
	u, err := url.Parse(e)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("S3 endpoint %q: want a URL such as https://minio.example.com:9000", e)
	}
	return nil
}

func (s *s3Store) String() string {
	return fmt.Sprintf("s3://%s/%s at %s", s.bucket, s.prefix, s.where)
}

func (s *s3Store) ObjectURL(name string) string {
	return "s3://" + s.bucket + "/" + s.prefix + name
}

func (s *s3Store) List(ctx context.Context, q Query, fn func(Object) error) (ListStats, error) {
	var st ListStats
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(s.prefix + q.Prefix)}
	if !q.Recursive {
		in.Delimiter = aws.String("/")
	}
	target := "s3://" + s.bucket + "/" + s.prefix + q.Prefix
	// The tokens given so far, by their hash: a token is as long as the
	// server likes, and a listing that never ends must not fill the memory.
	seen := map[[sha256.Size]byte]bool{}
	for {
		// A server that accepts the request and never answers (or drips
		// its headers) must not hold the gate until its deadline.
		pageCtx, cancel := context.WithTimeoutCause(ctx, s.timeout, errNoAnswer)
		out, err := s.client.ListObjectsV2(pageCtx, in, func(o *s3.Options) { o.HTTPClient = s.list })
		noAnswer := errors.Is(context.Cause(pageCtx), errNoAnswer)
		cancel()
		st.Requests++
		switch {
		case err == nil:
		case ctx.Err() != nil:
			// The gate's or the run's deadline: say how far the listing got.
			return st, fmt.Errorf("listing %s at %s: still going at page %d (%d keys seen so far): %w", target, s.where, st.Requests, st.Objects, ctx.Err())
		case noAnswer:
			return st, fmt.Errorf("listing %s: %s gave no answer to page %d within %s (request-timeout)", target, s.where, st.Requests, s.timeout)
		default:
			return st, s3Error(ctx, "listing", target, s.bucket, s.where, err)
		}
		// Every S3 listing names its bucket; an answer that does not (a
		// proxy's or portal's page) would read as "no backups": fail closed.
		if got := aws.ToString(out.Name); got != s.bucket {
			return st, fmt.Errorf("listing %s at %s: the answer is not an S3 listing of bucket %q (it names %q); check the endpoint", target, s.where, s.bucket, got)
		}
		for _, o := range out.Contents {
			key := aws.ToString(o.Key)
			if !strings.HasPrefix(key, s.prefix) || strings.HasSuffix(key, "/") {
				continue // folder markers
			}
			st.Objects++
			obj := Object{Name: strings.TrimPrefix(key, s.prefix), Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)}
			if err := fn(obj); err != nil {
				return st, err
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			return st, nil
		}
		// A listing cut short would hide the newest backup: fail closed.
		next := aws.ToString(out.NextContinuationToken)
		if next == "" {
			return st, fmt.Errorf("listing %s at %s: page %d is truncated but has no continuation token", target, s.where, st.Requests)
		}
		if st.Requests >= s.maxPages {
			return st, fmt.Errorf("listing %s at %s: still truncated after %d pages (%d keys), more than any backup prefix holds: narrow location or pattern, or check the endpoint", target, s.where, st.Requests, st.Objects)
		}
		sum := sha256.Sum256([]byte(next))
		if seen[sum] {
			return st, fmt.Errorf("listing %s at %s: page %d repeats a continuation token", target, s.where, st.Requests)
		}
		seen[sum] = true
		in.ContinuationToken = aws.String(next)
	}
}

// errNoAnswer is the cause of a request cut off by request-timeout.
var errNoAnswer = errors.New("no answer within request-timeout")

// Open starts a download. The answer's headers must come within the
// request timeout, and so must each read of the body: a backup takes as
// long as its size needs, but a server that stops sending is cut off.
func (s *s3Store) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	key := s.prefix + name
	target := "s3://" + s.bucket + "/" + key
	reqCtx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(s.timeout, func() { cancel(errNoAnswer) })
	out, err := s.client.GetObject(reqCtx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)},
		func(o *s3.Options) { o.HTTPClient = s.download })
	timer.Stop()
	if err != nil {
		noAnswer := ctx.Err() == nil && errors.Is(context.Cause(reqCtx), errNoAnswer)
		cancel(nil)
		if noAnswer {
			return nil, fmt.Errorf("reading %s: %s gave no answer within %s (request-timeout)", target, s.where, s.timeout)
		}
		return nil, s3Error(ctx, "reading", target, s.bucket, s.where, err)
	}
	return &stallBody{rc: out.Body, ctx: ctx, reqCtx: reqCtx, cancel: cancel, timer: timer, timeout: s.timeout, target: target, where: s.where}, nil
}

// stallBody is a download's body that fails when one read waits longer
// than the request timeout for the server's next bytes. Only the wait for
// the server counts, not the time the reader spends between reads.
type stallBody struct {
	rc            io.ReadCloser
	ctx, reqCtx   context.Context
	cancel        context.CancelCauseFunc
	timer         *time.Timer
	timeout       time.Duration
	target, where string
	read          int64
}

func (b *stallBody) Read(p []byte) (int, error) {
	b.timer.Reset(b.timeout)
	n, err := b.rc.Read(p)
	b.timer.Stop()
	b.read += int64(n)
	if err != nil && b.ctx.Err() == nil && errors.Is(context.Cause(b.reqCtx), errNoAnswer) {
		err = fmt.Errorf("reading %s: %s sent nothing for %s after %d bytes (request-timeout)", b.target, b.where, b.timeout, b.read)
	}
	return n, err
}

func (b *stallBody) Close() error {
	b.timer.Stop()
	err := b.rc.Close()
	b.cancel(nil)
	return err
}
