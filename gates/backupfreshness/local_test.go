package backupfreshness

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/internal/backup"
	"github.com/release-gate/release-gate/internal/backup/backuptest"

	"github.com/release-gate/release-gate/gates"
)

// backupDir makes a workspace with a backups directory holding dumps of
// the given ages (newest last), each a gzip with a sidecar.
func backupDir(t *testing.T, ages ...time.Duration) (workspace string, dumps [][]byte) {
	t.Helper()
	ws := t.TempDir()
	for i, age := range ages {
		gz := backuptest.Gzip(t, backuptest.Payload(200<<10+i*1000, uint64(i)))
		name := "db-" + now.Add(-age).Format("20060102T150405") + ".sql.gz"
		writeFile(t, ws, "backups/"+name, gz, now.Add(-age))
		writeFile(t, ws, "backups/"+name+".sha256", []byte(backuptest.SHA256Line(gz, name)), now.Add(-age))
		dumps = append(dumps, gz)
	}
	return ws, dumps
}

func TestLocalFreshBackupPasses(t *testing.T) {
	ws, _ := backupDir(t, 50*time.Hour, 26*time.Hour, 2*time.Hour)
	writeFile(t, ws, "backups/notes.txt", []byte("not a backup"), now) // newer, but no match
	g := mustGate(t, `
location: backups
pattern: "db-*.sql.gz"
max-age: 24h
min-size: 10KiB
max-shrink: 20%
verify: [checksum, decompress]
`)
	res := gatetest.Run(t, g, testEnv(ws, nil))
	gatetest.Want(t, res, gates.StatusPass, nil,
		"backups/db-20250314T100000.sql.gz: 2h 0m old",
		"checksum ok", "gzip ok",
		"listed 6 objects under backups; 3 match db-*.sql.gz",
		"previous: backups/db-20250313T100000.sql.gz")
}

