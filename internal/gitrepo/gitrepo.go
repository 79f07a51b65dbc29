// Package gitrepo is the one way release-gate runs git: a hardened runner
// for a repository whose files, history, attributes and configuration are
// hostile input.
//
// Every git process it starts:
//
//   - gets an environment built from scratch: PATH and nothing else of the
//     caller's, LC_ALL=C, no system or global configuration (HOME and
//     XDG_CONFIG_HOME name an empty directory), no system attributes, no
//     replace objects, no grafts, no terminal prompt, no lazy fetch, no
//     network transport;
//   - is told the repository's git directory and work tree explicitly, so
//     GIT_DIR, core.worktree or a .git file cannot move it elsewhere
//     unnoticed;
//   - overrides on its command scope every configuration key that runs a
//     program or changes what history looks like (fsmonitor, hooks, pager,
//     credential helpers, ssh, gpg, commit-graph, replace refs, attribute
//     sources), and neutralises every diff, filter and merge driver and
//     every protocol exception the repository's own configuration defines;
//   - has its exit status and stderr captured, and is killed when the
//     context ends.
//
// Commands that read history (Run, Stream, Blobs) run with an empty
// directory as work tree and no index, so no .gitattributes of the
// repository can change what git shows; $GIT_DIR/info/attributes, the one
// attribute file git still reads, makes Open fail when it sets anything.
// Only listing the index (Tracked) uses the real work tree.
package gitrepo

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrNotRepository is returned by Open for a directory outside any
// repository.
var ErrNotRepository = errors.New("not inside a git repository")

// MinVersion is the oldest git the runner works with: --path-format and
// configuration given through GIT_CONFIG_COUNT arrived in git 2.31.
var MinVersion = Version{2, 31, 0}

// Version is git's version.
type Version [3]int

// AtLeast reports whether v is at least o.
func (v Version) AtLeast(o Version) bool {
	for i := range v {
		if v[i] != o[i] {
			return v[i] > o[i]
		}
	}
	return true
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) }

// Repo is a git repository, seen from a directory inside it. Close it when
// done.
type Repo struct {
	dir     string  // where work-tree commands run: paths are relative to it
	top     string  // the work tree's top directory, symbolic links resolved
	gitDir  string  // absolute
	format  string  // object format: sha1 or sha256
	version Version // git's
	empty   string  // an empty directory of our own: HOME, and the work tree of history commands
	config  [][2]string
}

// Open finds the repository holding dir by looking for .git upwards (git
// itself will not say before it trusts the repository), and prepares the
// hardened environment its commands run in.
func Open(ctx context.Context, dir string) (*Repo, error) {
	top, err := Find(dir)
	if err != nil {
		return nil, err
	}
	empty, err := os.MkdirTemp("", "release-gate-git-")
	if err != nil {
		return nil, fmt.Errorf("making an empty directory for git: %w", err)
	}
	r := &Repo{dir: dir, top: top, empty: empty, gitDir: filepath.Join(top, ".git")}
	if err := r.setUp(ctx); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// Find returns the top directory of the repository holding dir (symbolic
// links resolved), found by looking for .git upwards without running git;
// ErrNotRepository when there is none.
func Find(dir string) (string, error) {
	top, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Lstat(filepath.Join(top, ".git")); err == nil {
			return top, nil
		}
		parent := filepath.Dir(top)
		if parent == top {
			return "", fmt.Errorf("%s: %w", dir, ErrNotRepository)
		}
		top = parent
	}
}

