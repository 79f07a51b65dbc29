package secretscan

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/zricethezav/gitleaks/v8/sources"

	"github.com/release-gate/release-gate/internal/gitrepo"
)

// What a merge adds is what no parent has. gitleaks shows no merge: a key
// a merge's resolution added (an "evil merge"), and a later commit
// removed, was never read. git log --remerge-diff shows a merge against
// the merge git would have made, but it makes that merge again for every
// merge of the log: on git's own history that is 7 times the time of the
// whole log without it. A line of the merge's copy of a file that is in
// one of its parents' copies was shown where that parent's side added it
// (or is in the base, which the scope does not scan): only the other lines
// can hold a secret no commit of the log showed. So each merge is read as
// follows:
//
//   - git log -c --raw lists the files whose content differs from every
//     parent's (a file the merge took whole from one side is not listed),
//     with the object ids of each parent's copy and the merge's;
//   - the lines of the merge's copy that no parent's copy holds are
//     scanned, each run of consecutive lines as one fragment at its line
//     number in the merge's copy;
//   - a binary copy (a NUL in its first 8000 bytes, as git decides) is
//     scanned whole, as the log's binary files are; a submodule commit is
//     noted as unscanned.
//
// This reads more than --remerge-diff would show (a line the merge
// moved is scanned again), never less.

// mergeFormat lists, for each merge the log selects, the files it changes
// against every parent, NUL-separated (paths as they are, never quoted),
// with every option that shapes that output stated.
var mergeFormat = []string{
	"--merges", "-c", "--raw", "-z", "--no-abbrev", "--no-renames", "--no-color",
	"--no-ext-diff", "--no-textconv", "--no-relative", "--ignore-submodules=none",
	"--format=C %H %P",
}

// mergeFile is a file a merge changes against every parent.
type mergeFile struct {
	path    string
	mode    string   // the merge's copy
	oid     string   // the merge's copy
	parents []string // each parent's copy, "" where it has none (or a submodule)
}

// maxMergeLines is the largest copy (merge or parent) read into memory to
// compare lines; a larger merge copy is scanned whole.
const maxMergeLines = 16 << 20

// scanMerges yields what the merges of the log add that no parent has.
// The files git lists are read as it lists them, by one worker per core,
// each with its own git cat-file.
func (s *gitLog) scanMerges(ctx context.Context, yield sources.FragmentsFunc) error {
	args := append(append([]string{"log"}, mergeFormat...), s.args...)
	type job struct {
		merge string
		file  mergeFile
	}
	jobs := make(chan job, logQueue)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return first != nil
	}
	for range logWorkers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var blobs *gitrepo.Blobs
			defer func() {
				if blobs != nil {
					_ = blobs.Close()
				}
			}()
			buf := make([]byte, fragmentSize+fragmentOverlap)
			for j := range jobs {
				if failed() || ctx.Err() != nil {
					continue // drain: the listing must not block
				}
				err := error(nil)
				if blobs == nil {
					blobs, err = s.repo.Blobs(ctx)
				}
				if err == nil {
					if err = s.scanMergeFile(ctx, blobs, buf, j.merge, j.file, yield); err != nil {
						err = fmt.Errorf("reading %s at the merge %s: %w", j.file.path, shortSHA(j.merge), err)
					}
				}
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	stderr, err := s.repo.Stream(ctx, args, func(stdout io.Reader) error {
		return parseMergeRaw(stdout, func(merge string, f mergeFile) {
			if !failed() && ctx.Err() == nil {
				jobs <- job{merge, f}
			}
		})
	})
	close(jobs)
	wg.Wait()
	if err := logEnded(ctx, "git log -c "+strings.Join(s.args, " "), "merge", err, stderr); err != nil {
		return err
	}
	return first
}

