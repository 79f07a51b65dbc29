package secretscan

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	glconfig "github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/report"
	"github.com/zricethezav/gitleaks/v8/sources"

	"github.com/release-gate/release-gate/internal/cores"
	"github.com/release-gate/release-gate/internal/gitrepo"
	"github.com/release-gate/release-gate/internal/secrets"
)

// leak is a secret found in the repository. It carries no secret value.
type leak struct {
	rule        string
	description string
	file        string // relative to the workspace
	line, col   int
	// endLine and endCol are where the match ends: with line and col they
	// tell apart two secrets on one line, as gitleaks' report does.
	endLine, endCol int
	commit          string // empty for a working-tree finding
}

// detector finds secrets; it is the gate's only view of gitleaks, kept small
// so the engine can be replaced.
type detector interface {
	// scanTree scans the tracked files: each as it is on disk (under root)
	// when that is byte for byte what git stores, else git's own copy.
	scanTree(ctx context.Context, repo *gitrepo.Repo, root string, files []trackedFile, cores *cores.Pool, progress func(done int)) (treeResult, error)
	// scanCommits scans what the commits the log selects add. With
	// strict, it also scans them as strict's policy would, and returns
	// the secrets only strict finds (see selfapproval.go).
	scanCommits(ctx context.Context, log *gitLog, strict *strictScan) (leaks []leak, only []strictLeak, err error)
	// withoutAllowlistedPaths drops the content a global allowlist
	// excludes by path: whatever it holds would not be reported.
	withoutAllowlistedPaths(us []unscanned) []unscanned
	// scanNames scans file names (see names.go), with strict's policy
	// too when given; prefix is stripped from the names of the leaks.
	// It returns the secret values found, to be masked.
	scanNames(ctx context.Context, names []nameRef, prefix string, strict *strictScan) (leaks []leak, masks []string, err error)
}

func (g *gitleaksDetector) scanNames(ctx context.Context, names []nameRef, prefix string, strict *strictScan) ([]leak, []string, error) {
	var other *gitleaksDetector
	if strict != nil {
		other = strict.det
	}
	return scanNames(ctx, names, prefix, g, other)
}

// trackedFile is a file of git's index.
type trackedFile struct {
	path    string   // relative to the workspace
	objects []string // the blobs the index records: one, or one per stage of a merge conflict
	link    bool     // a symbolic link, whose blob is its target
}

// treeResult is what a tree scan found and could not read.
type treeResult struct {
	leaks []leak
	// fromGit counts the files whose work-tree copy was not git's (or
	// missing) and that were scanned from git's copy instead.
	fromGit int
	// lfs are Git LFS pointers whose object is not in the work tree.
	lfs []unscanned
}

// gitleaksDetector is detector backed by gitleaks v8.
type gitleaksDetector struct {
	rules    *ruleSet
	ignore   *policyFile // .gitleaksignore, nil for none
	baseline *policyFile // gitleaks JSON report of accepted findings, nil for none
	// copies holds what gitleaks opens itself: ignorePath is a private
	// copy of ignore.
	copies     *privateCopies
	ignorePath string
	// commitIgnores are ignore's entries that name a commit, kept out of
	// ignorePath's copy and matched by the scan (see commitIgnores).
	commitIgnores commitIgnores
	// baselineSkip is the path of the fragments not scanned as those of
	// the baseline itself (see baselineSkipPath), "" for none.
	baselineSkip string
	// accepted is baseline parsed, once (see loadBaseline).
	acceptedOnce sync.Once
	accepted     *baseline
	acceptedErr  error
	// pathPrefix is stripped from paths git reports (the workspace's path
	// inside the repository).
	pathPrefix string
}

// newGitleaksDetector makes the detector for rules and the ignore list and
// baseline read. Close it when done.
func newGitleaksDetector(rules *ruleSet, ignore, baseline *policyFile, prefix string) (*gitleaksDetector, error) {
	g := &gitleaksDetector{rules: rules, ignore: ignore, baseline: baseline, pathPrefix: prefix}
	if baseline != nil {
		g.baselineSkip = baselineSkipPath(baseline)
	}
	if ignore == nil {
		return g, nil
	}
	var err error
	if g.copies, err = newPrivateCopies(); err != nil {
		return nil, err
	}
	forGitleaks, commits := splitIgnore(ignore.data)
	g.commitIgnores = commits
	if g.ignorePath, err = g.copies.write(&policyFile{name: ignore.name, rel: ignore.rel, data: forGitleaks}, "ignore"); err != nil {
		_ = g.copies.remove()
		return nil, err
	}
	return g, nil
}

