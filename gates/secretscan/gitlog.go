package secretscan

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gitleaks/go-gitdiff/gitdiff"
	"github.com/zricethezav/gitleaks/v8/cmd/scm"
	"github.com/zricethezav/gitleaks/v8/logging"
	"github.com/zricethezav/gitleaks/v8/sources"
)

// gitLog is the commits git log selects, as a gitleaks source. It yields
// the fragments gitleaks' own git source (sources.Git) yields, with one
// difference: git's exit status counts. gitleaks waits for git log only to
// log a failure at debug level, so a git that died part-way without a word
// on stderr (killed for its memory, a signal) ended the scan early, and
// the scan read as complete.
type gitLog struct {
	dir     string
	logOpts string // added to git log -p -U0; "" for every commit of every ref
}

// gitLogWorkers is how many files' fragments are scanned at once, as many
// as gitleaks' own git source scans.
const gitLogWorkers = 40

var _ sources.Source = (*gitLog)(nil)

// Fragments implements sources.Source.
func (s *gitLog) Fragments(ctx context.Context, yield sources.FragmentsFunc) error {
	args := []string{"-C", filepath.Clean(s.dir), "log", "-p", "-U0"}
	if s.logOpts != "" {
		args = append(args, strings.Split(s.logOpts, " ")...)
	} else {
		args = append(args, "--full-history", "--all", "--diff-filter=tuxdb")
	}
	cmd := exec.CommandContext(ctx, "git", args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("starting git log: %w", err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return fmt.Errorf("starting git log: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting git log: %w", err)
	}
	// What git says on stderr goes where gitleaks sends it: its log, which
	// the gate reads (warnings become notes, anything else fails the scan).
	stderrDone := make(chan struct{})
	var complained bool
	go func() {
		defer close(stderrDone)
		complained = logStderr(stderr)
	}()

	files, err := gitdiff.Parse(stdout)
	if err != nil {
		_ = cmd.Process.Kill()
		<-stderrDone
		_ = cmd.Wait()
		return fmt.Errorf("reading git log: %w", err)
	}
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
		if file.IsDelete || file.IsBinary {
			// Binary files are skipped as gitleaks skips them (archives
			// included: they are not opened at archive depth 0).
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
				if err := yield(fr, nil); err != nil {
					errMu.Lock()
					if yieldErr == nil {
						yieldErr = err
					}
					errMu.Unlock()
					return
				}
			}
		}()
	}
	for range files {
		// After a break, let the parser finish so that it and git can end.
	}
	// The parser stops at a diff it cannot read, silently: whatever git
	// printed after it was never scanned. (Reading it also keeps git from
	// blocking on a full pipe.)
	unread, _ := io.Copy(io.Discard, stdout)
	wg.Wait()
	<-stderrDone
	werr := cmd.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	if unread > 0 {
		return fmt.Errorf("git log %s: its output could not be read past some point (%d more bytes were not scanned), so the scan is incomplete", strings.Join(args[3:], " "), unread)
	}
	if werr != nil && !complained {
		// (When git said why on stderr, that error is already logged.)
		return fmt.Errorf("git log %s: %w: it stopped before listing every commit, so the scan is incomplete", strings.Join(args[3:], " "), werr)
	}
	return yieldErr
}

// logStderr logs each line git prints on stderr as gitleaks does: the
// warnings git prints on big histories, which do not change what is
// listed, as warnings; anything else as an error. It reports whether it
// logged an error.
func logStderr(r io.Reader) (errors bool) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if benign(line) {
			logging.Warn().Msg(line)
			continue
		}
		logging.Error().Msgf("[git] %s", line)
		errors = true
	}
	if err := sc.Err(); err != nil {
		logging.Error().Msgf("[git] reading its stderr: %v", err)
		errors = true
	}
	// Drain what a line too long for the scanner left, so git never
	// blocks writing it.
	_, _ = io.Copy(io.Discard, r)
	return errors
}