// scanMergeFile yields the lines of the merge's copy of f that no parent's
// copy holds.
func (s *gitLog) scanMergeFile(ctx context.Context, blobs *gitrepo.Blobs, buf []byte, merge string, f mergeFile, yield sources.FragmentsFunc) error {
	switch f.mode {
	case "000000":
		return nil // the merge deletes it
	case "160000":
		s.noteName(f.path, merge, false)
		s.note(&s.modules, unscanned{path: f.path, commit: merge})
		return nil
	}
	s.noteName(f.path, merge, false)
	content, whole, err := readSmall(blobs, f.oid)
	if err != nil {
		return err
	}
	binary := whole && bytes.IndexByte(content[:min(len(content), 8000)], 0) >= 0
	if !whole || binary {
		if binary && s.skipBinary != nil && s.skipBinary(f.path) {
			return nil
		}
		s.mu.Lock()
		s.binaries = append(s.binaries, binaryFile{fragment: sources.Fragment{CommitSHA: merge, FilePath: f.path}, object: f.oid})
		s.mu.Unlock()
		return nil
	}
	// Each parent's copy read once: an octopus may take one from two sides.
	read := map[string]bool{}
	parent := func(i int) (string, bool, error) {
		oid := f.parents[i]
		if oid == "" || read[oid] {
			return "", false, nil
		}
		read[oid] = true
		copy, whole, err := readSmall(blobs, oid)
		return string(copy), whole, err
	}
	return addedRuns(string(content), len(f.parents), parent, func(start int, raw string) error {
		if strings.Contains(raw, "oid sha256:") {
			s.note(&s.lfs, unscanned{path: f.path, commit: merge, object: f.oid})
		}
		var yieldErr error
		err := contentFragments(ctx, strings.NewReader(raw), buf, func(text string, line int) {
			fr := sources.Fragment{CommitSHA: merge, FilePath: f.path, Raw: text, StartLine: start + line - 1}
			if err := yield(fr, nil); err != nil && yieldErr == nil {
				yieldErr = err
			}
		})
		if err != nil {
			return err
		}
		return yieldErr
	})
}

// addedRuns calls fn with each run of consecutive lines of content (a
// merge's copy of a file) that no parent's copy holds, and the number of
// the run's first line. parent(i), for i below n, reads parent i's copy;
// whole is false when there is none to compare (too large, or read
// already), and its lines then count as held by none.
//
// Reading every line of every parent's copy into a set made each merge cost
// the size of its file however little it changed: a 4 MB file that 1,000
// merges each change by one line took 368 ms a merge. The lines content
// shares with the first parent's copy at its start and at its end (found
// comparing bytes) are that copy's lines, held; only the lines between
// are looked for, in every parent's copy, and the other parents are read
// only while some line is not found. What is reported is the same:
// TestAddedRunsAsEveryLineLookedUp holds it to the plain statement.
func addedRuns(content string, n int, parent func(i int) (copy string, whole bool, err error), fn func(start int, run string) error) error {
	lo, hi := 0, len(content)
	var first string // the first parent's copy, when there is one to compare
	if n > 0 {
		c, whole, err := parent(0)
		if err != nil {
			return err
		}
		if whole {
			lo, hi = sharedEnds(content, c)
			first = c
		}
	}
	middle := content[lo:hi]
	held := map[string]bool{}
	for line := range strings.Lines(middle) {
		held[line] = false
	}
	unheld := len(held)
	mark := func(c string) {
		if unheld <= 16 {
			for line, h := range held {
				if !h && holdsLine(c, line) {
					held[line] = true
					unheld--
				}
			}
			return
		}
		for line := range strings.Lines(c) {
			if h, ok := held[line]; ok && !h {
				held[line] = true
				unheld--
			}
		}
	}
	mark(first)
	for i := 1; i < n && unheld > 0; i++ {
		c, whole, err := parent(i)
		if err != nil {
			return err
		}
		if whole {
			mark(c)
		}
	}
	if unheld == 0 {
		return nil
	}
	num := strings.Count(content[:lo], "\n")
	var run strings.Builder
	start := 0
	for line := range strings.Lines(middle) {
		num++
		if held[line] {
			if run.Len() > 0 {
				if err := fn(start, run.String()); err != nil {
					return err
				}
				run.Reset()
			}
			continue
		}
		if run.Len() == 0 {
			start = num
		}
		run.WriteString(line)
	}
	if run.Len() > 0 {
		return fn(start, run.String())
	}
	return nil
}

// sharedEnds returns the end (lo) of the lines content shares with other
// at its start, and the start (hi) of those it shares at its end: every
// line of content before lo and from hi on is a line of other.
func sharedEnds(content, other string) (lo, hi int) {
	p := commonPrefix(content, other)
	if p == len(content) && p == len(other) {
		return len(content), len(content)
	}
	// The lines whose newline is in the common part.
	lo = strings.LastIndexByte(content[:p], '\n') + 1
	c, o := content[lo:], other[lo:]
	m := commonSuffix(c, o)
	// A line from a newline inside the common end on is other's too; the
	// common end's first line may have started earlier in either.
	j := strings.IndexByte(c[len(c)-m:], '\n')
	if j < 0 {
		return lo, len(content)
	}
	return lo, lo + len(c) - m + j + 1
}

