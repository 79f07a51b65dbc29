package secretscan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/release-gate/release-gate/internal/cores"
	"github.com/release-gate/release-gate/internal/gitrepo"
	"github.com/release-gate/release-gate/internal/plural"
	"github.com/release-gate/release-gate/internal/wsfile"

	"github.com/release-gate/release-gate/gates"
)

// Gate is the secret-scan gate.
type Gate struct {
	cfg             Config
	forbid          []string
	allow           []string
	defaultRules    bool
	selfSuppression SelfSuppression
}

// Name implements gates.Gate.
func (g *Gate) Name() string { return Name }

// progressEvery is how often a long scan prints where it is.
const progressEvery = 5 * time.Second

// Run implements gates.Gate.
func (g *Gate) Run(ctx context.Context, env *gates.Env) ([]gates.Finding, error) {
	glog := &scanLog{}
	defer capture(glog)()
	scopes := g.scopes(env)

	gr, err := gitrepo.Open(ctx, env.Workspace)
	if errors.Is(err, gitrepo.ErrNotRepository) {
		return nil, fmt.Errorf("%s is not inside a git repository: the secret scan needs one (it scans tracked files and commits)", env.Workspace)
	}
	if err != nil {
		return nil, err
	}
	defer gr.Close()
	if rel, err := filepath.Rel(gr.Top(), gr.GitDir()); err != nil || rel != ".git" {
		// A .git file (a linked work tree, a submodule) names it: say where
		// the history scanned comes from.
		env.Notef("the repository's git directory is %s", gr.GitDir())
	}
	r := repo{gr}
	prefix, err := gr.Prefix()
	if err != nil {
		return nil, fmt.Errorf("reading the repository: %w", err)
	}

	// The rules compile (most of the cost of scanning a small change)
	// while git resolves the range.
	type built struct {
		det *gitleaksDetector
		err error
	}
	detc := make(chan built, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				detc <- built{err: fmt.Errorf("loading the rules: panic: %v", p)}
			}
		}()
		det, err := g.detector(ctx, env.Workspace, prefix)
		detc <- built{det, err}
	}()
	var rng *commitRange
	if slices.Contains(scopes, ScopeDiff) {
		if rng, err = g.resolveRange(ctx, r, env); err != nil {
			if b := <-detc; b.det != nil {
				_ = b.det.close()
			}
			return nil, err
		}
	}
	// Without the diff scope, with the configuration read from a commit
	// (--config-ref), the tree and history scopes still hold the change to
	// that commit's suppressions: the change's commits since it are checked
	// as the diff scope checks them (see guardTree), or its own
	// .gitleaks.toml or gitleaks:allow would let its key pass unreported.
	var guard *commitRange
	if env.ConfigRef != "" && !slices.Contains(scopes, ScopeDiff) {
		if guard, err = resolveRangeOf(ctx, r, env.ConfigRef, g.headRev(env)); err != nil {
			if b := <-detc; b.det != nil {
				_ = b.det.close()
			}
			return nil, fmt.Errorf("checking the change's own suppressions since %s, the commit the configuration was read from: %w", shortSHA(env.ConfigRef), err)
		}
	}
	b := <-detc
	if b.err != nil {
		return nil, b.err
	}
	det := b.det
	defer func() { _ = det.close() }() // removes temporary copies; nothing to report
	env.Notef("rules: %s", det.rules.origin)

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		leaks    []leak
		forbid   []gates.Finding
		policy   []gates.Finding // suppressed-in-change and scan-policy-edited
		selfSupp int
		scanErrs []error
		covered  []string
		notRead  = unscannedReport{}
	)
	record := func(out scopeResult, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			scanErrs = append(scanErrs, err)
			return
		}
		for _, m := range out.masks {
			env.Mask(m)
		}
		leaks = append(leaks, out.leaks...)
		forbid = append(forbid, out.forbid...)
		policy = append(append(policy, out.suppressed...), out.edits...)
		selfSupp += len(out.suppressed)
		if out.what != "" {
			covered = append(covered, out.what)
		}
		for k, us := range out.unscanned {
			notRead.add(k, us...)
		}
	}
	for _, sc := range scopes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch sc {
			case ScopeTree:
				record(g.scanTree(ctx, env, r, det))
			case ScopeDiff:
				record(g.scanDiff(ctx, env, r, det, rng, prefix, !slices.Contains(scopes, ScopeTree)))
			case ScopeHistory:
				env.Progressf("scanning the whole history of every branch and tag")
				record(g.scanHistory(ctx, env.Cores, r, det, prefix))
			}
		}()
	}
	if guard != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			record(g.guardTree(ctx, env, r, det, guard, prefix))
		}()
	}
	wg.Wait()

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(scanErrs) > 0 {
		return nil, hideSecrets(ctx, errors.Join(scanErrs...), det.rules.rules)
	}
	logErrs, logWarns := glog.snapshot()
	for _, w := range logWarns {
		env.Notef("gitleaks warning: %s", w)
	}
	if len(logErrs) > 0 {
		return nil, hideSecrets(ctx, fmt.Errorf("gitleaks reported errors, so the scan may have stopped early: %s", strings.Join(firstN(logErrs, 5), "; ")), det.rules.rules)
	}
	found := leakFindings(dedupe(leaks))
	findings := append(append(slices.Clone(found), forbid...), policy...)
	if err := notRead.check(g.cfg.AllowUnscanned, env.Notef); err != nil {
		if !hasErrors(findings) {
			return nil, err
		}
		// The gate fails whatever the unread content holds.
		env.Notef("%v", err)
	}
	sortFindings(findings)
	sort.Strings(covered)
	env.SetSummary("%s", summary(len(found), selfSupp, len(forbid), len(policy)-selfSupp, strings.Join(covered, " and ")))
	return findings, nil
}

