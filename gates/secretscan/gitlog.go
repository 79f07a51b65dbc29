package secretscan

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gitleaks/go-gitdiff/gitdiff"
	"github.com/zricethezav/gitleaks/v8/cmd/scm"
	"github.com/zricethezav/gitleaks/v8/logging"
	"github.com/zricethezav/gitleaks/v8/sources"

	"github.com/release-gate/release-gate/internal/gitrepo"
)

// gitLog is the commits git log selects, as a gitleaks source. It yields
// the fragments gitleaks' own git source (sources.Git) yields, with these
// differences: git runs through the hardened runner with every option that
// shapes its output stated (nothing of any git configuration changes what
// is parsed); merge commits show what their resolution added beyond the
// automatic merge (--remerge-diff); and git's exit status counts. gitleaks
// waits for git log only to log a failure at debug level, so a git that
// died part-way without a word on stderr (killed for its memory, a signal)
// ended the scan early, and the scan read as complete.
type gitLog struct {
	repo *gitrepo.Repo
	// args select the commits and paths (a range, --all, -- pathspec).
	args []string
	// remerge shows merges' own changes; false only where git cannot
	// (before 2.36), for a history known to hold no merge.
	remerge bool

	// skipBinary, when set, tells the binary files whose content need not
	// be read: every policy scanning the log excludes them by path.
	skipBinary func(path string) bool

	// What the log showed that could not be scanned, filled by Fragments.
	mu       sync.Mutex
	lfs      []unscanned // candidates until confirmed: Git LFS pointers added
	modules  []unscanned // submodule commits added
	binaries []binaryFile
	names    []nameRef // each file name the commits add or change, once
	named    map[string]bool
}

// noteName records the name of a file a commit adds or changes, the first
// time it is seen.
func (s *gitLog) noteName(path, commit string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.named == nil {
		s.named = map[string]bool{}
	}
	if !s.named[path] {
		s.named[path] = true
		s.names = append(s.names, nameRef{path: path, commit: commit})
	}
}

// binaryFile is a file git showed no diff of ("Binary files differ"): its
// content is scanned whole from the object.
type binaryFile struct {
	fragment sources.Fragment // the commit and path; no content
	object   string
}

// gitLogWorkers is how many files' fragments are scanned at once, as many
// as gitleaks' own git source scans.
const gitLogWorkers = 40

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
}

// remergeVersion is the first git that can show what a merge's resolution
// added (--remerge-diff).
var remergeVersion = gitrepo.Version{2, 36, 0}

// command is git's arguments.
func (s *gitLog) command() []string {
	args := append([]string{"log"}, logFormat...)
	if s.remerge {
		args = append(args, "--diff-merges=remerge")
	} else {
		args = append(args, "--diff-merges=off")
	}
	return append(args, s.args...)
}

// Fragments implements sources.Source.
func (s *gitLog) Fragments(ctx context.Context, yield sources.FragmentsFunc) error {
	args := s.command()
	var (
		unread   int64
		yieldErr error
	)
	stderr, err := s.repo.Stream(ctx, args, func(stdout io.Reader) error {
		out := stdout
		if s.remerge {
			out = stripRemergeHeaders(stdout)
		}
		files, err := gitdiff.Parse(out)
		if err != nil {
			return fmt.Errorf("reading git log: %w", err)
		}
		yieldErr = s.scan(ctx, files, yield)
		// The parser stops at a diff it cannot read, silently: whatever git
		// printed after it was never scanned.
		unread, _ = io.Copy(io.Discard, out)
		return nil
	})
	what := "git log " + strings.Join(s.args, " ")
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	var gerr *gitrepo.Error
	if errors.As(err, &gerr) {
		return fmt.Errorf("%s: %s: it stopped before listing every commit, so the scan is incomplete", what, gerr.Msg)
	}
	if err != nil {
		return err
	}
	if unread > 0 {
		return fmt.Errorf("%s: its output could not be read past some point (%d more bytes were not scanned), so the scan is incomplete", what, unread)
	}
	if complained := logStderr(strings.NewReader(stderr)); complained {
		return fmt.Errorf("%s: git reported errors (%s), so the scan may be incomplete", what, oneLine(stderr))
	}
	if yieldErr != nil {
		return yieldErr
	}
	if err := s.scanOctopusMerges(ctx, yield); err != nil {
		return err
	}
	if err := s.scanCommitObjects(ctx, yield); err != nil {
		return err
	}
	return s.scanBinaries(ctx, yield)
}

