package secretscan

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/testenv"
)

// Ways a change tried to pass the gate while adding a secret, each found
// working once; the gate now reports the secret or fails closed.

// A tag the change pushes, named like the branch the configuration names
// as base, comes first in git's order: base would become the change's own
// head, and its commits would leave the range.
func TestBaseNamedByAnAmbiguousRefFailsClosed(t *testing.T) {
	r := newRepo(t)
	base := r.commit("base", map[string]string{"README.md": "hello\n"})
	r.git("update-ref", "refs/remotes/origin/main", base)
	r.git("checkout", "-q", "-b", "feature")
	key := testenv.AWSKey(t)
	leak := r.commit("leak", map[string]string{"creds.txt": "aws = " + key + "\n"})
	r.commit("remove", map[string]string{"creds.txt": ""})
	body := "scope: diff\nbase: origin/main\n"
	if got := where(scan(t, r.dir, body, gates.Event{}).Findings); !slices.Equal(got, []string{"creds.txt:1 aws-access-token " + shortSHA(leak)}) {
		t.Fatalf("before the tag: findings %v", got)
	}
	r.git("tag", "origin/main", "HEAD")
	res := scan(t, r.dir, body, gates.Event{})
	wantStatus(t, res, gates.StatusError)
	testenv.MustContain(t, "error", res.Err, "origin/main", "more than one ref")
	assertNoSecret(t, res, key)
}

// A ref named like the base commit's full id changes nothing: git takes
// the object. It used to make git warn, which stopped the scan.
func TestRefNamedLikeACommitIdChangesNothing(t *testing.T) {
	r := newRepo(t)
	base := r.commit("base", map[string]string{"README.md": "hello\n"})
	key := testenv.AWSKey(t)
	leak := r.commit("leak", map[string]string{"creds.txt": "aws = " + key + "\n"})
	head := r.commit("remove", map[string]string{"creds.txt": ""})
	r.git("tag", base, head)
	res := scan(t, r.dir, "scope: diff", gates.Event{Base: base, Head: head})
	if got := where(res.Findings); !slices.Equal(got, []string{"creds.txt:1 aws-access-token " + shortSHA(leak)}) {
		t.Errorf("findings %v (status %s, err %q)", got, res.Status, res.Err)
	}
}

// utf16 encodes s as UTF-16LE with a byte order mark, as Windows
// PowerShell 5 writes a file (echo $x > f).
func utf16(s string) string {
	b := []byte{0xff, 0xfe}
	for _, r := range s {
		b = append(b, byte(r), 0)
	}
	return string(b)
}

// Content that gitleaks skips unread without a word: a file whose name
// says archive (notes.gz, whatever it holds), whose first bytes are the
// magic of an executable, a PDF or a Flash file, a NUL byte (git then
// shows no diff of it: "Binary files differ"), or text in UTF-16. Each
// holds a key, in the tree and in a commit a later one reverts.
func TestContentSkippedByNameOrFirstBytesIsScanned(t *testing.T) {
	files := map[string]func(key string) string{
		"notes.gz":    func(k string) string { return "x\naws = " + k + "\n" },
		"tool.cfg":    func(k string) string { return "MZ\x00\naws = " + k + "\n" },
		"setup.py":    func(k string) string { return "FWS = 1\naws = " + k + "\n" },
		"doc.txt":     func(k string) string { return "%PDF-1.4\naws = " + k + "\n" },
		"nul.txt":     func(k string) string { return "\x00\naws = " + k + "\n" },
		"creds.ps1":   func(k string) string { return utf16("x\r\n$aws = '" + k + "'\r\n") },
		"creds32.txt": func(k string) string { return strings.Join(strings.Split("x\naws = "+k+"\n", ""), "\x00\x00\x00") },
	}
	r := newRepo(t)
	base := r.commit("base", map[string]string{"README.md": "hello\n"})
	var keys []string
	add := map[string]string{}
	for name, content := range files {
		key := testenv.AWSKey(t)
		keys = append(keys, key)
		add[name] = content(key)
	}
	leak := r.commit("leak", add)
	var wantTree, wantDiff []string
	for name := range files {
		wantTree = append(wantTree, name+":2 aws-access-token")
		wantDiff = append(wantDiff, name+":2 aws-access-token "+shortSHA(leak))
	}
	slices.Sort(wantTree)
	slices.Sort(wantDiff)
	res := scan(t, r.dir, "scope: tree", gates.Event{})
	if got := where(res.Findings); !slices.Equal(got, wantTree) {
		t.Errorf("tree: findings %v (status %s, err %q), want %v", got, res.Status, res.Err, wantTree)
	}
	assertNoSecret(t, res, keys...)
	remove := map[string]string{}
	for name := range files {
		remove[name] = ""
	}
	head := r.commit("remove", remove)
	for _, body := range []string{"scope: diff", "scope: history"} {
		res := scan(t, r.dir, body, gates.Event{Base: base, Head: head})
		if got := where(res.Findings); !slices.Equal(got, wantDiff) {
			t.Errorf("%s: findings %v (status %s, err %q), want %v", body, got, res.Status, res.Err, wantDiff)
		}
		assertNoSecret(t, res, keys...)
	}
}

