package rollbackreadiness

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/internal/configtest"
)

func TestConfigValid(t *testing.T) {
	g := mustGate(t, `
previous:
  repository: ghcr.io/org/api
  tags: ["v*.*.*", "release-*"]
  prereleases: true
candidate: ghcr.io/org/api:abc123
username-env: REG_USER
password-env: REG_PASS
restore-script: ./scripts//restore-db.sh
runbook: docs/runbook.md
backup:
  location: s3://prod-backups/orders/
  pattern: "pre_migration_*.sql.gz"
  max-age: 24h
  verify: [checksum, decompress]
`)
	if g.previous.repo.String() != "ghcr.io/org/api" || strings.Join(g.previous.patterns, " ") != "v*.*.* release-*" || !g.previous.prereleases {
		t.Errorf("previous: %+v", g.previous)
	}
	if g.candidate.String() != "ghcr.io/org/api:abc123" || g.previousImage != nil {
		t.Errorf("candidate %v, previous image %v", g.candidate, g.previousImage)
	}
	if g.script != "scripts/restore-db.sh" || g.runbook != "docs/runbook.md" {
		t.Errorf("script %q, runbook %q", g.script, g.runbook)
	}
	if b := g.backup; b == nil || b.Location != "s3://prod-backups/orders/" || b.MaxAge != 24*time.Hour || !b.Checksum || !b.Decompress || b.Name != "" {
		t.Errorf("backup: %+v", g.backup)
	}
	if g.Name() != Name || Definition().Name != Name || Definition().Checklist == "" {
		t.Errorf("definition: %+v", Definition())
	}

	// Each part alone is enough.
	for _, body := range []string{
		"previous-image: ghcr.io/org/api:v1.4.2",
		"restore-script: scripts/restore-db.sh",
		"backup: {location: backups, max-age: 1d}",
	} {
		if _, err := parseGate(t, body); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
}

// The candidate is the image input of the action; inputs override the
// file through Section.Set.
func TestConfigCandidateInput(t *testing.T) {
	s := configtest.Section(t, Name, "previous: {repository: ghcr.io/org/api, tags: \"v*.*.*\"}\ncandidate: ghcr.io/org/api:old", nil)
	s.Set("candidate", "ghcr.io/org/api:new")
	g, err := newGate(s)
	if err != nil || g.candidate.String() != "ghcr.io/org/api:new" {
		t.Fatalf("candidate %v, %v", g, err)
	}
	s = config.NewSection("(action inputs)", Name)
	s.Set("previous-image", "ghcr.io/org/api:v1")
	s.Set("candidate", "ghcr.io/org/api:v2")
	if _, err := New(s); err != nil {
		t.Errorf("inputs alone: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	const prev = "previous:\n  repository: ghcr.io/org/api\n  tags: \"v*.*.*\"\n"
	const cand = "candidate: ghcr.io/org/api:abc\n"
	tests := []struct {
		name, body string
		want       []string // substrings of the error, the first its position
	}{
		{"nothing to check", "", []string{"release-gate.yml:3:3", "configure at least one part of a rollback"}},
		{"only a runbook", "runbook: docs/runbook.md\n", []string{"release-gate.yml:4:14", "set restore-script too"}},
		{"both forms", "previous-image: ghcr.io/org/api:v1\n" + prev + cand, []string{"release-gate.yml:6:7", "set previous-image (one image) or previous (the newest matching tag), not both"}},
		{"previous without candidate", prev, []string{"release-gate.yml:5:7", "set candidate to the image being released"}},
		{"previous empty", "previous:\n" + cand, []string{"release-gate.yml:4:14", "gates.rollback-readiness.previous: is empty"}},
		{"backup empty", "restore-script: x.sh\nbackup:\n", []string{"release-gate.yml:5:12", "gates.rollback-readiness.backup: is empty"}},
		{"tags missing", "previous:\n  repository: ghcr.io/org/api\n" + cand, []string{"release-gate.yml:5:7", `missing required key "tags"`}},
		{"tags empty", "previous:\n  repository: ghcr.io/org/api\n  tags: []\n" + cand, []string{"release-gate.yml:6:13", "list at least one pattern"}},
		{"bad tag pattern", "previous:\n  repository: ghcr.io/org/api\n  tags: ['v[1']\n" + cand, []string{"release-gate.yml:6:14", `"v[1" is not a tag pattern`}},
		{"tag pattern with a slash", "previous:\n  repository: ghcr.io/org/api\n  tags: 'org/v*'\n" + cand, []string{"release-gate.yml:6:13", "is not a tag pattern"}},
		{"repository with a tag", "previous:\n  repository: ghcr.io/org/api:v1\n  tags: v*\n" + cand, []string{"release-gate.yml:5:19", "names a tag or digest", "such as ghcr.io/org/api"}},
		{"repository without registry", "previous:\n  repository: org/api\n  tags: v*\n" + cand, []string{"release-gate.yml:5:19", "does not name its registry", "docker.io/org/api"}},
		{"previous-image without registry", "previous-image: nginx:1.25\n", []string{"release-gate.yml:4:21", "does not name its registry", "docker.io/library/nginx:1.25"}},
		{"repository with a shell command for a registry", "previous:\n  repository: reg.test$(id)/org/api\n  tags: v*\n" + cand, []string{"release-gate.yml:5:19", "is not a registry name"}},
		{"previous-image with a shell command for a registry", "previous-image: 'reg.test;id/org/api:v1'\n", []string{"release-gate.yml:4:21", "is not a registry name"}},
		{"previous-image without tag", "previous-image: ghcr.io/org/api\n", []string{"release-gate.yml:4:21", "never assumes :latest"}},
		{"bad candidate", prev + "candidate: ghcr.io/org/api\n", []string{"release-gate.yml:7:16", "names no tag or digest"}},
		{"candidate alone", "restore-script: x.sh\n" + cand, []string{"release-gate.yml:5:16", "set previous-image or previous too"}},
		{"username without password", "previous-image: ghcr.io/org/api:v1\nusername-env: U\n", []string{"release-gate.yml:5:19", "set both username-env and password-env"}},
		{"credential in file", "previous-image: ghcr.io/org/api:v1\nusername-env: U\npassword-env: hunter2-is-my-password!\n", []string{"release-gate.yml:6:19", "not a variable name"}},
		{"credentials without an image", "restore-script: x.sh\nusername-env: U\npassword-env: P\n", []string{"release-gate.yml:5:19", "registry credentials are for previous-image or previous"}},
		{"insecure without an image", "restore-script: x.sh\ninsecure: true\n", []string{"release-gate.yml:5:15", "insecure is for the registry"}},
		{"absolute script", "restore-script: /opt/restore.sh\n", []string{"release-gate.yml:4:21", "is absolute; want a path relative to the repository"}},
		{"script outside", "restore-script: ../ops/restore.sh\n", []string{"release-gate.yml:4:21", "is outside the repository"}},
		{"runbook outside", "restore-script: x.sh\nrunbook: ../../runbook.md\n", []string{"release-gate.yml:5:14", "is outside the repository"}},
		{"backup without max-age", "backup:\n  location: backups\n", []string{"release-gate.yml:5:7", "gates.rollback-readiness.backup: set max-age"}},
		{"backup key error", "backup:\n  location: backups\n  max-age: 1d\n  verify: [md5]\n", []string{"release-gate.yml:7:15", `unknown check "md5"`}},
		{"unknown key", "restore-scrpt: x.sh\n", []string{"release-gate.yml:4:5", `unknown key "restore-scrpt"`, "restore-script"}},
		{"prereleases type", prev + "  prereleases: maybe\n" + cand, []string{"release-gate.yml:7:20", "want true or false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseGate(t, tt.body)
			configtest.WantError(t, err, tt.want[0], tt.want[1:]...)
		})
	}
}

// Every part's mistakes are reported at once, in file order.
func TestConfigErrorsAllAtOnce(t *testing.T) {
	body := "previous-image: nginx:1\ninsecure: true\nusername-env: U\nrestore-script: /abs.sh\nbackup:\n  location: b\n"
	_, err := parseGate(t, body)
	var list config.Errors
	if !errors.As(err, &list) {
		t.Fatalf("got %T %v", err, err)
	}
	var keys []string
	for _, e := range list {
		keys = append(keys, strings.SplitN(strings.TrimPrefix(e.Msg, "gates.rollback-readiness."), ":", 2)[0])
	}
	if want := "previous-image username-env restore-script backup"; strings.Join(keys, " ") != want {
		t.Errorf("keys %v, want %s:\n%v", keys, want, err)
	}
}
