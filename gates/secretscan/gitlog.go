package secretscan

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gitleaks/go-gitdiff/gitdiff"
	"github.com/zricethezav/gitleaks/v8/cmd/scm"
	"github.com/zricethezav/gitleaks/v8/logging"
	"github.com/zricethezav/gitleaks/v8/sources"

	"github.com/release-gate/release-gate/internal/cores"
	"github.com/release-gate/release-gate/internal/gitrepo"
)

// gitLog is the commits git log selects, as a gitleaks source. It yields
// the fragments gitleaks' own git source (sources.Git) yields, with these
// differences: git runs through the hardened runner with every option that
// shapes its output stated (nothing of any git configuration changes what
// is parsed); merge commits are read for what no parent holds (see
// scanMerges); and git's exit status counts. gitleaks
// waits for git log only to log a failure at debug level, so a git that
// died part-way without a word on stderr (killed for its memory, a signal)
// ended the scan early, and the scan read as complete.
type gitLog struct {
	repo *gitrepo.Repo
	// args select the commits and paths (a range, --all, -- pathspec).
	args []string
	// listed, when not nil, are the commits git rev-list lists for args'
	// revisions (see revisions), listed already.
	listed []string
	// skipBinary, when set, tells the binary files whose content need not
	// be read: every policy scanning the log excludes them by path.
	skipBinary func(path string) bool

	// cores is taken for each fragment scanned (see scanCommits).
	cores *cores.Pool

	// parts is how many git logs show the commits, each its own part of
	// them (see splitLog); 0 for one per core. splitMin is the fewest
	// commits worth more than one; 0 for logSplitMin.
	parts, splitMin int

	// What the log showed that could not be scanned, filled by Fragments.
	mu       sync.Mutex
	lfs      []unscanned // candidates until confirmed: Git LFS pointers added
	modules  []unscanned // submodule commits added
	binaries []binaryFile
	names    []nameRef // each file name the commits add or change, once
	// named is where each name is in names, and the place in the log of
	// the commit it names.
	named map[string]namedAt
	// rank is each commit's place in git rev-list's order of the log's
	// commits (see ranks).
	rank map[string]int
}

// namedAt is where a name is in names and the rank of its commit.
type namedAt struct{ index, rank int }

// noteName records the name of a file a commit adds or changes, with the
// commit that comes first in git rev-list's order of the log (the newest), whichever git log printed it first and in
// whatever order: the same commit however the log is shown (see splitLog).
// Commits of equal rank (none but those outside the list) are ordered by
// id. after notes a name seen once the log is read, kept only if the log
// showed it nowhere.
func (s *gitLog) noteName(path, commit string, after bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.named == nil {
		s.named = map[string]namedAt{}
	}
	rank, ok := s.rank[commit]
	switch {
	case after:
		rank = math.MaxInt
	case !ok:
		rank = math.MaxInt - 1
	}
	at, seen := s.named[path]
	switch {
	case !seen:
		s.named[path] = namedAt{len(s.names), rank}
		s.names = append(s.names, nameRef{path: path, commit: commit})
	case rank < at.rank || (rank == at.rank && commit < s.names[at.index].commit):
		s.named[path] = namedAt{at.index, rank}
		s.names[at.index].commit = commit
	}
}

// sortNames puts the names in a fixed order, by the rank of their commit
// and then by path, once the log is read: the order they were noted in
// depends on which git log printed them first.
func (s *gitLog) sortNames() {
	s.mu.Lock()
	defer s.mu.Unlock()
	slices.SortFunc(s.names, func(a, b nameRef) int {
		if c := cmp.Compare(s.named[a.path].rank, s.named[b.path].rank); c != 0 {
			return c
		}
		return strings.Compare(a.path, b.path)
	})
	for i, n := range s.names {
		s.named[n.path] = namedAt{i, s.named[n.path].rank}
	}
}

// listCommits lists the log's commits in git rev-list's order.
func (s *gitLog) listCommits(ctx context.Context) ([]string, error) {
	if s.listed != nil {
		return s.listed, nil
	}
	revs, _ := s.revisions()
	out, err := s.repo.Run(ctx, append([]string{"rev-list"}, revs...)...)
	if err != nil {
		return nil, fmt.Errorf("listing commits: %w", err)
	}
	return strings.Fields(string(out)), nil
}

