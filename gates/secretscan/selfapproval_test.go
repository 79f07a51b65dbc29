package secretscan

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/report"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/configtest"
	"github.com/release-gate/release-gate/internal/gitrepo"
	"github.com/release-gate/release-gate/internal/secrets"
	"github.com/release-gate/release-gate/internal/testenv"
)

// A change may add a secret and, in the same change, the suppression that
// lets it pass: an entry of .gitleaksignore or of the baseline, an
// allowlist or a rule change in .gitleaks.toml, a gitleaks:allow comment.
// Suppressions apply from the change after the one that adds them; one
// the change adds for its own commits is a finding of its own.

// selfApproval is a repository with a base commit holding baseFiles and a
// change on top; it returns base and head.
func selfApproval(t *testing.T, baseFiles map[string]string, change ...map[string]string) (r *testRepo, base, head string) {
	t.Helper()
	r = newRepo(t)
	files := map[string]string{"README.md": "hello\n"}
	for k, v := range baseFiles {
		files[k] = v
	}
	base = r.commit("base", files)
	head = base
	for i, c := range change {
		head = r.commit("change "+string(rune('1'+i)), c)
	}
	return r, base, head
}

// kinds lists findings as "file:line rule severity".
func kinds(fs []gates.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Pos.File+":"+itoa(f.Pos.Line)+" "+f.Rule+" "+string(f.Severity))
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

func findingOf(t *testing.T, res gates.Result, rule string) gates.Finding {
	t.Helper()
	for _, f := range res.Findings {
		if f.Rule == rule {
			return f
		}
	}
	t.Fatalf("no %s finding: %v (status %s, err %q)", rule, kinds(res.Findings), res.Status, res.Err)
	return gates.Finding{}
}

func TestSelfApprovalByIgnoreFile(t *testing.T) {
	key := testenv.AWSKey(t)
	r, base, head := selfApproval(t, nil, map[string]string{
		"creds.txt":       "aws = " + key + "\n",
		".gitleaksignore": "# a false positive\ncreds.txt:aws-access-token:1\n",
	})
	res := scan(t, r.dir, "", gates.Event{Base: base, Head: head})
	wantStatus(t, res, gates.StatusFail)
	want := []string{".gitleaksignore:0 scan-policy-edited warning", "creds.txt:1 suppressed-in-change error"}
	if got := kinds(res.Findings); !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	f := findingOf(t, res, "suppressed-in-change")
	testenv.MustContain(t, "message", f.Message, "aws-access-token", ".gitleaksignore", "creds.txt:aws-access-token:1", "this same change")
	if f.Commit != head || f.Pos.Col == 0 {
		t.Errorf("finding %+v", f)
	}
	testenv.MustContain(t, "edit", findingOf(t, res, "scan-policy-edited").Message, ".gitleaksignore", "review")
	assertNoSecret(t, res, key)

	// A commit fingerprint added by a later commit of the change.
	r = newRepo(t)
	base = r.commit("base", map[string]string{"README.md": "hello\n"})
	leak := r.commit("leak", map[string]string{"creds.txt": "aws = " + key + "\n"})
	head = r.commit("ignore it", map[string]string{".gitleaksignore": leak + ":creds.txt:aws-access-token:1\n"})
	res = scan(t, r.dir, "scope: diff", gates.Event{Base: base, Head: head})
	wantStatus(t, res, gates.StatusFail)
	if f := findingOf(t, res, "suppressed-in-change"); f.Commit != leak || !strings.Contains(f.Message, leak+":creds.txt:aws-access-token:1") {
		t.Errorf("finding %+v", f)
	}
}

