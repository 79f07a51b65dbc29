package rollbackreadiness

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/backup"
	"github.com/release-gate/release-gate/internal/testenv"
)

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sqlDump is n lines of SQL with random values: compressible, not
// trivially so.
func sqlDump(n int) []byte {
	r := rand.New(rand.NewPCG(uint64(n), 1))
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "INSERT INTO orders VALUES (%d, '%x', %d.%02d);\n", i, r.Uint64(), r.IntN(1000), r.IntN(100))
	}
	return b.Bytes()
}

// dump writes backups/<name> (a gzipped SQL dump, age old) with its
// checksum file, and returns the dump.
func dump(t *testing.T, ws, name string, age time.Duration) []byte {
	t.Helper()
	gz := gzipped(t, sqlDump(2000))
	mtime := time.Now().Add(-age)
	writeFile(t, ws, "backups/"+name, gz, 0o644, mtime)
	sum := sha256.Sum256(gz)
	writeFile(t, ws, "backups/"+name+".sha256", []byte(hex.EncodeToString(sum[:])+"  "+name+"\n"), 0o644, mtime)
	return gz
}

const backupBody = `backup:
  location: backups
  pattern: "pre_migration_*.sql.gz"
  max-age: 24h
  min-size: 1KiB
  verify: [checksum, decompress]
`

func TestBackupPasses(t *testing.T) {
	ws := t.TempDir()
	dump(t, ws, "pre_migration_20250101.sql.gz", 50*time.Hour)
	dump(t, ws, "pre_migration_20250103.sql.gz", 2*time.Hour)
	dump(t, ws, "nightly_20250103.sql.gz", time.Hour) // newer, but not pre-migration
	res := gatetest.Run(t, mustGate(t, backupBody), testEnv(ws, nil, nil))
	gatetest.Want(t, res, gates.StatusPass, nil,
		"pre-migration backup: listed 4 objects under backups; 2 match pre_migration_*.sql.gz",
		"pre-migration backup: checksum ok",
		"pre-migration backup backups/pre_migration_20250103.sql.gz: 2h 0m old")
	testenv.MustContain(t, "summary", res.Summary, "pre-migration backup backups/pre_migration_20250103.sql.gz", "checksum ok", "gzip ok")
}

func TestBackupFailures(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T, ws string)
		body  string
		rules []string
		want  []string
	}{
		{"none", func(t *testing.T, ws string) { dump(t, ws, "nightly.sql.gz", time.Hour) }, backupBody,
			[]string{RuleBackupMissing}, []string{"pre-migration backup: no backup matches pre_migration_*.sql.gz under backups"}},
		{"stale", func(t *testing.T, ws string) { dump(t, ws, "pre_migration_1.sql.gz", 30*time.Hour) }, backupBody,
			[]string{"backup-stale"}, []string{"pre-migration backup: newest backup backups/pre_migration_1.sql.gz is 1d 6h old", "max-age is 1d"}},
		{"too small", func(t *testing.T, ws string) {
			writeFile(t, ws, "backups/pre_migration_1.sql.gz", gzipped(t, []byte("x")), 0o644, time.Now().Add(-time.Hour))
		}, "backup: {location: backups, pattern: \"pre_migration_*\", max-age: 1d, min-size: 1KiB}",
			[]string{"backup-too-small"}, []string{"min-size is 1.0 KiB"}},
		{"damaged", func(t *testing.T, ws string) {
			gz := dump(t, ws, "pre_migration_1.sql.gz", time.Hour)
			gz[len(gz)/2] ^= 0xff
			writeFile(t, ws, "backups/pre_migration_1.sql.gz", gz, 0o644, time.Now().Add(-time.Hour))
		}, backupBody, []string{"backup-checksum-mismatch", "backup-corrupt"}, []string{"does not match its checksum file"}},
		{"named set", func(t *testing.T, ws string) { dump(t, ws, "other.sql.gz", time.Hour) },
			"backup: {name: orders, location: backups, pattern: \"pre_*\", max-age: 1d}",
			[]string{RuleBackupMissing}, []string{"pre-migration backup orders: no backup matches pre_*"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ws := t.TempDir()
			tt.setup(t, ws)
			res := gatetest.Run(t, mustGate(t, tt.body), testEnv(ws, nil, nil))
			gatetest.Want(t, res, gates.StatusFail, tt.rules, tt.want...)
		})
	}
}

// A location that cannot be read is an error, not "no backup".
func TestBackupUnreadable(t *testing.T) {
	res := gatetest.Run(t, mustGate(t, backupBody), testEnv(t.TempDir(), nil, nil))
	gatetest.Want(t, res, gates.StatusError, nil, "checking the pre-migration backup: backup directory backups does not exist")
}

func TestBackupRules(t *testing.T) {
	for in, out := range map[string]string{
		backup.RuleNoBackup:         "backup-missing",
		backup.RuleStale:            "backup-stale",
		backup.RuleChecksumMismatch: "backup-checksum-mismatch",
		backup.RuleBackupError:      "backup-error",
		backup.RuleStanzaStatus:     "backup-stanza-status",
	} {
		if got := backupRule(in); got != out {
			t.Errorf("backupRule(%q) = %q, want %q", in, got, out)
		}
	}
	if !strings.HasPrefix(RuleBackupMissing, "backup-") {
		t.Error("backup rules start with backup-")
	}
}

// A pre-migration backup dated in the future is an error, not "0s old":
// which backup was taken before the migration is unknown.
func TestBackupInTheFuture(t *testing.T) {
	ws := t.TempDir()
	dump(t, ws, "pre_migration_1.sql.gz", -2*time.Hour)
	res := gatetest.Run(t, mustGate(t, backupBody), testEnv(ws, nil, nil))
	gatetest.Want(t, res, gates.StatusError, nil, "checking the pre-migration backup: backups/pre_migration_1.sql.gz is dated", "after this machine's clock", "check the clocks")
}