// setUp checks git's version, finds the git directory and reads what of
// the repository's own configuration must be neutralised.
func (r *Repo) setUp(ctx context.Context) error {
	r.config = baseConfig(r.top, "")
	out, err := r.run(ctx, modeNone, nil, "version")
	if err != nil {
		return err
	}
	if r.version, err = parseVersion(string(out)); err != nil {
		return err
	}
	if !r.version.AtLeast(MinVersion) {
		return fmt.Errorf("git %s is too old: release-gate needs git %s or later", r.version, MinVersion)
	}
	// The .git found (a directory, or a file naming one) is resolved by git
	// itself, with the work tree given: core.worktree cannot move it.
	out, err = r.run(ctx, modeWorkTree, nil, "rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir", "--show-object-format")
	if err != nil {
		return fmt.Errorf("reading the repository at %s: %w", r.top, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 3 {
		return fmt.Errorf("git rev-parse: unexpected answer %q", out)
	}
	r.gitDir, r.format = lines[0], lines[2]
	common := lines[1]
	if r.format != "sha1" && r.format != "sha256" {
		return fmt.Errorf("git rev-parse: unknown object format %q", r.format)
	}
	if err := checkInfoAttributes(filepath.Join(common, "info", "attributes")); err != nil {
		return err
	}
	// Drivers and protocol exceptions of the repository's configuration
	// (and what it includes) are overridden one by one.
	out, err = r.run(ctx, modeWorkTree, nil, "config", "--includes", "--name-only", "-z", "--get-regexp", driverKeys)
	var gerr *Error
	if errors.As(err, &gerr) && gerr.Code == 1 { // none
		out, err = nil, nil
	}
	if err != nil {
		return fmt.Errorf("reading the repository's git configuration: %w", err)
	}
	var found []string
	for _, k := range bytes.Split(out, []byte{0}) {
		if len(k) > 0 {
			found = append(found, string(k))
		}
	}
	r.config = baseConfig(r.top, r.format)
	for _, k := range found {
		v := ""
		if strings.HasPrefix(k, "protocol.") {
			v = "never"
		}
		r.config = append(r.config, [2]string{k, v})
	}
	return nil
}

// driverKeys matches the configuration keys that name a program to run per
// file or per URL, or let a transport through.
const driverKeys = `^(diff\..+\.(textconv|command)|filter\..+\.(clean|smudge|process)|merge\..+\.driver|credential\..+\.helper|protocol\..+\.allow|remote\..+\.(uploadpack|receivepack|vcs|proxy))$`

// emptyTree is the object id of the empty tree in each object format.
var emptyTree = map[string]string{
	"sha1":   "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
	"sha256": "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321",
}

// baseConfig is the configuration every command gets on its command scope,
// above every configuration file.
func baseConfig(top, format string) [][2]string {
	c := [][2]string{
		{"safe.directory", top},
		{"core.fsmonitor", "false"},
		{"core.hooksPath", "/dev/null"},
		{"core.pager", "cat"},
		{"core.askPass", ""},
		{"core.sshCommand", ""},
		{"core.gitProxy", ""},
		{"core.editor", ":"},
		{"core.alternateRefsCommand", ""},
		{"core.attributesFile", "/dev/null"},
		{"core.excludesFile", "/dev/null"},
		{"core.quotePath", "true"},
		// A full object id names the object whatever ref is named like it;
		// git's warning about such a ref would only stop the scan.
		// Names are resolved once, by ResolveCommit, which asks for the
		// warning on its own command line.
		{"core.warnAmbiguousRefs", "false"},
		{"color.ui", "never"},
		{"color.diff", "never"},
		{"core.useReplaceRefs", "false"},
		{"core.commitGraph", "false"},
		{"core.multiPackIndex", "false"},
		{"core.untrackedCache", "false"},
		{"core.splitIndex", "false"},
		{"credential.helper", ""},
		{"diff.external", ""},
		{"diff.orderFile", "/dev/null"},
		{"gpg.program", ""},
		{"gpg.openpgp.program", ""},
		{"gpg.x509.program", ""},
		{"gpg.ssh.program", ""},
		{"gpg.ssh.defaultKeyCommand", ""},
		{"log.showSignature", "false"},
		{"log.mailmap", "false"},
		{"mailmap.file", "/dev/null"},
		{"mailmap.blob", ""},
		{"protocol.allow", "never"},
		{"uploadpack.packObjectsHook", ""},
		{"gc.auto", "0"},
		{"maintenance.auto", "false"},
		{"fetch.writeCommitGraph", "false"},
		{"merge.renormalize", "false"},
		{"merge.conflictStyle", "merge"},
		// merge.default names the merge driver for paths without a merge
		// attribute (all of them here): a name no configuration defines
		// falls back to git's own 3-way text merge.
		{"merge.default", "release-gate-builtin-" + randomHex()},
	}
	if t := emptyTree[format]; t != "" {
		// git 2.43 and later read attributes from attr.tree (2.42:
		// GIT_ATTR_SOURCE): the empty tree has none.
		c = append(c, [2]string{"attr.tree", t})
	}
	return c
}

func randomHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// checkInfoAttributes refuses $GIT_DIR/info/attributes when it sets any
// attribute: git reads it whatever the work tree, and a line such as
// "* -diff" would make a text file's changes print as "Binary files
// differ". It is local to the clone, never part of the repository.
func checkInfoAttributes(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			return fmt.Errorf("%s sets git attributes, which can make git show a text file as binary and so hide it from the scan: remove the file (it belongs to this clone only, never to the repository)", path)
		}
	}
	return nil
}