// hasErrors reports whether a finding fails the gate.
func hasErrors(fs []gates.Finding) bool {
	return slices.ContainsFunc(fs, func(f gates.Finding) bool { return f.Severity == gates.SeverityError })
}

// summary is the one-line result: secrets found, secrets let pass only by
// a suppression the change adds, forbidden files, and the change's edits
// to what decides what the scan lets pass.
func summary(secrets, selfSuppressed, forbidden, edits int, what string) string {
	var parts []string
	switch {
	case secrets+selfSuppressed == 0 && forbidden == 0:
		parts = append(parts, "no secrets in "+what)
	case secrets+selfSuppressed > 0:
		s := plural.Count(secrets+selfSuppressed, "secret") + " in " + what
		if selfSuppressed > 0 {
			s += fmt.Sprintf(" (%d let pass only by a suppression the change adds)", selfSuppressed)
		}
		parts = append(parts, s)
	}
	if forbidden > 0 {
		parts = append(parts, plural.Count(forbidden, "forbidden file")+" tracked")
	}
	if edits > 0 {
		parts = append(parts, fmt.Sprintf("the change edits the scan's policy (%s)", plural.Count(edits, "file")))
	}
	return strings.Join(parts, "; ")
}

// scopes returns the configured scopes or the default: the change and the
// tree when the event names a base commit, else the tree.
func (g *Gate) scopes(env *gates.Env) Scopes {
	if len(g.cfg.Scope) > 0 {
		return g.cfg.Scope
	}
	if g.cfg.Base != "" || env.Event.Base != "" {
		return Scopes{ScopeDiff, ScopeTree}
	}
	return Scopes{ScopeTree}
}

// commitRange is a verified base..head.
type commitRange struct {
	base, head string // full SHAs
	commits    int
	// listed are the commits, as git rev-list base..head lists them.
	listed []string
}

func (c *commitRange) String() string { return shortSHA(c.base) + ".." + shortSHA(c.head) }

