package secrets

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/zricethezav/gitleaks/v8/detect"

	"github.com/release-gate/release-gate/internal/testenv"
)

func TestDetectStringFindsWithoutTheSecret(t *testing.T) {
	tok := testenv.GitHubToken(t)
	for _, tt := range []struct {
		text      string
		line, col int
	}{
		{"GITHUB_TOKEN=" + tok, 1, 14},
		{"first line\nGITHUB_TOKEN=" + tok + "\n", 2, 14},
		{"a\nb\n  token: " + tok, 3, 10},
	} {
		leaks, err := DetectString(context.Background(), tt.text)
		if err != nil {
			t.Fatal(err)
		}
		if len(leaks) != 1 {
			t.Fatalf("want one leak, got %+v", leaks)
		}
		l := leaks[0]
		if l.RuleID != "github-pat" || l.Line != tt.line || l.Col != tt.col {
			t.Errorf("got %s at %d:%d, want github-pat at %d:%d", l.RuleID, l.Line, l.Col, tt.line, tt.col)
		}
		if strings.Contains(l.RuleID+l.Description, tok) {
			t.Errorf("the leak carries the secret: %+v", l)
		}
	}
}

func TestDetectStringCleanText(t *testing.T) {
	for _, s := range []string{"", "DATABASE_URL=${DATABASE_URL}", "LOG_LEVEL=info", "PASSWORD=${DB_PASSWORD:?set it}"} {
		leaks, err := DetectString(context.Background(), s)
		if err != nil || len(leaks) != 0 {
			t.Errorf("%q: %+v, %v", s, leaks, err)
		}
	}
}

func TestDetectStringCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if leaks, err := DetectString(ctx, "GITHUB_TOKEN="+testenv.GitHubToken(t)); err == nil {
		t.Errorf("a cancelled scan answered %+v without an error", leaks)
	}
}

// The rules are loaded once and shared; concurrent scans must each find
// their own secret (run with -race).
func TestDetectStringConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		tok := testenv.GitHubToken(t)
		go func() {
			defer wg.Done()
			leaks, err := DetectString(context.Background(), "TOKEN="+tok)
			if err != nil || len(leaks) != 1 {
				errs <- fmt.Sprintf("concurrent scan: %d leaks, %v", len(leaks), err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestRedactString(t *testing.T) {
	key, tok := testenv.AWSKey(t), testenv.GitHubToken(t)
	in := "db: dial postgres://app:" + "s3cr3t-pa55@db.internal:5432/app failed; aws=" + key + " token " + tok + " ok"
	got, err := RedactString(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{key, tok, "s3cr3t-pa55"} {
		if strings.Contains(got, secret) {
			t.Errorf("%q still holds a secret", got)
		}
	}
	if !strings.Contains(got, "postgres://app:***@db.internal:5432/app failed") || !strings.HasSuffix(got, " ok") {
		t.Errorf("redacted too much or too little: %q", got)
	}
	if got, _ := RedactString(context.Background(), "all good: 42 requests"); got != "all good: 42 requests" {
		t.Errorf("clean text changed: %q", got)
	}
}

// gitleaks finds a secret inside base64 and reports it decoded: the
// encoded text, which is what the input holds, must be cut out too.
func TestRedactStringEncoded(t *testing.T) {
	tok := testenv.GitHubToken(t)
	b64 := base64.StdEncoding.EncodeToString([]byte(tok))
	basic := base64.StdEncoding.EncodeToString([]byte("admin:" + tok))
	for _, in := range []string{
		"auth " + b64 + " rejected",
		"503: upstream said\nAuthorization: Basic " + basic + "\nretry later",
		"k8s secret data: {\"token\": \"" + b64 + "\"}",
	} {
		got, err := RedactString(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{tok, b64, basic} {
			if strings.Contains(got, secret) {
				t.Errorf("%q still holds the secret (encoded)", got)
			}
		}
		if !strings.Contains(got, "***") {
			t.Errorf("nothing redacted: %q", got)
		}
	}
}

// Every place a secret stands is cut, also where gitleaks does not report
// it (a bare copy of a value it found after a keyword); a text holding
// more distinct secrets than Redact looks for one by one is hidden whole.
func TestRedactEveryPlaceAndBounded(t *testing.T) {
	ctx := context.Background()
	tok := testenv.GitHubToken(t)
	value := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 24)
	in := "api_key = \"" + value + "\"\nthen " + tok + " and " + tok[:20] + "…\nlater: " + value + " again"
	got, err := RedactString(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got, tok) || strings.Contains(got, value) {
		t.Errorf("%q still holds a secret", got)
	}
	if !strings.HasSuffix(got, " again") || !strings.Contains(got, tok[:20]+"…") {
		t.Errorf("cut more than the secrets: %q", got)
	}
	var many strings.Builder
	for range maxRedacted + 1 {
		many.WriteString("token " + testenv.GitHubToken(t) + "\n")
	}
	if got, err := RedactString(ctx, many.String()); err != nil || got != "***" {
		t.Errorf("%d distinct secrets: %.80q, %v; want the whole text hidden", maxRedacted+1, got, err)
	}
}

// Detectors are lent from one scan to the next (see Rules.scanString):
// a scan answers only what its own text holds, a redacting and a
// revealing scan never trade detectors, and a detector that made many
// findings is not lent again, whatever order the scans come in.
func TestScanStringDetectorsLent(t *testing.T) {
	ctx := context.Background()
	rules, err := defaultRules()
	if err != nil {
		t.Fatal(err)
	}
	tok := testenv.GitHubToken(t)
	many := strings.Repeat("TOKEN="+testenv.GitHubToken(t)+"\n", maxLentFindings+10)
	for i, in := range []string{"TOKEN=" + tok, "clean", many, "clean", "TOKEN=" + tok, "TOKEN=" + tok, "clean"} {
		want := strings.Count(in, "TOKEN=")
		for _, reveal := range []bool{false, true, false} {
			fs, err := rules.scanString(ctx, in, reveal)
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != want {
				t.Errorf("scan %d (reveal %v): %d findings, want %d", i, reveal, len(fs), want)
			}
			for _, f := range fs {
				if shown := strings.Contains(in, f.Secret); shown != reveal {
					t.Errorf("scan %d (reveal %v): the finding shows %q", i, reveal, f.Secret)
				}
			}
			for j := range rules.strings {
				p := &rules.strings[j]
				if d, _ := p.Get().(*detect.Detector); d != nil {
					if n := len(d.Findings()); n >= maxLentFindings {
						t.Errorf("scan %d (reveal %v): a detector with %d findings is lent again", i, reveal, n)
					}
					p.Put(d)
				}
			}
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := "clean"
			if i%2 == 0 {
				in = "TOKEN=" + tok
			}
			got, err := RedactString(ctx, in)
			if err != nil || strings.Contains(got, tok) || (in == "clean") != (got == "clean") {
				errs <- fmt.Sprintf("concurrent redaction of %q: %q, %v", in, got, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
