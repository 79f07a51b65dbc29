// Package backupfreshness implements the backup-freshness gate: the newest
// backup of each configured set is recent, big enough, and intact.
//
// A set lives in a directory (a local path or a file:// URL), under an S3
// prefix (s3://bucket/prefix, any S3-compatible endpoint), or in a
// pgBackRest repository (read through pgbackrest info --output=json). For
// object sets the newest object whose path matches a glob is checked: its
// age, its size, its shrinkage against the previous backup, and optionally
// its content, read once: a SHA-256 against a <name>.sha256 sidecar and a
// full gzip or zstd decompression to EOF, in parallel, holding nothing in
// memory.
//
// The pieces are exported for other gates (a rollback-readiness gate needs
// "a pre-migration backup exists"): build a Set and call Check, or use
// OpenStore, Newest and Verify directly.
package backupfreshness