// gitleaks reads a file in fragments of 100 kB, each grown by up to 25 kB
// to a blank line: a key across the end of a fragment is in neither half.
func TestKeyAcrossAFragmentBoundaryIsFound(t *testing.T) {
	r := newRepo(t)
	files := map[string]string{}
	var want, keys []string
	for _, at := range []int{100_000, 125_000, fragmentSize, fragmentSize + fragmentOverlap, 2*fragmentSize + fragmentOverlap, 3*fragmentSize + 2*fragmentOverlap} {
		for _, back := range []int{1, 10, 19} {
			start := at - back - len("k = ")
			// Lines of 50 bytes and no blank line: no boundary gitleaks
			// would prefer.
			filler := strings.Repeat(strings.Repeat("x", 49)+"\n", start/50) + strings.Repeat("y", start%50)
			key := testenv.AWSKey(t)
			name := fmt.Sprintf("big-%d-%d.txt", at, back)
			files[name] = filler + "k = " + key + "\n"
			keys = append(keys, key)
			want = append(want, fmt.Sprintf("%s:%d aws-access-token", name, start/50+1))
		}
	}
	r.commit("big files", files)
	slices.Sort(want)
	want = slices.Compact(want)
	res := scan(t, r.dir, "scope: tree", gates.Event{})
	if got := where(res.Findings); !slices.Equal(got, want) {
		t.Errorf("findings %v (status %s, err %q), want %v", got, res.Status, res.Err, want)
	}
	assertNoSecret(t, res, keys...)
}

// A file that starts as a Git LFS pointer does is one to the scan, whose
// object is not in the work tree; with allow-unscanned: [lfs] it passed,
// unread, whatever it held after the pointer's lines.
func TestLFSPointerTextIsScanned(t *testing.T) {
	key := testenv.AWSKey(t)
	fake := lfsPointer("anything") + "aws = " + key + "\n"
	r := newRepo(t)
	r.commit("data", map[string]string{"data/creds.csv": fake})
	body := "scope: tree\nallow-unscanned: [lfs]"
	want := []string{"data/creds.csv:4 aws-access-token"}
	res := scan(t, r.dir, body, gates.Event{})
	if got := where(res.Findings); !slices.Equal(got, want) {
		t.Errorf("findings %v (status %s, err %q), want %v", got, res.Status, res.Err, want)
	}
	assertNoSecret(t, res, key)
	// The work tree's copy differs: git's copy is scanned.
	r.write("data/creds.csv", "local edit\n")
	res = scan(t, r.dir, body, gates.Event{})
	if got := where(res.Findings); !slices.Equal(got, want) {
		t.Errorf("git's copy: findings %v (status %s, err %q), want %v", got, res.Status, res.Err, want)
	}
	assertNoSecret(t, res, key)
}