// loadBaseline parses the baseline on first use (nil for none).
func (g *gitleaksDetector) loadBaseline() (*baseline, error) {
	g.acceptedOnce.Do(func() {
		if g.baseline != nil {
			g.accepted, g.acceptedErr = parseBaseline(g.baseline.data)
		}
	})
	return g.accepted, g.acceptedErr
}

// skips reports whether a fragment from path is not scanned, being the
// baseline's own (gitleaks skips its baseline).
func (g *gitleaksDetector) skips(path string) bool {
	return g.baselineSkip != "" && path == g.baselineSkip
}

// close removes the private copies.
func (g *gitleaksDetector) close() error {
	if g.copies == nil {
		return nil
	}
	return g.copies.remove()
}

// newDetector makes a gitleaks detector with our settings, to scan with
// through g.rules (see secrets.Rules.Detect). Every call makes a fresh
// one: a gitleaks detector accumulates findings.
func (g *gitleaksDetector) newDetector(ctx context.Context) (*detect.Detector, error) {
	// Findings leave gitleaks with the secret replaced by REDACTED, so no
	// secret can reach a report however the code around it changes.
	d := g.rules.rules.NewDetector(ctx, false)
	if g.ignore != nil {
		if err := d.AddGitleaksIgnore(g.ignorePath); err != nil {
			return nil, fmt.Errorf("reading %s: %s", g.ignore.name, strings.ReplaceAll(err.Error(), g.ignorePath, g.ignore.name))
		}
	}
	if g.baseline != nil {
		// Not handed to gitleaks (see baseline.go): the findings it
		// accepts are dropped as they are recorded.
		if _, err := g.loadBaseline(); errors.Is(err, errBaselineFormat) {
			return nil, fmt.Errorf("reading baseline %s (a gitleaks JSON report): the format of the file %s is not supported", g.baseline.name, g.baseline.name)
		} else if err != nil {
			return nil, fmt.Errorf("reading baseline %s (a gitleaks JSON report): %w", g.baseline.name, err)
		}
	}
	return d, nil
}

// scanTree scans files, one worker per core, each taking a core from
// cores for each file (see cores.Pool.Take).
func (g *gitleaksDetector) scanTree(ctx context.Context, repo *gitrepo.Repo, root string, files []trackedFile, cores *cores.Pool, progress func(done int)) (treeResult, error) {
	d, err := g.newDetector(ctx)
	if err != nil {
		return treeResult{}, err
	}
	accepted, _ := g.loadBaseline() // it loaded: newDetector read it
	var (
		next    atomic.Int64
		done    atomic.Int64
		mu      sync.Mutex
		res     treeResult
		readErr []string
		wg      sync.WaitGroup
	)
	files = largestFirst(root, g.withoutAllowlisted(files))
	// One worker per core. Twice as many were no faster on Go's source
	// tree (go-re2 rebuilds its matchers one at a time under a lock after
	// each garbage collection, so extra workers queue there) and each
	// holds its own gitleaks detector: 1.13 of gitleaks' peak memory
	// against 1.01 with one per core, the time the same.
	workers := min(runtime.GOMAXPROCS(0), max(len(files), 1))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			scratch, err := g.newDetector(ctx)
			if err != nil {
				mu.Lock()
				readErr = append(readErr, err.Error())
				mu.Unlock()
				return
			}
			tw := &treeWorker{d: d, scratch: scratch, rules: g.rules.rules, accepted: accepted, skips: g.skips, repo: repo, root: root, buf: make([]byte, fragmentSize+fragmentOverlap)}
			defer tw.close()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) || ctx.Err() != nil {
					return
				}
				give, err := cores.Take(ctx)
				if err != nil {
					return // the context ended: reported below
				}
				out, err := tw.scan(ctx, files[i])
				give()
				mu.Lock()
				if err != nil {
					readErr = append(readErr, err.Error())
				}
				if out.fromGit {
					res.fromGit++
				}
				if out.lfs {
					res.lfs = append(res.lfs, unscanned{path: files[i].path})
				}
				mu.Unlock()
				if n := done.Add(1); progress != nil {
					progress(int(n))
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return treeResult{}, err
	}
	if len(readErr) > 0 {
		sort.Strings(readErr)
		return treeResult{}, fmt.Errorf("could not scan %d tracked file(s), so the scan is incomplete: %s", len(readErr), strings.Join(firstN(readErr, 5), "; "))
	}
	res.leaks = g.leaks(d.Findings())
	return res, nil
}