var versionRE = regexp.MustCompile(`^git version (\d+)\.(\d+)(?:\.(\d+))?`)

func parseVersion(s string) (Version, error) {
	m := versionRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Version{}, fmt.Errorf("reading git's version: unexpected answer %q", strings.TrimSpace(s))
	}
	var v Version
	for i := range v {
		v[i], _ = strconv.Atoi(m[i+1])
	}
	return v, nil
}

// Close removes what Open made.
func (r *Repo) Close() error { return os.RemoveAll(r.empty) }

// Dir is the directory the repository was opened from.
func (r *Repo) Dir() string { return r.dir }

// Top is the repository's top directory.
func (r *Repo) Top() string { return r.top }

// GitDir is the repository's git directory (absolute).
func (r *Repo) GitDir() string { return r.gitDir }

// ObjectFormat is the hash of the repository's object ids: sha1 or sha256.
func (r *Repo) ObjectFormat() string { return r.format }

// Version is git's version.
func (r *Repo) Version() Version { return r.version }

// Prefix is the opened directory's path inside the repository, with a
// trailing slash ("" at the top, "services/api/" in a subdirectory).
func (r *Repo) Prefix() (string, error) {
	d, err := filepath.EvalSymlinks(r.dir)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(r.top, d)
	if err != nil {
		return "", err
	}
	if rel == "." {
		return "", nil
	}
	return filepath.ToSlash(rel) + "/", nil
}

// Error is git exiting with an error.
type Error struct {
	Args []string // git's arguments after the runner's own
	Code int      // git's exit code
	Msg  string   // what git printed on stderr, on one line
}

func (e *Error) Error() string {
	return fmt.Sprintf("git %s: %s", strings.Join(e.Args, " "), e.Msg)
}

// oneLine joins git's stderr lines with "; ".
func oneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

type mode int

const (
	modeNone     mode = iota // no repository (git version)
	modeWorkTree             // the real work tree and index
	modeHistory              // an empty work tree and no index: objects and refs only
)

// maxStderr bounds how much of git's stderr is kept.
const maxStderr = 64 << 10

// waitDelay is how long a killed git may keep its pipes open.
const waitDelay = 5 * time.Second

