// Package backup reads backup sets and proves the newest backup of a set
// recent, big enough, and intact. The backup-freshness gate checks the sets
// it is configured with; rollback-readiness checks a pre-migration backup
// with the same code.
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
// Build a Set with BuildSet (or BuildSetWithDefaults) and call Check, or
// use OpenStore, Newest and Verify directly.
package backup