// binaryFile is a file git showed no diff of ("Binary files differ"): its
// content is scanned whole from the object.
type binaryFile struct {
	fragment sources.Fragment // the commit and path; no content
	object   string
}

// logQueue is how many files git log printed may wait for a detection
// worker: enough that git and the parser keep running while the workers
// are busy with a large commit, and the other way round, with memory
// bounded (the parser holds a file's added lines whole either way).
const logQueue = 512

// logWorkers is how many files' fragments are scanned at once: one per
// core. More only wait: go-re2 gives each goroutine matching at once a
// module of its own, made under one lock and dropped at each garbage
// collection, so 40 workers (as gitleaks' own git source runs) spent a
// third of the scan waiting on that lock with the cores idle.
func logWorkers() int { return max(1, runtime.GOMAXPROCS(0)) }

var _ sources.Source = (*gitLog)(nil)

// logFormat states every option of git log that shapes the output the
// parser reads, so that no configuration (color.ui, diff.noprefix,
// format.pretty, log.abbrevCommit, diff.relative, log.showSignature,
// diff.renames, diff.algorithm, diff.submodule, log.showRoot…) changes it.
var logFormat = []string{
	"-p", "-U0", "--inter-hunk-context=0",
	"--no-color", "--no-ext-diff", "--no-textconv",
	"--src-prefix=a/", "--dst-prefix=b/", "--no-relative",
	"--pretty=medium", "--date=default", "--no-abbrev-commit", "--no-decorate",
	"--no-show-signature", "--no-mailmap", "--no-notes", "--encoding=UTF-8",
	"--diff-algorithm=myers", "--indent-heuristic", "--find-renames", "--full-index",
	"--submodule=short", "--ignore-submodules=none", "--root", "--no-follow",
	// Merges are shown by scanMerges.
	"--diff-merges=off",
}

// command is git's arguments to show the commits sel selects.
func (s *gitLog) command(sel []string) []string {
	args := append([]string{"log"}, logFormat...)
	return append(args, sel...)
}

// Fragments implements sources.Source. The commits themselves (see
// scanCommitObjects) are scanned while git log runs, by a reader of their
// own: neither waits for the other.
func (s *gitLog) Fragments(ctx context.Context, yield sources.FragmentsFunc) error {
	commits, err := s.listCommits(ctx)
	if err != nil {
		return err
	}
	octx, cancel := context.WithCancel(ctx)
	defer cancel()
	objects := make(chan error, 1)
	go func() { objects <- s.scanCommitObjects(octx, commits, yield) }()
	err = s.fragments(ctx, commits, yield)
	if err != nil {
		cancel()
	}
	if oerr := <-objects; err == nil {
		err = oerr
	}
	return err
}

// fragments yields what git log prints and what the merges add (see
// scanMerges), then the binary files they showed. The log is shown by one
// git per core, each showing its own part of the commits (see splitLog),
// into one pool of detection workers.
func (s *gitLog) fragments(ctx context.Context, commits []string, yield sources.FragmentsFunc) error {
	n, least := s.parts, s.splitMin
	if n == 0 {
		n = logWorkers()
	}
	if least == 0 {
		least = logSplitMin
	}
	s.rank = make(map[string]int, len(commits))
	for i, c := range commits {
		s.rank[c] = i
	}
	parts, err := s.splitLog(ctx, commits, n, least)
	if err != nil {
		return err
	}
	p := newLogPipeline(s, yield)
	// The merges (see scanMerges) are read alongside, the last error.
	errs := make([]error, len(parts)+1)
	var wg sync.WaitGroup
	for i, sel := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.showPart(ctx, sel, p)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs[len(parts)] = s.scanMerges(ctx, yield)
	}()
	wg.Wait()
	yieldErr := p.close()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if yieldErr != nil {
		return yieldErr
	}
	s.sortNames()
	return s.scanBinaries(ctx, yield)
}

// showPart runs git log for the commits sel selects and hands the files it
// prints to p.
func (s *gitLog) showPart(ctx context.Context, sel []string, p *logPipeline) error {
	stderr, err := s.repo.Stream(ctx, s.command(sel), func(stdout io.Reader) error {
		files, err := gitdiff.Parse(stdout)
		if err != nil {
			return fmt.Errorf("reading its output: %w", err)
		}
		p.feed(ctx, files)
		// The parser stops at a diff it cannot read, silently: whatever git
		// printed after it was never scanned.
		if unread, _ := io.Copy(io.Discard, stdout); unread > 0 {
			return fmt.Errorf("its output could not be read past some point (%d more bytes were not scanned), so the scan is incomplete", unread)
		}
		return nil
	})
	return logEnded(ctx, "git log "+strings.Join(s.args, " "), "commit", err, stderr)
}