// resolveRange verifies base and head before anything is scanned: gitleaks
// would otherwise scan a bad range partially and report nothing.
func (g *Gate) resolveRange(ctx context.Context, r repo, env *gates.Env) (*commitRange, error) {
	base, head := g.cfg.Base, g.headRev(env)
	if base == "" {
		base = env.Event.Base
	}
	if base == "" {
		return nil, errors.New("scope diff needs a base commit, and neither the configuration (base:) nor the GitHub event names one (a push that creates a branch has none); set base, or scope: [tree]")
	}
	return resolveRangeOf(ctx, r, base, head)
}

// headRev is the head commit the configuration or the event names, else
// HEAD.
func (g *Gate) headRev(env *gates.Env) string {
	switch {
	case g.cfg.Head != "":
		return g.cfg.Head
	case env.Event.Head != "":
		return env.Event.Head
	}
	return "HEAD"
}

// resolveRangeOf resolves base..head (see resolveRange).
func resolveRangeOf(ctx context.Context, r repo, base, head string) (*commitRange, error) {
	shallow, err := r.Shallow(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the repository: %w", err)
	}
	hint := "fetch it, or check out with fetch-depth: 0 (actions/checkout) so the whole history is present; a force push's before commit is gone from every branch: then set base to a commit the clone has (the secret-scan page, After a force push)"
	if len(shallow) > 0 {
		hint = "this clone is shallow: check out with fetch-depth: 0 (actions/checkout) so the pull request's base and head are present"
	}
	var rng commitRange
	for _, c := range []struct {
		name, rev string
		sha       *string
	}{{"base", base, &rng.base}, {"head", head, &rng.head}} {
		sha, err := r.resolveCommit(ctx, c.rev)
		if err != nil {
			return nil, fmt.Errorf("resolving %s commit %q: %w", c.name, c.rev, err)
		}
		if sha == "" {
			return nil, fmt.Errorf("%s commit %q is not in this repository; %s", c.name, c.rev, hint)
		}
		*c.sha = sha
	}
	if len(shallow) > 0 {
		ok, err := r.hasMergeBase(ctx, rng.base, rng.head)
		if err != nil {
			return nil, fmt.Errorf("finding where head left base: %w", err)
		}
		if !ok {
			return nil, fmt.Errorf("base %s and head %s share no history in this clone, so the change's commits cannot be listed; %s", shortSHA(rng.base), shortSHA(rng.head), hint)
		}
	}
	commits, err := r.listCommits(ctx, rng.base+".."+rng.head)
	if err != nil {
		return nil, fmt.Errorf("listing the change's commits: %w", err)
	}
	rng.commits, rng.listed = len(commits), commits
	// A commit of the range at which the clone is cut off hides its
	// parents: the commits before it in the range were never listed.
	if cut := intersect(commits, shallow); len(cut) > 0 {
		return nil, fmt.Errorf("this clone's history is cut off inside %s at %s, so the change's commits before %s cannot be listed or scanned; check out with fetch-depth: 0 (actions/checkout) so the whole history is present",
			&rng, strings.Join(firstN(shortSHAs(cut), 3), ", "), map[bool]string{true: "it", false: "them"}[len(cut) == 1])
	}
	return &rng, nil
}

// intersect returns the elements of a that are in b.
func intersect(a, b []string) []string {
	if len(b) == 0 {
		return nil
	}
	set := make(map[string]bool, len(b))
	for _, x := range b {
		set[x] = true
	}
	var out []string
	for _, x := range a {
		if set[x] {
			out = append(out, x)
		}
	}
	return out
}

func shortSHAs(shas []string) []string {
	out := make([]string, len(shas))
	for i, s := range shas {
		out[i] = shortSHA(s)
	}
	return out
}

