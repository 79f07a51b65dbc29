package backup

import (
	"net/http"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/backup/backuptest"
)

// A listing whose every page is truncated, each with a new token, ends
// with an error after the page bound rather than at the deadline.
func TestS3ListingPageBound(t *testing.T) {
	url, pages := backuptest.EndlessListing(t)
	vars := map[string]string{"AWS_ACCESS_KEY_ID": "AKIA" + strings.Repeat("TEST", 4), "AWS_SECRET_ACCESS_KEY": strings.Repeat("s3cr", 10), "AWS_MAX_ATTEMPTS": "1"}
	env := &gates.Env{HTTPClient: &http.Client{}, Getenv: func(k string) string { return vars[k] }}
	store, err := newS3Store(t.Context(), env, Location{Bucket: "backups"}, S3Options{Endpoint: url, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	if store.maxPages != maxListPages {
		t.Fatalf("page bound %d, want %d", store.maxPages, maxListPages)
	}
	store.maxPages = 5
	st, err := store.List(t.Context(), Query{}, func(Object) error { return nil })
	want := "listing s3://backups/ at " + url + ": still truncated after 5 pages (5 keys)"
	if err == nil || !strings.Contains(err.Error(), want) || st.Requests != 5 || pages.Load() != 5 {
		t.Errorf("after %d pages (%d asked): %v; want %q", st.Requests, pages.Load(), err, want)
	}
}
