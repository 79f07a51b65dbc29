package backup

import "testing"

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
	if c.Newest.Name != "c.gz" || c.Previous.Name != "a.gz" || c.Matched != 3 || !c.Sidecars["c.gz.sha256"] || len(c.Sidecars) != 1 {
		t.Errorf("newest %s, previous %s, matched %d, sidecars %v", c.Newest.Name, c.Previous.Name, c.Matched, c.Sidecars)
	}
}