func TestLocalFailures(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T, ws string)
		cfg   string
		rules []string
		want  []string
	}{
		{
			name: "stale",
			setup: func(t *testing.T, ws string) {
				writeFile(t, ws, "backups/db-1.sql.gz", backuptest.Gzip(t, backuptest.Payload(1000, 1)), now.Add(-30*time.Hour-5*time.Minute))
			},
			cfg:   "location: backups\npattern: db-*.sql.gz\nmax-age: 1d\n",
			rules: []string{RuleStale},
			want:  []string{"backups/db-1.sql.gz is 1d 6h old (modified 2025-03-13T05:55:00Z); max-age is 1d"},
		},
		{
			name: "nothing matches, only sidecars",
			setup: func(t *testing.T, ws string) {
				writeFile(t, ws, "backups/db-1.sql.gz.sha256", []byte("x"), now)
				writeFile(t, ws, "backups/other.tar", []byte("x"), now)
			},
			cfg:   "location: backups\npattern: \"*.gz\"\nmax-age: 1d\n",
			rules: []string{RuleNoBackup},
			want:  []string{"no backup matches *.gz under backups (2 other objects listed)"},
		},
		{
			name: "too small",
			setup: func(t *testing.T, ws string) {
				writeFile(t, ws, "backups/db-1.sql.gz", []byte("tiny"), now.Add(-time.Hour))
			},
			cfg:   "location: backups\nmax-age: 1d\nmin-size: 1MiB\n",
			rules: []string{RuleTooSmall},
			want:  []string{"backups/db-1.sql.gz is 4 B; min-size is 1.0 MiB (1048576 bytes)", "content not verified"},
		},
		{
			name: "shrunk",
			setup: func(t *testing.T, ws string) {
				writeFile(t, ws, "backups/db-1.dump", make([]byte, 1000), now.Add(-25*time.Hour))
				writeFile(t, ws, "backups/db-2.dump", make([]byte, 700), now.Add(-time.Hour))
			},
			cfg:   "location: backups\nmax-age: 1d\nmax-shrink: 20%\n",
			rules: []string{RuleShrunk},
			want:  []string{"backups/db-2.dump (700 B) is 30% smaller than the previous one backups/db-1.dump (1000 B); max-shrink is 20%"},
		},
		{
			name: "checksum mismatch",
			setup: func(t *testing.T, ws string) {
				gz := backuptest.Gzip(t, backuptest.Payload(3000, 1))
				writeFile(t, ws, "backups/db.sql.gz", gz, now)
				writeFile(t, ws, "backups/db.sql.gz.sha256", []byte(backuptest.SHA256Line(append(gz, 0), "db.sql.gz")), now)
			},
			cfg:   "location: backups\nmax-age: 1d\nverify: [checksum, decompress]\n",
			rules: []string{RuleChecksumMismatch},
			want:  []string{"backups/db.sql.gz does not match its checksum file", "gzip ok"},
		},
		{
			name: "checksum missing still decompresses",
			setup: func(t *testing.T, ws string) {
				gz := backuptest.Gzip(t, backuptest.Payload(3000, 1))
				writeFile(t, ws, "backups/db.sql.gz", gz[:len(gz)-3], now)
			},
			cfg:   "location: backups\nmax-age: 1d\nverify: [checksum, decompress]\n",
			rules: []string{RuleChecksumMissing, RuleTruncated},
			want:  []string{"backups/db.sql.gz has no checksum file backups/db.sql.gz.sha256", "backups/db.sql.gz cannot be restored: gzip stream is truncated"},
		},
		{
			name: "unusable sidecar",
			setup: func(t *testing.T, ws string) {
				writeFile(t, ws, "backups/db.sql.gz", backuptest.Gzip(t, backuptest.Payload(3000, 1)), now)
				writeFile(t, ws, "backups/db.sql.gz.sha256", []byte("<html>Not Found</html>\n"), now)
			},
			cfg:   "location: backups\nmax-age: 1d\nverify: checksum\n",
			rules: []string{RuleChecksumMissing},
			want:  []string{"checksum file backups/db.sql.gz.sha256 is unusable: line 1 is not in sha256sum format"},
		},
		{
			name: "corrupt zstd",
			setup: func(t *testing.T, ws string) {
				zs := backuptest.Zstd(t, backuptest.Payload(300<<10, 1))
				zs[len(zs)/2] ^= 0xff
				writeFile(t, ws, "backups/db.sql.zst", zs, now)
			},
			cfg:   "location: backups\nmax-age: 1d\nverify: [decompress]\n",
			rules: []string{RuleCorrupt},
			want:  []string{"backups/db.sql.zst cannot be restored: zstd stream is corrupt"},
		},
		{
			name: "a sub-directory in the pattern is missing",
			setup: func(t *testing.T, ws string) {
				writeFile(t, ws, "backups/x", nil, now)
			},
			cfg:   "location: backups\npattern: daily/*.gz\nmax-age: 1d\n",
			rules: []string{RuleNoBackup},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ws := t.TempDir()
			tt.setup(t, ws)
			res := gatetest.Run(t, mustGate(t, tt.cfg), testEnv(ws, nil))
			gatetest.Want(t, res, gates.StatusFail, tt.rules, tt.want...)
		})
	}
}

func TestLocalPatterns(t *testing.T) {
	ws := t.TempDir()
	writeFile(t, ws, "b/2025/03/13/db.sql.gz", []byte("a"), now.Add(-20*time.Hour))
	writeFile(t, ws, "b/2025/03/14/db.sql.gz", []byte("bb"), now.Add(-2*time.Hour))
	writeFile(t, ws, "b/2025/03/14/other.sql.gz", []byte("ccc"), now.Add(-time.Hour))
	writeFile(t, ws, "b/top.sql.gz", []byte("dddd"), now.Add(-3*time.Hour))
	for _, tt := range []struct{ pattern, newest string }{
		{"**/db.sql.gz", "b/2025/03/14/db.sql.gz"},
		{"*/*/*/db.sql.gz", "b/2025/03/14/db.sql.gz"},
		{"2025/03/13/*", "b/2025/03/13/db.sql.gz"},
		{"*.sql.gz", "b/top.sql.gz"}, // no slash: the location's own files only
		{"**/*.sql.gz", "b/2025/03/14/other.sql.gz"},
	} {
		g := mustGate(t, "location: b\npattern: \""+tt.pattern+"\"\nmax-age: 7d\n")
		env := testEnv(ws, nil)
		rep, err := backup.Check(t.Context(), &env, g.sets[0])
		if err != nil {
			t.Fatalf("%s: %v", tt.pattern, err)
		}
		if rep.Where != tt.newest {
			t.Errorf("pattern %s picked %q, want %q", tt.pattern, rep.Where, tt.newest)
		}
	}
}

