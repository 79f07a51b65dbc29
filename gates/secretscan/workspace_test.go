package secretscan

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/configtest"
	"github.com/release-gate/release-gate/internal/testenv"
)

// scanWithin runs the gate as scan does, ending it after timeout: a read
// that blocks shows as an error that says the gate timed out.
func scanWithin(t *testing.T, dir, yamlBody string, ev gates.Event, timeout time.Duration) gates.Result {
	t.Helper()
	g, err := New(configtest.Section(t, Name, yamlBody, nil))
	if err != nil {
		t.Fatal(err)
	}
	r := gates.Runner{Timeout: timeout}
	return r.Run(context.Background(), gates.Env{Workspace: dir, Event: ev}, []gates.Job{{Gate: g}})[0]
}

// hostileTargets makes, outside any workspace, a gitleaks configuration
// whose error would quote a secret, a file of secrets, and a FIFO. It
// returns the secret and the targets a link may point at, by name.
func hostileTargets(t *testing.T) (secret string, targets map[string]string) {
	t.Helper()
	outside := t.TempDir()
	secret = testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 40)
	// An invalid regular expression: gitleaks' error quotes it.
	if err := os.WriteFile(filepath.Join(outside, "secret.toml"), []byte("[[rules]]\nid = \"x\"\nregex = '''"+secret+"('''\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "secret.env"), []byte("DEPLOY_KEY="+secret+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(outside, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	return secret, map[string]string{
		"secret": outside,
		"zero":   "/dev/zero",
		"fifo":   filepath.Join(outside, "fifo"),
	}
}

// The files that decide what the scan lets pass are the change's: a
// symbolic link among them to the runner's files, to a device or to a
// FIFO is an error that names it, never read.
func TestPolicyFilesLeadingOutOfTheWorkspace(t *testing.T) {
	secret, targets := hostileTargets(t)
	files := []struct {
		link, body, content string // content: "toml" or "env", what the link points at
	}{
		{".gitleaks.toml", "", "toml"},
		{"sec/gitleaks.toml", "gitleaks-config: sec/gitleaks.toml", "toml"},
		{"base.toml", "", "toml"}, // named by [extend] path in .gitleaks.toml
		{".gitleaksignore", "", "env"},
		{"lists/ignore", "gitleaks-ignore: lists/ignore", "env"},
		{"baseline.json", "baseline: baseline.json", "env"},
	}
	for _, f := range files {
		for _, how := range []string{"absolute", "relative", "zero", "fifo"} {
			t.Run(f.link+"/"+how, func(t *testing.T) {
				r := newRepo(t)
				var target string
				switch how {
				case "absolute":
					target = filepath.Join(targets["secret"], "secret."+f.content)
				case "relative":
					up, err := filepath.Rel(filepath.Dir(filepath.Join(r.dir, f.link)), filepath.Join(targets["secret"], "secret."+f.content))
					if err != nil {
						t.Fatal(err)
					}
					target = up
				default:
					target = targets[how]
				}
				full := filepath.Join(r.dir, filepath.FromSlash(f.link))
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(target, full); err != nil {
					t.Fatal(err)
				}
				files := map[string]string{"a.txt": "a\n"}
				if f.link == "base.toml" {
					files[".gitleaks.toml"] = "[extend]\npath = \"base.toml\"\n"
				}
				r.git("add", "--", f.link)
				r.commit("init", files)
				res := scanWithin(t, r.dir, "scope: tree\n"+f.body, gates.Event{}, 20*time.Second)
				wantStatus(t, res, gates.StatusError)
				testenv.MustContain(t, "error", res.Err, f.link, "leads out of the workspace")
				assertNoSecret(t, res, secret)
			})
		}
	}
}

// An [extend] path in a workspace file cannot name a file outside the
// workspace, by an absolute path or by climbing out.
func TestExtendPathLeadingOutOfTheWorkspace(t *testing.T) {
	secret, targets := hostileTargets(t)
	for name, path := range map[string]string{
		"absolute": filepath.Join(targets["secret"], "secret.toml"),
		"relative": "../../../../../../../../../../.." + filepath.Join(targets["secret"], "secret.toml"),
		"device":   "/dev/zero",
	} {
		t.Run(name, func(t *testing.T) {
			r := newRepo(t)
			r.commit("init", map[string]string{".gitleaks.toml": "[extend]\npath = '''" + path + "'''\n", "a.txt": "a\n"})
			res := scanWithin(t, r.dir, "scope: tree", gates.Event{}, 20*time.Second)
			wantStatus(t, res, gates.StatusError)
			testenv.MustContain(t, "error", res.Err, ".gitleaks.toml", "leads out of the workspace")
			assertNoSecret(t, res, secret)
		})
	}
}

// A file of the workspace that is not a regular file is refused as such.
func TestPolicyFileNotRegular(t *testing.T) {
	r := newRepo(t)
	r.commit("init", map[string]string{"a.txt": "a\n", ".gitleaksignore/x": "x\n"})
	res := scanWithin(t, r.dir, "scope: tree", gates.Event{}, 20*time.Second)
	wantStatus(t, res, gates.StatusError)
	testenv.MustContain(t, "error", res.Err, ".gitleaksignore", "is not a regular file")
}

// The workflow's author may name files outside the workspace (a shared
// configuration on the runner): they are read, but a FIFO or a device
// there is refused rather than waited on or read without end.
func TestPolicyFilesOutsideTheWorkspace(t *testing.T) {
	_, targets := hostileTargets(t)
	shared := filepath.Join(t.TempDir(), "shared.toml")
	if err := os.WriteFile(shared, []byte(acmeRule), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newRepo(t)
	r.commit("init", map[string]string{"a.txt": acmeToken(t) + "\n"})
	res := scanWithin(t, r.dir, "scope: tree\ndefault-rules: false\ngitleaks-config: "+shared, gates.Event{}, 20*time.Second)
	if got := where(res.Findings); len(got) != 1 || got[0] != "a.txt:1 acme-token" {
		t.Errorf("findings %v (status %s, err %q)", got, res.Status, res.Err)
	}
	for _, body := range []string{"gitleaks-config: " + targets["fifo"], "baseline: " + targets["fifo"], "gitleaks-ignore: /dev/zero"} {
		res := scanWithin(t, r.dir, "scope: tree\n"+body, gates.Event{}, 20*time.Second)
		wantStatus(t, res, gates.StatusError)
		testenv.MustContain(t, "error", res.Err, strings.TrimSpace(strings.SplitN(body, ":", 2)[1]), "is not a regular file")
	}
}

// A gitleaks configuration's error may quote what it could not use (a
// regular expression): a secret in it is not shown.
func TestGitleaksConfigErrorsHideSecrets(t *testing.T) {
	key := testenv.AWSKey(t)
	r := newRepo(t)
	r.commit("init", map[string]string{".gitleaks.toml": "[[rules]]\nid = \"x\"\nregex = '''(" + key + "'''\n", "a.txt": "a\n"})
	res := scanWithin(t, r.dir, "scope: tree", gates.Event{}, 20*time.Second)
	wantStatus(t, res, gates.StatusError)
	testenv.MustContain(t, "error", res.Err, ".gitleaks.toml", "missing closing )")
	assertNoSecret(t, res, key)
}
