// Package backuptest builds backup files for tests: compressible payloads,
// gzip and zstd streams and checksum sidecar lines; and an S3 endpoint
// whose listing never ends.
package backuptest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Payload returns n bytes that compress, not trivially so: SQL-ish lines
// with random values drawn from seed.
func Payload(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		b.WriteString("INSERT INTO orders VALUES (")
		b.WriteString(strings.Repeat("x", r.IntN(4)))
		b.WriteString(hex.EncodeToString([]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())}))
		b.WriteString(", 'customer-")
		b.WriteString(hex.EncodeToString([]byte{byte(i), byte(i >> 8), byte(r.Uint32())}))
		b.WriteString("', 42.00);\n")
	}
	return b.Bytes()[:n]
}

// Gzip compresses data as one gzip member.
func Gzip(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := gzip.NewWriterLevel(&b, gzip.DefaultCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Zstd compresses data as one zstd frame.
func Zstd(t testing.TB, data []byte) []byte {
	t.Helper()
	w, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	return w.EncodeAll(data, nil)
}

// SHA256Line is the line sha256sum prints for data under name.
func SHA256Line(data []byte, name string) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]) + "  " + name + "\n"
}

// EndlessListing starts an S3 endpoint (path style, bucket "backups")
// whose every listing page is truncated, with a new continuation token and
// one backup each time, and returns its URL and the count of pages served.
func EndlessListing(t testing.TB) (string, *atomic.Int64) {
	t.Helper()
	pages := &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := pages.Add(1)
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>backups</Name><IsTruncated>true</IsTruncated><NextContinuationToken>t%d</NextContinuationToken>`+
			`<Contents><Key>db-%d.sql.gz</Key><Size>10</Size><LastModified>2025-03-14T11:00:00Z</LastModified></Contents></ListBucketResult>`, n, n)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, pages
}
