package backup

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

func TestListQuery(t *testing.T) {
	for _, tt := range []struct {
		pattern string
		want    Query
	}{
		{"pre_migration_*.sql.gz", Query{Prefix: "pre_migration_"}},
		{"*", Query{}},
		{"daily/db-*.gz", Query{Prefix: "daily/db-"}},
		{"*/db.gz", Query{Recursive: true}},
		{"**/db.gz", Query{Recursive: true}},
		{"2025/**/db.gz", Query{Prefix: "2025/", Recursive: true}},
		{"exact.sql.gz", Query{Prefix: "exact.sql.gz"}},
	} {
		if got := listQuery(tt.pattern); got != tt.want {
			t.Errorf("listQuery(%q) = %+v, want %+v", tt.pattern, got, tt.want)
		}
	}
}

func TestCandidatesOrder(t *testing.T) {
	c := NewCandidates("*.gz")
	for _, o := range []Object{
		{Name: "b.gz", ModTime: now.Add(-2)},
		{Name: "a.gz", ModTime: now},
		{Name: "c.gz", ModTime: now}, // same time: the later name wins
		{Name: "c.gz.sha256", ModTime: now.Add(5)},
		{Name: "z.txt", ModTime: now.Add(5)},
		{Name: "z.txt.sha256", ModTime: now.Add(5)}, // of no backup: not kept
	} {
		c.Add(o)
	}
	if c.Newest.Name != "c.gz" || c.Previous.Name != "a.gz" || c.Matched != 3 || !c.HasSidecar("c.gz.sha256") || c.HasSidecar("a.gz.sha256") || c.SidecarCount() != 1 {
		t.Errorf("newest %s, previous %s, matched %d, sidecars %d", c.Newest.Name, c.Previous.Name, c.Matched, c.SidecarCount())
	}
}

// The checksum files a listing names are kept in a fixed number of bytes
// each, whatever the names' length: a server that lists endless long
// names cannot fill the memory below the count bound.
func TestCandidatesKeepNoSidecarNames(t *testing.T) {
	const n, long = 1000, 64 << 10 // 64 MiB of names in all
	c := NewCandidates("db-*.sql.gz")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	pad := strings.Repeat("x", long)
	for i := range n {
		if err := c.Add(Object{Name: fmt.Sprintf("db-%s-%d.sql.gz.sha256", pad, i)}); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if c.SidecarCount() != n || !c.HasSidecar(fmt.Sprintf("db-%s-7.sql.gz.sha256", pad)) || c.HasSidecar(fmt.Sprintf("db-%s-%d.sql.gz.sha256", pad, n)) {
		t.Fatalf("%d checksum files kept, want %d with the listed ones found", c.SidecarCount(), n)
	}
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 8<<20 {
		t.Errorf("the heap grew by %d bytes for %d checksum files: their names are kept", grew, n)
	}
	runtime.KeepAlive(c)
}