// logEnded judges how a git log a scope read ended (what names it): the
// context's end, git failing (it may have stopped before listing every
// one of what it lists), an error reading its output, and anything git
// printed on stderr but its benign warnings make the scan incomplete, an
// error.
func logEnded(ctx context.Context, what, lists string, err error, stderr string) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	var gerr *gitrepo.Error
	if errors.As(err, &gerr) {
		return fmt.Errorf("%s: %s: it stopped before listing every %s, so the scan is incomplete", what, gerr.Msg, lists)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if logStderr(strings.NewReader(stderr)) {
		return fmt.Errorf("%s: git reported errors (%s), so the scan may be incomplete", what, oneLine(stderr))
	}
	return nil
}

// logSplitMin is the fewest commits worth more than one git log.
const logSplitMin = 256

// splitLog divides the commits the log selects into n parts, each
// selected by its own arguments for git log, that hold every commit once:
// picking commits m1…mk of the log, part 0 is the log without the
// ancestors of any mi, and part i the ancestors of mi that the log selects
// and no later mj reaches. Each commit's diff is the same whichever git
// shows it. The parts are checked against git rev-list (every commit of
// the log in exactly one part); when they do not hold (or the log is
// small, or history simplification by path could tell another story for
// a part) or when the log holds fewer than least commits, it is one part,
// the log as it is.
func (s *gitLog) splitLog(ctx context.Context, commits []string, n, least int) ([][]string, error) {
	whole := [][]string{s.args}
	revs, paths := s.revisions()
	if n < 2 || (len(paths) > 0 && !slices.Contains(revs, "--full-history")) {
		// Without --full-history, which commits git log -- path shows
		// depends on the walk (a merge TREESAME to one parent hides the
		// other side): a part could show more.
		return whole, nil
	}
	var opts, diffOpts []string
	for _, a := range s.args {
		if a == "--" {
			break
		}
		switch {
		case a == "--full-history":
			opts = append(opts, a)
		case strings.HasPrefix(a, "--diff-filter="):
			diffOpts = append(diffOpts, a)
		case a == "--all":
		case strings.HasPrefix(a, "-"):
			return whole, nil // an option this split does not know
		}
	}
	if len(commits) < max(least, n) {
		return whole, nil
	}
	spec, err := s.repo.Run(ctx, append([]string{"rev-parse", "--revs-only", "--no-flags"}, revs...)...)
	if err != nil {
		return nil, fmt.Errorf("reading the log's revisions: %w", err)
	}
	var negatives []string
	for _, r := range strings.Fields(string(spec)) {
		if strings.HasPrefix(r, "^") {
			negatives = append(negatives, r)
		}
	}
	marks := make([]string, 0, n-1)
	for i := 1; i < n; i++ {
		marks = append(marks, commits[i*len(commits)/n])
	}
	tail := append(slices.Clone(diffOpts), "--")
	tail = append(tail, paths...)
	parts := make([][]string, n)
	for i := range parts {
		var sel []string
		if i == 0 {
			sel = slices.Clone(revs)
		} else {
			sel = append(append(slices.Clone(opts), marks[i-1]), negatives...)
		}
		for _, m := range marks[i:] {
			sel = append(sel, "^"+m)
		}
		parts[i] = sel
	}
	// Every commit of the log in exactly one part, and nothing else.
	want := slices.Clone(commits)
	slices.Sort(want)
	// Each part's list at once: they are on the way to the first diff.
	lists := make([][]string, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, sel := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := s.repo.Run(ctx, append([]string{"rev-list"}, sel...)...)
			lists[i], errs[i] = strings.Fields(string(out)), err
		}()
	}
	wg.Wait()
	var got []string
	for i := range parts {
		if errs[i] != nil {
			return nil, fmt.Errorf("listing commits: %w", errs[i])
		}
		got = append(got, lists[i]...)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		return whole, nil
	}
	for i := range parts {
		parts[i] = append(parts[i], tail...)
	}
	return parts, nil
}

