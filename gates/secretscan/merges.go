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
	known := map[string]struct{}{}
	for _, oid := range f.parents {
		if oid == "" {
			continue
		}
		parent, whole, err := readSmall(blobs, oid)
		if err != nil {
			return err
		}
		if !whole {
			continue // too large to compare: its lines count as new
		}
		for line := range strings.Lines(string(parent)) {
			known[line] = struct{}{}
		}
	}
	var (
		run   strings.Builder
		start int
		n     int
	)
	flush := func() error {
		if run.Len() == 0 {
			return nil
		}
		raw := run.String()
		run.Reset()
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
	}
	for line := range strings.Lines(string(content)) {
		n++
		if _, ok := known[line]; ok {
			if err := flush(); err != nil {
				return err
			}
			continue
		}
		if run.Len() == 0 {
			start = n
		}
		run.WriteString(line)
	}
	return flush()
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