// treeWorker scans tracked files one at a time, with its own buffer and,
// when it needs git's copy of a file, its own git cat-file process.
type treeWorker struct {
	d *detect.Detector // where the findings that stand are recorded
	// scratch is the worker's own detector, which finds them: a gitleaks
	// detector scans one fragment at a time. rules sets it for each
	// fragment (see secrets.Rules.Detect), with the prefilter: one
	// detector set per fragment rather than one made per setting, as each
	// costs about 12 MB (gitleaks' keyword index).
	scratch  *detect.Detector
	rules    *secrets.Rules
	accepted *baseline // nil for none
	// skips tells the files whose fragments are not scanned (see
	// gitleaksDetector.skips).
	skips func(path string) bool
	repo  *gitrepo.Repo
	root  string
	buf   []byte
	blobs *gitrepo.Blobs
}

func (w *treeWorker) close() {
	if w.blobs != nil {
		_ = w.blobs.Close()
	}
}

// fileOutcome is how one file was scanned.
type fileOutcome struct {
	fromGit bool // git's copy was scanned, not the work tree's
	lfs     bool // a Git LFS pointer whose object is not in the work tree
}

// scan scans one tracked file. The work tree's copy is scanned while it is
// hashed as git hashes a blob: when it is one of the blobs the index
// records, what was scanned is what git stores and its findings stand.
// Otherwise (a checkout that converted it through .gitattributes, eol or
// working-tree-encoding, a local change, a file a sparse checkout left
// out) they are dropped and git's own copy is scanned, read with no
// filter applied. A Git LFS pointer's object is scanned when the work
// tree holds it (its sha256 is the pointer's).
func (w *treeWorker) scan(ctx context.Context, f trackedFile) (fileOutcome, error) {
	full := filepath.Join(w.root, filepath.FromSlash(f.path))
	found, head, proven, err := w.scanDisk(ctx, full, f)
	if err != nil {
		return fileOutcome{}, fmt.Errorf("%s: %w", f.path, err)
	}
	if proven {
		// The work tree holds git's copy: what it holds is scanned, a Git
		// LFS pointer too (one could carry more than a pointer's lines);
		// a pointer's object is not there.
		w.add(found)
		return fileOutcome{lfs: isLFSPointer(head)}, nil
	}
	if w.blobs == nil {
		if w.blobs, err = w.repo.Blobs(ctx); err != nil {
			return fileOutcome{}, fmt.Errorf("%s: %w", f.path, err)
		}
	}
	var out fileOutcome
	for _, oid := range f.objects {
		var pointer []byte
		var fromGit []report.Finding
		err := w.blobs.Read(oid, func(size int64, r io.Reader) error {
			if size <= maxLFSPointer {
				data, err := io.ReadAll(r)
				if err != nil {
					return err
				}
				if isLFSPointer(data) {
					pointer = data
					fromGit, err = w.detectString(ctx, f.path, string(data))
					return err
				}
				r = bytes.NewReader(data)
			}
			if f.link {
				data, err := io.ReadAll(r)
				if err != nil {
					return err
				}
				fromGit, err = w.detectString(ctx, f.path, string(data))
				return err
			}
			fromGit, err = w.detectReader(ctx, f.path, r)
			return err
		})
		if err != nil {
			return fileOutcome{}, fmt.Errorf("%s: reading git's copy: %w", f.path, err)
		}
		if pointer != nil {
			w.add(fromGit) // the pointer's own text
			if lfsInWorkTree(full, pointer) {
				// What the object holds is in no commit: the diff scope
				// and the check of the change's own suppressions see the
				// pointer only. A gitleaks:allow comment in it, which the
				// change could have added unseen, is not honoured.
				strict, err := w.scanIgnoringAllow(ctx, full, f.path)
				if err != nil {
					return fileOutcome{}, fmt.Errorf("%s: reading its Git LFS object: %w", f.path, err)
				}
				w.add(strict)
			} else {
				out.lfs = true
			}
			continue
		}
		w.add(fromGit)
		out.fromGit = true
	}
	return out, nil
}

// add records findings, but those the baseline accepts (the detector
// drops those of .gitleaksignore).
func (w *treeWorker) add(findings []report.Finding) {
	for _, f := range w.accepted.without(findings) {
		w.d.AddFinding(f)
	}
}

