package backupfreshness

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/internal/backup"
	"github.com/release-gate/release-gate/internal/backup/backuptest"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/httpsafe"
	"github.com/release-gate/release-gate/internal/testenv"
)

// The AWS signature and session token never follow a redirect to another
// origin (another port here, where Go's client alone keeps Authorization,
// and keeps X-Amz-Security-Token anywhere); a redirect from HTTPS to plain
// HTTP is refused.
func TestS3RedirectKeepsCredentialsHome(t *testing.T) {
	f := newFakeS3(t, "backups")
	f.put(t, "backups", "db.sql.gz", backuptest.Gzip(t, backuptest.Payload(1<<20, 1)), now.Add(-time.Hour))
	var mu sync.Mutex
	var seen []string
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s %s Authorization=%q X-Amz-Security-Token=%q", r.Method, r.URL.Path,
			r.Header.Get("Authorization"), r.Header.Get("X-Amz-Security-Token")))
		mu.Unlock()
		f.srv.Config.Handler.ServeHTTP(w, r)
	}))
	defer elsewhere.Close()
	moved := func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}
	front := httptest.NewServer(http.HandlerFunc(moved))
	defer front.Close()

	g := mustGate(t, "location: s3://backups/\nmax-age: 1d\nverify: decompress\nendpoint: "+front.URL+"\npath-style: true\n")
	res := gatetest.Run(t, g, testEnv(t.TempDir(), awsVars()))
	mu.Lock()
	got := append([]string(nil), seen...)
	mu.Unlock()
	if len(got) < 2 {
		t.Fatalf("the redirects were not followed (%q): %s %s", got, res.Status, res.Err)
	}
	for _, s := range got {
		if !strings.HasSuffix(s, `Authorization="" X-Amz-Security-Token=""`) {
			t.Errorf("credentials reached another origin: %s", s)
		}
	}
	gatetest.Want(t, res, gates.StatusPass, nil)

	tlsFront := httptest.NewTLSServer(http.HandlerFunc(moved))
	defer tlsFront.Close()
	g = mustGate(t, "location: s3://backups/\nmax-age: 1d\nendpoint: "+tlsFront.URL+"\npath-style: true\n")
	env := testEnv(t.TempDir(), awsVars())
	env.HTTPClient = tlsFront.Client()
	res = gatetest.Run(t, g, env)
	gatetest.Want(t, res, gates.StatusError, nil, "refused to follow the redirect from "+tlsFront.URL+"/backups to "+elsewhere.URL+"/backups", "plain HTTP")
}

// A backup dated in the future beyond the clock skew is an error naming
// the backup and both times, never "0s old"; within the skew it passes.
func TestFutureTimestamps(t *testing.T) {
	t.Run("local", func(t *testing.T) {
		ws := t.TempDir()
		writeFile(t, ws, "backups/db-1.sql.gz", backuptest.Gzip(t, backuptest.Payload(1000, 1)), now.Add(-2*time.Hour))
		writeFile(t, ws, "backups/db-2.sql.gz", backuptest.Gzip(t, backuptest.Payload(1000, 2)), now.Add(time.Hour))
		res := gatetest.Run(t, mustGate(t, "location: backups\nmax-age: 1d\n"), testEnv(ws, nil))
		gatetest.Want(t, res, gates.StatusError, nil,
			"backups/db-2.sql.gz is dated 2025-03-14T13:00:00Z, 1h 0m after this machine's clock (2025-03-14T12:00:00Z)", "check the clocks")

		writeFile(t, ws, "backups/db-2.sql.gz", backuptest.Gzip(t, backuptest.Payload(1000, 2)), now.Add(4*time.Minute))
		res = gatetest.Run(t, mustGate(t, "location: backups\nmax-age: 1d\n"), testEnv(ws, nil))
		gatetest.Want(t, res, gates.StatusPass, nil)
	})
	t.Run("S3", func(t *testing.T) {
		f := newFakeS3(t, "backups")
		f.put(t, "backups", "db-1.sql.gz", []byte("x"), now.Add(-2*time.Hour))
		f.put(t, "backups", "db-2.sql.gz", []byte("x"), now.Add(3*time.Hour))
		g := mustGate(t, "location: s3://backups/\nmax-age: 1d\nendpoint: "+f.srv.URL+"\npath-style: true\n")
		res := gatetest.Run(t, g, testEnv(t.TempDir(), awsVars()))
		gatetest.Want(t, res, gates.StatusError, nil,
			"s3://backups/db-2.sql.gz is dated 2025-03-14T15:00:00Z, 3h 0m after this machine's clock (2025-03-14T12:00:00Z)")
	})
	t.Run("pgBackRest", func(t *testing.T) {
		ws := t.TempDir()
		stop := now.Add(2 * time.Hour).Unix()
		writeFile(t, ws, "info.json", []byte(fmt.Sprintf(`[{"name":"main","status":{"code":0,"message":"ok"},
			"backup":[{"label":"20250314-140000F","type":"full","error":false,"timestamp":{"start":%d,"stop":%d},"info":{"size":100}}]}]`, stop-60, stop)), now)
		res := gatetest.Run(t, mustGate(t, "pgbackrest: {info-file: info.json}\nmax-age: 1d\n"), testEnv(ws, nil))
		gatetest.Want(t, res, gates.StatusError, nil,
			"pgBackRest stanza main backup 20250314-140000F finished at 2025-03-14T14:00:00Z, 2h 0m after this machine's clock (2025-03-14T12:00:00Z)")
	})
}

