package backup

import (
	"fmt"
	"time"

	"github.com/release-gate/release-gate/config"
)

// Rules of the findings Check reports.
const (
	RuleNoBackup         = "no-backup"
	RuleStale            = "stale"
	RuleTooSmall         = "too-small"
	RuleShrunk           = "shrunk"
	RuleChecksumMissing  = "checksum-missing"
	RuleChecksumMismatch = "checksum-mismatch"
	RuleTruncated        = "truncated"
	RuleCorrupt          = "corrupt"
	RuleStanzaStatus     = "stanza-status"
	RuleBackupError      = "backup-error"
)

// Rules lists every rule Check reports, in the order the docs list them.
func Rules() []string {
	return []string{RuleNoBackup, RuleStale, RuleTooSmall, RuleShrunk, RuleChecksumMissing, RuleChecksumMismatch, RuleTruncated, RuleCorrupt, RuleStanzaStatus, RuleBackupError}
}

// Problem is something Check proved wrong with a set.
type Problem struct {
	Rule    string
	Message string
}

// Report is what Check found about one set.
type Report struct {
	// Newest is the backup that was checked (nil when none matched); for
	// pgBackRest its Name is the backup label.
	Newest   *Object
	Previous *Object
	// Where names the newest backup in messages (a path or s3:// URL).
	Where string
	// Problems are the set's failures; none means the set passed.
	Problems []Problem
	// Notes are evidence lines: what was listed, chosen and verified.
	Notes []string
	// Summary is one line saying what passed.
	Summary string
}

func (r *Report) problem(rule, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Rule: rule, Message: fmt.Sprintf(format, args...)})
}

func (r *Report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// formatAge writes a duration for people: 3d 4h, 5h 12m, 7m 3s, 12s.
func formatAge(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h := d / time.Hour
	d -= h * time.Hour
	m := d / time.Minute
	s := (d - m*time.Minute) / time.Second
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, h)
	case h > 0:
		return fmt.Sprintf("%dh %dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm %ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

// formatLimit writes a configured duration the way users write them.
func formatLimit(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return formatAge(d)
}

func formatSize(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%s (%d bytes)", config.FormatSize(n), n)
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func percent(f float64) string {
	return fmt.Sprintf("%.4g%%", f*100)
}