// A suppression merged earlier, in base, still applies to the change.
func TestSuppressionFromBaseStillApplies(t *testing.T) {
	key := testenv.AWSKey(t)
	for name, c := range map[string]struct {
		base   map[string]string
		change map[string]string
	}{
		"ignore file": {
			map[string]string{".gitleaksignore": "creds.txt:aws-access-token:1\n"},
			map[string]string{"creds.txt": "aws = " + key + "\n"},
		},
		"allowlist": {
			map[string]string{".gitleaks.toml": "[[allowlists]]\npaths = ['''^fixtures/''']\n"},
			map[string]string{"fixtures/creds.txt": "aws = " + key + "\n"},
		},
		"gitleaks:allow on a line the change touches": {
			map[string]string{"creds.txt": "aws = " + key + " # gitleaks:allow\n"},
			map[string]string{"creds.txt": "# fixtures\n  aws =  " + key + "   # gitleaks:allow (a test value)\n"},
		},
		"ignore file edited for something else": {
			map[string]string{".gitleaksignore": "creds.txt:aws-access-token:1\n"},
			map[string]string{"creds.txt": "aws = " + key + "\n", ".gitleaksignore": "creds.txt:aws-access-token:1\nother.txt:generic-api-key:3\n"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			r, base, head := selfApproval(t, c.base, c.change)
			res := scan(t, r.dir, "", gates.Event{Base: base, Head: head})
			wantStatus(t, res, gates.StatusPass)
			for _, f := range res.Findings {
				if f.Rule != "scan-policy-edited" {
					t.Errorf("finding %v", kinds(res.Findings))
				}
			}
		})
	}
}

func TestSelfApprovalByAllowlist(t *testing.T) {
	key := testenv.AWSKey(t)
	for name, toml := range map[string]string{
		"global allowlist path":  "[[allowlists]]\npaths = ['''creds\\.txt''']\n",
		"global allowlist regex": "[[allowlists]]\nregexes = ['''AKIA[A-Z2-7]{16}''']\n",
		"rule allowlist":         "[[rules]]\nid = \"aws-access-token\"\n[[rules.allowlists]]\nregexTarget = \"line\"\nregexes = ['''aws = ''']\n",
		"disabled rule":          "[extend]\nuseDefault = true\ndisabledRules = [\"aws-access-token\"]\n",
		"changed rule":           "[[rules]]\nid = \"aws-access-token\"\nregex = '''AKIA[0-9]{40}'''\n",
	} {
		t.Run(name, func(t *testing.T) {
			r, base, head := selfApproval(t, nil, map[string]string{"creds.txt": "aws = " + key + "\n", ".gitleaks.toml": toml})
			if res := scan(t, r.dir, "scope: tree", gates.Event{}); res.Status != gates.StatusPass {
				t.Fatalf("the allowlist does not let the key pass: the test proves nothing (%s %v %s)", res.Status, where(res.Findings), res.Err)
			}
			res := scan(t, r.dir, "", gates.Event{Base: base, Head: head})
			wantStatus(t, res, gates.StatusFail)
			want := []string{".gitleaks.toml:0 scan-policy-edited warning", "creds.txt:1 suppressed-in-change error"}
			if got := kinds(res.Findings); !slices.Equal(got, want) {
				t.Errorf("findings %v, want %v", got, want)
			}
			testenv.MustContain(t, "message", findingOf(t, res, "suppressed-in-change").Message, ".gitleaks.toml", "aws-access-token")
			assertNoSecret(t, res, key)
		})
	}
}

func TestSelfApprovalByInlineComment(t *testing.T) {
	key, other := testenv.AWSKey(t), testenv.AWSKey(t)
	// Added with the comment.
	r, base, head := selfApproval(t, nil, map[string]string{"creds.txt": "x\naws = " + key + " # gitleaks:allow\n"})
	res := scan(t, r.dir, "", gates.Event{Base: base, Head: head})
	wantStatus(t, res, gates.StatusFail)
	if got := kinds(res.Findings); !slices.Equal(got, []string{"creds.txt:2 suppressed-in-change error"}) {
		t.Errorf("findings %v", got)
	}
	testenv.MustContain(t, "message", findingOf(t, res, "suppressed-in-change").Message, "gitleaks:allow")
	// Another secret on a line base allowed: the comment was for the old one.
	r, base, head = selfApproval(t, map[string]string{"creds.txt": "aws = " + key + " # gitleaks:allow\n"}, map[string]string{"creds.txt": "aws = " + other + " # gitleaks:allow\n"})
	res = scan(t, r.dir, "", gates.Event{Base: base, Head: head})
	wantStatus(t, res, gates.StatusFail)
	assertNoSecret(t, res, key, other)
}