// command builds the git command for args in mode.
func (r *Repo) command(ctx context.Context, m mode, args []string) *exec.Cmd {
	full := []string{"--no-pager", "--no-replace-objects", "--literal-pathspecs"}
	cmd := exec.CommandContext(ctx, "git")
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"LC_ALL=C",
		"HOME=" + r.empty,
		"XDG_CONFIG_HOME=" + r.empty,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_SYSTEM=/dev/null",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_ATTR_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_NO_REPLACE_OBJECTS=1",
		"GIT_GRAFT_FILE=" + filepath.Join(r.empty, "no-grafts"),
		"GIT_NO_LAZY_FETCH=1",
		"GIT_ALLOW_PROTOCOL=",
		"GIT_PROTOCOL_FROM_USER=0",
		"GIT_OPTIONAL_LOCKS=0",
		"GIT_ADVICE=0",
	}
	switch m {
	case modeNone:
		cmd.Dir = r.empty
	case modeWorkTree:
		full = append(full, "--git-dir="+r.gitDir, "--work-tree="+r.top)
		cmd.Dir = r.dir
	case modeHistory:
		full = append(full, "--git-dir="+r.gitDir, "--work-tree="+r.empty)
		cmd.Dir = r.empty
		env = append(env, "GIT_INDEX_FILE="+filepath.Join(r.empty, "no-index"))
		if t := emptyTree[r.format]; t != "" {
			env = append(env, "GIT_ATTR_SOURCE="+t)
		}
	}
	env = append(env, "GIT_CONFIG_COUNT="+strconv.Itoa(len(r.config)))
	for i, kv := range r.config {
		env = append(env, fmt.Sprintf("GIT_CONFIG_KEY_%d=%s", i, kv[0]), fmt.Sprintf("GIT_CONFIG_VALUE_%d=%s", i, kv[1]))
	}
	cmd.Args = append(append([]string{"git"}, full...), args...)
	cmd.Env = env
	cmd.WaitDelay = waitDelay
	return cmd
}

// run runs git and returns its stdout.
func (r *Repo) run(ctx context.Context, m mode, stdin io.Reader, args ...string) ([]byte, error) {
	var stdout bytes.Buffer
	_, err := r.stream(ctx, m, args, stdin, func(out io.Reader) error {
		_, err := io.Copy(&stdout, out)
		return err
	})
	return stdout.Bytes(), err
}

// Run runs a git command that reads history (objects and refs: rev-parse,
// rev-list, log, diff between commits, merge-base, cat-file…) and returns
// what it printed on stdout. No work tree, index or attribute file of the
// repository takes part. When git fails the error is an *Error quoting it.
func (r *Repo) Run(ctx context.Context, args ...string) ([]byte, error) {
	return r.run(ctx, modeHistory, nil, args...)
}

// Stream runs a git command that reads history, as Run does, handing its
// stdout to consume as it comes. What consume leaves unread is discarded.
// It returns what git printed on stderr (when git succeeded too: warnings)
// and an error: consume's, the context's, or an *Error when git failed.
func (r *Repo) Stream(ctx context.Context, args []string, consume func(stdout io.Reader) error) (stderr string, err error) {
	return r.stream(ctx, modeHistory, args, nil, consume)
}

