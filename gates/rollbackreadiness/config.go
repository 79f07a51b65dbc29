// Package rollbackreadiness is the rollback-readiness gate: before a
// release, a rollback must be possible. The image to roll back to exists in
// the registry and resolves to a digest (named, or the newest release tag
// other than the candidate); the restore script the runbook names exists,
// is executable and is tracked as executable in git; and a pre-migration
// database backup exists, is recent and intact (backup-freshness' checks).
// Each part is optional and reported on its own.
package rollbackreadiness

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/backup"
	"github.com/release-gate/release-gate/internal/registry"
)

// Name is the gate's key in the configuration.
const Name = "rollback-readiness"

// Definition is the rollback-readiness gate for the list of gates.
func Definition() gates.Definition {
	rules := []string{RulePreviousImageMissing, RulePreviousIsCandidate, RuleNoPreviousTag, RuleTagsNotSemver, RulePreviousTagAmbiguous, RuleRestoreScriptMissing, RuleRestoreScriptNotAFile, RuleRestoreScriptNotExecutable, RuleRestoreScriptUntracked, RuleRunbookMissing, RuleRunbookMissingScript, RuleBackupMissing}
	// The backup part reports the backup checks' problems under backupRule's names.
	for _, r := range backup.Rules() {
		if r != backup.RuleNoBackup {
			rules = append(rules, backupRule(r))
		}
	}
	return gates.Definition{
		Name:      Name,
		Checklist: "Rollback: the previous image, the restore script and a pre-migration backup are ready",
		Rules:     rules,
		New:       New,
	}
}

// Config is the gate's section of the configuration.
type Config struct {
	// PreviousImage is the image to roll back to: a tag or name@sha256:….
	PreviousImage string `yaml:"previous-image"`
	// Previous finds the image to roll back to among a repository's tags.
	Previous *Previous `yaml:"previous"`
	// Candidate is the image being released (action input image). It is
	// never the rollback target: excluded by tag and by digest.
	Candidate string `yaml:"candidate"`
	// Insecure allows plain HTTP to the registries.
	Insecure bool `yaml:"insecure"`
	// RegistryCredentials are username-env and password-env: the
	// environment variables holding registry credentials, both or neither.
	config.RegistryCredentials `yaml:",inline"`

	// RestoreScript is the script a rollback runs (workspace-relative).
	RestoreScript string `yaml:"restore-script"`
	// Runbook is the document that tells people to run it.
	Runbook string `yaml:"runbook"`

	// Backup is the pre-migration backup, with backup-freshness' keys.
	Backup *backup.SetConfig `yaml:"backup"`
}

// Previous picks the newest tag of a repository that matches a pattern.
type Previous struct {
	Repository string         `yaml:"repository,required"`
	Tags       config.Strings `yaml:"tags,required"`
	// Prereleases lets v2.0.0-rc.1 and the like be picked; off by default.
	Prereleases bool `yaml:"prereleases"`
}

// New builds the gate from its configuration section. It does no I/O.
func New(s *config.Section) (gates.Gate, error) { return newGate(s) }

func newGate(s *config.Section, opts ...option) (*Gate, error) {
	var c Config
	if err := s.Decode(&c); err != nil {
		return nil, err
	}
	g := &Gate{cfg: c, retry: registry.DefaultRetry()}
	for _, o := range opts {
		o(g)
	}
	// Every part is validated, and every problem reported at once.
	errs := g.configureImage(s, c)
	errs = append(errs, g.configureScript(s, c)...)
	if c.Backup != nil {
		set, err := backup.BuildSet(s, "backup", *c.Backup)
		if err != nil {
			errs = append(errs, err)
		} else {
			g.backup = &set
		}
	}
	if err := s.Join(errs...); err != nil {
		return nil, err
	}
	if g.previousImage == nil && g.previous == nil && g.script == "" && g.backup == nil {
		return nil, s.Errorf("", "configure at least one part of a rollback: previous-image or previous (the image to roll back to), restore-script (with runbook), backup (the pre-migration backup)")
	}
	return g, nil
}

