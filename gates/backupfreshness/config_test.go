package backupfreshness

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/internal/backup"
)

func TestConfigSingleSet(t *testing.T) {
	g := mustGate(t, `
location: s3://prod-backups/orders
pattern: "pre_migration_*.sql.gz"
max-age: 24h
min-size: 1MiB
max-shrink: 12.5%
verify: [checksum, decompress]
max-decompressed: 10GiB
endpoint: http://127.0.0.1:9000
path-style: true
region: eu-west-1
request-timeout: 10s
`)
	want := []backup.Set{{
		Location: "s3://prod-backups/orders", Pattern: "pre_migration_*.sql.gz",
		S3:     backup.S3Options{Endpoint: "http://127.0.0.1:9000", PathStyle: true, Region: "eu-west-1", RequestTimeout: 10 * time.Second},
		MaxAge: 24 * time.Hour, MinSize: 1 << 20, MaxShrink: 0.125, CheckShrink: true,
		Checksum: true, Decompress: true, MaxDecompressed: 10 << 30,
	}}
	if d := cmp.Diff(want, g.Sets()); d != "" {
		t.Error(d)
	}
}

func TestConfigSetsInheritTopLevelKeys(t *testing.T) {
	g := mustGate(t, `
max-age: 7d
verify: [decompress]
endpoint: https://minio.example.com
path-style: true
backups:
  - name: orders
    location: s3://bucket-1/orders/
    pattern: "*.sql.zst"
    max-age: 24h
  - location: backups/daily
    verify: []
  - pgbackrest: {stanza: main, type: [full, diff]}
    min-size: 1GB
  - pgbackrest:
      info-file: ci/pgbackrest-info.json
      stanza: other
`)
	want := []backup.Set{
		{Name: "orders", Location: "s3://bucket-1/orders/", Pattern: "*.sql.zst", MaxAge: 24 * time.Hour, Decompress: true,
			S3: backup.S3Options{Endpoint: "https://minio.example.com", PathStyle: true}},
		{Name: "backups/daily/*", Location: "backups/daily", Pattern: "*", MaxAge: 7 * 24 * time.Hour},
		{Name: "pgbackrest main", MaxAge: 7 * 24 * time.Hour, MinSize: 1e9,
			PgBackRest: &backup.PgBackRest{Stanza: "main", Types: []string{"full", "diff"}}},
		{Name: "pgbackrest other", MaxAge: 7 * 24 * time.Hour,
			PgBackRest: &backup.PgBackRest{InfoFile: "ci/pgbackrest-info.json", Stanza: "other"}},
	}
	if d := cmp.Diff(want, g.Sets()); d != "" {
		t.Error(d)
	}
}