func (r *Repo) stream(ctx context.Context, m mode, args []string, stdin io.Reader, consume func(io.Reader) error) (string, error) {
	cmd := r.command(ctx, m, args)
	cmd.Stdin = stdin
	errBuf := &limitedBuffer{max: maxStderr}
	cmd.Stderr = errBuf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", fmt.Errorf("starting git %s: %w", args[0], err)
	}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", errors.New("git is not installed: install git (2.31 or later)")
		}
		return "", fmt.Errorf("starting git %s: %w", args[0], err)
	}
	cerr := consume(out)
	_, _ = io.Copy(io.Discard, out)
	werr := cmd.Wait()
	stderr := errBuf.String()
	if ctx.Err() != nil {
		return stderr, ctx.Err()
	}
	if werr != nil {
		var exit *exec.ExitError
		if !errors.As(werr, &exit) {
			return stderr, fmt.Errorf("running git %s: %w", args[0], werr)
		}
		msg := oneLine(stderr)
		if msg == "" {
			msg = werr.Error()
		}
		return stderr, &Error{Args: args, Code: exit.ExitCode(), Msg: msg}
	}
	return stderr, cerr
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	buf       bytes.Buffer
	max       int
	truncated bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room < len(p) {
		b.truncated = true
		if room > 0 {
			b.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return b.buf.Write(p)
}

// String is what was kept; when more was written, without the line the
// bound cut, which may end in part of a secret that the masking of every
// output only recognises whole.
func (b *limitedBuffer) String() string {
	if b.truncated {
		s := b.buf.String()
		return s[:strings.LastIndexByte(s, '\n')+1] + "(more not shown)"
	}
	return b.buf.String()
}

// File is an entry of git's index.
type File struct {
	Path   string // relative to the directory the repository was opened from
	Mode   string // 100644, 100755, 120000 (symbolic link), 160000 (submodule)
	Object string // the object id: a blob, or a commit for a submodule
	Stage  int    // 0, or 1-3 for a path in a merge conflict
}

// Tracked lists the files git tracks (its index: never untracked or ignored
// files) under the opened directory, or only those the literal paths name.
// A path in a merge conflict is listed once per stage. Any file name works:
// the listing is NUL-separated.
func (r *Repo) Tracked(ctx context.Context, paths ...string) ([]File, error) {
	args := []string{"ls-files", "-z", "--stage"}
	if len(paths) > 0 {
		args = append(append(args, "--"), paths...)
	}
	out, err := r.run(ctx, modeWorkTree, nil, args...)
	if err != nil {
		return nil, err
	}
	var files []File
	for _, entry := range bytes.Split(out, []byte{0}) {
		if len(entry) == 0 {
			continue
		}
		// "<mode> <object> <stage>\t<path>"
		meta, path, ok := bytes.Cut(entry, []byte{'\t'})
		fields := bytes.Fields(meta)
		if !ok || len(fields) != 3 || len(fields[0]) != 6 || len(fields[2]) != 1 {
			return nil, fmt.Errorf("git ls-files: unexpected entry %q", entry)
		}
		files = append(files, File{Path: string(path), Mode: string(fields[0]), Object: string(fields[1]), Stage: int(fields[2][0] - '0')})
	}
	return files, nil
}

// Shallow lists the commits at which this clone's history is cut off
// (empty for a complete clone).
func (r *Repo) Shallow(ctx context.Context) ([]string, error) {
	out, err := r.Run(ctx, "rev-parse", "--path-format=absolute", "--git-path", "shallow")
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(strings.TrimSpace(string(out)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the shallow file: %w", err)
	}
	return strings.Fields(string(data)), nil
}

// Blobs reads objects with one git cat-file --batch process: the bytes as
// stored, with no filter, attribute or textconv applied. It is not safe for
// concurrent use.
type Blobs struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stdout  *bufio.Reader
	stderr  *limitedBuffer
	broken  error
	waited  bool
	waitErr error
}

// Blobs starts a reader of objects. Close it when done.
func (r *Repo) Blobs(ctx context.Context) (*Blobs, error) {
	cmd := r.command(ctx, modeHistory, []string{"cat-file", "--batch"})
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("starting git cat-file: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("starting git cat-file: %w", err)
	}
	b := &Blobs{cmd: cmd, stdin: stdin, stdout: bufio.NewReaderSize(stdout, 64<<10), stderr: &limitedBuffer{max: maxStderr}}
	cmd.Stderr = b.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting git cat-file: %w", err)
	}
	return b, nil
}

// ErrMissing is an object the repository does not have (a partial clone
// never fetches it here).
var ErrMissing = errors.New("object missing from the repository")

var hexID = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

// Read hands the blob with object id oid to fn as a reader of its size
// bytes. fn need not read it all.
func (b *Blobs) Read(oid string, fn func(size int64, r io.Reader) error) error {
	return b.read(oid, "blob", fn)
}

