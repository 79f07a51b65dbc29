package secretscan

import (
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

	"github.com/release-gate/release-gate/internal/gitrepo"
	"github.com/release-gate/release-gate/internal/plural"

	"github.com/release-gate/release-gate/gates"
)

// Gate is the secret-scan gate.
type Gate struct {
	cfg          Config
	forbid       []string
	allow        []string
	defaultRules bool
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
	if slices.Contains(scopes, ScopeTree) {
		warmRegexEngine()
	}

	gr, err := gitrepo.Open(env.Workspace)
	if errors.Is(err, gitrepo.ErrNotRepository) {
		return nil, fmt.Errorf("%s is not inside a git repository: the secret scan needs one (it scans tracked files and commits)", env.Workspace)
	}
	if err != nil {
		return nil, err
	}
	// gitleaks starts git itself: the repository must be trusted in the
	// environment git inherits, not only on our own git command lines.
	if err := gr.TrustInEnvironment(); err != nil {
		return nil, err
	}
	r := repo{gr}
	prefix, err := r.prefix(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the repository: %w", err)
	}

	var rng *commitRange
	if slices.Contains(scopes, ScopeDiff) {
		if rng, err = g.resolveRange(ctx, r, env); err != nil {
			return nil, err
		}
	}

	det, err := g.detector(env.Workspace, prefix)
	if err != nil {
		return nil, err
	}
	env.Notef("rules: %s", det.rules.origin)

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		leaks    []leak
		forbid   []gates.Finding
		scanErrs []error
		covered  []string
	)
	record := func(ls []leak, fs []gates.Finding, what string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			scanErrs = append(scanErrs, err)
			return
		}
		leaks = append(leaks, ls...)
		forbid = append(forbid, fs...)
		covered = append(covered, what)
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
				record(g.scanHistory(ctx, det, env.Workspace, prefix))
			}
		}()
	}
	wg.Wait()

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(scanErrs) > 0 {
		return nil, errors.Join(scanErrs...)
	}
	logErrs, logWarns := glog.snapshot()
	for _, w := range logWarns {
		env.Notef("gitleaks warning: %s", w)
	}
	if len(logErrs) > 0 {
		return nil, fmt.Errorf("gitleaks reported errors, so the scan may have stopped early: %s", strings.Join(firstN(logErrs, 5), "; "))
	}

	findings := append(leakFindings(dedupe(leaks)), forbid...)
	sortFindings(findings)
	sort.Strings(covered)
	what := strings.Join(covered, " and ")
	secrets := len(findings) - len(forbid)
	switch {
	case len(findings) == 0:
		env.SetSummary("no secrets in %s", what)
	case len(forbid) == 0:
		env.SetSummary("%s in %s", plural.Count(secrets, "secret"), what)
	case secrets == 0:
		env.SetSummary("%s tracked", plural.Count(len(forbid), "forbidden file"))
	default:
		env.SetSummary("%s in %s; %s tracked", plural.Count(secrets, "secret"), what, plural.Count(len(forbid), "forbidden file"))
	}
	return findings, nil
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
}

func (c *commitRange) String() string { return shortSHA(c.base) + ".." + shortSHA(c.head) }

// resolveRange verifies base and head before anything is scanned: gitleaks
// would otherwise scan a bad range partially and report nothing.
func (g *Gate) resolveRange(ctx context.Context, r repo, env *gates.Env) (*commitRange, error) {
	base, head := g.cfg.Base, g.cfg.Head
	if base == "" {
		base = env.Event.Base
	}
	if head == "" {
		head = env.Event.Head
	}
	if head == "" {
		head = "HEAD"
	}
	if base == "" {
		return nil, errors.New("scope diff needs a base commit, and neither the configuration (base:) nor the GitHub event names one (a push that creates a branch has none); set base, or scope: [tree]")
	}
	shallow, err := r.isShallow(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the repository: %w", err)
	}
	hint := "fetch it, or check out with fetch-depth: 0 (actions/checkout) so the whole history is present"
	if shallow {
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
	if shallow {
		ok, err := r.hasMergeBase(ctx, rng.base, rng.head)
		if err != nil {
			return nil, fmt.Errorf("finding where head left base: %w", err)
		}
		if !ok {
			return nil, fmt.Errorf("base %s and head %s share no history in this clone, so the change's commits cannot be listed; %s", shortSHA(rng.base), shortSHA(rng.head), hint)
		}
	}
	if rng.commits, err = r.countCommits(ctx, rng.base, rng.head); err != nil {
		return nil, fmt.Errorf("listing the change's commits: %w", err)
	}
	return &rng, nil
}

// detector loads the rules and ignore files.
func (g *Gate) detector(workspace, prefix string) (*gitleaksDetector, error) {
	path := func(configured, def string) (string, error) {
		if configured == "" {
			if def == "" {
				return "", nil
			}
			p := filepath.Join(workspace, def)
			if _, err := os.Stat(p); err != nil {
				return "", nil
			}
			return p, nil
		}
		p := configured
		if !filepath.IsAbs(p) {
			p = filepath.Join(workspace, filepath.FromSlash(p))
		}
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s: %w", configured, err)
		}
		return p, nil
	}
	cfgPath, err := path(g.cfg.GitleaksConfig, ".gitleaks.toml")
	if err != nil {
		return nil, fmt.Errorf("reading gitleaks-config: %w", err)
	}
	ignore, err := path(g.cfg.GitleaksIgnore, ".gitleaksignore")
	if err != nil {
		return nil, fmt.Errorf("reading gitleaks-ignore: %w", err)
	}
	baseline, err := path(g.cfg.Baseline, "")
	if err != nil {
		return nil, fmt.Errorf("reading baseline: %w", err)
	}
	rules, err := loadRules(workspace, cfgPath, g.defaultRules)
	if err != nil {
		return nil, err
	}
	return &gitleaksDetector{rules: rules, ignore: ignore, baseline: baseline, workspace: workspace, pathPrefix: prefix}, nil
}