func TestConfigCommandString(t *testing.T) {
	g := mustGate(t, "pgbackrest:\n  command: sudo -u postgres pgbackrest --output=json info\nmax-age: 1d\n")
	if got := g.sets[0].PgBackRest.Command; strings.Join(got, "|") != "sudo|-u|postgres|pgbackrest|--output=json|info" {
		t.Errorf("command = %q", got)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tt := range []struct{ body, want string }{
		{"max-age: 1d\n", "release-gate.yml:3:3: gates.backup-freshness: say where the backups are"},
		{"location: b\n", "release-gate.yml:3:3: gates.backup-freshness: set max-age"},
		{"location: b\nmax-age: 0s\n", "release-gate.yml:5:14: gates.backup-freshness.max-age: must be positive"},
		{"location: b\nmax-age: soon\n", `release-gate.yml:5:14: gates.backup-freshness.max-age: want a duration such as 30s, 5m, 24h or 7d, got "soon"`},
		{"location: b\nmax-age: 1d\nmax-shrink: 20\n", `release-gate.yml:6:17: gates.backup-freshness.max-shrink: want a percentage such as 20%, got "20"`},
		{"location: b\nmax-age: 1d\nmax-shrink: 120%\n", `want a percentage such as 20%, got "120%"`},
		{"location: b\nmax-age: 1d\nverify: [checksum, gunzip]\n", `release-gate.yml:6:13: gates.backup-freshness.verify: unknown check "gunzip"`},
		{"location: b\nmax-age: 1d\nmin-size: big\n", `release-gate.yml:6:15: gates.backup-freshness.min-size: want a size`},
		{"location: b\nmax-age: 1d\npattern: \"[a-\"\n", `release-gate.yml:6:14: gates.backup-freshness.pattern: "[a-" is not a valid pattern`},
		{"location: b\nmax-age: 1d\npattern: ../x\n", `gates.backup-freshness.pattern: "../x" has a ".." segment`},
		{"location: b\nmax-age: 1d\npattern: /x\n", `is absolute`},
		{"location: b\nmax-age: 1d\nendpoint: http://m:9000\n", `release-gate.yml:6:15: gates.backup-freshness.endpoint: endpoint applies to s3:// locations only`},
		{"location: s3://b/\nmax-age: 1d\n", `release-gate.yml:4:15: gates.backup-freshness.location: "s3://b/": bucket name "b" must be 3 to 63 characters long`},
		{"location: s3:///x\nmax-age: 1d\n", `no bucket name`},
		{"location: gs://b/x\nmax-age: 1d\n", `unsupported scheme "gs"`},
		{"location: file://host/x\nmax-age: 1d\n", `names host "host"`},
		{"location: s3://bucket/x\nendpoint: minio:9000\nmax-age: 1d\n", `release-gate.yml:5:15: gates.backup-freshness.endpoint: S3 endpoint "minio:9000": want a URL`},
		{"location: b\nmax-age: 1d\nwhatever: 1\n", `unknown key "whatever"`},
		{"location: s3://bucket/x\nmax-age: 1d\nrequest-timeout: 0s\n", `release-gate.yml:6:22: gates.backup-freshness.request-timeout: must be positive`},
		{"location: s3://bucket/x\nmax-age: 1d\nrequest-timeout: -5s\n", `gates.backup-freshness.request-timeout: want a duration`},
		{"max-age: 1d\nrequest-timeout: 0s\nbackups: [{location: 's3://bucket/x'}]\n", `release-gate.yml:5:22: gates.backup-freshness.request-timeout: must be positive`},
		{"location: b\nmax-age: 1d\nrequest-timeout: 5s\n", `release-gate.yml:6:22: gates.backup-freshness.request-timeout: request-timeout applies to s3:// locations only`},
		{"pgbackrest: {stanza: x}\nmax-age: 1d\nrequest-timeout: 5s\n", `gates.backup-freshness.request-timeout: request-timeout does not apply to a pgbackrest set`},
		{"location: b\npgbackrest: {stanza: x}\nmax-age: 1d\n", `gates.backup-freshness.pgbackrest: a set reads either a location or pgbackrest`},
		{"pgbackrest: {stanza: x}\nmax-age: 1d\nverify: [checksum]\n", `release-gate.yml:6:13: gates.backup-freshness.verify: verify does not apply to a pgbackrest set`},
		{"pgbackrest: {stanza: x, type: [full, weekly]}\nmax-age: 1d\n", `gates.backup-freshness.pgbackrest.type[1]: "weekly" is not a backup type`},
		{"pgbackrest: {info-file: a.json, command: [pgbackrest, info]}\nmax-age: 1d\n", `gates.backup-freshness.pgbackrest.command: set info-file or command, not both`},
		{"max-age: 1d\nbackups: []\n", `release-gate.yml:5:14: gates.backup-freshness.backups: the list is empty`},
		{"max-age: 1d\nlocation: x\nbackups: [{location: y}]\n", `release-gate.yml:5:15: gates.backup-freshness.location: location is per set when backups is used`},
		{"backups:\n  - location: a\n    max-age: 1d\n  - location: b\n", `release-gate.yml:7:9: gates.backup-freshness.backups[1]: set max-age`},
		{"max-age: 1d\nbackups:\n  - {name: x, location: a}\n  - {name: x, location: b}\n", `release-gate.yml:7:16: gates.backup-freshness.backups[1].name: backups[0] and backups[1] are both called "x"`},
		{"max-age: 1d\nbackups:\n  - {location: a, region: eu}\n", `gates.backup-freshness.backups[0].region: region applies to s3:// locations only`},
		{"max-age: 1d\nbackups:\n  - {location: a, nme: x}\n", `unknown key "nme" (did you mean "name"?)`},
	} {
		_, err := parseGate(t, tt.body)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("config:\n%s\nerror: %v\nwant: %s", tt.body, err, tt.want)
		}
	}
}

// Every set's mistakes are reported at once, each at its own position.
func TestConfigErrorsAllSetsAtOnce(t *testing.T) {
	body := "max-age: 1d\nbackups:\n  - {location: a, region: eu}\n  - {location: b}\n  - {location: 's3://x/', max-age: 0}\n"
	_, err := parseGate(t, body)
	var list config.Errors
	if !errors.As(err, &list) || len(list) != 2 {
		t.Fatalf("want 2 errors, got %v", err)
	}
	if list[0].Line != 6 || list[1].Line != 8 || !strings.Contains(list[0].Msg, "backups[0].region") || !strings.Contains(list[1].Msg, "backups[2].max-age") {
		t.Errorf("got:\n%v", err)
	}
}
