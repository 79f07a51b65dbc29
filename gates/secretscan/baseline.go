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
// 10,000 findings against 100,000 entries took 26 s, and a 3 MB one held
// 2.1 GB across a tree scan's detectors. So the gate parses it once per
// policy, as gitleaks does, and drops the findings it accepts itself,
// looking each up by exactly the fields IsNew compares.

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
// json.Unmarshal into findings).
func parseBaseline(data []byte) (*baseline, error) {
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
	kept := findings[:0:0]
	for i := range findings {
		if !b.accepts(&findings[i]) {
			kept = append(kept, findings[i])
		}
	}
	return kept
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
