package secrets

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/report"
	"github.com/zricethezav/gitleaks/v8/sources"

	"github.com/release-gate/release-gate/internal/spans"
)

// Leak is a secret found in a string by DetectString: the rule that matched
// and where. It never carries the secret.
type Leak struct {
	// RuleID is the gitleaks rule that matched, such as aws-access-token.
	RuleID string
	// Description is the rule's description ("AWS Access Token").
	Description string
	// Line and Col are 1-based, within the scanned text.
	Line, Col int
}

// defaultRules are gitleaks' default rules, loaded on first use and
// shared: loading gitleaks rules more than once per process is both slow
// and unsafe (gitleaks keeps global state while loading), and compiled
// rules are only read. Each compiles when a text first needs it (see
// Rules).
var defaultRules = sync.OnceValues(func() (*Rules, error) {
	vc, err := DefaultConfig()
	if err != nil {
		return nil, fmt.Errorf("loading the gitleaks default rules: %w", err)
	}
	rules, err := LazyRules(vc, "gitleaks default rules", vc)
	if err != nil {
		return nil, fmt.Errorf("loading the gitleaks default rules: %w", err)
	}
	return rules, nil
})

// scanString scans text with the default rules (see Rules.scanString).
func scanString(ctx context.Context, text string, reveal bool) ([]report.Finding, error) {
	rules, err := defaultRules()
	if err != nil {
		return nil, err
	}
	return rules.scanString(ctx, text, reveal)
}

// scanString scans text with r, with a detector no other call uses at the
// same time, lent by r.strings (making one indexes every keyword: about
// 1 ms and 3 MB for the default rules, where a short text takes
// microseconds). A detector keeps every finding it made, so one that has
// made many is dropped rather than lent again.
func (r *Rules) scanString(ctx context.Context, text string, reveal bool) ([]report.Finding, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pool := &r.strings[0]
	if reveal {
		pool = &r.strings[1]
	}
	d, _ := pool.Get().(*detect.Detector)
	if d == nil {
		// The context of a detector only bounds its file scans.
		d = r.NewDetector(context.Background(), reveal)
	}
	findings, err := r.Detect(ctx, d, sources.Fragment{Raw: text}, false)
	if len(d.Findings()) < maxLentFindings {
		pool.Put(d)
	}
	if err != nil {
		return nil, err
	}
	// gitleaks stops at a cancelled context and returns what it had.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("scanning for secrets: %w", err)
	}
	return findings, nil
}

// DetectString scans text with gitleaks' default rules and returns what it
// finds, without the secrets. It is for text that is not a file of the
// repository (a value read out of a configuration file, say): the
// allowlists' path rules, .gitleaksignore and baselines do not apply, while
// gitleaks:allow comments and the rules' own allowlists do.
//
// An interrupted scan is an error, never a partial answer.
func DetectString(ctx context.Context, text string) ([]Leak, error) {
	findings, err := scanString(ctx, text, false)
	if err != nil {
		return nil, err
	}
	leaks := make([]Leak, 0, len(findings))
	for _, f := range findings {
		// gitleaks counts lines of a bare fragment from 0, and columns
		// after the first line from the newline before them.
		col := f.StartColumn
		if f.StartLine > 0 {
			col--
		}
		leaks = append(leaks, Leak{RuleID: f.RuleID, Description: f.Description, Line: f.StartLine + 1, Col: col})
	}
	return leaks, nil
}

// urlPassword matches the password in a URL's user information
// (postgres://app:hunter2@db/...), which no gitleaks rule covers.
var urlPassword = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)[^/\s@]+@`)

// RedactMargin is how far past what it shows a reader that cuts text short
// has RedactString search, before it drops that margin: a secret the
// rules find, up to this long, across the end of what is shown is then
// cut whole rather than shown in part. A longer one (a private key block)
// may still be cut there.
const RedactMargin = 512

// RedactString returns text with every secret gitleaks' default rules find
// in it, and every password in a URL, replaced by ***: for showing text a
// server sent (an error page, a health answer) in a report.
func RedactString(ctx context.Context, text string) (string, error) {
	rules, err := defaultRules()
	if err != nil {
		return "", err
	}
	return rules.Redact(ctx, text)
}

// Redact is RedactString with r's rules.
func (r *Rules) Redact(ctx context.Context, text string) (string, error) {
	text = urlPassword.ReplaceAllString(text, "${1}***@")
	// The findings hold the secrets: they never leave this function.
	findings, err := r.scanString(ctx, text, true)
	if err != nil {
		return "", err
	}
	// Each secret and each match (which holds it) once: a secret found in
	// many places is one finding per place.
	var distinct []string
	seen := map[string]bool{}
	for _, f := range findings {
		for _, s := range []string{f.Secret, f.Match} {
			if s != "" && !seen[s] {
				seen[s] = true
				distinct = append(distinct, s)
			}
		}
	}
	if len(distinct) > maxRedacted {
		return "***", nil
	}
	places, ok := encodedSpans(text, findings)
	if !ok {
		return "***", nil
	}
	// Every place each stands, not only where gitleaks reported it.
	for _, s := range distinct {
		places = spans.AppendAll(places, text, s)
	}
	return spans.Cut(text, places), nil
}

// maxRedacted is the most distinct secrets and matches Redact cuts out of
// a text one by one: each is looked for across the whole text, so their
// number multiplies the cost. A text holding more is hidden whole.
const maxRedacted = 256

// encodedSpans are the places of the findings whose secret is not in text
// as it is: gitleaks found it by decoding (base64, hex, percent encoding)
// and reports it decoded, at the place of the encoded text. ok is false
// when a finding is not where gitleaks says: the whole text must be hidden
// rather than risk showing the secret.
func encodedSpans(text string, findings []report.Finding) (places []spans.Span, ok bool) {
	// Where each line starts: gitleaks counts a fragment's lines from 0,
	// and columns from the newline before them (1-based on the first).
	var newlines []int
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			newlines = append(newlines, i)
		}
	}
	lineBase := func(line int) int {
		if line <= 0 || len(newlines) == 0 {
			return 0
		}
		return newlines[min(line, len(newlines))-1]
	}
	inText := map[string]bool{}
	for _, f := range findings {
		if f.Secret != "" {
			in, ok := inText[f.Secret]
			if !ok {
				in = strings.Contains(text, f.Secret)
				inText[f.Secret] = in
			}
			if in {
				continue
			}
		}
		start := lineBase(f.StartLine) + f.StartColumn - 1
		end := lineBase(f.EndLine) + f.EndColumn
		if start < 0 || end > len(text) || start >= end {
			return nil, false
		}
		places = append(places, spans.Span{Start: start, End: end})
	}
	return places, true
}