// scanCommitObjects yields each commit of the log (commits, in git
// rev-list's order) as stored: its author and committer, its message, NUL
// bytes and all. gitleaks scans what commits change, never the commits: a
// key in a message passed. The fragments name no file.
func (s *gitLog) scanCommitObjects(ctx context.Context, commits []string, yield sources.FragmentsFunc) error {
	if len(commits) == 0 {
		return nil
	}
	blobs, err := s.repo.Blobs(ctx)
	if err != nil {
		return err
	}
	defer blobs.Close()
	buf := make([]byte, fragmentSize+fragmentOverlap)
	for _, c := range commits {
		var yieldErr error
		err := blobs.ReadCommit(c, func(_ int64, r io.Reader) error {
			return contentFragments(ctx, r, buf, func(raw string, line int) {
				if err := yield(sources.Fragment{CommitSHA: c, Raw: raw, StartLine: line}, nil); err != nil && yieldErr == nil {
					yieldErr = err
				}
			})
		})
		if err != nil {
			return fmt.Errorf("reading commit %s: %w", shortSHA(c), err)
		}
		if yieldErr != nil {
			return yieldErr
		}
	}
	return nil
}

// revisions splits the log's arguments into those that select commits (for
// git rev-list) and the paths.
func (s *gitLog) revisions() (revs, paths []string) {
	for i, a := range s.args {
		if a == "--" {
			return revs, s.args[i+1:]
		}
		if !strings.HasPrefix(a, "--diff-filter") {
			revs = append(revs, a)
		}
	}
	return revs, nil
}

// scanBinaries yields the content of the binary files the log showed, whole
// (see contentFragments). git shows no diff of a file with a NUL byte in
// its first 8000 bytes, and gitleaks scans nothing of it: one NUL before a
// key, or a file in UTF-16, hid the key from the scan.
func (s *gitLog) scanBinaries(ctx context.Context, yield sources.FragmentsFunc) error {
	if len(s.binaries) == 0 {
		return nil
	}
	blobs, err := s.repo.Blobs(ctx)
	if err != nil {
		return err
	}
	defer blobs.Close()
	buf := make([]byte, fragmentSize+fragmentOverlap)
	for _, b := range s.binaries {
		var yieldErr error
		err := blobs.Read(b.object, func(_ int64, r io.Reader) error {
			return contentFragments(ctx, r, buf, func(raw string, line int) {
				fr := b.fragment
				fr.Raw, fr.StartLine = raw, line
				if err := yield(fr, nil); err != nil && yieldErr == nil {
					yieldErr = err
				}
			})
		})
		if err != nil {
			return fmt.Errorf("reading %s at %s: %w", b.fragment.FilePath, shortSHA(b.fragment.CommitSHA), err)
		}
		if yieldErr != nil {
			return yieldErr
		}
	}
	return nil
}

// logPipeline scans the files git log prints: they wait in a bounded
// queue for a fixed pool of workers (see logQueue and logWorkers), so that
// git, the parser and detection run at once, none waiting for another
// while there is room.
type logPipeline struct {
	s      *gitLog
	yield  sources.FragmentsFunc
	remote *sources.RemoteInfo
	jobs   chan logJob
	wg     sync.WaitGroup

	mu  sync.Mutex
	err error // the first error, after which files are only drained
}

// logJob is one file of the log to scan.
type logJob struct {
	file *gitdiff.File
	sha  string
	info *sources.CommitInfo
}

func newLogPipeline(s *gitLog, yield sources.FragmentsFunc) *logPipeline {
	p := &logPipeline{s: s, yield: yield, remote: &sources.RemoteInfo{Platform: scm.NoPlatform}, jobs: make(chan logJob, logQueue)}
	for range logWorkers() {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for j := range p.jobs {
				if p.failed() {
					continue // drain: the parsers must not block
				}
				if err := s.yieldFile(j.file, j.sha, j.info, yield); err != nil {
					p.fail(err)
				}
			}
		}()
	}
	return p
}

func (p *logPipeline) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = err
	}
}

func (p *logPipeline) failed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err != nil
}

// close waits for the workers and returns the first error.
func (p *logPipeline) close() error {
	close(p.jobs)
	p.wg.Wait()
	return p.err
}