// ReadCommit hands the commit object with id oid to fn as it is stored:
// its headers (tree, parents, author, committer, signature…), a blank
// line, and its message, NUL bytes and all.
func (b *Blobs) ReadCommit(oid string, fn func(size int64, r io.Reader) error) error {
	return b.read(oid, "commit", fn)
}

func (b *Blobs) read(oid, kind string, fn func(size int64, r io.Reader) error) error {
	if b.broken != nil {
		return b.broken
	}
	if !hexID.MatchString(oid) {
		return fmt.Errorf("reading object %q: not an object id", oid)
	}
	fail := func(err error) error {
		// The process is of no more use: end it, and read why it failed.
		_ = b.stdin.Close()
		_ = b.cmd.Process.Kill()
		b.waitErr = b.cmd.Wait()
		b.waited = true
		b.broken = err
		if msg := oneLine(b.stderr.String()); strings.Contains(msg, "promisor remote") {
			// A partial clone: git wanted to fetch the object, and may not.
			b.broken = fmt.Errorf("reading object %s: %w (a partial clone; nothing is fetched): %s", oid, ErrMissing, msg)
		} else if msg != "" {
			b.broken = fmt.Errorf("%w: %s", err, msg)
		}
		return b.broken
	}
	if _, err := io.WriteString(b.stdin, oid+"\n"); err != nil {
		return fail(fmt.Errorf("git cat-file: %w", err))
	}
	header, err := b.stdout.ReadString('\n')
	if err != nil {
		return fail(fmt.Errorf("git cat-file: reading object %s: %w", oid, err))
	}
	fields := strings.Fields(header)
	if len(fields) == 2 && fields[1] == "missing" {
		return fmt.Errorf("reading object %s: %w", oid, ErrMissing)
	}
	if len(fields) != 3 || fields[0] != oid {
		return fail(fmt.Errorf("git cat-file: unexpected answer %q", header))
	}
	size, err := strconv.ParseInt(fields[2], 10, 64)
	if err != nil || size < 0 {
		return fail(fmt.Errorf("git cat-file: unexpected answer %q", header))
	}
	body := io.LimitReader(b.stdout, size)
	var ferr error
	if fields[1] == kind {
		ferr = fn(size, body)
	} else {
		ferr = fmt.Errorf("reading object %s: a %s, not a %s", oid, fields[1], kind)
	}
	if _, err := io.Copy(io.Discard, body); err != nil {
		return fail(fmt.Errorf("git cat-file: reading object %s: %w", oid, err))
	}
	if c, err := b.stdout.ReadByte(); err != nil || c != '\n' {
		return fail(fmt.Errorf("git cat-file: reading object %s: no end of object", oid))
	}
	return ferr
}

// Close ends the process.
func (b *Blobs) Close() error {
	if b.waited {
		return nil // Read reported the failure
	}
	_ = b.stdin.Close()
	err := b.cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return &Error{Args: []string{"cat-file", "--batch"}, Code: exit.ExitCode(), Msg: oneLine(b.stderr.String())}
	}
	return err
}

// ErrUnknownCommit is returned by ResolveCommit for a name no commit of
// the repository has.
var ErrUnknownCommit = errors.New("no commit of this repository has that name")