// detector loads the rules and ignore files. Close it when done.
func (g *Gate) detector(ctx context.Context, workspace, prefix string) (*gitleaksDetector, error) {
	ws, err := wsfile.Open(workspace)
	if err != nil {
		return nil, fmt.Errorf("opening the workspace: %w", err)
	}
	defer ws.Close()
	files := workspaceFiles{ws: ws, dir: workspace}
	cfg, err := files.optional(g.cfg.GitleaksConfig, ".gitleaks.toml", maxGitleaksConfig)
	if err != nil {
		return nil, readingError("gitleaks-config", err)
	}
	ignore, err := files.optional(g.cfg.GitleaksIgnore, ".gitleaksignore", maxListFile)
	if err != nil {
		return nil, readingError("gitleaks-ignore", err)
	}
	baseline, err := files.optional(g.cfg.Baseline, "", maxListFile)
	if err != nil {
		return nil, readingError("baseline", err)
	}
	rules, err := loadRules(files, cfg, g.defaultRules)
	if err != nil {
		return nil, hideSecrets(ctx, err)
	}
	return newGitleaksDetector(rules, ignore, baseline, prefix)
}

// scopeResult is what one scope found.
type scopeResult struct {
	leaks  []leak
	forbid []gates.Finding
	// suppressed are secrets let pass only by a suppression the change
	// adds; edits, the change's edits to the files that decide what the
	// scan lets pass (see selfapproval.go).
	suppressed, edits []gates.Finding
	what              string // what was covered, for the summary
	unscanned         unscannedReport
	only              []strictLeak // found by the strict scan only, to judge
	masks             []string     // secrets found in file names, to mask in every report
}

func (g *Gate) scanTree(ctx context.Context, env *gates.Env, r repo, det detector) (scopeResult, error) {
	tracked, err := r.Tracked(ctx)
	if err != nil {
		return scopeResult{}, fmt.Errorf("listing tracked files: %w", err)
	}
	var (
		files      []trackedFile
		cands      []forbidCandidate
		candIndex  = map[string]int{}
		modules    []unscanned
		notChecked int
		index      = map[string]int{}
	)
	for _, f := range tracked {
		if i, ok := index[f.Path]; ok { // another stage of a merge conflict
			files[i].objects = append(files[i].objects, f.Object)
			if c, ok := candIndex[f.Path]; ok {
				cands[c].objects = append(cands[c].objects, f.Object)
			}
			continue
		}
		if pattern := forbidden(f.Path, g.forbid, g.allow); pattern != "" {
			cands = append(cands, forbidCandidate{path: f.Path, pattern: pattern, mode: f.Mode, objects: []string{f.Object}})
			candIndex[f.Path] = len(cands) - 1
		}
		switch f.Mode {
		case "100644", "100755", "120000":
			index[f.Path] = len(files)
			files = append(files, trackedFile{path: f.Path, objects: []string{f.Object}, link: f.Mode == "120000"})
		case "160000":
			if checkedOut(filepath.Join(env.Workspace, filepath.FromSlash(f.Path))) {
				modules = append(modules, unscanned{path: f.Path})
			} else {
				notChecked++
			}
		default:
			return scopeResult{}, fmt.Errorf("listing tracked files: %s has mode %s in git's index, which the scan does not know", f.Path, f.Mode)
		}
	}
	if notChecked > 0 {
		env.Notef("%s not checked out, so not part of this work tree", plural.Count(notChecked, "submodule"))
	}
	forbid, err := judgeForbidden(ctx, r.Repo, cands)
	if err != nil {
		return scopeResult{}, err
	}
	if len(files) > 2000 {
		env.Progressf("scanning %d tracked files", len(files))
	}
	var last atomic.Int64
	last.Store(env.Now().UnixNano())
	progress := func(done int) {
		now := env.Now().UnixNano()
		if prev := last.Load(); now-prev >= int64(progressEvery) && last.CompareAndSwap(prev, now) {
			env.Progressf("scanned %d of %d tracked files", done, len(files))
		}
	}
	res, err := det.scanTree(ctx, r.Repo, env.Workspace, files, env.Cores, progress)
	if err != nil {
		return scopeResult{}, fmt.Errorf("scanning tracked files: %w", err)
	}
	if res.fromGit > 0 {
		env.Notef("%s differed from git's copy in the work tree (or were not checked out): git's copy was scanned", plural.Count(res.fromGit, "tracked file"))
	}
	names := make([]nameRef, 0, len(tracked))
	for i, f := range tracked {
		if i == 0 || f.Path != tracked[i-1].Path {
			names = append(names, nameRef{path: f.Path})
		}
	}
	nameLeaks, masks, err := det.scanNames(ctx, names, "", nil)
	if err != nil {
		return scopeResult{}, fmt.Errorf("scanning file names: %w", err)
	}
	out := scopeResult{leaks: append(res.leaks, nameLeaks...), masks: masks, forbid: forbid, what: plural.Count(len(files), "tracked file"), unscanned: unscannedReport{}}
	out.unscanned.add(UnscannedLFS, res.lfs...)
	out.unscanned.add(UnscannedSubmodules, modules...)
	return out, nil
}