// scanDisk scans the work tree's copy of f, hashing it as git would. It
// returns what it found, the first bytes (up to an LFS pointer's size), and
// whether the copy is one of f's blobs. A file missing, unreadable or of
// another type is not an error: it is simply not proven.
func (w *treeWorker) scanDisk(ctx context.Context, full string, f trackedFile) (found []report.Finding, head []byte, proven bool, err error) {
	if f.link {
		target, err := os.Readlink(full)
		if err != nil {
			return nil, nil, false, nil
		}
		if !slices.Contains(f.objects, blobID(w.repo.ObjectFormat(), []byte(target))) {
			return nil, nil, false, nil
		}
		found, err := w.detectString(ctx, f.path, target)
		return found, nil, err == nil, err
	}
	// Never follow a link nor wait on a pipe: what is there is judged by
	// its hash only.
	file, err := openNoFollow(full)
	if err != nil {
		return nil, nil, false, nil
	}
	defer func() { _ = file.Close() }() // only read
	st, err := file.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil, nil, false, nil
	}
	h := newBlobHasher(w.repo.ObjectFormat(), st.Size())
	tee := io.TeeReader(file, h)
	if st.Size() > 0 {
		if found, err = w.detectReader(ctx, f.path, tee); err != nil {
			return nil, nil, false, err
		}
	}
	// The rest of a file the scan stopped reading (binary, an archive).
	if _, err := io.Copy(h, file); err != nil {
		return nil, nil, false, err
	}
	return found, h.head, h.n == st.Size() && slices.Contains(f.objects, h.id()), nil
}

// detectReader scans r as a file's content (see contentFragments),
// returning the findings without recording them.
func (w *treeWorker) detectReader(ctx context.Context, rel string, r io.Reader) ([]report.Finding, error) {
	var found []report.Finding
	var detectErr error
	err := contentFragments(ctx, r, w.buf, func(raw string, line int) {
		if detectErr != nil {
			return
		}
		var fs []report.Finding
		fs, detectErr = w.detect(ctx, sources.Fragment{Raw: raw, FilePath: rel, StartLine: line})
		found = append(found, fs...)
	})
	if err == nil {
		err = detectErr
	}
	return found, err
}

// scanIgnoringAllow scans the work tree's file at full as rel, honouring
// no gitleaks:allow comment.
func (w *treeWorker) scanIgnoringAllow(ctx context.Context, full, rel string) ([]report.Finding, error) {
	f, err := os.Open(full)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	w.scratch.IgnoreGitleaksAllow = true
	defer func() { w.scratch.IgnoreGitleaksAllow = false }()
	return w.detectReader(ctx, rel, f)
}

func (w *treeWorker) detectString(ctx context.Context, rel, content string) ([]report.Finding, error) {
	return w.detect(ctx, sources.Fragment{Raw: content, FilePath: rel, StartLine: 1})
}

// detect scans one fragment with the worker's own detector.
func (w *treeWorker) detect(ctx context.Context, fr sources.Fragment) ([]report.Finding, error) {
	if w.skips(fr.FilePath) {
		return nil, nil
	}
	return w.rules.Detect(ctx, w.scratch, fr, true)
}

// blobHasher hashes content as git hashes a blob of a known size, keeping
// its first bytes.
type blobHasher struct {
	hash.Hash
	n    int64
	head []byte
}

func newBlobHasher(format string, size int64) *blobHasher {
	var h hash.Hash = sha1.New()
	if format == "sha256" {
		h = sha256.New()
	}
	fmt.Fprintf(h, "blob %d\x00", size)
	return &blobHasher{Hash: h}
}

func (b *blobHasher) Write(p []byte) (int, error) {
	if room := maxLFSPointer + 1 - len(b.head); room > 0 {
		b.head = append(b.head, p[:min(room, len(p))]...)
	}
	b.n += int64(len(p))
	return b.Hash.Write(p)
}

func (b *blobHasher) id() string { return hex.EncodeToString(b.Sum(nil)) }

// blobID is the object id git gives content.
func blobID(format string, content []byte) string {
	h := newBlobHasher(format, int64(len(content)))
	_, _ = h.Write(content)
	return h.id()
}

// lfsInWorkTree reports whether the work tree's copy at full is the object
// the Git LFS pointer names.
func lfsInWorkTree(full string, pointer []byte) bool {
	oid, size, ok := lfsObject(pointer)
	if !ok {
		return false
	}
	file, err := openNoFollow(full)
	if err != nil {
		return false
	}
	defer func() { _ = file.Close() }() // only read
	st, err := file.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() != size {
		return false
	}
	h := sha256.New()
	if n, err := io.Copy(h, file); err != nil || n != size {
		return false
	}
	return hex.EncodeToString(h.Sum(nil)) == oid
}