// Two stanzas of the same name: which one pgBackRest means is unknown, so
// neither is believed.
func TestPgBackRestDuplicateStanza(t *testing.T) {
	ws := t.TempDir()
	stanza := func(stop time.Time, errs bool) string {
		return fmt.Sprintf(`{"name":"main","status":{"code":0,"message":"ok"},
			"backup":[{"label":"L%d","type":"full","error":%v,"timestamp":{"start":%d,"stop":%d},"info":{"size":100}}]}`,
			stop.Unix(), errs, stop.Unix()-60, stop.Unix())
	}
	writeFile(t, ws, "info.json", []byte("["+stanza(now.Add(-time.Hour), false)+","+stanza(now.Add(-72*time.Hour), true)+"]"), now)
	for _, cfg := range []string{"pgbackrest: {info-file: info.json, stanza: main}\nmax-age: 1d\n", "pgbackrest: {info-file: info.json}\nmax-age: 1d\n"} {
		res := gatetest.Run(t, mustGate(t, cfg), testEnv(ws, nil))
		gatetest.Want(t, res, gates.StatusError, nil, `reading info.json: it holds stanza "main" twice`)
	}
}

// An S3 listing that never ends is cut off with an error rather than read
// into memory until the deadline.
func TestS3ListingTooLarge(t *testing.T) {
	endless := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		if _, err := fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>backups</Name>`); err != nil {
			return
		}
		entry := []byte(strings.Repeat(`<Contents><Key>db.sql.gz</Key><Size>1</Size><LastModified>2025-03-14T10:00:00Z</LastModified></Contents>`, 100))
		for r.Context().Err() == nil {
			if _, err := w.Write(entry); err != nil {
				return
			}
		}
	}))
	defer endless.Close()
	g := mustGate(t, "location: s3://backups/\nmax-age: 1d\nendpoint: "+endless.URL+"\npath-style: true\n")
	res := gatetest.Run(t, g, testEnv(t.TempDir(), awsVars()))
	gatetest.Want(t, res, gates.StatusError, nil, "is larger than 64 MiB")
}

// AWS_CA_BUNDLE works with the client release-gate gives gates, whose
// transport applies the redirect policy.
func TestS3CABundleBehindThePolicy(t *testing.T) {
	f := newFakeS3(t, "backups")
	f.put(t, "backups", "db.dump", []byte("x"), now.Add(-time.Hour))
	tlsSrv := httptest.NewTLSServer(f.srv.Config.Handler)
	defer tlsSrv.Close()
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	g := mustGate(t, "location: s3://backups/\nmax-age: 1d\nendpoint: "+tlsSrv.URL+"\npath-style: true\n")
	env := testEnv(t.TempDir(), awsVars("AWS_CA_BUNDLE", bundle))
	env.HTTPClient = httpsafe.NewClient()
	res := gatetest.Run(t, g, env)
	gatetest.Want(t, res, gates.StatusPass, nil)
}

// A listing whose body trickles in a byte at a time ends with the gate's
// deadline: backup.Check returns by itself.
func TestS3ListingTrickles(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusOK)
		for _, b := range []byte(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>backups</Name>`) {
			if _, err := w.Write([]byte{b}); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Second):
			}
		}
	}))
	defer slow.Close()
	g := mustGate(t, "location: s3://backups/\nmax-age: 1d\nendpoint: "+slow.URL+"\npath-style: true\n")
	env := testEnv(t.TempDir(), awsVars())
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := backup.Check(ctx, &env, g.sets[0]); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "deadline") {
			t.Errorf("want the deadline, got %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("backup.Check ignored its deadline")
	}
}