// scanCommitObjects yields each commit of the log as stored: its author
// and committer, its message, NUL bytes and all. gitleaks scans what
// commits change, never the commits: a key in a message passed. The
// fragments name no file.
func (s *gitLog) scanCommitObjects(ctx context.Context, yield sources.FragmentsFunc) error {
	revs, _ := s.revisions()
	out, err := s.repo.Run(ctx, append([]string{"rev-list"}, revs...)...)
	if err != nil {
		return fmt.Errorf("listing commits: %w", err)
	}
	commits := strings.Fields(string(out))
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

// diffFormat states every option of git diff that shapes the output the
// parser reads, as logFormat does for git log.
var diffFormat = []string{
	"-p", "-U0", "--inter-hunk-context=0",
	"--no-color", "--no-ext-diff", "--no-textconv",
	"--src-prefix=a/", "--dst-prefix=b/", "--no-relative",
	"--diff-algorithm=myers", "--indent-heuristic", "--no-renames", "--full-index",
	"--submodule=short", "--ignore-submodules=none", "--diff-filter=d",
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

// scanOctopusMerges yields what each octopus merge (three parents or more)
// of the log adds that none of its parents has. --remerge-diff shows
// nothing of such a merge (git says so on stdout), so a key it added, and
// a later commit removed, went unseen.
func (s *gitLog) scanOctopusMerges(ctx context.Context, yield sources.FragmentsFunc) error {
	revs, paths := s.revisions()
	out, err := s.repo.Run(ctx, append([]string{"rev-list", "--min-parents=3", "--parents"}, revs...)...)
	if err != nil {
		return fmt.Errorf("listing octopus merges: %w", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		ids := strings.Fields(line)
		if len(ids) < 4 {
			continue
		}
		if err := s.scanOctopus(ctx, ids[0], ids[1:], paths, yield); err != nil {
			return fmt.Errorf("reading octopus merge %s: %w", shortSHA(ids[0]), err)
		}
	}
	return nil
}

// octopusChanges is what a merge changes against each parent read so far:
// the lines it adds, by file and line number in the merge's copy, and the
// binary files and submodule commits it changes.
type octopusChanges struct {
	lines    map[string]map[int64]string
	objects  map[string]string // file → object, of the files of lines
	binaries map[string]string // file → object
	modules  map[string]bool
}

// scanOctopus yields the lines merge adds against every parent, scans
// whole the binary files it changes against every parent, and notes the
// submodule commits it sets that no parent has.
func (s *gitLog) scanOctopus(ctx context.Context, merge string, parents, paths []string, yield sources.FragmentsFunc) error {
	var common *octopusChanges
	for _, parent := range parents {
		ch, err := s.changesAgainst(ctx, parent, merge, paths)
		if err != nil {
			return err
		}
		if common == nil {
			common = ch
			continue
		}
		for file, lines := range common.lines {
			for n, text := range lines {
				if ch.lines[file][n] != text {
					delete(lines, n)
				}
			}
		}
		for file, oid := range common.binaries {
			if ch.binaries[file] != oid {
				delete(common.binaries, file)
			}
		}
		for file := range common.modules {
			if !ch.modules[file] {
				delete(common.modules, file)
			}
		}
	}
	for file := range common.lines {
		s.noteName(file, merge)
	}
	for file := range common.modules {
		s.noteName(file, merge)
	}
	for file, oid := range common.binaries {
		s.noteName(file, merge)
		if s.skipBinary == nil || !s.skipBinary(file) {
			s.binaries = append(s.binaries, binaryFile{fragment: sources.Fragment{CommitSHA: merge, FilePath: file}, object: oid})
		}
	}
	for file := range common.modules {
		s.note(&s.modules, unscanned{path: file, commit: merge})
	}
	for file, lines := range common.lines {
		nums := make([]int64, 0, len(lines))
		for n := range lines {
			nums = append(nums, n)
		}
		slices.Sort(nums)
		// One fragment per run of consecutive lines, as a hunk would be.
		for i := 0; i < len(nums); {
			j := i + 1
			for j < len(nums) && nums[j] == nums[j-1]+1 {
				j++
			}
			var raw strings.Builder
			for _, n := range nums[i:j] {
				raw.WriteString(lines[n])
			}
			if strings.Contains(raw.String(), "oid sha256:") {
				s.note(&s.lfs, unscanned{path: file, commit: merge, object: common.objects[file]})
			}
			fr := sources.Fragment{CommitSHA: merge, FilePath: file, Raw: raw.String(), StartLine: int(nums[i])}
			if err := yield(fr, nil); err != nil {
				return err
			}
			if strings.IndexByte(fr.Raw, 0) >= 0 {
				fr.Raw = strings.ReplaceAll(fr.Raw, "\x00", "")
				if err := yield(fr, nil); err != nil {
					return err
				}
			}
			i = j
		}
	}
	return nil
}

// changesAgainst reads what merge changes against parent.
func (s *gitLog) changesAgainst(ctx context.Context, parent, merge string, paths []string) (*octopusChanges, error) {
	args := append(append([]string{"diff"}, diffFormat...), parent, merge)
	if len(paths) > 0 {
		args = append(append(args, "--"), paths...)
	}
	ch := &octopusChanges{lines: map[string]map[int64]string{}, objects: map[string]string{}, binaries: map[string]string{}, modules: map[string]bool{}}
	var unread int64
	stderr, err := s.repo.Stream(ctx, args, func(stdout io.Reader) error {
		files, err := gitdiff.Parse(stdout)
		if err != nil {
			return err
		}
		for file := range files {
			switch {
			case file.IsDelete:
			case file.NewMode == gitlinkMode:
				ch.modules[file.NewName] = true
			case file.IsBinary:
				if !commitID.MatchString(file.NewOIDPrefix) {
					err = fmt.Errorf("git diff showed the binary file %s without its object id", file.NewName)
					continue
				}
				ch.binaries[file.NewName] = file.NewOIDPrefix
			default:
				ch.objects[file.NewName] = file.NewOIDPrefix
				lines := ch.lines[file.NewName]
				if lines == nil {
					lines = map[int64]string{}
					ch.lines[file.NewName] = lines
				}
				for _, tf := range file.TextFragments {
					n := tf.NewPosition
					for _, l := range tf.Lines {
						switch l.Op {
						case gitdiff.OpAdd:
							lines[n] = l.Line
							n++
						case gitdiff.OpContext:
							n++
						}
					}
				}
			}
		}
		unread, _ = io.Copy(io.Discard, stdout)
		return err
	})
	if err != nil {
		return nil, err
	}
	if unread > 0 {
		return nil, fmt.Errorf("git diff %s %s: its output could not be read past some point", shortSHA(parent), shortSHA(merge))
	}
	if logStderr(strings.NewReader(stderr)) {
		return nil, fmt.Errorf("git diff %s %s: git reported errors (%s)", shortSHA(parent), shortSHA(merge), oneLine(stderr))
	}
	return ch, nil
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

// scan yields the fragments of the files git log printed.
func (s *gitLog) scan(ctx context.Context, files <-chan *gitdiff.File, yield sources.FragmentsFunc) error {
	remote := &sources.RemoteInfo{Platform: scm.NoPlatform}
	var (
		wg       sync.WaitGroup
		sem      = make(chan struct{}, gitLogWorkers)
		errMu    sync.Mutex
		yieldErr error
	)
	for file := range files {
		if ctx.Err() != nil {
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
				Remote:  remote,
				SHA:     sha,
			}
			if h.Author != nil {
				info.AuthorName, info.AuthorEmail = h.Author.Name, h.Author.Email
			}
		}
		s.noteName(file.NewName, sha)
		if file.NewMode == gitlinkMode {
			s.note(&s.modules, unscanned{path: file.NewName, commit: sha})
			continue
		}
		if file.IsBinary {
			if s.skipBinary == nil || !s.skipBinary(file.NewName) {
				if !commitID.MatchString(file.NewOIDPrefix) {
					errMu.Lock()
					if yieldErr == nil {
						yieldErr = fmt.Errorf("git log showed the binary file %s at %s without its object id, so it cannot be scanned", file.NewName, shortSHA(sha))
					}
					errMu.Unlock()
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
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			for _, tf := range file.TextFragments {
				if tf == nil {
					return
				}
				fr := sources.Fragment{
					CommitSHA:  sha,
					FilePath:   file.NewName,
					Raw:        tf.Raw(gitdiff.OpAdd),
					StartLine:  int(tf.NewPosition),
					CommitInfo: info,
				}
				frs := []sources.Fragment{fr}
				if strings.IndexByte(fr.Raw, 0) >= 0 {
					// Text git diffs as text (no NUL in its first 8000
					// bytes) may still be UTF-16 further on: see
					// contentFragments.
					stripped := fr
					stripped.Raw = strings.ReplaceAll(fr.Raw, "\x00", "")
					frs = append(frs, stripped)
				}
				for _, fr := range frs {
					if err := yield(fr, nil); err != nil {
						errMu.Lock()
						if yieldErr == nil {
							yieldErr = err
						}
						errMu.Unlock()
						return
					}
				}
			}
		}()
	}
	for range files {
		// After a break, let the parser finish so that it and git can end.
	}
	wg.Wait()
	return yieldErr
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

// stripRemergeHeaders drops the lines --remerge-diff adds to a file's
// header ("remerge CONFLICT (content): …"), which the diff parser does not
// know and would end the header at. No line of a diff's content starts so:
// content lines start with a space, +, - or \, and commit messages are
// indented.
func stripRemergeHeaders(r io.Reader) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		br := bufio.NewReaderSize(r, 64<<10)
		bw := bufio.NewWriterSize(pw, 64<<10)
		lineStart, dropping := true, false
		for {
			chunk, err := br.ReadSlice('\n')
			if lineStart {
				dropping = bytes.HasPrefix(chunk, []byte("remerge "))
			}
			if !dropping && len(chunk) > 0 {
				if _, werr := bw.Write(chunk); werr != nil {
					pw.CloseWithError(werr)
					return
				}
			}
			lineStart = len(chunk) > 0 && chunk[len(chunk)-1] == '\n'
			if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
				if errors.Is(err, io.EOF) {
					err = bw.Flush()
				}
				pw.CloseWithError(err)
				return
			}
		}
	}()
	return pr
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