// checkedOut reports whether a submodule's directory holds a checkout.
func checkedOut(dir string) bool {
	entries, err := os.ReadDir(dir)
	return err == nil && len(entries) > 0
}

func (g *Gate) scanDiff(ctx context.Context, env *gates.Env, r repo, det *gitleaksDetector, rng *commitRange, prefix string, checkAdded bool) (scopeResult, error) {
	what := fmt.Sprintf("%s (%s)", plural.Count(rng.commits, "commit"), rng)
	if rng.commits == 0 {
		return scopeResult{what: what}, nil
	}
	if rng.commits > 200 {
		env.Progressf("scanning %d commits (%s)", rng.commits, rng)
	}
	args := []string{"--diff-filter=d", rng.base + ".." + rng.head}
	if prefix != "" {
		args = append(args, "--", prefix)
	}
	strict, err := g.strictScanFor(ctx, env, r, rng.base, prefix, det)
	if err != nil {
		return scopeResult{}, err
	}
	if strict.det != det {
		defer func() { _ = strict.det.close() }()
	}
	// What the change edits and adds is listed while its commits are
	// scanned; errors are still reported in the order of the steps.
	var (
		side             sync.WaitGroup
		edits            []gates.Finding
		added            []gitrepo.File
		editsErr, addErr error
	)
	side.Add(1)
	go func() {
		defer side.Done()
		defer func() {
			if p := recover(); p != nil {
				editsErr = fmt.Errorf("listing the change's edits: panic: %v", p)
			}
		}()
		edits, editsErr = g.policyEdits(ctx, r, rng, prefix, det, env.ConfigFiles)
		if checkAdded && editsErr == nil {
			added, addErr = r.addedFiles(ctx, rng.base, rng.head, prefix)
		}
	}()
	out, err := g.scanLog(ctx, env.Cores, r, det, args, rng.listed, prefix, strict)
	side.Wait()
	if err != nil {
		return scopeResult{}, fmt.Errorf("scanning commits %s: %w", rng, err)
	}
	out.what = what
	if out.suppressed, err = g.selfSuppressed(ctx, r, rng.base, det, out.only); err != nil {
		return scopeResult{}, fmt.Errorf("checking the change's own suppressions: %w", err)
	}
	if editsErr != nil {
		return scopeResult{}, editsErr
	}
	out.edits = edits
	if checkAdded {
		if addErr != nil {
			return scopeResult{}, fmt.Errorf("listing files the change adds: %w", addErr)
		}
		var cands []forbidCandidate
		for _, f := range added {
			if pattern := forbidden(f.Path, g.forbid, g.allow); pattern != "" {
				cands = append(cands, forbidCandidate{path: f.Path, pattern: pattern, mode: f.Mode, objects: []string{f.Object}, commit: rng.head})
			}
		}
		if out.forbid, err = judgeForbidden(ctx, r.Repo, cands); err != nil {
			return scopeResult{}, err
		}
	}
	return out, nil
}