func TestLocalLocations(t *testing.T) {
	ws := t.TempDir()
	abs := t.TempDir()
	writeFile(t, abs, "db.sql.gz", backuptest.Gzip(t, []byte("x")), now.Add(-time.Minute))
	for _, loc := range []string{abs, "file://" + filepath.ToSlash(abs), "file://" + filepath.ToSlash(abs) + "/"} {
		res := gatetest.Run(t, mustGate(t, "location: "+loc+"\nmax-age: 1h\nverify: decompress\n"), testEnv(ws, nil))
		gatetest.Want(t, res, gates.StatusPass, nil, "gzip ok")
	}
}

func TestLocalErrors(t *testing.T) {
	ws := t.TempDir()
	writeFile(t, ws, "afile", []byte("x"), now)
	writeFile(t, ws, "plain/db.dump", []byte("PGDMP..."), now)
	for _, tt := range []struct{ cfg, want string }{
		{"location: missing\nmax-age: 1d\n", "backup directory missing does not exist"},
		{"location: afile\nmax-age: 1d\n", "backup location afile is not a directory"},
		{"location: plain\nmax-age: 1d\nverify: [decompress]\n", "plain/db.dump: it is neither gzip nor zstd"},
	} {
		res := gatetest.Run(t, mustGate(t, tt.cfg), testEnv(ws, nil))
		gatetest.Want(t, res, gates.StatusError, nil, tt.want)
	}
	if runtime.GOOS != "windows" && os.Getuid() != 0 {
		locked := filepath.Join(ws, "locked")
		os.Mkdir(locked, 0)
		res := gatetest.Run(t, mustGate(t, "location: locked\nmax-age: 1d\n"), testEnv(ws, nil))
		gatetest.Want(t, res, gates.StatusError, nil, "permission denied")
	}
}

func TestSeveralSetsAreReportedOnTheirOwn(t *testing.T) {
	ws, _ := backupDir(t, 2*time.Hour)
	writeFile(t, ws, "old/db.sql.gz", []byte("x"), now.Add(-72*time.Hour))
	g := mustGate(t, `
max-age: 24h
verify: [checksum, decompress]
backups:
  - name: orders
    location: backups
    pattern: "db-*.sql.gz"
  - name: legacy
    location: old
    verify: []
  - name: gone
    location: nowhere
`)
	res := gatetest.Run(t, g, testEnv(ws, nil))
	gatetest.Want(t, res, gates.StatusError, []string{RuleStale},
		"legacy: newest backup old/db.sql.gz is 3d 0h old",
		`checking backup set "gone": backup directory nowhere does not exist`,
		"orders: checksum ok",
		"legacy: content not verified")
}

func TestSeveralPassingSetsSummary(t *testing.T) {
	ws, _ := backupDir(t, 2*time.Hour)
	g := mustGate(t, `
max-age: 24h
backups:
  - {name: a, location: backups, pattern: "*.gz"}
  - {name: b, location: backups, pattern: "*.gz", verify: [checksum]}
`)
	res := gatetest.Run(t, g, testEnv(ws, nil))
	gatetest.Want(t, res, gates.StatusPass, nil, "2 backup sets recent and intact: a: backups/db-", "b: backups/db-20250314T100000.sql.gz: 2h 0m old")
}
