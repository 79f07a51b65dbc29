package secretscan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	re2 "github.com/wasilibs/go-re2"
	glconfig "github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
	glregexp "github.com/zricethezav/gitleaks/v8/regexp"
	"github.com/zricethezav/gitleaks/v8/report"
	"github.com/zricethezav/gitleaks/v8/sources"
)

// leak is a secret found in the repository. It carries no secret value.
type leak struct {
	rule        string
	description string
	file        string // relative to the workspace
	line, col   int
	commit      string // empty for a working-tree finding
}

// detector finds secrets; it is the gate's only view of gitleaks, kept small
// so the engine can be replaced.
type detector interface {
	// scanFiles scans the files (paths relative to root) as they are on disk.
	scanFiles(ctx context.Context, root string, files []string, progress func(done int)) ([]leak, error)
	// scanCommits scans what the commits git log selects with logOpts added
	// ("" for every commit of every ref).
	scanCommits(ctx context.Context, repoDir, logOpts string) ([]leak, error)
}

// gitleaksDetector is detector backed by gitleaks v8.
type gitleaksDetector struct {
	rules     *ruleSet
	ignore    string // .gitleaksignore path, "" for none
	baseline  string // gitleaks JSON report of accepted findings, "" for none
	workspace string
	// pathPrefix is stripped from paths git reports (the workspace's path
	// inside the repository).
	pathPrefix string
}

// maxDecodeDepth is how many layers of encoding (base64, hex, percent,
// unicode escapes) are decoded to find secrets inside: the gitleaks CLI's
// default (the library's is 0).
const maxDecodeDepth = 5

// newDetector makes a gitleaks detector with our settings. Every call makes
// a fresh one: a gitleaks detector accumulates findings.
func (g *gitleaksDetector) newDetector(ctx context.Context) (*detect.Detector, error) {
	d := detect.NewDetectorContext(ctx, g.rules.config)
	d.MaxDecodeDepth = maxDecodeDepth
	// Findings leave gitleaks with the secret replaced by REDACTED, so no
	// secret can reach a report however the code around it changes.
	d.Redact = 100
	if g.ignore != "" {
		if err := d.AddGitleaksIgnore(g.ignore); err != nil {
			return nil, fmt.Errorf("reading %s: %w", relPath(g.workspace, g.ignore), err)
		}
	}
	if g.baseline != "" {
		if err := d.AddBaseline(g.baseline, g.workspace); err != nil {
			return nil, fmt.Errorf("reading baseline %s (a gitleaks JSON report): %w", relPath(g.workspace, g.baseline), err)
		}
	}
	return d, nil
}

func (g *gitleaksDetector) scanFiles(ctx context.Context, root string, files []string, progress func(done int)) ([]leak, error) {
	d, err := g.newDetector(ctx)
	if err != nil {
		return nil, err
	}
	var (
		next    atomic.Int64
		done    atomic.Int64
		errMu   sync.Mutex
		readErr []string
		wg      sync.WaitGroup
	)
	files = largestFirst(root, g.withoutAllowlisted(files))
	// Twice the cores: while one worker waits for a file, another matches.
	workers := 2 * runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, fragmentSize)
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) || ctx.Err() != nil {
					return
				}
				if err := scanFile(ctx, d, root, files[i], buf); err != nil {
					errMu.Lock()
					readErr = append(readErr, err.Error())
					errMu.Unlock()
				}
				if n := done.Add(1); progress != nil {
					progress(int(n))
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(readErr) > 0 {
		sort.Strings(readErr)
		return nil, fmt.Errorf("could not scan %d tracked file(s), so the scan is incomplete: %s", len(readErr), strings.Join(firstN(readErr, 5), "; "))
	}
	return g.leaks(d.Findings()), nil
}

// withoutAllowlisted drops the files a global allowlist excludes by path
// (vendored code, lock files, images). gitleaks would open each and
// return nothing for every fragment; gitleaks dir does not open them, and
// neither does this.
func (g *gitleaksDetector) withoutAllowlisted(files []string) []string {
	var byPath []*glconfig.Allowlist
	for _, a := range g.rules.config.Allowlists {
		// Only "or" allowlists exclude a file by path alone.
		if a.MatchCondition == glconfig.AllowlistMatchOr && len(a.Paths) > 0 {
			byPath = append(byPath, a)
		}
	}
	if len(byPath) == 0 {
		return files
	}
	kept := files[:0:0]
	for _, f := range files {
		if !slices.ContainsFunc(byPath, func(a *glconfig.Allowlist) bool { return a.PathAllowed(f) }) {
			kept = append(kept, f)
		}
	}
	return kept
}

// largestFirst orders files by size, largest first, so that no worker is
// left scanning one big file at the end while the others idle.
func largestFirst(root string, files []string) []string {
	size := make(map[string]int64, len(files))
	for _, f := range files {
		if st, err := os.Lstat(filepath.Join(root, filepath.FromSlash(f))); err == nil {
			size[f] = st.Size()
		}
	}
	sorted := slices.Clone(files)
	slices.SortStableFunc(sorted, func(a, b string) int { return cmp.Compare(size[b], size[a]) })
	return sorted
}

// warmRegexEngine starts gitleaks' regular expression engine in the
// background when it is RE2 in WebAssembly (release builds), which takes a
// few hundred milliseconds to start: a tree scan will need it, and the start
// then overlaps listing and reading the files.
func warmRegexEngine() {
	if glregexp.Version != "stdlib" {
		go re2.Start()
	}
}

// fragmentSize is how much of a file gitleaks reads into one fragment (its
// own default; the size decides where fragments split, so where matches
// can be found).
const fragmentSize = 100 * 1000

// scanFile scans one file, reading it into buf (fragmentSize bytes). A file
// that vanished or is not a regular file (a symlink, a submodule) is not an
// error: there is nothing to read.
//
// gitleaks allocates a new buffer for every file when none is given, most
// of the memory a tree scan allocates; one per worker is enough, as each
// fragment is scanned before the next is read.
func scanFile(ctx context.Context, d *detect.Detector, root, rel string, buf []byte) error {
	f, err := os.Open(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("%s: %w", rel, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	if !st.Mode().IsRegular() || st.Size() == 0 {
		return nil
	}
	var fragErr error
	src := sources.File{Content: f, Path: rel, Config: &d.Config, Buffer: buf}
	err = src.Fragments(ctx, func(fr sources.Fragment, err error) error {
		if err != nil {
			if fragErr == nil {
				fragErr = err
			}
			return nil
		}
		for _, finding := range d.DetectContext(ctx, detect.Fragment(fr)) {
			d.AddFinding(finding)
		}
		return nil
	})
	if err == nil {
		err = fragErr
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", rel, err)
	}
	return nil
}

func (g *gitleaksDetector) scanCommits(ctx context.Context, repoDir, logOpts string) ([]leak, error) {
	d, err := g.newDetector(ctx)
	if err != nil {
		return nil, err
	}
	src := &gitLog{dir: repoDir, logOpts: logOpts}
	if _, err := d.DetectSource(ctx, src); err != nil {
		return nil, fmt.Errorf("scanning commits: %w", err)
	}
	// Errors of the detector's goroutines surface only here.
	if err := d.Sema.Wait(); err != nil {
		return nil, fmt.Errorf("scanning commits: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return g.leaks(d.Findings()), nil
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