// ResolveCommit returns the full id of the commit rev names (a full or
// short object id, a ref, HEAD, any revision expression); never read as an
// option. A name that more than one ref matches is an error: git would
// pick one by its own order (a tag before a branch or a remote branch), so
// whoever can push a tag named origin/main would choose the commit. A full
// object id is never ambiguous: git takes the object whatever ref is named
// like it.
func (r *Repo) ResolveCommit(ctx context.Context, rev string) (string, error) {
	var out bytes.Buffer
	// -c outranks the configuration the runner gives every command;
	// --quiet would silence the warning too.
	args := []string{"-c", "core.warnAmbiguousRefs=true", "rev-parse", "--verify", "--end-of-options", rev + "^{commit}"}
	stderr, err := r.Stream(ctx, args, func(stdout io.Reader) error {
		_, err := io.Copy(&out, io.LimitReader(stdout, 1<<10))
		return err
	})
	var gerr *Error
	if errors.As(err, &gerr) && strings.Contains(gerr.Msg, "Needed a single revision") {
		return "", fmt.Errorf("%q: %w", rev, ErrUnknownCommit)
	}
	if err != nil {
		return "", err
	}
	sha := strings.TrimSpace(out.String())
	if !hexID.MatchString(sha) {
		return "", fmt.Errorf("git rev-parse %q: unexpected answer %q", rev, sha)
	}
	if msg := oneLine(stderr); msg != "" && !hexID.MatchString(strings.ToLower(rev)) && !firstRuleName(rev) {
		if strings.Contains(msg, "ambiguous") {
			return "", fmt.Errorf("%q names more than one ref of this repository (git: %s): name the commit by its full id, or by its full ref name (refs/remotes/origin/main)", rev, firstLine(msg))
		}
		return "", fmt.Errorf("resolving %q: git warned: %s", rev, msg)
	}
	return sha, nil
}

// firstRuleName reports whether the name rev starts with is one git looks
// up before any other ref: HEAD, or a full ref name (refs/…), found as
// such in the git directory. A tag or branch named like it comes later in
// git's order; git warns, but resolves it as meant.
func firstRuleName(rev string) bool {
	name := rev
	if i := strings.IndexAny(rev, "~^@:"); i >= 0 {
		name = rev[:i]
	}
	return name == "HEAD" || strings.HasPrefix(name, "refs/")
}

// firstLine is s up to its first "; ".
func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "; ")
	return first
}

// ErrNotInCommit is returned by ReadCommitFile for a path the commit does
// not have.
var ErrNotInCommit = errors.New("not in the commit")

// ReadCommitFile reads the file at path (relative to the repository's top
// directory, forward slashes) as the commit rev stores it: a regular file of
// at most max bytes (a symbolic link, a submodule or a directory is an
// error). It returns the content and the commit's full id. An unknown rev is
// an error that says so; a path the commit lacks wraps ErrNotInCommit.
func (r *Repo) ReadCommitFile(ctx context.Context, rev, path string, max int64) ([]byte, string, error) {
	commit, err := r.ResolveCommit(ctx, rev)
	if errors.Is(err, ErrUnknownCommit) {
		return nil, "", fmt.Errorf("%q is not a commit of this repository (fetch it, or check out with fetch-depth: 0)", rev)
	}
	if err != nil {
		return nil, "", err
	}
	out, err := r.Run(ctx, "ls-tree", "-z", "--full-tree", commit, "--", path)
	if err != nil {
		return nil, commit, err
	}
	entry, _, _ := bytes.Cut(out, []byte{0})
	// "<mode> <type> <object>\t<path>"
	meta, name, ok := bytes.Cut(entry, []byte{'\t'})
	fields := strings.Fields(string(meta))
	if !ok || string(name) != path || len(fields) != 3 {
		return nil, commit, fmt.Errorf("%s at %s: %w", path, shortID(commit), ErrNotInCommit)
	}
	if fields[0] != "100644" && fields[0] != "100755" {
		return nil, commit, fmt.Errorf("%s at %s is not a regular file (git mode %s)", path, shortID(commit), fields[0])
	}
	blobs, err := r.Blobs(ctx)
	if err != nil {
		return nil, commit, err
	}
	defer blobs.Close()
	var data []byte
	err = blobs.Read(fields[2], func(size int64, rd io.Reader) error {
		if size > max {
			return fmt.Errorf("%s at %s is %d bytes; at most %d", path, shortID(commit), size, max)
		}
		data, err = io.ReadAll(rd)
		return err
	})
	return data, commit, err
}

func shortID(id string) string {
	if len(id) > 7 {
		return id[:7]
	}
	return id
}