// git shows nothing of an octopus merge (three parents or more) with
// --remerge-diff ("Skipping remerge-diff for octopus merges"), nor does
// gitleaks of any merge. A key such a merge adds, in none of its parents,
// and a later commit removes, must still be found.
func TestEvilOctopusMergeIsScanned(t *testing.T) {
	r := newRepo(t)
	base := r.commit("base", map[string]string{"f.txt": "a\nb\nc\nd\ne\n"})
	sideKey := testenv.AWSKey(t)
	var sides []string
	var side string
	for i, files := range []map[string]string{
		{"f.txt": "A\nb\nc\nd\ne\n"},
		{"f.txt": "a\nb\nc\nd\nE\n"},
		{"side.txt": "aws = " + sideKey + "\n"},
	} {
		r.git("checkout", "-q", "-b", fmt.Sprintf("side%d", i), base)
		sha := r.commit(fmt.Sprintf("side %d", i), files)
		if i == 2 {
			side = sha
		}
		sides = append(sides, fmt.Sprintf("side%d", i))
	}
	r.git("checkout", "-q", "-b", "feature", base)
	r.commit("feature", map[string]string{"g.txt": "g\n"})
	r.git(append([]string{"merge", "-q", "--no-commit"}, sides...)...)
	key, binKey := testenv.AWSKey(t), testenv.AWSKey(t)
	r.write("f.txt", "A\nb\nkey = "+key+"\nc\nd\nE\n")
	r.write("evil.dat", "\x00\naws = "+binKey+"\n")
	r.git("add", "f.txt", "evil.dat")
	r.git("commit", "-q", "-m", "octopus")
	merge := r.git("rev-parse", "HEAD")
	if parents := strings.Fields(r.git("log", "-1", "--format=%P")); len(parents) != 4 {
		t.Fatalf("the merge has parents %v, want 4", parents)
	}
	head := r.commit("clean up", map[string]string{"f.txt": "A\nb\nc\nd\nE\n", "evil.dat": "", "side.txt": ""})
	want := []string{"evil.dat:2 aws-access-token " + shortSHA(merge), "f.txt:3 aws-access-token " + shortSHA(merge), "side.txt:1 aws-access-token " + shortSHA(side)}
	for _, body := range []string{"scope: diff", "scope: history"} {
		res := scan(t, r.dir, body, gates.Event{Base: base, Head: head})
		if got := where(res.Findings); !slices.Equal(got, want) {
			t.Errorf("%s: findings %v (status %s, err %q), want %v", body, got, res.Status, res.Err, want)
		}
		assertNoSecret(t, res, key, binKey, sideKey)
	}
}

// gitleaks scans what commits change, never the commits themselves: a key
// in a commit message, or in the author's name, passed.
func TestKeyInACommitMessageIsFound(t *testing.T) {
	r := newRepo(t)
	base := r.commit("base", map[string]string{"README.md": "hello\n"})
	key, token := testenv.AWSKey(t), testenv.GitHubToken(t)
	msg := r.commit("deploy with AWS_ACCESS_KEY_ID="+key, map[string]string{"a.txt": "a\n"})
	r.git("commit", "-q", "--allow-empty", "-m", "empty", "--author", "ci "+token+" <ci@example.com>")
	author := r.git("rev-parse", "HEAD")
	head := r.commit("more", map[string]string{"b.txt": "b\n"})
	want := []string{":0 aws-access-token " + shortSHA(msg), ":0 github-pat " + shortSHA(author)}
	for _, body := range []string{"scope: diff", "scope: history"} {
		res := scan(t, r.dir, body, gates.Event{Base: base, Head: head})
		if got := where(res.Findings); !slices.Equal(slices.Sorted(slices.Values(got)), want) {
			t.Errorf("%s: findings %v (status %s, err %q), want %v", body, got, res.Status, res.Err, want)
		}
		for _, f := range res.Findings {
			testenv.MustContain(t, "message", f.Message, "commit "+shortSHA(f.Commit))
		}
		assertNoSecret(t, res, key, token)
	}
}

