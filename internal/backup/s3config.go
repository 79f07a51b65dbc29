package backup

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/httpsafe"
)

// S3Options are the settings of an S3 location besides bucket and prefix.
type S3Options struct {
	// Endpoint is the base URL of an S3-compatible service (MinIO, R2,
	// Ceph); empty for AWS, where AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL
	// are honoured as the SDKs do.
	Endpoint string
	// PathStyle addresses buckets as ENDPOINT/bucket rather than as
	// bucket.ENDPOINT (MinIO and Ceph usually need it).
	PathStyle bool
	// Region overrides AWS_REGION, AWS_DEFAULT_REGION and the shared config.
	Region string
	// RequestTimeout bounds one listing page, and how long a download
	// waits for the answer's headers or for its next bytes; 0 is
	// DefaultRequestTimeout.
	RequestTimeout time.Duration
}

// DefaultRequestTimeout is how long one S3 request may go without an
// answer when the set does not say (request-timeout): a page of 1,000
// keys comes back within a second from any real S3 service.
const DefaultRequestTimeout = 30 * time.Second

// defaultRegion is used when nothing names one: S3 answers a request signed
// for the wrong region with the bucket's region, which the error names.
const defaultRegion = "us-east-1"

// awsSettings is what the environment says about AWS, read through
// env.Getenv so that tests (and the action) control it.
type awsSettings struct {
	region      string
	endpoint    string
	caBundle    string // AWS_CA_BUNDLE: a PEM file of extra trusted CAs
	maxAttempts int
	static      aws.CredentialsProvider // nil: use the shared config chain
	loadOptions []func(*awsconfig.LoadOptions) error
}

func readAWSSettings(env *gates.Env, opts S3Options) (awsSettings, error) {
	get := env.Getenv
	var s awsSettings
	s.region = firstNonEmpty(opts.Region, get("AWS_REGION"), get("AWS_DEFAULT_REGION"))
	s.endpoint = opts.Endpoint
	if s.endpoint == "" && !strings.EqualFold(get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		s.endpoint = firstNonEmpty(get("AWS_ENDPOINT_URL_S3"), get("AWS_ENDPOINT_URL"))
	}
	s.caBundle = get("AWS_CA_BUNDLE")
	if v := get("AWS_MAX_ATTEMPTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return s, fmt.Errorf("AWS_MAX_ATTEMPTS=%q: want a positive integer", v)
		}
		s.maxAttempts = n
	}
	id, secret, token := get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY"), get("AWS_SESSION_TOKEN")
	env.Mask(secret)
	env.Mask(token)
	if id != "" && secret != "" {
		// What OIDC login actions (configure-aws-credentials) export.
		s.static = credentials.NewStaticCredentialsProvider(id, secret, token)
		return s, nil
	}
	// Everything else: shared config and credentials files, SSO, web
	// identity (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE), container and
	// instance roles, as the SDK's default chain finds them.
	if p := get("AWS_PROFILE"); p != "" {
		s.loadOptions = append(s.loadOptions, awsconfig.WithSharedConfigProfile(p))
	}
	if f := get("AWS_CONFIG_FILE"); f != "" {
		s.loadOptions = append(s.loadOptions, awsconfig.WithSharedConfigFiles([]string{f}))
	}
	if f := get("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
		s.loadOptions = append(s.loadOptions, awsconfig.WithSharedCredentialsFiles([]string{f}))
	}
	return s, nil
}

// awsConfig builds the SDK configuration. With static credentials from the
// environment it reads nothing else; otherwise it loads the default chain.
func awsConfig(ctx context.Context, s awsSettings, client *http.Client) (aws.Config, error) {
	if s.static != nil {
		cfg := aws.Config{
			Region:           firstNonEmpty(s.region, defaultRegion),
			Credentials:      aws.NewCredentialsCache(s.static),
			HTTPClient:       client,
			RetryMaxAttempts: s.maxAttempts,
		}
		return cfg, nil
	}
	// No WithHTTPClient: with AWS_CA_BUNDLE set the SDK refuses a plain
	// *http.Client. The SDK's own client serves the credential providers;
	// requests to S3 go through ours (which honours the bundle too).
	opts := append([]func(*awsconfig.LoadOptions) error(nil), s.loadOptions...)
	if s.region != "" {
		opts = append(opts, awsconfig.WithRegion(s.region))
	}
	if s.maxAttempts > 0 {
		opts = append(opts, awsconfig.WithRetryMaxAttempts(s.maxAttempts))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = defaultRegion
	}
	cfg.HTTPClient = client
	return cfg, nil
}

// withCABundle returns client trusting the CAs of a PEM file besides the
// system's, as AWS_CA_BUNDLE asks (a TLS-intercepting proxy, a private
// MinIO).
func withCABundle(client *http.Client, bundle string) (*http.Client, error) {
	if bundle == "" {
		return client, nil
	}
	pem, err := os.ReadFile(bundle)
	if err != nil {
		return nil, fmt.Errorf("reading AWS_CA_BUNDLE: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("AWS_CA_BUNDLE %s holds no PEM certificate", bundle)
	}
	var tr *http.Transport
	switch t := httpsafe.Inner(client.Transport).(type) {
	case nil:
		tr = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		tr = t.Clone()
	default:
		return nil, fmt.Errorf("AWS_CA_BUNDLE is set, but the HTTP client's transport (%T) cannot take it", t)
	}
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{}
	}
	tr.TLSClientConfig.RootCAs = pool
	c := *client
	c.Transport = httpsafe.NewTransport(tr)
	return &c, nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
