package backup

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/release-gate/release-gate/internal/configtest"
)

// embedding is a section that embeds a backup set under backup, as
// rollback-readiness does.
type embedding struct {
	Other  string     `yaml:"other"`
	Backup *SetConfig `yaml:"backup"`
}

func embeddedSet(t *testing.T, body string) (Set, error) {
	t.Helper()
	s := configtest.Section(t, "host-gate", body, nil)
	var c embedding
	if err := s.Decode(&c); err != nil {
		return Set{}, err
	}
	if c.Backup == nil {
		t.Fatalf("no backup in:\n%s", body)
	}
	return BuildSet(s, "backup", *c.Backup)
}

func TestBuildSetEmbedded(t *testing.T) {
	set, err := embeddedSet(t, `
other: x
backup:
  location: s3://prod-backups/orders/
  pattern: "pre_migration_*.sql.gz"
  max-age: 24h
  min-size: 1MiB
  verify: [checksum]
  region: eu-west-1
`)
	if err != nil {
		t.Fatal(err)
	}
	want := Set{Location: "s3://prod-backups/orders/", Pattern: "pre_migration_*.sql.gz", S3: S3Options{Region: "eu-west-1"},
		MaxAge: 24 * time.Hour, MinSize: 1 << 20, Checksum: true}
	if d := cmp.Diff(want, set); d != "" {
		t.Error(d)
	}
	if set.Name != "" {
		t.Errorf("an unnamed set keeps no name: %q", set.Name)
	}

	set, err = embeddedSet(t, "backup:\n  name: orders db\n  pgbackrest: {stanza: main}\n  max-age: 2d\n")
	if err != nil || set.Name != "orders db" || set.PgBackRest == nil {
		t.Errorf("pgbackrest set: %+v, %v", set, err)
	}
}

func TestBuildSetEmbeddedErrors(t *testing.T) {
	for _, tt := range []struct{ body, want string }{
		{"backup: {pattern: '*.gz', max-age: 1d}", "release-gate.yml:4:13: gates.host-gate.backup: set location"},
		{"backup:\n  location: backups\n", "release-gate.yml:5:7: gates.host-gate.backup: set max-age"},
		{"backup:\n  location: backups\n  max-age: 0s\n", "release-gate.yml:6:16: gates.host-gate.backup.max-age: must be positive"},
		{"backup:\n  location: backups\n  max-age: 1d\n  pattern: '[x'\n", "release-gate.yml:7:16: gates.host-gate.backup.pattern:"},
		{"backup:\n  location: backups\n  max-age: 1d\n  region: eu\n", "release-gate.yml:7:15: gates.host-gate.backup.region: region applies to s3:// locations only"},
		{"backup:\n  location: backups\n  max-age: 1d\n  backups: []\n", `release-gate.yml:7:7: gates.host-gate.backup: unknown key "backups"`},
		{"backup:\n  location: backups\n  max-age: 1d\n  verify: [sha1]\n", `gates.host-gate.backup.verify: unknown check "sha1"`},
	} {
		_, err := embeddedSet(t, tt.body)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s\ngot  %v\nwant %s", tt.body, err, tt.want)
		}
	}
}
