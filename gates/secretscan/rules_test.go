package secretscan

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/configtest"
	"github.com/release-gate/release-gate/internal/testenv"
)

// A custom rule for tokens shaped like "acme_" + 24 lowercase letters.
const acmeRule = `
[[rules]]
id = "acme-token"
description = "ACME API token"
regex = '''acme_[a-z]{24}'''
keywords = ["acme_"]
`

func acmeToken(t *testing.T) string {
	return "acme_" + testenv.Random(t, "abcdefghijklmnopqrstuvwxyz", 24)
}

func TestRepoConfigLayersOnDefaultRules(t *testing.T) {
	r := newRepo(t)
	r.commit("init", map[string]string{
		".gitleaks.toml": acmeRule,
		"a.txt":          acmeToken(t) + "\n",
		"b.txt":          testenv.AWSKey(t) + "\n",
	})
	res := scan(t, r.dir, "scope: tree", gates.Event{})
	if got := where(res.Findings); !slices.Equal(got, []string{"a.txt:1 acme-token", "b.txt:1 aws-access-token"}) {
		t.Errorf("a partial .gitleaks.toml must not switch the default rules off: %v (err %q)", got, res.Err)
	}
	if !slices.ContainsFunc(res.Notes, func(n string) bool {
		return strings.Contains(n, "gitleaks default rules + 1 rule(s) from .gitleaks.toml")
	}) {
		t.Errorf("notes %q", res.Notes)
	}

	res = scan(t, r.dir, "scope: tree\ndefault-rules: false", gates.Event{})
	if got := where(res.Findings); !slices.Equal(got, []string{"a.txt:1 acme-token"}) {
		t.Errorf("default-rules: false: %v", got)
	}
}

func TestRepoConfigUseDefaultTwiceInOneProcess(t *testing.T) {
	// gitleaks' own extension loses rules on the second and third load in a
	// process; ours must not.
	r := newRepo(t)
	r.commit("init", map[string]string{
		".gitleaks.toml": "[extend]\nuseDefault = true\ndisabledRules = [\"github-pat\"]\n" + acmeRule +
			"\n[[allowlists]]\ntargetRules = [\"aws-access-token\"]\npaths = ['''^fixtures/''']\n",
		"a.txt":          acmeToken(t) + "\n",
		"b.txt":          testenv.AWSKey(t) + "\n",
		"c.txt":          testenv.GitHubToken(t) + "\n",
		"fixtures/d.txt": testenv.AWSKey(t) + "\n",
	})
	for i := 0; i < 3; i++ {
		res := scan(t, r.dir, "scope: tree", gates.Event{})
		if got := where(res.Findings); !slices.Equal(got, []string{"a.txt:1 acme-token", "b.txt:1 aws-access-token"}) {
			t.Fatalf("load %d: %v (err %q)", i+1, got, res.Err)
		}
	}
}

func TestRepoConfigExtendPathIsRelativeToTheFile(t *testing.T) {
	r := newRepo(t)
	r.commit("init", map[string]string{
		"sec/gitleaks.toml": "[extend]\npath = \"base.toml\"\n",
		"sec/base.toml":     acmeRule,
		"a.txt":             acmeToken(t) + "\n",
	})
	res := scan(t, r.dir, "scope: tree\ngitleaks-config: sec/gitleaks.toml\ndefault-rules: false", gates.Event{})
	if got := where(res.Findings); !slices.Equal(got, []string{"a.txt:1 acme-token"}) {
		t.Errorf("findings %v (err %q)", got, res.Err)
	}
}

func TestBadGitleaksConfigs(t *testing.T) {
	tests := []struct {
		name, toml, extra, want string
	}{
		{"invalid toml", "[[rules]\nid=", "", "gitleaks config .gitleaks.toml"},
		{"invalid regex", "[[rules]]\nid = \"x\"\nregex = '''a(b'''\n", "", "gitleaks config .gitleaks.toml"},
		{"zero rules", "title = \"empty\"\n", "default-rules: false", "yields no rules"},
		{"missing extend path", "[extend]\npath = \"nope.toml\"\n", "", "nope.toml"},
		{"extend url", "[extend]\nurl = \"https://example.com/x.toml\"\n", "", "url is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRepo(t)
			r.commit("init", map[string]string{".gitleaks.toml": tt.toml, "a.txt": "a\n"})
			res := scan(t, r.dir, "scope: tree\n"+tt.extra, gates.Event{})
			wantStatus(t, res, gates.StatusError)
			if !strings.Contains(res.Err, tt.want) {
				t.Errorf("err %q, want %q", res.Err, tt.want)
			}
		})
	}
	r := newRepo(t)
	r.commit("init", map[string]string{"a.txt": "a\n"})
	res := scan(t, r.dir, "gitleaks-config: missing.toml", gates.Event{})
	wantStatus(t, res, gates.StatusError)
	if !strings.Contains(res.Err, "missing.toml") {
		t.Errorf("err %q", res.Err)
	}
}

func TestGitleaksConfigFileItselfIsNotScanned(t *testing.T) {
	r := newRepo(t)
	// The rule's own example would match the rule.
	r.commit("init", map[string]string{".gitleaks.toml": acmeRule + "# example: " + acmeToken(t) + "\n"})
	res := scan(t, r.dir, "scope: tree", gates.Event{})
	wantStatus(t, res, gates.StatusPass)
}

func TestMatchFile(t *testing.T) {
	tests := []struct {
		pattern, file string
		want          bool
	}{
		{".env", ".env", true},
		{".env", "svc/.env", true},
		{".env", ".env.example", false},
		{".env.*", "svc/.env.prod", true},
		{"*.pem", "a/b/c.pem", true},
		{"config/*.key", "config/a.key", true},
		{"config/*.key", "x/config/a.key", false},
		{"/config/*.key", "config/a.key", true},
		{"deploy/**/secrets.yml", "deploy/secrets.yml", true},
		{"deploy/**/secrets.yml", "deploy/a/b/secrets.yml", true},
		{"**/id_rsa", "home/u/.ssh/id_rsa", true},
	}
	for _, tt := range tests {
		if got := matchFile(tt.pattern, tt.file); got != tt.want {
			t.Errorf("matchFile(%q, %q) = %v", tt.pattern, tt.file, got)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tt := range []struct{ body, want string }{
		{"scope: [tree, everything]", `release-gate.yml:4:19: gates.secret-scan.scope: unknown scope "everything"; want diff, tree, history`},
		{"scope: []", "want at least one"},
		{"forbid-files: [\"[a\"]", "release-gate.yml:4:20: gates.secret-scan.forbid-files.0: \"[a\" is not a valid pattern"},
		{"default-rules: maybe", "want true or false"},
		{"scope: history\nbase: abc", "base has no effect"},
	} {
		f := configtest.Section(t, Name, tt.body, nil)
		_, err := New(f)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err %v, want %q", tt.body, err, tt.want)
		}
	}
}

func TestUnreadableTrackedFileFailsClosed(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every file")
	}
	r := newRepo(t)
	r.commit("init", map[string]string{"a.txt": "a\n"})
	if err := os.Chmod(filepath.Join(r.dir, "a.txt"), 0); err != nil {
		t.Fatal(err)
	}
	res := scan(t, r.dir, "scope: tree", gates.Event{})
	wantStatus(t, res, gates.StatusError)
}
