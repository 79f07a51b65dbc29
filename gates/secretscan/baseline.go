package secretscan

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/zricethezav/gitleaks/v8/report"
)

// A baseline is a gitleaks JSON report of findings accepted earlier. Given
// one (Detector.AddBaseline), gitleaks parses it in each detector, at
// about 700 bytes of memory an entry, and checks every finding against
// every entry in turn (detect.IsNew): with a baseline a change wrote,
// 10,000 findings against 100,000 entries took 28 s, and a 3 MB one held
// 2.1 GB across a tree scan's detectors. So the gate parses it once per
// policy, reading it as gitleaks does, and drops the findings it accepts
// itself, looking each up by exactly the fields IsNew compares.

// maxBaselineEntries bounds the entries of a baseline. A real one, some
// hundred bytes an entry, reaches it only beyond maxListFile; entries
// built to be small (`{}` is two bytes) would otherwise cost gigabytes to
// parse.
const maxBaselineEntries = 200_000

// errBaselineFormat is a baseline gitleaks cannot read.
var errBaselineFormat = errors.New("the format of the file is not supported")

// baselineKey is what detect.IsNew compares of a finding with an entry of
// the baseline, for findings redacted as the gate's detectors redact
// them (Redact 100): IsNew then leaves out Match and Secret, and it never
// compares Line, SymlinkFile, Link, Tags, Fingerprint or Fragment.
// Entropy, a float32 in a key, is compared with == as IsNew does (0 and
// -0 are equal; JSON holds no NaN).
type baselineKey struct {
	ruleID, description                        string
	startLine, endLine, startColumn, endColumn int
	file, commit, author, email, date, message string
	entropy                                    float32
}

func keyOf(f *report.Finding) baselineKey {
	return baselineKey{
		ruleID: f.RuleID, description: f.Description,
		startLine: f.StartLine, endLine: f.EndLine, startColumn: f.StartColumn, endColumn: f.EndColumn,
		file: f.File, commit: f.Commit, author: f.Author, email: f.Email, date: f.Date, message: f.Message,
		entropy: f.Entropy,
	}
}

// baseline is a parsed baseline; nil (none) accepts nothing.
type baseline struct {
	keys map[baselineKey]struct{}
}

// parseBaseline reads a baseline as gitleaks' LoadBaseline does (one
// json.Unmarshal into findings), refusing more than maxBaselineEntries
// entries before it parses any.
func parseBaseline(data []byte) (*baseline, error) {
	if n := jsonArrayLen(data); n > maxBaselineEntries {
		return nil, fmt.Errorf("it holds %d findings, more than the %d a baseline may hold: drop the entries that no longer match anything, or accept findings by path or rule with an allowlist in .gitleaks.toml instead", n, maxBaselineEntries)
	}
	var entries []report.Finding
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("%w (%v)", errBaselineFormat, err)
	}
	b := &baseline{keys: make(map[baselineKey]struct{}, len(entries))}
	for i := range entries {
		b.keys[keyOf(&entries[i])] = struct{}{}
	}
	return b, nil
}

// accepts reports whether the baseline holds f: !detect.IsNew(f, 100,
// entries).
func (b *baseline) accepts(f *report.Finding) bool {
	if b == nil {
		return false
	}
	_, ok := b.keys[keyOf(f)]
	return ok
}

// without returns the findings b does not accept, in order.
func (b *baseline) without(findings []report.Finding) []report.Finding {
	if b == nil {
		return findings
	}
	return findingsWithout(findings, b.accepts)
}

// findingsWithout returns the findings drop does not report, in order, in
// a new slice.
func findingsWithout(findings []report.Finding, drop func(*report.Finding) bool) []report.Finding {
	kept := findings[:0:0]
	for i := range findings {
		if !drop(&findings[i]) {
			kept = append(kept, findings[i])
		}
	}
	return kept
}

// jsonArrayLen counts the elements of data when it is valid JSON holding
// an array, without parsing them; else it returns -1.
func jsonArrayLen(data []byte) int {
	if !json.Valid(data) {
		return -1
	}
	depth, commas := 0, 0
	inString, escaped, empty := false, false, true
	for _, c := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		if depth == 0 && c != '[' {
			return -1 // after the array only white space is valid
		}
		if depth == 1 && c != ']' {
			empty = false
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
		case ']', '}':
			depth--
		case ',':
			if depth == 1 {
				commas++
			}
		}
	}
	if empty {
		return 0
	}
	return commas + 1
}

// baselineSkipPath is the path of the fragments gitleaks skips as those
// of the baseline f itself: its path relative to the scanned directory,
// the workspace (see Detector.AddBaseline). A baseline outside the
// workspace has none: its relative path starts with "..", and no scanned
// file's does.
func baselineSkipPath(f *policyFile) string {
	if f.rel == "" {
		return ""
	}
	return filepath.FromSlash(f.rel)
}