// feed queues the files one git log printed, noting what cannot be
// scanned as text, until files ends (or the context or the scan does).
func (p *logPipeline) feed(ctx context.Context, files <-chan *gitdiff.File) {
	s := p.s
	for file := range files {
		if ctx.Err() != nil || p.failed() {
			break
		}
		if file.IsDelete {
			continue
		}
		var info *sources.CommitInfo
		sha := ""
		if h := file.PatchHeader; h != nil {
			sha = h.SHA
			info = &sources.CommitInfo{
				Date:    h.AuthorDate.UTC().Format(time.RFC3339),
				Message: h.Message(),
				Remote:  p.remote,
				SHA:     sha,
			}
			if h.Author != nil {
				info.AuthorName, info.AuthorEmail = h.Author.Name, h.Author.Email
			}
		}
		s.noteName(file.NewName, sha, false)
		if file.NewMode == gitlinkMode {
			s.note(&s.modules, unscanned{path: file.NewName, commit: sha})
			continue
		}
		if file.IsBinary {
			if s.skipBinary == nil || !s.skipBinary(file.NewName) {
				if !commitID.MatchString(file.NewOIDPrefix) {
					p.fail(fmt.Errorf("git log showed the binary file %s at %s without its object id, so it cannot be scanned", file.NewName, shortSHA(sha)))
					break
				}
				s.mu.Lock()
				s.binaries = append(s.binaries, binaryFile{
					fragment: sources.Fragment{CommitSHA: sha, FilePath: file.NewName, CommitInfo: info},
					object:   file.NewOIDPrefix,
				})
				s.mu.Unlock()
			}
			continue
		}
		if mayBeLFSPointer(file) {
			s.note(&s.lfs, unscanned{path: file.NewName, commit: sha, object: file.NewOIDPrefix})
		}
		p.jobs <- logJob{file, sha, info}
	}
	for range files {
		// After a break, let the parser finish so that it and git can end.
	}
}

// yieldFile yields the fragments of one file of the log: the lines each
// hunk adds.
func (s *gitLog) yieldFile(file *gitdiff.File, sha string, info *sources.CommitInfo, yield sources.FragmentsFunc) error {
	for _, tf := range file.TextFragments {
		if tf == nil {
			return nil
		}
		fr := sources.Fragment{
			CommitSHA:  sha,
			FilePath:   file.NewName,
			Raw:        tf.Raw(gitdiff.OpAdd),
			StartLine:  int(tf.NewPosition),
			CommitInfo: info,
		}
		if err := yield(fr, nil); err != nil {
			return err
		}
		if strings.IndexByte(fr.Raw, 0) >= 0 {
			// Text git diffs as text (no NUL in its first 8000 bytes) may
			// still be UTF-16 further on: see contentFragments.
			fr.Raw = strings.ReplaceAll(fr.Raw, "\x00", "")
			if err := yield(fr, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *gitLog) note(list *[]unscanned, u unscanned) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*list = append(*list, u)
}

// gitlinkMode is the mode git gives a submodule.
const gitlinkMode = os.FileMode(0o160000)

// mayBeLFSPointer reports whether the change adds a line a Git LFS pointer
// changes whenever its object does.
func mayBeLFSPointer(f *gitdiff.File) bool {
	for _, tf := range f.TextFragments {
		for _, l := range tf.Lines {
			if l.Op == gitdiff.OpAdd && strings.HasPrefix(l.Line, "oid sha256:") {
				return true
			}
		}
	}
	return false
}

// lfsPointers keeps the candidates whose blob is indeed a Git LFS pointer.
func lfsPointers(ctx context.Context, repo *gitrepo.Repo, candidates []unscanned) ([]unscanned, error) {
	if len(candidates) == 0 {
		return nil, nil
	}
	blobs, err := repo.Blobs(ctx)
	if err != nil {
		return nil, err
	}
	defer blobs.Close()
	var out []unscanned
	for _, c := range candidates {
		var is bool
		err := blobs.Read(c.object, func(size int64, r io.Reader) error {
			if size <= maxLFSPointer {
				data, err := io.ReadAll(r)
				is = err == nil && isLFSPointer(data)
				return err
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading %s at %s: %w", c.path, shortSHA(c.commit), err)
		}
		if is {
			out = append(out, c)
		}
	}
	return out, nil
}

// logStderr logs each line git printed on stderr as gitleaks does: the
// warnings git prints on big histories, which do not change what is
// listed, as warnings (they become notes); it reports whether any other
// line was printed.
func logStderr(r io.Reader) (errors bool) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if benign(line) {
			logging.Warn().Msg(line)
			continue
		}
		errors = true
	}
	return errors || sc.Err() != nil
}

// oneLine joins lines with "; ".
func oneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}
