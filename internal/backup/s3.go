package backup

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

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
	prefix   string // "" or ends with "/"
	where    string // the endpoint (or AWS region) for messages
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
	return &s3Store{client: client, list: &list, download: &download, bucket: loc.Bucket, prefix: loc.Prefix, where: where}, nil
}

// Bounds on what is read of S3's answers: one page of a listing, and the
// body of an error answer to a download.
const (
	maxListAnswer  = 64 << 20
	maxErrorAnswer = 1 << 20
)

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
		out, err := s.client.ListObjectsV2(ctx, in, func(o *s3.Options) { o.HTTPClient = s.list })
		st.Requests++
		if err != nil {
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
		sum := sha256.Sum256([]byte(next))
		if seen[sum] {
			return st, fmt.Errorf("listing %s at %s: page %d repeats a continuation token", target, s.where, st.Requests)
		}
		seen[sum] = true
		in.ContinuationToken = aws.String(next)
	}
}

func (s *s3Store) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	key := s.prefix + name
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)},
		func(o *s3.Options) { o.HTTPClient = s.download })
	if err != nil {
		return nil, s3Error(ctx, "reading", "s3://"+s.bucket+"/"+key, s.bucket, s.where, err)
	}
	return out.Body, nil
}