// withoutAllowlisted drops the files a global allowlist excludes by path
// (vendored code, lock files, images). gitleaks would open each and
// return nothing for every fragment; gitleaks dir does not open them, and
// neither does this.
func (g *gitleaksDetector) withoutAllowlisted(files []trackedFile) []trackedFile {
	byPath := g.pathAllowlists()
	if len(byPath) == 0 {
		return files
	}
	kept := files[:0:0]
	for _, f := range files {
		if !g.allowlisted(f.path, byPath) {
			kept = append(kept, f)
		}
	}
	return kept
}

func (g *gitleaksDetector) withoutAllowlistedPaths(us []unscanned) []unscanned {
	byPath := g.pathAllowlists()
	var kept []unscanned
	for _, u := range us {
		if !g.allowlisted(u.path, byPath) {
			kept = append(kept, u)
		}
	}
	return kept
}

// allowlisted reports whether one of the path allowlists excludes path.
func (g *gitleaksDetector) allowlisted(path string, byPath []*glconfig.Allowlist) bool {
	return slices.ContainsFunc(byPath, func(a *glconfig.Allowlist) bool { return a.PathAllowed(path) })
}

// pathAllowlists are the global allowlists that exclude a file by its path
// alone.
func (g *gitleaksDetector) pathAllowlists() []*glconfig.Allowlist {
	var byPath []*glconfig.Allowlist
	for _, a := range g.rules.rules.Base().Allowlists {
		// Only "or" allowlists exclude a file by path alone.
		if a.MatchCondition == glconfig.AllowlistMatchOr && len(a.Paths) > 0 {
			byPath = append(byPath, a)
		}
	}
	return byPath
}

// largestFirst orders files by size, largest first, so that no worker is
// left scanning one big file at the end while the others idle.
func largestFirst(root string, files []trackedFile) []trackedFile {
	size := make(map[string]int64, len(files))
	for _, f := range files {
		if st, err := os.Lstat(filepath.Join(root, filepath.FromSlash(f.path))); err == nil {
			size[f.path] = st.Size()
		}
	}
	sorted := slices.Clone(files)
	slices.SortStableFunc(sorted, func(a, b trackedFile) int { return cmp.Compare(size[b.path], size[a.path]) })
	return sorted
}

// fragmentSize is how much new content one fragment holds (gitleaks' own
// size: its rules run on each fragment whole, so a larger one costs more
// where many rules' keywords appear).
const fragmentSize = 100 * 1000

// fragmentOverlap is how much of the end of a fragment the next one
// starts with: a match up to this long (a key, a token, a private key
// block) is whole in one fragment wherever the cut falls.
const fragmentOverlap = 16 << 10

// contentFragments hands the content r reads to scan in fragments of
// fragmentSize+fragmentOverlap bytes, each but the first starting with the
// last fragmentOverlap bytes of the one before, with the line number of
// its first byte. buf is the space to read into: at least
// fragmentSize+fragmentOverlap bytes.
//
// It replaces gitleaks' own reading of files (sources.File), which a
// change could steer past its content: gitleaks skips unread a file whose
// name says archive (notes.gz, whatever it holds) or whose first bytes are
// the magic of an executable, a PDF or a Flash file (MZ, %PDF, FWS), and it
// cuts fragments with no overlap, so a key placed across a cut is in
// neither half. Here every byte is scanned: archives and real binaries
// too, where the rules find only text stored plainly. A fragment holding
// NUL bytes is also scanned without them, which reads ASCII text stored
// as UTF-16 or UTF-32 (what Windows PowerShell 5 writes), whatever the byte
// order or alignment; lines keep their numbers.
func contentFragments(ctx context.Context, r io.Reader, buf []byte, scan func(raw string, line int)) error {
	buf = buf[:fragmentSize+fragmentOverlap]
	carry, line := 0, 1 // bytes kept at buf's start; the line of buf[0]
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := io.ReadFull(r, buf[carry:])
		end := carry + n
		if n > 0 {
			raw := string(buf[:end])
			scan(raw, line)
			if strings.IndexByte(raw, 0) >= 0 {
				scan(strings.ReplaceAll(raw, "\x00", ""), line)
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil
		}
		if err != nil {
			return err
		}
		// The next fragment starts with the newline that ends a line, when
		// one is up to fragmentOverlap bytes before the overlap: a secret
		// found in both fragments then has the same line and column in
		// both, and is reported once. (gitleaks counts the columns of a
		// fragment's first line from 1 and those of the others from the
		// newline before them, one more: the newline keeps the line the
		// secret is on from being the first.)
		start := end - min(fragmentOverlap, end)
		from := max(0, start-fragmentOverlap)
		if i := bytes.LastIndexByte(buf[from:start], '\n'); i >= 0 {
			start = from + i
		}
		line += bytes.Count(buf[:start], []byte{'\n'})
		copy(buf, buf[start:end])
		carry = end - start
	}
}

