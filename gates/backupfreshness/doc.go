// Package backupfreshness implements the backup-freshness gate: the newest
// backup of each configured set is recent, big enough, and intact. The
// checks themselves live in internal/backup, shared with rollback-readiness.
package backupfreshness
