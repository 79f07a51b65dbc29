package backupfreshness

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/internal/backup"
	"github.com/release-gate/release-gate/internal/backup/backuptest"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/testenv"
)

// fakeS3 is gofakes3 in-process, with a clock that back-dates objects.
type fakeS3 struct {
	backend *s3mem.Backend
	clock   gofakes3.TimeSourceAdvancer
	srv     *httptest.Server
	lists   atomic.Int64 // ListObjectsV2 requests
	auth    atomic.Value // the last Authorization header
}

// s3Start is when the fake's clock starts; objects are put after it.
var s3Start = now.Add(-30 * 24 * time.Hour)

func newFakeS3(t *testing.T, buckets ...string) *fakeS3 {
	t.Helper()
	f := &fakeS3{clock: gofakes3.FixedTimeSource(s3Start)}
	f.backend = s3mem.New(s3mem.WithTimeSource(f.clock))
	// The SDK signs with the real time; the fake's clock is in the past.
	faker := gofakes3.New(f.backend, gofakes3.WithTimeSource(f.clock), gofakes3.WithTimeSkewLimit(0),
		gofakes3.WithLogger(gofakes3.DiscardLog()))
	h := faker.Server()
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("list-type") == "2" {
			f.lists.Add(1)
		}
		f.auth.Store(r.Header.Get("Authorization"))
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	for _, b := range buckets {
		if err := f.backend.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// put stores an object modified at the given time; puts must come in
// time order.
func (f *fakeS3) put(t *testing.T, bucket, key string, data []byte, at time.Time) {
	t.Helper()
	if d := at.Sub(f.clock.Now()); d > 0 {
		f.clock.Advance(d)
	}
	if _, err := f.backend.PutObject(bucket, key, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Fatal(err)
	}
}

// awsVars are credentials as an OIDC login action exports them. The secret
// is built at run time (no scanner-shaped literal in the repository).
func awsVars(extra ...string) map[string]string {
	m := map[string]string{
		"AWS_ACCESS_KEY_ID":     "AKIA" + strings.Repeat("TEST", 4),
		"AWS_SECRET_ACCESS_KEY": strings.Repeat("s3cr", 10),
		"AWS_SESSION_TOKEN":     strings.Repeat("tok", 12),
		"AWS_REGION":            "eu-central-1",
		"AWS_MAX_ATTEMPTS":      "1",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

func TestS3FreshBackupPasses(t *testing.T) {
	f := newFakeS3(t, "prod-backups")
	var newest []byte
	for i, age := range []time.Duration{72 * time.Hour, 48 * time.Hour, 3 * time.Hour} {
		name := fmt.Sprintf("orders/pre_migration_%d.sql.gz", i)
		newest = backuptest.Gzip(t, backuptest.Payload(2<<20+i, uint64(i)))
		f.put(t, "prod-backups", name, newest, now.Add(-age))
		f.put(t, "prod-backups", name+".sha256", []byte(backuptest.SHA256Line(newest, "pre_migration_2.sql.gz")), now.Add(-age))
	}
	f.put(t, "prod-backups", "orders/other.sql.gz", []byte("x"), now.Add(-time.Hour))
	f.put(t, "prod-backups", "billing/pre_migration_9.sql.gz", []byte("x"), now.Add(-time.Hour))
	g := mustGate(t, fmt.Sprintf(`
location: s3://prod-backups/orders
pattern: "pre_migration_*.sql.gz"
max-age: 24h
min-size: 100KiB
max-shrink: 20%%
verify: [checksum, decompress]
endpoint: %s
path-style: true
`, f.srv.URL))
	res := gatetest.Run(t, g, testEnv(t.TempDir(), awsVars()))
	gatetest.Want(t, res, gates.StatusPass, nil,
		"s3://prod-backups/orders/pre_migration_2.sql.gz: 3h 0m old",
		"listed 6 objects under s3://prod-backups/orders/ at "+f.srv.URL+"; 3 match",
		"checksum ok", "gzip ok")
	for _, n := range append(res.Notes, res.Summary) {
		if strings.Contains(n, strings.Repeat("s3cr", 10)) {
			t.Errorf("secret leaked: %s", n)
		}
	}
}

func TestS3EndpointFromEnvironment(t *testing.T) {
	f := newFakeS3(t, "backups")
	f.put(t, "backups", "db.sql.zst", backuptest.Zstd(t, backuptest.Payload(100<<10, 1)), now.Add(-time.Hour))
	g := mustGate(t, "location: s3://backups\nmax-age: 2h\nverify: decompress\n")
	for _, v := range []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"} {
		res := gatetest.Run(t, g, testEnv(t.TempDir(), awsVars(v, f.srv.URL)))
		gatetest.Want(t, res, gates.StatusPass, nil, "s3://backups/db.sql.zst: 1h 0m old", "zstd ok")
	}
}

func TestS3Failures(t *testing.T) {
	f := newFakeS3(t, "backups")
	gz := backuptest.Gzip(t, backuptest.Payload(1<<20, 1))
	f.put(t, "backups", "pg/db-1.sql.gz", gz, now.Add(-50*time.Hour))
	f.put(t, "backups", "pg/db-2.sql.gz", gz[:len(gz)-100], now.Add(-49*time.Hour))
	base := "location: s3://backups/pg/\nendpoint: " + f.srv.URL + "\npath-style: true\n"
	for _, tt := range []struct {
		cfg   string
		rules []string
		want  string
	}{
		{"max-age: 24h\n", []string{RuleStale}, "newest backup s3://backups/pg/db-2.sql.gz is 2d 1h old"},
		{"max-age: 3d\npattern: \"*.zst\"\n", []string{RuleNoBackup}, "no backup matches *.zst under s3://backups/pg/ at " + f.srv.URL},
		{"max-age: 3d\nverify: decompress\n", []string{RuleTruncated}, "s3://backups/pg/db-2.sql.gz cannot be restored: gzip stream is truncated"},
	} {
		res := gatetest.Run(t, mustGate(t, base+tt.cfg), testEnv(t.TempDir(), awsVars()))
		gatetest.Want(t, res, gates.StatusFail, tt.rules, tt.want)
	}
}

func TestS3ListingPagesThrough10000Objects(t *testing.T) {
	f := newFakeS3(t, "big")
	const n = 10000
	// Put in time order, named so that list order differs from it (7919
	// is prime to n): the newest is on page 3, found only by paging on.
	newestAt := (n - 1) * 7919 % n
	for i := range n {
		idx := i * 7919 % n
		f.put(t, "big", fmt.Sprintf("daily/db-%05d.dump", idx), []byte("x"), s3Start.Add(time.Duration(i+1)*time.Minute))
	}
	g := mustGate(t, "location: s3://big/daily/\npattern: db-*.dump\nmax-age: 365d\nendpoint: "+f.srv.URL+"\npath-style: true\n")
	env := testEnv(t.TempDir(), awsVars())
	rep, err := backup.Check(t.Context(), &env, g.sets[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("s3://big/daily/db-%05d.dump", newestAt); rep.Where != want {
		t.Errorf("newest = %s, want %s", rep.Where, want)
	}
	if got := f.lists.Load(); got != 10 {
		t.Errorf("%d list requests, want 10 pages of 1000", got)
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "listed 10000 objects in 10 pages") {
		t.Errorf("notes: %q", rep.Notes)
	}
}

func TestS3Errors(t *testing.T) {
	f := newFakeS3(t, "backups")
	f.put(t, "backups", "db.sql.gz", backuptest.Gzip(t, backuptest.Payload(1<<20, 1)), now.Add(-time.Hour))

	denied := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>1</RequestId></Error>`)
	}))
	defer denied.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream connect error", http.StatusServiceUnavailable)
	}))
	defer broken.Close()
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html>captive portal</html>")
	}))
	defer garbage.Close()
	// Objects readable, but the download is denied.
	getDenied := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" {
			denied.Config.Handler.ServeHTTP(w, r)
			return
		}
		f.srv.Config.Handler.ServeHTTP(w, r)
	}))
	defer getDenied.Close()
	wrongRegion := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-amz-bucket-region", "ap-southeast-2")
		w.WriteHeader(http.StatusMovedPermanently)
		fmt.Fprint(w, `<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message></Error>`)
	}))
	defer wrongRegion.Close()
	unreachable := "http://" + testenv.FreeAddr(t)

	for _, tt := range []struct{ name, location, endpoint, want string }{
		{"missing bucket", "s3://no-such-bucket/x/", f.srv.URL, `bucket "no-such-bucket" does not exist at ` + f.srv.URL + " (404 Not Found: NoSuchBucket"},
		{"access denied", "s3://backups/", denied.URL, "listing s3://backups/: access denied by " + denied.URL + " (403 Forbidden: AccessDenied: Access Denied); the credentials in use need s3:ListBucket"},
		{"download denied", "s3://backups/", getDenied.URL, "reading s3://backups/db.sql.gz: access denied by " + getDenied.URL + " (403 Forbidden: AccessDenied: Access Denied); the credentials in use need s3:GetObject"},
		{"unavailable", "s3://backups/", broken.URL, "listing s3://backups/ at " + broken.URL + ": 503 Service Unavailable"},
		{"not S3", "s3://backups/", garbage.URL, "listing s3://backups/ at " + garbage.URL + `: the answer is not an S3 listing of bucket "backups"`},
		{"wrong region", "s3://backups/", wrongRegion.URL, "301 Moved Permanently: PermanentRedirect: The bucket you are attempting to access must be addressed using the specified endpoint.; the bucket is in ap-southeast-2: set region: ap-southeast-2"},
		{"unreachable", "s3://backups/", unreachable, "listing s3://backups/: cannot reach " + unreachable + ": dial tcp"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := mustGate(t, "location: "+tt.location+"\nmax-age: 1d\nverify: decompress\nendpoint: "+tt.endpoint+"\npath-style: true\n")
			res := gatetest.Run(t, g, testEnv(t.TempDir(), awsVars()))
			gatetest.Want(t, res, gates.StatusError, nil, tt.want)
			if strings.Contains(res.Err, strings.Repeat("s3cr", 10)) {
				t.Errorf("secret in error: %s", res.Err)
			}
		})
	}
}

// s3WithBody serves listings from the fake and object bodies from body.
func s3WithBody(t *testing.T, f *fakeS3, body http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" {
			body(w, r)
			return
		}
		f.srv.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestS3DownloadCutShortIsAnErrorNotACorruptBackup(t *testing.T) {
	f := newFakeS3(t, "backups")
	gz := backuptest.Gzip(t, backuptest.Payload(2<<20, 1))
	f.put(t, "backups", "db.sql.gz", gz, now.Add(-time.Hour))
	srv := s3WithBody(t, f, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(gz)))
		w.Write(gz[:len(gz)/2]) // then the connection closes
	})
	g := mustGate(t, "location: s3://backups/\nmax-age: 1d\nverify: decompress\nendpoint: "+srv.URL+"\npath-style: true\n")
	res := gatetest.Run(t, g, testEnv(t.TempDir(), awsVars()))
	gatetest.Want(t, res, gates.StatusError, nil, "verifying s3://backups/db.sql.gz: ", "unexpected EOF")
}

func TestS3HangingServerHonoursContext(t *testing.T) {
	f := newFakeS3(t, "backups")
	gz := backuptest.Gzip(t, backuptest.Payload(2<<20, 1))
	f.put(t, "backups", "db.sql.gz", gz, now.Add(-time.Hour))
	release := make(chan struct{})
	defer close(release)
	hangList := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hangList.Close()
	hangBody := s3WithBody(t, f, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(gz)))
		w.Write(gz[:len(gz)/2])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	for name, srv := range map[string]*httptest.Server{"listing": hangList, "download": hangBody} {
		t.Run(name, func(t *testing.T) {
			g := mustGate(t, "location: s3://backups/\nmax-age: 1d\nverify: decompress\nendpoint: "+srv.URL+"\npath-style: true\n")
			env := testEnv(t.TempDir(), awsVars())
			ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
			defer cancel()
			_, err := backup.Check(ctx, &env, g.sets[0])
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want the context's deadline", err)
			}
			res := gatetest.Run(t, g, env, gatetest.Options{Ctx: t.Context(), Timeout: 200 * time.Millisecond})
			gatetest.Want(t, res, gates.StatusError, nil, "timed out")
		})
	}
}

// gofakes3 does not check signatures, but the Authorization header names
// the access key that signed: it shows which credentials the chain chose.
func TestS3CredentialsChain(t *testing.T) {
	// The SDK's default chain reads the process environment too: clear it.
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true") // never ask an instance metadata service
	f := newFakeS3(t, "backups")
	f.put(t, "backups", "db.dump", []byte("x"), now.Add(-time.Hour))
	g := mustGate(t, "location: s3://backups/\nmax-age: 1d\nendpoint: "+f.srv.URL+"\npath-style: true\n")

	// Keys in the environment (what OIDC login actions export).
	res := gatetest.Run(t, g, testEnv(t.TempDir(), awsVars()))
	gatetest.Want(t, res, gates.StatusPass, nil)
	if a, _ := f.auth.Load().(string); !strings.Contains(a, "Credential="+awsVars()["AWS_ACCESS_KEY_ID"]+"/") || !strings.Contains(a, "/eu-central-1/s3/") {
		t.Errorf("signed with %q, want the environment's key and region", a)
	}

	// A profile from shared config and credentials files.
	profileKey := "AKIA" + "FROMPROFILE" + "FILE1" // assembled: no key-shaped literal in the repository
	dir := t.TempDir()
	writeFile(t, dir, "config", []byte("[profile backups-ro]\nregion = ap-south-1\n"), now)
	writeFile(t, dir, "credentials", []byte("[backups-ro]\naws_access_key_id = "+profileKey+"\naws_secret_access_key = "+strings.Repeat("p", 40)+"\n"), now)
	vars := map[string]string{
		"AWS_PROFILE": "backups-ro", "AWS_MAX_ATTEMPTS": "1",
		"AWS_CONFIG_FILE": dir + "/config", "AWS_SHARED_CREDENTIALS_FILE": dir + "/credentials",
	}
	res = gatetest.Run(t, g, testEnv(t.TempDir(), vars))
	gatetest.Want(t, res, gates.StatusPass, nil)
	if a, _ := f.auth.Load().(string); !strings.Contains(a, "Credential="+profileKey+"/") || !strings.Contains(a, "/ap-south-1/s3/") {
		t.Errorf("signed with %q, want the profile's key and region", a)
	}

	// A profile that does not exist is an error, not an unsigned request.
	vars["AWS_PROFILE"] = "nope"
	res = gatetest.Run(t, g, testEnv(t.TempDir(), vars))
	gatetest.Want(t, res, gates.StatusError, nil, "nope")
}

func TestS3CABundle(t *testing.T) {
	f := newFakeS3(t, "backups")
	f.put(t, "backups", "db.dump", []byte("x"), now.Add(-time.Hour))
	tlsSrv := httptest.NewTLSServer(f.srv.Config.Handler)
	defer tlsSrv.Close()
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw})
	if err := os.WriteFile(bundle, pemData, 0o644); err != nil {
		t.Fatal(err)
	}
	g := mustGate(t, "location: s3://backups/\nmax-age: 1d\nendpoint: "+tlsSrv.URL+"\npath-style: true\n")

	res := gatetest.Run(t, g, testEnv(t.TempDir(), awsVars()))
	gatetest.Want(t, res, gates.StatusError, nil, "certificate")
	res = gatetest.Run(t, g, testEnv(t.TempDir(), awsVars("AWS_CA_BUNDLE", bundle)))
	gatetest.Want(t, res, gates.StatusPass, nil)
}