// guardTree checks the change's commits in rng (from the commit the
// configuration was read from) as the diff scope does, and keeps only what
// that check adds to a tree or history scan: secrets let pass only by a
// suppression the change adds, and its edits to the scan's policy. The
// secrets themselves are the tree or history scan's to report.
func (g *Gate) guardTree(ctx context.Context, env *gates.Env, r repo, det *gitleaksDetector, rng *commitRange, prefix string) (scopeResult, error) {
	out, err := g.scanDiff(ctx, env, r, det, rng, prefix, false)
	if err != nil {
		return scopeResult{}, err
	}
	return scopeResult{suppressed: out.suppressed, edits: out.edits, masks: out.masks, unscanned: unscannedReport{}}, nil
}

func (g *Gate) scanHistory(ctx context.Context, cores *cores.Pool, r repo, det detector, prefix string) (scopeResult, error) {
	// A shallow clone holds only the last commits: what it cut off would
	// pass unseen.
	shallow, err := r.Shallow(ctx)
	if err != nil {
		return scopeResult{}, fmt.Errorf("reading the repository: %w", err)
	}
	if len(shallow) > 0 {
		return scopeResult{}, fmt.Errorf("scope history scans every commit, but this clone is shallow (its history is cut off at %s), so the commits before are not here to scan; check out with fetch-depth: 0 (actions/checkout), or run git fetch --unshallow",
			strings.Join(firstN(shortSHAs(shallow), 3), ", "))
	}
	args := []string{"--full-history", "--all", "--diff-filter=d"}
	if prefix != "" {
		args = append(args, "--", prefix)
	}
	out, err := g.scanLog(ctx, cores, r, det, args, nil, prefix, nil)
	if err != nil {
		return scopeResult{}, fmt.Errorf("scanning the history: %w", err)
	}
	out.what = "the whole history"
	return out, nil
}

// scanLog scans what the commits git log selects with args add, and
// lists the Git LFS objects and submodule commits they add, unread; with
// strict, it also scans them as strict does (see selfapproval.go).
// listed, when not nil, are the commits as git rev-list lists those args'
// revisions, listed already.
func (g *Gate) scanLog(ctx context.Context, cores *cores.Pool, r repo, det detector, args, listed []string, prefix string, strict *strictScan) (scopeResult, error) {
	excluded := func(d detector, path string) bool {
		return len(d.withoutAllowlistedPaths([]unscanned{{path: path}})) == 0
	}
	src := &gitLog{repo: r.Repo, args: args, listed: listed, cores: cores,
		skipBinary: func(path string) bool {
			return excluded(det, path) && (strict == nil || excluded(strict.det, path))
		}}
	leaks, only, err := det.scanCommits(ctx, src, strict)
	if err != nil {
		return scopeResult{}, err
	}
	nameLeaks, masks, err := det.scanNames(ctx, src.names, prefix, strict)
	if err != nil {
		return scopeResult{}, fmt.Errorf("scanning file names: %w", err)
	}
	leaks = append(leaks, nameLeaks...)
	lfs, err := lfsPointers(ctx, r.Repo, src.lfs)
	if err != nil {
		return scopeResult{}, fmt.Errorf("reading Git LFS pointers: %w", err)
	}
	out := scopeResult{leaks: leaks, only: only, masks: masks, unscanned: unscannedReport{}}
	rel := func(us []unscanned) []unscanned {
		for i := range us {
			us[i].path = strings.TrimPrefix(us[i].path, prefix)
		}
		return us
	}
	out.unscanned.add(UnscannedLFS, det.withoutAllowlistedPaths(rel(lfs))...)
	out.unscanned.add(UnscannedSubmodules, rel(src.modules)...)
	return out, nil
}

