package backup

import "time"

// Set is one backup set to check: where its backups are, which ones count,
// and what a good newest backup looks like.
type Set struct {
	// Name labels the set in messages; empty for an unnamed single set.
	Name string

	// Location is a directory (relative to the workspace, or absolute), a
	// file:// URL, or s3://bucket/prefix. Empty for a pgBackRest set.
	Location string
	// Pattern is a glob on object paths relative to Location (see glob.go).
	Pattern string
	// S3 holds endpoint, addressing and region for s3:// locations.
	S3 S3Options

	// PgBackRest, when set, reads the set from pgBackRest instead of a
	// location.
	PgBackRest *PgBackRest

	// MaxAge is how old the newest backup may be.
	MaxAge time.Duration
	// MinSize is the smallest acceptable size in bytes (0: not checked).
	MinSize int64
	// MaxShrink is how much smaller than the previous backup the newest may
	// be, as a fraction (0.2 for 20%); checked only when CheckShrink.
	MaxShrink   float64
	CheckShrink bool

	// Checksum verifies the newest backup against its .sha256 sidecar.
	Checksum bool
	// Decompress decompresses the newest backup to EOF.
	Decompress bool
	// MaxDecompressed caps decompression (0: DefaultMaxDecompressed).
	MaxDecompressed int64
}

// Label is the set's name for messages and notes, with a separator, or ""
// for an unnamed set.
func (s Set) Label() string {
	if s.Name == "" {
		return ""
	}
	return s.Name + ": "
}
