package secretscan

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"

	"github.com/zricethezav/gitleaks/v8/report"

	"github.com/release-gate/release-gate/config"
)

// commitIgnores are the entries of an ignore list (.gitleaksignore) that
// name a commit: commit:file:rule:line, as gitleaks writes a finding's
// fingerprint in a commit.
//
// gitleaks keeps every entry in one set and looks each finding's
// file:rule:line up in it as well as its commit:file:rule:line. git allows
// ':' in file names, so an entry meant for deploy.sh on one old commit also
// ignored, on any commit and in the tracked files, a file a change adds as
// "<commit>:deploy.sh": commit ids are public, and the change's key went
// unreported. These entries are therefore kept from gitleaks (see
// splitIgnore) and matched here against a finding's commit only.
type commitIgnores map[string]struct{}

// splitIgnore reads an ignore list as gitleaks' AddGitleaksIgnore does
// (line by line with a bufio.Scanner, stopping where it stops, skipping
// blank lines and comments, a backslash in the file of a four-part entry
// read as a slash) and returns the list without its entries that name a
// commit (see config.FingerprintCommit), for gitleaks, and those entries.
func splitIgnore(data []byte) ([]byte, commitIgnores) {
	var rest bytes.Buffer
	commits := commitIgnores{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if _, _, ok := config.FingerprintCommit(line); !ok {
			rest.WriteString(line)
			rest.WriteByte('\n')
			continue
		}
		if s := strings.Split(line, ":"); len(s) == 4 {
			s[1] = strings.ReplaceAll(s[1], `\`, "/")
			line = strings.Join(s, ":")
		}
		commits[line] = struct{}{}
	}
	return rest.Bytes(), commits
}

// ignores reports whether an entry names f's commit, file, rule and line.
func (c commitIgnores) ignores(f *report.Finding) bool {
	if len(c) == 0 || f.Commit == "" {
		return false
	}
	_, ok := c[f.Commit+":"+f.File+":"+f.RuleID+":"+strconv.Itoa(f.StartLine)]
	return ok
}

// without returns findings but those an entry names, in order.
func (c commitIgnores) without(findings []report.Finding) []report.Finding {
	if len(c) == 0 {
		return findings
	}
	return findingsWithout(findings, c.ignores)
}