// configureImage validates the image part: previous-image or previous, the
// candidate and the registry keys. It returns every problem it finds.
func (g *Gate) configureImage(s *config.Section, c Config) []error {
	var errs []error
	fail := func(key, format string, args ...any) { errs = append(errs, s.Errorf(key, format, args...)) }
	var err error
	switch {
	case c.PreviousImage != "" && c.Previous != nil:
		fail("previous", "set previous-image (one image) or previous (the newest matching tag), not both")
	case c.PreviousImage != "":
		if g.previousImage, err = registry.ParseReference(c.PreviousImage, c.Insecure); err != nil {
			fail("previous-image", "%v", err)
		}
	case c.Previous != nil:
		p := &previousTags{prereleases: c.Previous.Prereleases}
		if p.repo, err = registry.ParseRepository(c.Previous.Repository, c.Insecure); err != nil {
			fail("previous.repository", "%v", err)
		}
		if len(c.Previous.Tags) == 0 {
			fail("previous.tags", "list at least one pattern, such as \"v*.*.*\"")
		}
		for i, pat := range c.Previous.Tags {
			if _, err := path.Match(pat, ""); err != nil || strings.TrimSpace(pat) == "" || strings.Contains(pat, "/") {
				fail(fmt.Sprintf("previous.tags[%d]", i), "%q is not a tag pattern; want a glob such as \"v*.*.*\" (* any characters, ? one, [0-9] a class)", pat)
			}
		}
		p.patterns = c.Previous.Tags
		g.previous = p
	}
	image := c.PreviousImage != "" || c.Previous != nil
	if c.Candidate != "" {
		if !image {
			fail("candidate", "candidate is excluded from the images to roll back to; set previous-image or previous too")
		} else if g.candidate, err = registry.ParseReference(c.Candidate, c.Insecure); err != nil {
			fail("candidate", "%v", err)
		}
	} else if c.Previous != nil {
		fail("previous", "set candidate to the image being released (such as ghcr.io/org/api:${GITHUB_SHA}): the newest tag is often the candidate itself, and it must never be picked as the image to roll back to")
	}
	errs = append(errs, c.RegistryCredentials.Check(s))
	if c.RegistryCredentials.Set() && !image {
		fail("username-env", "registry credentials are for previous-image or previous; set one of them or remove username-env and password-env")
	}
	if c.Insecure && !image {
		fail("insecure", "insecure is for the registry of previous-image or previous; set one of them or remove insecure")
	}
	return errs
}

// configureScript validates restore-script and runbook, returning every
// problem it finds.
func (g *Gate) configureScript(s *config.Section, c Config) []error {
	var errs []error
	if c.Runbook != "" && c.RestoreScript == "" {
		errs = append(errs, s.Errorf("runbook", "the runbook is checked for the restore script's path; set restore-script too"))
	}
	var err error
	if c.RestoreScript != "" {
		if g.script, err = workspacePath(c.RestoreScript); err != nil {
			errs = append(errs, s.Errorf("restore-script", "%v", err))
		}
	}
	if c.Runbook != "" {
		if g.runbook, err = workspacePath(c.Runbook); err != nil {
			errs = append(errs, s.Errorf("runbook", "%v", err))
		}
	}
	return errs
}

// workspacePath checks that p is a file path inside the workspace and
// returns it cleaned, with forward slashes.
func workspacePath(p string) (string, error) {
	raw := strings.TrimSpace(p)
	slashed := filepath.ToSlash(raw)
	clean := path.Clean(slashed)
	switch {
	case raw == "":
		return "", fmt.Errorf("want a path relative to the repository, such as scripts/restore-db.sh")
	case path.IsAbs(slashed) || filepath.IsAbs(raw) || filepath.VolumeName(raw) != "":
		return "", fmt.Errorf("%q is absolute; want a path relative to the repository (the rollback job checks it out, so the file must be in it)", p)
	case clean == "." || clean == ".." || strings.HasPrefix(clean, "../"):
		return "", fmt.Errorf("%q is outside the repository; want a path inside it, such as scripts/restore-db.sh", p)
	}
	return clean, nil
}

// previousTags is the previous key, validated.
type previousTags struct {
	repo        name.Repository
	patterns    []string
	prereleases bool
}