// gitleaks scans what files hold, never their names: a key as a file or
// directory name passed, and every report naming the file printed it.
func TestKeyInAFileNameIsFoundAndMasked(t *testing.T) {
	r := newRepo(t)
	base := r.commit("base", map[string]string{"README.md": "hello\n"})
	token, key, inside := testenv.GitHubToken(t), testenv.AWSKey(t), testenv.AWSKey(t)
	leak := r.commit("names", map[string]string{
		"keys/" + token + "/notes.txt": "nothing\n",
		"aws-" + key + ".txt":          "aws = " + inside + "\n",
	})
	head := r.commit("remove", map[string]string{"aws-" + key + ".txt": ""})

	res := scan(t, r.dir, "scope: tree", gates.Event{})
	if got, want := where(res.Findings), []string{"keys/***/notes.txt:0 github-pat"}; !slices.Equal(got, want) {
		t.Errorf("tree: findings %v (status %s, err %q), want %v", got, res.Status, res.Err, want)
	}
	assertNoSecret(t, res, token, key, inside)
	want := []string{
		"aws-***.txt:0 aws-access-token " + shortSHA(leak),
		"aws-***.txt:1 aws-access-token " + shortSHA(leak),
		"keys/***/notes.txt:0 github-pat " + shortSHA(leak),
	}
	for _, body := range []string{"scope: diff", "scope: history"} {
		res := scan(t, r.dir, body, gates.Event{Base: base, Head: head})
		if got := where(res.Findings); !slices.Equal(got, want) {
			t.Errorf("%s: findings %v (status %s, err %q), want %v", body, got, res.Status, res.Err, want)
		}
		for _, f := range res.Findings {
			if f.Pos.Line == 0 {
				testenv.MustContain(t, "message", f.Message, "name")
			}
		}
		assertNoSecret(t, res, token, key, inside)
	}
}

// Some paths of gitleaks' default global allowlist are unanchored
// regular expressions: "gitleaks\.toml" excludes every path holding that
// text (a directory gitleaks.toml/, deploy/gitleaks.toml.sh), and
// "go\.(?:mod|sum)$" excludes cargo.mod. A change chose such a path for
// its key. The files they mean stay excluded.
func TestDefaultAllowlistExcludesOnlyTheFilesItNames(t *testing.T) {
	r := newRepo(t)
	files := map[string]string{}
	var keys []string
	add := func(name string) {
		key := testenv.AWSKey(t)
		keys = append(keys, key)
		files[name] = "x\naws = " + key + "\n"
	}
	reported := []string{
		"gitleaks.toml/deploy.sh", "deploy/gitleaks.toml.sh", "deploy/notgitleaks.toml",
		"scripts/verification-metadata.xml.py", "scripts/myDatabase_refactorlog.txt",
		"scripts/cargo.mod", "scripts/ago.sum", "scripts/go.sum.sh",
	}
	for _, name := range reported {
		add(name)
	}
	for _, name := range []string{"config/gitleaks.toml", "config/.gitleaks.toml", "go.mod", "sub/go.sum", "go.work.sum", "gradle/verification-metadata.xml", "db/Database.refactorlog"} {
		add(name)
	}
	r.commit("files", files)
	var want []string
	for _, name := range reported {
		want = append(want, name+":2 aws-access-token")
	}
	slices.Sort(want)
	res := scan(t, r.dir, "scope: tree", gates.Event{})
	if got := where(res.Findings); !slices.Equal(got, want) {
		t.Errorf("findings %v (status %s, err %q), want %v", got, res.Status, res.Err, want)
	}
	assertNoSecret(t, res, keys...)
}