// A listing cut short (truncated, without a token to go on, or with a
// token that comes back) would hide the newest backup: it is an error.
func TestS3TruncatedListing(t *testing.T) {
	page := func(truncated bool, token string) string {
		next := ""
		if token != "" {
			next = "<NextContinuationToken>" + token + "</NextContinuationToken>"
		}
		return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>backups</Name><IsTruncated>%v</IsTruncated>%s
<Contents><Key>db.sql.gz</Key><Size>10</Size><LastModified>2025-03-14T11:00:00Z</LastModified></Contents></ListBucketResult>`, truncated, next)
	}
	for name, tc := range map[string]struct{ body, want string }{
		"no token":       {page(true, ""), "page 1 is truncated but has no continuation token"},
		"repeated token": {page(true, "t1"), "page 2 repeats a continuation token"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/xml")
				fmt.Fprint(w, tc.body)
			}))
			defer srv.Close()
			g := mustGate(t, "location: s3://backups/\nmax-age: 1d\nendpoint: "+srv.URL+"\npath-style: true\n")
			res := gatetest.Run(t, g, testEnv(t.TempDir(), awsVars()))
			gatetest.Want(t, res, gates.StatusError, nil, tc.want)
		})
	}
}

// An info file that is a link to a named pipe is refused without opening
// it: opening a pipe for reading waits for a writer.
func TestPgBackRestInfoFileIsAPipe(t *testing.T) {
	ws := t.TempDir()
	pipe := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Skipf("cannot make a named pipe here: %v", err)
	}
	if err := os.Symlink(pipe, filepath.Join(ws, "info.json")); err != nil {
		t.Fatal(err)
	}
	g := mustGate(t, "pgbackrest: {info-file: info.json}\nmax-age: 1d\n")
	done := make(chan gates.Result, 1)
	go func() { done <- gatetest.Run(t, g, testEnv(ws, nil)) }()
	select {
	case res := <-done:
		gatetest.Want(t, res, gates.StatusError, nil, "reading pgBackRest info file info.json: it is a named pipe, not a regular file")
	case <-time.After(30 * time.Second):
		if f, err := os.OpenFile(pipe, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
		t.Fatal("reading the info file blocked the gate")
	}
}

// gitRepo makes a git repository in a new directory, for a workspace.
func gitRepo(t *testing.T) string {
	t.Helper()
	ws := t.TempDir()
	gitCmd(t, ws, "init", "-q")
	return ws
}

func gitCmd(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(testenv.LookPath(t, "git"), append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// A backup the change under test commits into the workspace is dated by
// the checkout ("now") and says what the change wants: it proves nothing,
// and neither does one reached through a link the change commits. Backups
// the job wrote there itself (untracked) still count.
func TestBackupSuppliedByTheChange(t *testing.T) {
	body := backuptest.Gzip(t, backuptest.Payload(4096, 1))
	sidecar := []byte(backuptest.SHA256Line(body, "pre_migration_9.sql.gz"))
	cfg := "location: backups\npattern: \"pre_migration_*.sql.gz\"\nmax-age: 1d\nverify: [checksum, decompress]\n"

	t.Run("committed", func(t *testing.T) {
		ws := gitRepo(t)
		writeFile(t, ws, "backups/pre_migration_9.sql.gz", body, now.Add(-time.Minute))
		writeFile(t, ws, "backups/pre_migration_9.sql.gz.sha256", sidecar, now.Add(-time.Minute))
		gitCmd(t, ws, "add", ".")
		gitCmd(t, ws, "commit", "-q", "-m", "fresh backup")
		res := gatetest.Run(t, mustGate(t, cfg), testEnv(ws, nil))
		gatetest.Want(t, res, gates.StatusError, nil, "backup backups/pre_migration_9.sql.gz is tracked by git: it comes with the change under test")
	})
	t.Run("through a committed link", func(t *testing.T) {
		ws := gitRepo(t)
		outside := t.TempDir()
		writeFile(t, outside, "pre_migration_9.sql.gz", body, now.Add(-time.Minute))
		writeFile(t, outside, "pre_migration_9.sql.gz.sha256", sidecar, now.Add(-time.Minute))
		if err := os.Symlink(outside, filepath.Join(ws, "backups")); err != nil {
			t.Fatal(err)
		}
		gitCmd(t, ws, "add", ".")
		gitCmd(t, ws, "commit", "-q", "-m", "link")
		res := gatetest.Run(t, mustGate(t, cfg), testEnv(ws, nil))
		gatetest.Want(t, res, gates.StatusError, nil, "backup backups/pre_migration_9.sql.gz is reached through backups, a symbolic link tracked by git")
	})
	t.Run("written by the job", func(t *testing.T) {
		ws := gitRepo(t)
		writeFile(t, ws, "README", []byte("x"), now)
		gitCmd(t, ws, "add", ".")
		gitCmd(t, ws, "commit", "-q", "-m", "init")
		writeFile(t, ws, "backups/pre_migration_9.sql.gz", body, now.Add(-time.Minute))
		writeFile(t, ws, "backups/pre_migration_9.sql.gz.sha256", sidecar, now.Add(-time.Minute))
		res := gatetest.Run(t, mustGate(t, cfg), testEnv(ws, nil))
		gatetest.Want(t, res, gates.StatusPass, nil, "checksum ok")
	})
}

// A pgBackRest info file the change commits is the change's word, not
// pgBackRest's.
func TestPgBackRestInfoFileSuppliedByTheChange(t *testing.T) {
	ws := gitRepo(t)
	stop := now.Add(-time.Hour).Unix()
	writeFile(t, ws, "ci/info.json", []byte(fmt.Sprintf(`[{"name":"main","status":{"code":0,"message":"ok"},
		"backup":[{"label":"20250314-110000F","type":"full","error":false,"timestamp":{"start":%d,"stop":%d},"info":{"size":100}}]}]`, stop-60, stop)), now)
	cfg := "pgbackrest: {info-file: ci/info.json}\nmax-age: 1d\n"
	res := gatetest.Run(t, mustGate(t, cfg), testEnv(ws, nil))
	gatetest.Want(t, res, gates.StatusPass, nil) // written by the job: it counts
	gitCmd(t, ws, "add", ".")
	gitCmd(t, ws, "commit", "-q", "-m", "info")
	res = gatetest.Run(t, mustGate(t, cfg), testEnv(ws, nil))
	gatetest.Want(t, res, gates.StatusError, nil, "pgBackRest info file ci/info.json is tracked by git: it comes with the change under test")
}

// A download answered with an error whose body never ends is cut off: the
// SDK reads error bodies whole.
func TestS3EndlessErrorBody(t *testing.T) {
	f := newFakeS3(t, "backups")
	f.put(t, "backups", "db.sql.gz", backuptest.Gzip(t, backuptest.Payload(1<<20, 1)), now.Add(-time.Hour))
	srv := s3WithBody(t, f, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusInternalServerError)
		if _, err := fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>`); err != nil {
			return
		}
		chunk := []byte(strings.Repeat("x", 64<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	g := mustGate(t, "location: s3://backups/\nmax-age: 1d\nverify: decompress\nendpoint: "+srv.URL+"\npath-style: true\n")
	res := gatetest.Run(t, g, testEnv(t.TempDir(), awsVars()))
	gatetest.Want(t, res, gates.StatusError, nil, "is larger than 1 MiB")
}

// A pgBackRest command that is a program the change commits would run the
// change's code with the job's environment, and print what the change
// wants: it is refused, as a committed info file is. One the job put in
// the workspace itself still runs.
func TestPgBackRestCommandSuppliedByTheChange(t *testing.T) {
	stop := now.Add(-time.Hour).Unix()
	info := fmt.Sprintf(`[{"name":"main","status":{"code":0,"message":"ok"},"backup":[{"label":"20250314-110000F","type":"full","error":false,"timestamp":{"start":%d,"stop":%d},"info":{"size":100}}]}]`, stop-60, stop)
	for name, command := range map[string]func(ws string) string{
		"relative":           func(string) string { return "[ci/pgbackrest-info.sh]" },
		"dot slash":          func(string) string { return "[./ci/pgbackrest-info.sh, info]" },
		"absolute":           func(ws string) string { return "[" + filepath.Join(ws, "ci", "pgbackrest-info.sh") + "]" },
		"one string":         func(string) string { return "ci/pgbackrest-info.sh --output=json info" },
		"through a dir link": func(string) string { return "[tools/pgbackrest-info.sh]" },
	} {
		t.Run(name, func(t *testing.T) {
			ws := gitRepo(t)
			marker := filepath.Join(t.TempDir(), "ran")
			writeFile(t, ws, "ci/pgbackrest-info.sh", []byte("#!/bin/sh\ntouch "+marker+"\ncat <<'EOF'\n"+info+"\nEOF\n"), now)
			if err := os.Chmod(filepath.Join(ws, "ci", "pgbackrest-info.sh"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("ci", filepath.Join(ws, "tools")); err != nil {
				t.Fatal(err)
			}
			cfg := "pgbackrest: {command: " + command(ws) + "}\nmax-age: 1d\n"
			res := gatetest.Run(t, mustGate(t, cfg), testEnv(ws, nil))
			gatetest.Want(t, res, gates.StatusPass, nil) // written by the job: it runs
			gitCmd(t, ws, "add", ".")
			gitCmd(t, ws, "commit", "-q", "-m", "a pgbackrest of our own")
			if err := os.Remove(marker); err != nil {
				t.Fatal(err)
			}
			res = gatetest.Run(t, mustGate(t, cfg), testEnv(ws, nil))
			gatetest.Want(t, res, gates.StatusError, nil, "pgBackRest command", "tracked by git", "the change under test", "does not run a program the change supplies")
			if _, err := os.Stat(marker); err == nil {
				t.Error("the change's program ran")
			}
		})
	}
}

// An S3 endpoint whose listing never ends, each page with new checksum
// files and a new (long) continuation token, must not make the gate keep
// every name and token it was given until the machine runs out of memory:
// past a bound it is an error.
func TestS3EndlessListingBounded(t *testing.T) {
	const perPage = 50_000
	var pages atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := pages.Add(1)
		w.Header().Set("Content-Type", "application/xml")
		var b strings.Builder
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>backups</Name><IsTruncated>true</IsTruncated><NextContinuationToken>%d-%s</NextContinuationToken>`, n, strings.Repeat("t", 1<<20))
		for i := 0; i < perPage; i++ {
			fmt.Fprintf(&b, "<Contents><Key>db-%d-%d.sql.gz.sha256</Key><Size>80</Size><LastModified>2025-03-14T11:00:00Z</LastModified></Contents>", n, i)
		}
		b.WriteString("</ListBucketResult>")
		fmt.Fprint(w, b.String())
	}))
	defer srv.Close()
	g := mustGate(t, "location: s3://backups/\npattern: \"db-*.sql.gz\"\nmax-age: 1d\nverify: checksum\nendpoint: "+srv.URL+"\npath-style: true\n")
	res := gatetest.Run(t, g, testEnv(t.TempDir(), awsVars()), gatetest.Options{Timeout: 2 * time.Minute})
	gatetest.Want(t, res, gates.StatusError, nil, "listing s3://backups/ at "+srv.URL, "more than 1000000 checksum files")
}

// A checksum file the change commits beside a backup the job wrote is the
// change's word for what the backup should hash to: it proves nothing.
func TestChecksumFileSuppliedByTheChange(t *testing.T) {
	body := backuptest.Gzip(t, backuptest.Payload(4096, 1))
	ws := gitRepo(t)
	writeFile(t, ws, "backups/pre_migration_9.sql.gz.sha256", []byte(backuptest.SHA256Line(body, "pre_migration_9.sql.gz")), now)
	gitCmd(t, ws, "add", ".")
	gitCmd(t, ws, "commit", "-q", "-m", "the checksum we want")
	writeFile(t, ws, "backups/pre_migration_9.sql.gz", body, now.Add(-time.Minute)) // written by the job
	cfg := "location: backups\npattern: \"pre_migration_*.sql.gz\"\nmax-age: 1d\nverify: [checksum]\n"
	res := gatetest.Run(t, mustGate(t, cfg), testEnv(ws, nil))
	gatetest.Want(t, res, gates.StatusError, nil, "checksum file backups/pre_migration_9.sql.gz.sha256 is tracked by git")
}

// An S3 endpoint that accepts requests and never answers them, or stops
// sending a download halfway, is cut off after request-timeout with an
// error naming it, long before the gate's own timeout.
func TestS3RequestTimeout(t *testing.T) {
	f := newFakeS3(t, "backups")
	gz := backuptest.Gzip(t, backuptest.Payload(2<<20, 1))
	f.put(t, "backups", "db.sql.gz", gz, now.Add(-time.Hour))

	// A listener that accepts connections and never writes a byte.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(io.Discard, c) // until the client hangs up
			}()
		}
	}()
	silent := "http://" + ln.Addr().String()

	noHeaders := s3WithBody(t, f, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	stalls := s3WithBody(t, f, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(gz)))
		w.Write(gz[:len(gz)/2])
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	for name, tc := range map[string]struct{ endpoint, want string }{
		"listing never answered":  {silent, "listing s3://backups/: " + silent + " gave no answer to page 1 within 300ms (request-timeout)"},
		"download never answered": {noHeaders.URL, "reading s3://backups/db.sql.gz: " + noHeaders.URL + " gave no answer within 300ms (request-timeout)"},
		"download stops halfway":  {stalls.URL, "reading s3://backups/db.sql.gz: " + stalls.URL + " sent nothing for 300ms after "},
	} {
		t.Run(name, func(t *testing.T) {
			g := mustGate(t, "location: s3://backups/\nmax-age: 1d\nverify: decompress\nrequest-timeout: 300ms\nendpoint: "+tc.endpoint+"\npath-style: true\n")
			res := gatetest.Run(t, g, testEnv(t.TempDir(), awsVars()), gatetest.Options{Timeout: 10 * time.Second})
			gatetest.Want(t, res, gates.StatusError, nil, tc.want)
			gatetest.WantNot(t, res, awsVars()["AWS_SECRET_ACCESS_KEY"], awsVars()["AWS_SESSION_TOKEN"])
		})
	}
}

// A listing that never ends (every page truncated, each with a new token)
// and is stopped by the deadline says how far it got, in the error and in
// a note: the runner reports a deadline in its own words.
func TestS3EndlessListingSaysHowFarItGot(t *testing.T) {
	url, _ := backuptest.EndlessListing(t)
	g := mustGate(t, "location: s3://backups/\nmax-age: 1d\nendpoint: "+url+"\npath-style: true\n")
	env := testEnv(t.TempDir(), awsVars())
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	rep, err := backup.Check(ctx, &env, g.sets[0])
	want := "listing s3://backups/ at " + url + ": still going at page "
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), " keys seen so far)") {
		t.Fatalf("err = %v, want the deadline and %q", err, want)
	}
	if len(rep.Notes) != 1 || rep.Notes[0] != err.Error() {
		t.Errorf("notes %q, want the error", rep.Notes)
	}
}