func (g *Gate) scanTree(ctx context.Context, env *gates.Env, r repo, det detector) ([]leak, []gates.Finding, string, error) {
	tracked, err := r.Tracked(ctx)
	if err != nil {
		return nil, nil, "", fmt.Errorf("listing tracked files: %w", err)
	}
	// A file missing from the working tree is skipped when it is read
	// (there is nothing to read); files a sparse checkout left out are
	// tracked content the scan would silently never see.
	absent, err := r.notCheckedOut(ctx)
	if err != nil {
		return nil, nil, "", fmt.Errorf("listing tracked files: %w", err)
	}
	if len(absent) > 0 {
		verb, them := "are", "them"
		if len(absent) == 1 {
			verb, them = "is", "it"
		}
		return nil, nil, "", fmt.Errorf("%s %s not checked out (a sparse checkout), so the tree scan cannot read %s: %s; check out every file (actions/checkout without sparse-checkout)",
			plural.Count(len(absent), "tracked file"), verb, them, strings.Join(firstN(absent, 5), ", "))
	}
	var files []string
	var forbid []gates.Finding
	submodules := 0
	for _, f := range tracked {
		if pattern := forbidden(f.Path, g.forbid, g.allow); pattern != "" {
			forbid = append(forbid, forbiddenFinding(f.Path, pattern, ""))
		}
		switch f.Mode {
		case "120000": // a symlink: its target is scanned where it is tracked
			continue
		case "160000":
			submodules++
			continue
		}
		files = append(files, f.Path)
	}
	if submodules > 0 {
		env.Notef("%s not scanned: scan each submodule's repository with its own gate", plural.Count(submodules, "submodule"))
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
	leaks, err := det.scanFiles(ctx, env.Workspace, files, progress)
	if err != nil {
		return nil, nil, "", fmt.Errorf("scanning tracked files: %w", err)
	}
	return leaks, forbid, plural.Count(len(files), "tracked file"), nil
}

func (g *Gate) scanDiff(ctx context.Context, env *gates.Env, r repo, det detector, rng *commitRange, prefix string, checkAdded bool) ([]leak, []gates.Finding, string, error) {
	what := fmt.Sprintf("%s (%s)", plural.Count(rng.commits, "commit"), rng)
	if rng.commits == 0 {
		return nil, nil, what, nil
	}
	if rng.commits > 200 {
		env.Progressf("scanning %d commits (%s)", rng.commits, rng)
	}
	opts := rng.base + ".." + rng.head
	if prefix != "" {
		opts += " -- ."
	}
	leaks, err := det.scanCommits(ctx, r.Dir(), opts)
	if err != nil {
		return nil, nil, "", fmt.Errorf("scanning commits %s: %w", rng, err)
	}
	var forbid []gates.Finding
	if checkAdded {
		added, err := r.addedFiles(ctx, rng.base, rng.head)
		if err != nil {
			return nil, nil, "", fmt.Errorf("listing files the change adds: %w", err)
		}
		for _, f := range added {
			if pattern := forbidden(f, g.forbid, g.allow); pattern != "" {
				forbid = append(forbid, forbiddenFinding(f, pattern, rng.head))
			}
		}
	}
	return leaks, forbid, what, nil
}

func (g *Gate) scanHistory(ctx context.Context, det detector, dir, prefix string) ([]leak, []gates.Finding, string, error) {
	opts := ""
	if prefix != "" {
		opts = "--full-history --all -- ."
	}
	leaks, err := det.scanCommits(ctx, dir, opts)
	if err != nil {
		return nil, nil, "", fmt.Errorf("scanning the history: %w", err)
	}
	return leaks, nil, "the whole history", nil
}

// dedupe keeps one leak per file, line and rule, preferring the one that
// names the commit (the same secret is found in the change and the tree).
func dedupe(leaks []leak) []leak {
	type key struct {
		file, rule string
		line       int
	}
	best := map[key]int{}
	var out []leak
	for _, l := range leaks {
		k := key{l.file, l.rule, l.line}
		if i, ok := best[k]; ok {
			if out[i].commit == "" && l.commit != "" {
				out[i] = l
			}
			continue
		}
		best[k] = len(out)
		out = append(out, l)
	}
	return out
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
		out = append(out, gates.Finding{
			Rule:     l.rule,
			Severity: gates.SeverityError,
			Pos:      gates.Pos{File: l.file, Line: l.line, Col: l.col},
			Commit:   l.commit,
			Message:  what + advice,
		})
	}
	return out
}

func forbiddenFinding(file, pattern, commit string) gates.Finding {
	return gates.Finding{
		Rule:     "forbidden-file",
		Severity: gates.SeverityError,
		Pos:      gates.Pos{File: file},
		Commit:   commit,
		Message: fmt.Sprintf("%s is tracked, and files matching %q hold secrets: remove it from git (git rm --cached) and ignore it, or list it under allow-files if it holds none",
			filepath.Base(file), pattern),
	}
}

func sortFindings(fs []gates.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i].Pos, fs[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