// git calls a file binary only for a NUL byte in its first 8000 bytes:
// UTF-16 text that starts with 8000 bytes of characters holding no zero
// byte gets a text diff, whose lines still hold the NULs of the ASCII
// text further on.
func TestUTF16TextGitDiffsAsTextIsScanned(t *testing.T) {
	r := newRepo(t)
	base := r.commit("base", map[string]string{"README.md": "hello\n"})
	key := testenv.AWSKey(t)
	prefix := strings.Repeat("\x4e\x4e", 4001) // U+4E4E, 8002 bytes, no NUL
	content := prefix + utf16("\n$aws = '" + key + "'\n")[2:]
	leak := r.commit("leak", map[string]string{"notes.txt": content})
	if out := r.git("diff", "--numstat", base, leak); strings.HasPrefix(out, "-") {
		t.Fatalf("git shows the file as binary: the test proves nothing: %s", out)
	}
	head := r.commit("remove", map[string]string{"notes.txt": ""})
	res := scan(t, r.dir, "scope: diff", gates.Event{Base: base, Head: head})
	if got, want := where(res.Findings), []string{"notes.txt:2 aws-access-token " + shortSHA(leak)}; !slices.Equal(got, want) {
		t.Errorf("findings %v (status %s, err %q), want %v", got, res.Status, res.Err, want)
	}
	assertNoSecret(t, res, key)
}

// gitleaks' default global allowlist holds (?i)^true|false|null$, meant
// for the values true, false and null: unanchored, it let pass every
// secret that starts with "true", holds "false" or ends with "null".
func TestSecretsHoldingTrueFalseNullAreFound(t *testing.T) {
	secret := genericSecret(t)
	r := newRepo(t)
	r.commit("passwords", map[string]string{
		"a.py":     "db_password = \"" + secret + "\"\n",
		"b.py":     "db_password = \"" + secret + "false\"\n",
		"c.py":     "db_password = \"true" + secret + "\"\n",
		"d.py":     "db_password = \"" + secret + "Null\"\n",
		"flag.py":  "db_password = \"false\"\n",
		"flag2.py": "enable_token = true\n",
	})
	want := []string{"a.py:1 generic-api-key", "b.py:1 generic-api-key", "c.py:1 generic-api-key", "d.py:1 generic-api-key"}
	res := scan(t, r.dir, "scope: tree", gates.Event{})
	if got := where(res.Findings); !slices.Equal(got, want) {
		t.Errorf("findings %v (status %s, err %q), want %v", got, res.Status, res.Err, want)
	}
	assertNoSecret(t, res, secret)
}

// A key written base64-encoded in a file name is found decoded: what is
// masked is the encoded text the name holds.
func TestEncodedKeyInAFileNameIsMasked(t *testing.T) {
	key := testenv.AWSKey(t)
	encoded := base64.StdEncoding.EncodeToString([]byte("aws_access_key_id = " + key + "\n"))
	r := newRepo(t)
	r.commit("name", map[string]string{"keys." + encoded + ".txt": "nothing\n"})
	res := scan(t, r.dir, "scope: tree", gates.Event{})
	if got, want := where(res.Findings), []string{"keys.***.txt:0 aws-access-token"}; !slices.Equal(got, want) {
		t.Errorf("findings %v (status %s, err %q), want %v", got, res.Status, res.Err, want)
	}
	assertNoSecret(t, res, key, encoded[4:len(encoded)-4])
}

// genericSecret returns a random value that gitleaks' generic-api-key rule
// reports, alone or with a word written next to it. The rule drops a value
// of letters only (one random draw in forty) and one holding any of its
// stopwords (ajax, menu, base…; about one in a hundred): a test that drew
// one would fail for no fault of the code. So the value starts and ends
// with a digit, which also keeps a word written next to it from forming a
// stopword across the join, and holds no stopword.
func genericSecret(t *testing.T) string {
	t.Helper()
	rs, err := loadRules(nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	rule, ok := everyRule(t, rs).Rules["generic-api-key"]
	if !ok {
		t.Fatal("no generic-api-key rule")
	}
	const digits = "23456789"
	for {
		s := testenv.Random(t, digits, 1) + testenv.Random(t, "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789", 22) + testenv.Random(t, digits, 1)
		lower, clean := strings.ToLower(s), true
		for _, a := range rule.Allowlists {
			for _, w := range a.StopWords {
				clean = clean && !strings.Contains(lower, strings.ToLower(w))
			}
		}
		if clean {
			return s
		}
	}
}