// dedupe drops the leaks that are the same finding twice, and returns
// the rest in a deterministic order (see sortLeaks). A finding is its
// commit, file, rule and the span of its match, as in gitleaks' report:
// two secrets on one line, or one line given another secret by a later
// commit, or one secret added again by another commit, are as many
// findings. The same match is found twice where fragments overlap (see
// contentFragments) or when text is also scanned without its NUL bytes.
//
// A working-tree leak (no commit) is dropped when a commit's leak is the
// same match: the tree scan found what the change added, and the commit
// says where it came from. gitleaks counts the columns of a fragment's
// first line one lower than those of its other lines, and the line a
// commit adds is often the first of its hunk while it is not the first of
// the file, so the columns may differ by one; two distinct matches of one
// rule cannot both start and end within one column of each other.
func dedupe(leaks []leak) []leak {
	type span struct {
		file, rule                 string
		line, col, endLine, endCol int
	}
	type key struct {
		span
		commit string
	}
	type place struct {
		file, rule    string
		line, endLine int
	}
	inCommits := map[place][]leak{}
	for _, l := range leaks {
		if l.commit != "" {
			p := place{l.file, l.rule, l.line, l.endLine}
			inCommits[p] = append(inCommits[p], l)
		}
	}
	sameMatch := func(l leak) bool {
		for _, c := range inCommits[place{l.file, l.rule, l.line, l.endLine}] {
			if abs(c.col-l.col) <= 1 && abs(c.endCol-l.endCol) <= 1 {
				return true
			}
		}
		return false
	}
	seen := map[key]bool{}
	var out []leak
	for _, l := range leaks {
		k := key{span{l.file, l.rule, l.line, l.col, l.endLine, l.endCol}, l.commit}
		if seen[k] || (l.commit == "" && sameMatch(l)) {
			continue
		}
		seen[k] = true
		out = append(out, l)
	}
	sortLeaks(out)
	return out
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// sortLeaks orders leaks by file, position, rule and commit: the same
// leaks are reported in the same order whatever order the concurrent
// scans found them in.
func sortLeaks(leaks []leak) {
	slices.SortFunc(leaks, func(a, b leak) int {
		return cmp.Or(
			cmp.Compare(a.file, b.file),
			cmp.Compare(a.line, b.line),
			cmp.Compare(a.col, b.col),
			cmp.Compare(a.endLine, b.endLine),
			cmp.Compare(a.endCol, b.endCol),
			cmp.Compare(a.rule, b.rule),
			cmp.Compare(a.commit, b.commit),
			cmp.Compare(a.description, b.description),
		)
	})
}

func leakFindings(leaks []leak) []gates.Finding {
	out := make([]gates.Finding, 0, len(leaks))
	for _, l := range leaks {
		what := strings.TrimSpace(l.description)
		if what == "" {
			what = "Possible secret (rule " + l.rule + ")"
		}
		if !strings.HasSuffix(what, ".") {
			what += "."
		}
		advice := " Rotate it, then remove it from the file."
		if l.commit != "" {
			advice = " Rotate it: it stays in the git history even once the line is removed."
		}
		pos := gates.Pos{File: l.file, Line: l.line, Col: l.col}
		if l.file != "" && l.line == 0 {
			// The file's name: masked in every report.
			advice = " It is in the file's name (shown masked): rename the file and rotate the secret."
			if l.commit != "" {
				advice = " It is in the file's name (shown masked), in the git history: rotate it."
			}
		}
		if l.file == "" {
			// The commit's own text: its message, author or committer.
			pos = gates.Pos{}
			advice = fmt.Sprintf(" It is in commit %s itself (its message, author or committer). Rotate it: rewording the commit leaves it in every clone that has it.", shortSHA(l.commit))
		}
		out = append(out, gates.Finding{
			Rule:     l.rule,
			Severity: gates.SeverityError,
			Pos:      pos,
			Commit:   l.commit,
			Message:  what + advice,
		})
	}
	return out
}

// sortFindings orders findings completely (file, position, rule, commit,
// then the rest), so that a report lists the same findings in the same
// order on every run.
func sortFindings(fs []gates.Finding) {
	slices.SortStableFunc(fs, func(a, b gates.Finding) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.Commit, b.Commit),
			cmp.Compare(a.Severity, b.Severity),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