func (g *gitleaksDetector) scanCommits(ctx context.Context, src *gitLog, strict *strictScan) ([]leak, []strictLeak, error) {
	pool := &detectorPool{newD: g.newDetector}
	// The first now, so that a policy that cannot be read fails here.
	d, err := pool.get(ctx)
	if err != nil {
		return nil, nil, err
	}
	pool.put(d)
	// One pass over git log for both: each fragment is also handed to the
	// strict scan when it needs it.
	var source sources.Source = src
	if strict != nil {
		source = teeSource{src, func(fr sources.Fragment) { strict.scan(ctx, fr) }}
	}
	err = source.Fragments(ctx, func(fr sources.Fragment, err error) error {
		if err != nil {
			return err
		}
		if g.skips(fr.FilePath) {
			return nil
		}
		// Scanned here, on a core taken for it, with a detector no other
		// goroutine uses meanwhile.
		give, err := src.cores.Take(ctx)
		if err != nil {
			return err
		}
		defer give()
		d, err := pool.get(ctx)
		if err != nil {
			return err
		}
		defer pool.put(d)
		_, err = g.rules.rules.Detect(ctx, d, fr, false)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("scanning commits: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if strict != nil && strict.err != nil {
		return nil, nil, strict.err
	}
	accepted, _ := g.loadBaseline() // it loaded: the first detector read it
	found := g.commitIgnores.without(accepted.without(pool.findings()))
	var only []strictLeak
	if strict != nil {
		only = strict.only(found, g.pathPrefix)
	}
	return g.leaks(found), only, nil
}

// detectorPool lends detectors, each to one goroutine at a time, making
// one when none is free: at most as many as goroutines scan at once (one
// per core taken). They record the findings, but those of .gitleaksignore
// (the baseline's are dropped from what they recorded).
type detectorPool struct {
	newD func(context.Context) (*detect.Detector, error)
	mu   sync.Mutex
	free []*detect.Detector
	made []*detect.Detector
}

func (p *detectorPool) get(ctx context.Context) (*detect.Detector, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		d := p.free[n-1]
		p.free = p.free[:n-1]
		return d, nil
	}
	d, err := p.newD(ctx)
	if err != nil {
		return nil, err
	}
	p.made = append(p.made, d)
	return d, nil
}

func (p *detectorPool) put(d *detect.Detector) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free = append(p.free, d)
}

// findings are what every detector made recorded.
func (p *detectorPool) findings() []report.Finding {
	p.mu.Lock()
	defer p.mu.Unlock()
	var all []report.Finding
	for _, d := range p.made {
		all = append(all, d.Findings()...)
	}
	return all
}

// teeSource is a source that hands each fragment of its source to also
// before yielding it.
type teeSource struct {
	sources.Source
	also func(sources.Fragment)
}

// Fragments implements sources.Source.
func (t teeSource) Fragments(ctx context.Context, yield sources.FragmentsFunc) error {
	return t.Source.Fragments(ctx, func(fr sources.Fragment, err error) error {
		if err == nil {
			t.also(fr)
		}
		return yield(fr, err)
	})
}

// leaks converts gitleaks findings, dropping everything that could hold the
// secret (match, line, secret).
func (g *gitleaksDetector) leaks(findings []report.Finding) []leak {
	out := make([]leak, 0, len(findings))
	for _, f := range findings {
		out = append(out, leak{
			rule:        f.RuleID,
			description: f.Description,
			file:        strings.TrimPrefix(f.File, g.pathPrefix),
			line:        f.StartLine,
			col:         f.StartColumn,
			endLine:     f.EndLine,
			endCol:      f.EndColumn,
			commit:      f.Commit,
		})
	}
	return out
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("and %d more", len(s)-n))
	}
	return s
}