// commonPrefix is the length of the longest common prefix of a and b,
// compared 64 bytes at a time first.
func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i+64 <= n && a[i:i+64] == b[i:i+64] {
		i += 64
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// commonSuffix is the length of the longest common suffix of a and b.
func commonSuffix(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i+64 <= n && a[len(a)-i-64:len(a)-i] == b[len(b)-i-64:len(b)-i] {
		i += 64
	}
	for i < n && a[len(a)-1-i] == b[len(b)-1-i] {
		i++
	}
	return i
}

// holdsLine reports whether c has a line equal to line (which ends with
// its newline, or is the last line of its text without one).
func holdsLine(c, line string) bool {
	whole := strings.HasSuffix(line, "\n")
	for at := 0; ; {
		i := strings.Index(c[at:], line)
		if i < 0 {
			return false
		}
		i += at
		if (i == 0 || c[i-1] == '\n') && (whole || i+len(line) == len(c)) {
			return true
		}
		at = i + 1
	}
}

// readSmall reads the blob oid whole when it is at most maxMergeLines
// bytes; whole is false (and content nil) when it is larger.
func readSmall(blobs *gitrepo.Blobs, oid string) (content []byte, whole bool, err error) {
	err = blobs.Read(oid, func(size int64, r io.Reader) error {
		if size > maxMergeLines {
			return nil
		}
		content = make([]byte, size)
		_, err := io.ReadFull(r, content)
		whole = err == nil
		return err
	})
	return content, whole, err
}

// parseMergeRaw reads git log -c --raw -z output (see mergeFormat) and
// hands each file to fn with its merge. Anything that does not have the
// shape git gives it is an error: a file left unread could hold a key.
func parseMergeRaw(r io.Reader, fn func(merge string, f mergeFile)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		merge   string
		parents int
	)
	next := func() (string, error) {
		tok, err := br.ReadString(0)
		if err != nil {
			if errors.Is(err, io.EOF) && tok == "" {
				return "", io.EOF
			}
			if errors.Is(err, io.EOF) {
				// The last field may end without a NUL.
				return tok, nil
			}
			return "", err
		}
		return strings.TrimSuffix(tok, "\x00"), nil
	}
	for {
		tok, err := next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		tok = strings.TrimLeft(tok, "\n")
		switch {
		case tok == "":
			continue
		case strings.HasPrefix(tok, "C "):
			ids := strings.Fields(tok[2:])
			if len(ids) < 3 {
				return fmt.Errorf("git log showed %q as a merge", oneLine(tok))
			}
			for _, id := range ids {
				if !commitID.MatchString(id) {
					return fmt.Errorf("git log showed %q as a merge", oneLine(tok))
				}
			}
			merge, parents = ids[0], len(ids)-1
		case strings.HasPrefix(tok, ":"):
			if merge == "" {
				return fmt.Errorf("git log showed a file before any merge")
			}
			f, err := parseMergeMeta(tok, parents)
			if err != nil {
				return err
			}
			if f.path, err = next(); err != nil || f.path == "" {
				return fmt.Errorf("git log showed a file of the merge %s without its name", shortSHA(merge))
			}
			fn(merge, f)
		default:
			return fmt.Errorf("git log showed %q where a merge or a file was due", oneLine(tok))
		}
	}
}

// parseMergeMeta reads one combined raw entry: one colon per parent, each
// parent's mode and the merge's, each parent's object id and the merge's,
// and the status letters.
func parseMergeMeta(tok string, parents int) (mergeFile, error) {
	bad := fmt.Errorf("git log showed %q for a merge of %d parents", oneLine(tok), parents)
	colons := len(tok) - len(strings.TrimLeft(tok, ":"))
	fields := strings.Fields(tok[colons:])
	if colons != parents || len(fields) != 2*(parents+1)+1 {
		return mergeFile{}, bad
	}
	modes, oids := fields[:parents+1], fields[parents+1:2*(parents+1)]
	f := mergeFile{mode: modes[parents], oid: oids[parents]}
	for i := range modes {
		if len(modes[i]) != 6 || strings.Trim(modes[i], "01234567") != "" {
			return mergeFile{}, bad
		}
		if !commitID.MatchString(oids[i]) {
			return mergeFile{}, bad
		}
	}
	for i := range parents {
		oid := oids[i]
		if modes[i] == "000000" || modes[i] == "160000" || strings.Trim(oid, "0") == "" {
			oid = ""
		}
		f.parents = append(f.parents, oid)
	}
	return f, nil
}