func TestSelfApprovalByBaseline(t *testing.T) {
	key := testenv.AWSKey(t)
	r := newRepo(t)
	base := r.commit("base", map[string]string{"README.md": "hello\n"})
	leak := r.commit("leak", map[string]string{"creds.txt": "aws = " + key + "\n"})
	// The baseline is a gitleaks report of the change's own finding, made
	// as gitleaks git --redact --report-path makes it.
	baseline := reportOf(t, r, base, leak)
	head := r.commit("accept it", map[string]string{"baseline.json": baseline})
	if res := scan(t, r.dir, "scope: diff\nbaseline: baseline.json\nself-suppression: warn", gates.Event{Base: base, Head: head}); res.Status != gates.StatusPass {
		t.Fatalf("the baseline does not let the key pass: %s %v %s", res.Status, kinds(res.Findings), res.Err)
	}
	res := scan(t, r.dir, "scope: diff\nbaseline: baseline.json", gates.Event{Base: base, Head: head})
	wantStatus(t, res, gates.StatusFail)
	want := []string{"baseline.json:0 scan-policy-edited warning", "creds.txt:1 suppressed-in-change error"}
	if got := kinds(res.Findings); !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	testenv.MustContain(t, "message", findingOf(t, res, "suppressed-in-change").Message, "baseline baseline.json")
	assertNoSecret(t, res, key)

	// Merged earlier, the same baseline lets the commit pass.
	next := r.commit("unrelated", map[string]string{"notes.md": "notes\n"})
	res = scan(t, r.dir, "scope: diff\nbaseline: baseline.json", gates.Event{Base: head, Head: next})
	wantStatus(t, res, gates.StatusPass)
}

