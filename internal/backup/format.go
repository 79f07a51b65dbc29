package backup

import (
	"bytes"
	"strings"
)

// Format is a compression format the gate can verify.
type Format int

// Compression formats.
const (
	FormatUnknown Format = iota
	FormatGzip
	FormatZstd
)

func (f Format) String() string {
	switch f {
	case FormatGzip:
		return "gzip"
	case FormatZstd:
		return "zstd"
	}
	return "unknown"
}

// FormatOf guesses an object's compression format from its name.
func FormatOf(name string) Format {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".gz"), strings.HasSuffix(n, ".tgz"), strings.HasSuffix(n, ".gzip"):
		return FormatGzip
	case strings.HasSuffix(n, ".zst"), strings.HasSuffix(n, ".zstd"), strings.HasSuffix(n, ".tzst"):
		return FormatZstd
	}
	return FormatUnknown
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// sniffFormat recognises a format by its first bytes.
func sniffFormat(b []byte) Format {
	switch {
	case bytes.HasPrefix(b, gzipMagic):
		return FormatGzip
	case bytes.HasPrefix(b, zstdMagic):
		return FormatZstd
	}
	return FormatUnknown
}
