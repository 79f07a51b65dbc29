package secretscan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/report"

	"github.com/release-gate/release-gate/internal/testenv"
)

// splitIgnore over the ignore list gitleaks ships (read from the module
// cache): every entry is kept, either for gitleaks or as one naming a
// commit, and a finding matches a commit entry on its commit only, never
// as a file named after the commit.
func TestSplitIgnore(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testenv.ModuleDir(t, "github.com/zricethezav/gitleaks/v8"), ".gitleaksignore"))
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, "\n# a comment\n\nfile\\with:rule:3\nabcdef0123456789abcdef0123456789abcdef01:dir\\f.txt:rule:7\n"...)
	rest, commits := splitIgnore(data)
	entries, kept := 0, map[string]bool{}
	for _, l := range strings.Split(string(rest), "\n") {
		if l != "" {
			kept[l] = true
		}
	}
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		entries++
		_, isCommit := commits[strings.Replace(l, `dir\f`, "dir/f", 1)]
		if isCommit == kept[l] {
			t.Errorf("%q: for gitleaks %v, naming a commit %v", l, kept[l], isCommit)
		}
	}
	if entries < 100 || len(commits) < 50 || !kept["file\\with:rule:3"] {
		t.Fatalf("%d entries, %d naming a commit, kept %d", entries, len(commits), len(kept))
	}
	f := report.Finding{Commit: "abcdef0123456789abcdef0123456789abcdef01", File: "dir/f.txt", RuleID: "rule", StartLine: 7}
	if !commits.ignores(&f) {
		t.Errorf("the finding on its commit is not ignored")
	}
	for _, other := range []report.Finding{
		{Commit: strings.Repeat("1", 40), File: "dir/f.txt", RuleID: "rule", StartLine: 7},
		{File: "abcdef0123456789abcdef0123456789abcdef01:dir/f.txt", RuleID: "rule", StartLine: 7},
		{Commit: strings.Repeat("1", 40), File: "abcdef0123456789abcdef0123456789abcdef01:dir/f.txt", RuleID: "rule", StartLine: 7},
		{Commit: f.Commit, File: "dir/f.txt", RuleID: "rule", StartLine: 8},
	} {
		if commits.ignores(&other) {
			t.Errorf("%+v is ignored", other)
		}
	}
	if got := commits.without([]report.Finding{f, {Commit: f.Commit, File: "x", RuleID: "rule", StartLine: 7}}); len(got) != 1 || got[0].File != "x" {
		t.Errorf("without: %+v", got)
	}
}
