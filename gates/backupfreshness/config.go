package backupfreshness

import (
	"fmt"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/internal/backup"
)

// Rules of the findings this gate reports.
const (
	RuleNoBackup         = backup.RuleNoBackup
	RuleStale            = backup.RuleStale
	RuleTooSmall         = backup.RuleTooSmall
	RuleShrunk           = backup.RuleShrunk
	RuleChecksumMissing  = backup.RuleChecksumMissing
	RuleChecksumMismatch = backup.RuleChecksumMismatch
	RuleTruncated        = backup.RuleTruncated
	RuleCorrupt          = backup.RuleCorrupt
	RuleStanzaStatus     = backup.RuleStanzaStatus
	RuleBackupError      = backup.RuleBackupError
)

// sectionConfig is the gate's section: one set at the top level, or a list
// of sets under backups whose unset keys default to the top level's.
type sectionConfig struct {
	backup.SetConfig `yaml:",inline"`
	Backups          []backup.SetConfig `yaml:"backups"`
}

// decodeSets decodes and validates the section into the sets to check.
func decodeSets(s *config.Section) ([]backup.Set, error) {
	var c sectionConfig
	if err := s.Decode(&c); err != nil {
		return nil, err
	}
	if c.Backups == nil {
		if c.Location == "" && c.PgBackRest == nil {
			return nil, s.Errorf("", "say where the backups are: location (a directory or s3://bucket/prefix), pgbackrest, or a list of sets under backups")
		}
		set, err := backup.BuildSetWithDefaults(s, "", c.SetConfig, backup.SetConfig{})
		if err != nil {
			return nil, err
		}
		return []backup.Set{set}, nil
	}
	// Every set is validated, and every problem reported at once.
	var errs []error
	for _, k := range []struct {
		key string
		set bool
	}{{"name", c.Name != ""}, {"location", c.Location != ""}, {"pattern", c.Pattern != ""}, {"pgbackrest", c.PgBackRest != nil}} {
		if k.set {
			errs = append(errs, s.Errorf(k.key, "%s is per set when backups is used: move it into each entry of backups", k.key))
		}
	}
	if len(c.Backups) == 0 {
		errs = append(errs, s.Errorf("backups", "the list is empty; list at least one set, or drop backups and configure one set at the top level"))
	}
	defaults := c.SetConfig
	sets := make([]backup.Set, 0, len(c.Backups))
	names := map[string]int{}
	for i, bc := range c.Backups {
		prefix := fmt.Sprintf("backups[%d].", i)
		set, err := backup.BuildSetWithDefaults(s, prefix, bc, defaults)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if j, dup := names[set.Name]; dup {
			errs = append(errs, s.Errorf(prefix+"name", "backups[%d] and backups[%d] are both called %q; give each set its own name", j, i, set.Name))
			continue
		}
		names[set.Name] = i
		sets = append(sets, set)
	}
	if err := s.Join(errs...); err != nil {
		return nil, err
	}
	return sets, nil
}
