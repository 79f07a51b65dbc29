package promapi

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/release-gate/release-gate/internal/testenv"
)

func TestHeaders(t *testing.T) {
	base, err := url.Parse("https://app:pass-" + testenv.Random(t, "abcdefgh", 12) + "@mimir.example.com/prometheus")
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := base.User.Password()
	h, carried := Headers("staging-analysis", base, "team-a", "tok-123")
	for k, want := range map[string]string{
		"Accept":        "application/json",
		"User-Agent":    "release-gate (staging-analysis)",
		"X-Scope-OrgID": "team-a",
		"Authorization": "Bearer tok-123",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if !slices.Equal(carried, []string{"tok-123", pw}) {
		t.Errorf("carried %q", carried)
	}
	plain, _ := url.Parse("http://prometheus:9090")
	h, carried = Headers("alert-presence", plain, "", "")
	if h.Get("Authorization") != "" || h.Get("X-Scope-OrgID") != "" || len(carried) != 0 {
		t.Errorf("no tenant, no token: %v, %q", h, carried)
	}
}

// What a server answers is quoted without the request's secrets, without
// what gitleaks' rules find, on one line, cut short after redaction (a key
// straddling the cut is not half shown), as valid UTF-8.
func TestExcerpt(t *testing.T) {
	ctx := context.Background()
	key := testenv.AWSKey(t)
	for _, tc := range []struct {
		name, body string
		max        int
		want       string
	}{
		{"the token echoed", "denied: Bearer tok-123\nmore", 200, "denied: Bearer ***"},
		{"a key revealed", "  aws_access_key_id = " + key + " ", 200, "aws_access_key_id = ***"},
		{"a key across the cut", "aws_access_key_id = " + key, 25, "aws_access_key_id = ***"},
		{"a long line", strings.Repeat("a", 50), 10, strings.Repeat("a", 10) + "…"},
		{"invalid UTF-8", "bad \xff byte", 200, "bad ? byte"},
		{"a rune across the cut", "ééééé", 5, "éé…"},
		{"a URL's password", "dial postgres://app:hunter2@db/x failed", 200, "dial postgres://app:***@db/x failed"},
	} {
		got := Excerpt(ctx, []byte(tc.body), []string{"tok-123"}, tc.max)
		if got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
		if !utf8.ValidString(got) || strings.Contains(got, key) {
			t.Errorf("%s: %q", tc.name, got)
		}
	}
	// A carried token across the end of what is searched with gitleaks'
	// rules, after secrets the rules cut short: none of it is shown.
	token := "tok-" + testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 56)
	var body strings.Builder
	for range 4 {
		body.WriteString(testenv.GitHubToken(t))
	}
	body.WriteString(token)
	if body.Len()-len(token) >= 20*10 {
		t.Fatalf("the token does not cross the end of the searched part")
	}
	if got := Excerpt(ctx, []byte(body.String()), []string{token}, 10); strings.Contains(got, token[:5]) || !strings.HasPrefix(got, "***") {
		t.Errorf("the token across the searched part's end: %q", got)
	}
	// A key across the end of what is searched with gitleaks' rules,
	// after secrets they cut short: not even its start is shown.
	body.Reset()
	for range 5 {
		body.WriteString(testenv.GitHubToken(t))
	}
	body.WriteString(" " + key + " rejected")
	if body.Len() < 20*11+1 || strings.Index(body.String(), key) >= 20*11 {
		t.Fatalf("the key does not cross the end of the searched part")
	}
	if got := Excerpt(ctx, []byte(body.String()), nil, 11); strings.Contains(got, key[:5]) || !strings.HasPrefix(got, "***") {
		t.Errorf("a key across the searched part's end: %q", got)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if got := Redact(cancelled, "aws = "+key, nil); strings.Contains(got, key) || !strings.HasPrefix(got, "(not shown") {
		t.Errorf("an unchecked text was shown: %q", got)
	}
}