// reportOf is the redacted gitleaks report of base..head.
func reportOf(t *testing.T, r *testRepo, base, head string) string {
	t.Helper()
	ctx := context.Background()
	gr, err := gitrepo.Open(ctx, r.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer gr.Close()
	rs, err := loadRules(nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	d := secrets.NewDetector(ctx, everyRule(t, rs), false)
	found, err := d.DetectSource(ctx, &gitLog{repo: gr, args: []string{base + ".." + head}})
	if err != nil || len(found) != 1 {
		t.Fatalf("%d findings, %v", len(found), err)
	}
	data, err := json.Marshal(found)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// default-rules: false with a .gitleaks.toml the change adds switches the
// default rules off for the change's own commits only from the next change
// on. Turning them off in the release-gate configuration alone, with a
// configuration merged earlier, is an edit of that configuration: a
// warning (the configuration decides what the gate does at all).
func TestSelfApprovalByDefaultRules(t *testing.T) {
	key := testenv.AWSKey(t)
	r, base, head := selfApproval(t, nil, map[string]string{
		"creds.txt":                "aws = " + key + "\n",
		".gitleaks.toml":           acmeRule,
		".github/release-gate.yml": "version: 1\ngates:\n  secret-scan:\n    default-rules: false\n",
	})
	res := scan(t, r.dir, "default-rules: false", gates.Event{Base: base, Head: head})
	wantStatus(t, res, gates.StatusFail)
	want := []string{".github/release-gate.yml:0 scan-policy-edited warning", ".gitleaks.toml:0 scan-policy-edited warning", "creds.txt:1 suppressed-in-change error"}
	if got := kinds(res.Findings); !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}

	r, base, head = selfApproval(t, map[string]string{".gitleaks.toml": acmeRule}, map[string]string{
		"creds.txt":                "aws = " + key + "\n",
		".github/release-gate.yml": "version: 1\ngates:\n  secret-scan:\n    default-rules: false\n",
	})
	res = scan(t, r.dir, "default-rules: false", gates.Event{Base: base, Head: head})
	wantStatus(t, res, gates.StatusPass)
	if got := kinds(res.Findings); !slices.Equal(got, []string{".github/release-gate.yml:0 scan-policy-edited warning"}) {
		t.Errorf("findings %v", got)
	}
	testenv.MustContain(t, "message", res.Findings[0].Message, "release-gate.yml", "review")
}

// self-suppression: warn lets a reviewer accept the suppression in the
// change that adds it: the finding is a warning.
func TestSelfSuppressionWarn(t *testing.T) {
	key := testenv.AWSKey(t)
	r, base, head := selfApproval(t, nil, map[string]string{"creds.txt": "aws = " + key + " # gitleaks:allow\n"})
	res := scan(t, r.dir, "self-suppression: warn", gates.Event{Base: base, Head: head})
	wantStatus(t, res, gates.StatusPass)
	if got := kinds(res.Findings); !slices.Equal(got, []string{"creds.txt:1 suppressed-in-change warning"}) {
		t.Errorf("findings %v", got)
	}
	testenv.MustContain(t, "message", res.Findings[0].Message, "reviewer")
	testenv.MustContain(t, "summary", res.Summary, "suppress")
}

// A secret the change's policy still reports is reported once, as itself.
func TestSelfApprovalReportsEachSecretOnce(t *testing.T) {
	key, tok := testenv.AWSKey(t), testenv.GitHubToken(t)
	r, base, head := selfApproval(t, nil, map[string]string{
		"a.txt":           "aws = " + key + "\n",
		"b.txt":           "token = " + tok + "\n",
		".gitleaksignore": "a.txt:aws-access-token:1\n",
	})
	res := scan(t, r.dir, "", gates.Event{Base: base, Head: head})
	want := []string{".gitleaksignore:0 scan-policy-edited warning", "a.txt:1 suppressed-in-change error", "b.txt:1 github-pat error"}
	if got := kinds(res.Findings); !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
}

func TestSelfSuppressionConfig(t *testing.T) {
	_, err := New(configtest.Section(t, Name, "self-suppression: allow", nil))
	configtest.WantError(t, err, "release-gate.yml:4:23", `gates.secret-scan.self-suppression: want fail or warn, got "allow"`)
	g, err := New(configtest.Section(t, Name, "", nil))
	if err != nil || g.(*Gate).selfSuppression != SelfSuppressionFail {
		t.Errorf("default: %v %v", g, err)
	}
}

// In a workspace below the repository's top, the policy files are the
// workspace's, and gitleaks' fingerprints name paths in the repository.
func TestSelfApprovalInSubdirectoryWorkspace(t *testing.T) {
	key := testenv.AWSKey(t)
	r, base, head := selfApproval(t, map[string]string{"svc/main.go": "package main\n"}, map[string]string{
		"svc/creds.txt":       "aws = " + key + "\n",
		"svc/.gitleaksignore": "svc/creds.txt:aws-access-token:1\n",
	})
	res := scan(t, filepath.Join(r.dir, "svc"), "scope: diff", gates.Event{Base: base, Head: head})
	wantStatus(t, res, gates.StatusFail)
	want := []string{".gitleaksignore:0 scan-policy-edited warning", "creds.txt:1 suppressed-in-change error"}
	if got := kinds(res.Findings); !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
}

// A policy file that is a link inside the repository is followed at base
// as in the workspace: unchanged, it still applies.
func TestSuppressionFromBaseThroughLink(t *testing.T) {
	key := testenv.AWSKey(t)
	r := newRepo(t)
	r.write("lists/ignore", "creds.txt:aws-access-token:1\n")
	if err := os.Symlink("lists/ignore", filepath.Join(r.dir, ".gitleaksignore")); err != nil {
		t.Fatal(err)
	}
	r.git("add", ".gitleaksignore", "lists/ignore")
	base := r.commit("base", nil)
	head := r.commit("add", map[string]string{"creds.txt": "aws = " + key + "\n"})
	res := scan(t, r.dir, "", gates.Event{Base: base, Head: head})
	wantStatus(t, res, gates.StatusPass)
	if len(res.Findings) != 0 {
		t.Errorf("findings %v", kinds(res.Findings))
	}
}

// A configuration base cannot load (the change may be what repairs it):
// the change's commits are held to the default rules, with no suppression.
func TestSelfApprovalWhenBasePolicyIsBroken(t *testing.T) {
	key := testenv.AWSKey(t)
	r, base, head := selfApproval(t, map[string]string{".gitleaks.toml": "[[rules]\nbroken"}, map[string]string{
		"creds.txt":      "aws = " + key + "\n",
		".gitleaks.toml": "[[allowlists]]\npaths = ['''creds\\.txt''']\n",
	})
	res := scan(t, r.dir, "", gates.Event{Base: base, Head: head})
	wantStatus(t, res, gates.StatusFail)
	findingOf(t, res, "suppressed-in-change")
	testenv.MustContain(t, "notes", strings.Join(res.Notes, "\n"), "could not be loaded", "default rules")
}

// A change with no history in common with base (an orphan branch) is
// scanned whole; its edits are what it differs from base in.
func TestSelfApprovalUnrelatedHistories(t *testing.T) {
	key := testenv.AWSKey(t)
	r := newRepo(t)
	base := r.commit("base", map[string]string{"README.md": "hello\n"})
	r.git("checkout", "-q", "--orphan", "other")
	r.git("rm", "-rq", "--cached", ".")
	head := r.commit("orphan", map[string]string{"creds.txt": "aws = " + key + "\n", ".gitleaksignore": "creds.txt:aws-access-token:1\n"})
	res := scan(t, r.dir, "scope: diff", gates.Event{Base: base, Head: head})
	wantStatus(t, res, gates.StatusFail)
	want := []string{".gitleaksignore:0 scan-policy-edited warning", "creds.txt:1 suppressed-in-change error"}
	if got := kinds(res.Findings); !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v (err %q)", got, want, res.Err)
	}
}

// allowedBefore is how base's copy was searched for a secret's
// gitleaks:allow comment, every line of it for each secret: the
// reference for baseLines.allowed, which keeps only the lines holding the
// comment.
func allowedBefore(data string, f report.Finding) bool {
	secret := f.Secret
	if secret == "" {
		secret = f.Match
	}
	for _, line := range strings.Split(data, "\n") {
		if secret != "" && strings.Contains(line, gitleaksAllow) && strings.Contains(line, secret) {
			return true
		}
	}
	return false
}

// baseLines.allowed finds a secret's gitleaks:allow comment in base's copy
// of its file, on its line only, as a search of every line did; it reads
// the file from the base commit.
func TestBaseLinesAllowed(t *testing.T) {
	r := newRepo(t)
	data := "k1 # gitleaks:allow\nk2\n# gitleaks:allow\nk3\r\nx k4 gitleaks:allow k5\r\nk6 gitleaks:allo\nk7 # gitleaks:allow"
	base := r.commit("base", map[string]string{"f.txt": data, "g.txt": "k9 # gitleaks:allow\n"})
	gr, err := gitrepo.Open(context.Background(), r.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer gr.Close()
	at := &baseLines{bf: &baseFiles{ctx: context.Background(), r: repo{gr}, commit: base}, files: map[string][]string{}}
	defer at.close()
	for _, c := range []struct {
		f    report.Finding
		want bool
	}{
		{report.Finding{File: "f.txt", Secret: "k1"}, true},
		{report.Finding{File: "f.txt", Secret: "k2"}, false},
		{report.Finding{File: "f.txt", Secret: "k3"}, false},
		{report.Finding{File: "f.txt", Secret: "k4"}, true},
		{report.Finding{File: "f.txt", Secret: "k5"}, true},
		{report.Finding{File: "f.txt", Secret: "k6"}, false},
		{report.Finding{File: "f.txt", Secret: "k7"}, true}, // the last line, no newline after it
		{report.Finding{File: "f.txt", Secret: "k9"}, false},
		{report.Finding{File: "f.txt", Match: "x k4"}, true},
		{report.Finding{File: "f.txt", Match: "k2"}, false},
		{report.Finding{File: "f.txt"}, false},
		{report.Finding{File: "g.txt", Secret: "k9"}, true},
		{report.Finding{File: "h.txt", Secret: "k1"}, false},
		{report.Finding{Secret: "k1"}, false},
	} {
		got, err := at.allowed(c.f)
		if err != nil {
			t.Fatal(err)
		}
		want := c.f.File == "f.txt" && allowedBefore(data, c.f) || c.f.File == "g.txt" && allowedBefore("k9 # gitleaks:allow\n", c.f)
		if got != c.want || want != c.want {
			t.Errorf("%s %q/%q: allowed %v, before %v, want %v", c.f.File, c.f.Secret, c.f.Match, got, want, c.want)
		}
	}

	// Generated files and secrets, against the search of every line.
	rnd := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"k1", "k2", " ", gitleaksAllow, "gitleaks:", "allow", "\n", "\n", "\r\n", "k1 " + gitleaksAllow}
	for range 2000 {
		var b strings.Builder
		for range rnd.IntN(30) {
			b.WriteString(pieces[rnd.IntN(len(pieces))])
		}
		text := b.String()
		lines := &baseLines{files: map[string][]string{"f.txt": allowLines([]byte(text))}}
		for _, secret := range []string{"k1", "k2", "k1 k2", "gitleaks:allow", "allow k1", "\r"} {
			f := report.Finding{File: "f.txt", Secret: secret}
			if got, err := lines.allowed(f); err != nil || got != allowedBefore(text, f) {
				t.Fatalf("%q, secret %q: allowed %v (%v), before %v", text, secret, got, err, !got)
			}
		}
	}
}
