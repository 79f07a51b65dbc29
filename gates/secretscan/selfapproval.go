package secretscan

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/report"
	"github.com/zricethezav/gitleaks/v8/sources"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/gitrepo"
	"github.com/release-gate/release-gate/internal/wsfile"
)

// A change can add a secret and, in the same change, what lets it pass:
// an entry of .gitleaksignore or of the baseline, an allowlist, a
// disabled or changed rule in .gitleaks.toml, a gitleaks:allow comment on
// the line. gitleaks honours them all, by design: users need them for
// false positives. But a suppression is a decision a reviewer makes, and
// one the change under test makes for its own secrets has not been
// reviewed by anyone when the gate runs.
//
// So in the diff scope, the commits of the change are also scanned as the
// policy the change started from would scan them: the gitleaks
// configuration, ignore list and baseline as they are at base, and no
// gitleaks:allow comment except those base already had for the same
// secret. A secret that policy reports and the change's own policy lets
// pass is a finding of its own, suppressed-in-change: an error (the
// default, self-suppression: fail) or a warning (self-suppression: warn),
// naming the suppression. A suppression merged earlier, in base, works as
// before; one the change adds works from the next change on.
//
// The second scan shares the pass over git log with the first, and runs
// only where it can differ: on every fragment when a file of the policy
// differs from base, else only on fragments holding gitleaks:allow.
//
// Each file that decides what the scan lets pass and that the change's
// commits edit is also reported, as a warning (scan-policy-edited), for a
// reviewer: the gitleaks configuration, the ignore list, the baseline and
// the release-gate configuration (whose edits the gate cannot hold to an
// earlier version: it is what configures the gate).

// Rules of the findings this file makes.
const (
	ruleSuppressedInChange = "suppressed-in-change"
	rulePolicyEdited       = "scan-policy-edited"
)

// gitleaksAllow is gitleaks' inline suppression.
const gitleaksAllow = "gitleaks:allow"

// releaseGateConfigs are the release-gate configuration files the CLI
// looks for in the workspace.
var releaseGateConfigs = []string{".github/release-gate.yml", ".github/release-gate.yaml"}

// strictScan scans a change's commits as the policy the change started
// from would, honouring no gitleaks:allow comment.
type strictScan struct {
	det *gitleaksDetector // the policy at base (head's when the change leaves it as it was)
	// all scans every fragment (the policy differs from head's); else
	// only fragments holding gitleaks:allow.
	all bool
	// skip is the baseline's own path, never scanned, as gitleaks skips it.
	skip string

	once     sync.Once
	pool     *detectorPool // detectors of the policy, to collect their findings
	mu       sync.Mutex
	baseline *baseline // the policy's, nil for none
	startErr error     // from start
	err      error     // from start or a scan, under mu
}

// start makes the detector. Its findings keep their secrets, to be
// compared with base's copy of the file; they never leave this file.
func (s *strictScan) start(ctx context.Context) error {
	s.once.Do(func() {
		// The findings keep their secrets; the baseline is compared with
		// them as with redacted ones (see baselineKey and only).
		var err error
		if s.baseline, err = s.det.loadBaseline(); err != nil {
			s.startErr = fmt.Errorf("reading baseline %s as it is at base: %w", s.det.baseline.name, err)
			return
		}
		newD := func(ctx context.Context) (*detect.Detector, error) {
			d := s.det.rules.rules.NewDetector(ctx, true)
			d.IgnoreGitleaksAllow = true
			if s.det.ignore != nil {
				if err := d.AddGitleaksIgnore(s.det.ignorePath); err != nil {
					return nil, fmt.Errorf("reading %s as it is at base: %s", s.det.ignore.name, strings.ReplaceAll(err.Error(), s.det.ignorePath, s.det.ignore.name))
				}
			}
			return d, nil
		}
		// The first one now, so that a policy that cannot be read fails
		// here.
		pool := &detectorPool{newD: newD}
		d, err := pool.get(ctx)
		if err != nil {
			s.startErr = err
			return
		}
		pool.put(d)
		s.pool = pool
	})
	if s.startErr != nil {
		s.mu.Lock()
		if s.err == nil {
			s.err = s.startErr
		}
		s.mu.Unlock()
	}
	return s.startErr
}

// scan scans one fragment, when it may find what the change's policy does
// not.
func (s *strictScan) scan(ctx context.Context, fr sources.Fragment) {
	if s.skip != "" && fr.FilePath == s.skip {
		return
	}
	if !s.all && !strings.Contains(fr.Raw, gitleaksAllow) {
		return
	}
	// Made on first use: most changes hold no gitleaks:allow.
	if s.start(ctx) != nil {
		return
	}
	d, err := s.pool.get(ctx)
	if err == nil {
		_, err = s.det.rules.rules.Detect(ctx, d, fr, false) // recorded in d: see only
		s.pool.put(d)
	}
	if err != nil {
		s.mu.Lock()
		if s.err == nil {
			s.err = err
		}
		s.mu.Unlock()
	}
}

// strictLeak is a secret the strict scan found and the change's policy let
// pass. Its finding holds the secret: only its rule, place and commit are
// ever reported.
type strictLeak struct {
	leak
	finding report.Finding // as gitleaks found it (paths in the repository)
}

// only returns the strict scan's findings that found (the change's own
// policy) does not hold: none of the same rule on the same line. The rule
// counts: a change that renames its own finding's rule (disabling
// aws-access-token and defining a generic-api-key that matches AWS keys)
// would otherwise turn it into a finding a waiver for the other rule lets
// pass.
func (s *strictScan) only(found []report.Finding, prefix string) []strictLeak {
	if s.pool == nil {
		return nil
	}
	type at struct {
		commit, file, rule string
		line               int
	}
	reported := map[at]bool{}
	for _, f := range found {
		reported[at{f.Commit, f.File, f.RuleID, f.StartLine}] = true
	}
	var out []strictLeak
	for _, f := range s.pool.findings() {
		if reported[at{f.Commit, f.File, f.RuleID, f.StartLine}] {
			continue
		}
		if s.baseline.accepts(&f) || s.det.commitIgnores.ignores(&f) {
			continue
		}
		out = append(out, strictLeak{
			leak:    leak{rule: f.RuleID, description: f.Description, file: strings.TrimPrefix(f.File, prefix), line: f.StartLine, col: f.StartColumn, commit: f.Commit},
			finding: f,
		})
	}
	return out
}

// policyCandidate is a workspace file that decides what the scan lets
// pass, and its copy as the scan read it (nil when absent).
type policyCandidate struct {
	rel  string
	head *policyFile
}

// policyCandidates lists the files of the workspace that decide what the
// scan lets pass, as det read them: the gitleaks configuration and those
// it extends, the ignore list and the baseline (files outside the
// workspace are the workflow's, not the change's).
func (g *Gate) policyCandidates(det *gitleaksDetector) []policyCandidate {
	var out []policyCandidate
	seen := map[string]bool{}
	add := func(rel string, f *policyFile) {
		if rel != "" && !seen[rel] {
			seen[rel] = true
			out = append(out, policyCandidate{rel: rel, head: f})
		}
	}
	for _, f := range det.rules.files {
		add(f.rel, f)
	}
	if g.cfg.GitleaksConfig == "" {
		add(".gitleaks.toml", nil)
	} else if rel, ok := workspaceRel(g.cfg.GitleaksConfig); ok {
		add(rel, nil)
	}
	if det.ignore != nil {
		add(det.ignore.rel, det.ignore)
	} else if g.cfg.GitleaksIgnore == "" {
		add(".gitleaksignore", nil)
	}
	if det.baseline != nil {
		add(det.baseline.rel, det.baseline)
	}
	return out
}

// workspaceRel is the workspace path of a configured relative path.
func workspaceRel(p string) (string, bool) {
	if filepath.IsAbs(p) {
		return "", false
	}
	rel := path.Clean(filepath.ToSlash(p))
	return rel, rel != ".." && !strings.HasPrefix(rel, "../")
}

// strictScanFor builds the strict scan of the change base..head: with
// the policy as it is at base when the workspace's differs, else with
// det's own.
func (g *Gate) strictScanFor(ctx context.Context, env *gates.Env, r repo, base, prefix string, det *gitleaksDetector) (*strictScan, error) {
	bf, err := newBaseFiles(ctx, r, base, prefix, env.Workspace)
	if err != nil {
		return nil, err
	}
	defer bf.close()
	candidates := g.policyCandidates(det)
	rels := make([]string, len(candidates))
	for i, c := range candidates {
		rels[i] = c.rel
	}
	if err := bf.list(rels); err != nil {
		return nil, fmt.Errorf("reading the scan's policy at base %s: %w", shortSHA(base), err)
	}
	changed := false
	for _, c := range candidates {
		oid, err := bf.objectID(c.rel)
		absent := errors.Is(err, fs.ErrNotExist)
		if err != nil && !absent {
			// Unreadable at base (too large, a directory): it differs.
			changed = true
			break
		}
		if absent != (c.head == nil) || (c.head != nil && oid != blobID(r.ObjectFormat(), c.head.data)) {
			changed = true
			break
		}
	}
	skip := func(d *gitleaksDetector) string {
		if d.baseline == nil || d.baseline.rel == "" {
			return ""
		}
		return prefix + d.baseline.rel
	}
	if !changed {
		return &strictScan{det: det, skip: skip(det)}, nil
	}
	baseDet, err := g.basePolicy(bf, det, prefix)
	if err != nil {
		var gerr *gitrepo.Error
		if errors.As(err, &gerr) || ctx.Err() != nil {
			return nil, fmt.Errorf("reading the scan's policy at base %s: %w", shortSHA(base), err)
		}
		// A policy base could not load (the change may be what repairs
		// it): hold the change to the default rules, with no suppression.
		env.Notef("the gitleaks configuration at base %s could not be loaded (%v): the change's commits are also checked against gitleaks' default rules, with no suppression", shortSHA(base), hideSecrets(ctx, err))
		rules, derr := loadRules(nil, nil, true)
		if derr != nil {
			return nil, derr
		}
		if baseDet, err = newGitleaksDetector(rules, nil, nil, prefix); err != nil {
			return nil, err
		}
	}
	return &strictScan{det: baseDet, all: true, skip: skip(baseDet)}, nil
}

// basePolicy reads the policy as it is at base: the files of the workspace
// from the base commit, the workflow's own (outside the workspace) as head
// read them.
func (g *Gate) basePolicy(bf *baseFiles, head *gitleaksDetector, prefix string) (*gitleaksDetector, error) {
	optional := func(configured, def string, headFile *policyFile, max int64) (*policyFile, error) {
		rel := def
		if configured != "" {
			var ok bool
			if rel, ok = workspaceRel(configured); !ok || (headFile != nil && headFile.rel == "") {
				return headFile, nil // the workflow's own file
			}
		}
		if rel == "" {
			return nil, nil
		}
		f, _, err := bf.file(rel, max)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return f, err
	}
	var headCfg *policyFile
	if len(head.rules.files) > 0 {
		headCfg = head.rules.files[0]
	}
	cfg, err := optional(g.cfg.GitleaksConfig, ".gitleaks.toml", headCfg, maxGitleaksConfig)
	if err != nil {
		return nil, err
	}
	ignore, err := optional(g.cfg.GitleaksIgnore, ".gitleaksignore", head.ignore, maxListFile)
	if err != nil {
		return nil, err
	}
	baseline, err := optional(g.cfg.Baseline, "", head.baseline, maxListFile)
	if err != nil {
		return nil, err
	}
	rules, err := loadRules(bf, cfg, g.defaultRules)
	if err != nil {
		return nil, err
	}
	return newGitleaksDetector(rules, ignore, baseline, prefix)
}

// baseFiles reads policy files as they are in a commit.
type baseFiles struct {
	ctx            context.Context
	r              repo
	commit, prefix string
	ws             workspaceFiles // for the workflow's files outside the workspace
	wsRoot         *wsfile.Root
	blobs          *gitrepo.Blobs
	// listed are tree entries looked up together: path → mode and
	// object id, "" for a path the tree lacks.
	listed map[string][2]string
}

func newBaseFiles(ctx context.Context, r repo, commit, prefix, workspace string) (*baseFiles, error) {
	root, err := wsfile.Open(workspace)
	if err != nil {
		return nil, fmt.Errorf("opening the workspace: %w", err)
	}
	return &baseFiles{ctx: ctx, r: r, commit: commit, prefix: prefix, ws: workspaceFiles{ws: root, dir: workspace}, wsRoot: root}, nil
}

func (b *baseFiles) close() {
	if b.blobs != nil {
		_ = b.blobs.Close()
	}
	_ = b.wsRoot.Close()
}

// maxLinkHops bounds how many symbolic links a lookup follows.
const maxLinkHops = 8

// file reads the workspace file rel as it is in the commit, following
// symbolic links inside the repository, and returns it with the object id
// of its content. A file absent, or a link that leaves the repository,
// is fs.ErrNotExist.
func (b *baseFiles) file(rel string, max int64) (*policyFile, string, error) {
	repoPath := b.prefix + rel
	for hop := 0; hop <= maxLinkHops; hop++ {
		mode, oid, err := b.entry(repoPath)
		if err != nil {
			return nil, "", err
		}
		switch mode {
		case "100644", "100755":
			data, err := b.read(oid, max)
			if err != nil {
				return nil, "", fmt.Errorf("%s: %w", rel, err)
			}
			return &policyFile{name: rel, rel: rel, data: data}, oid, nil
		case "120000":
			target, err := b.read(oid, 4096)
			if err != nil {
				return nil, "", fmt.Errorf("%s: %w", rel, err)
			}
			next := path.Join(path.Dir(repoPath), string(target))
			if path.IsAbs(string(target)) || next == ".." || strings.HasPrefix(next, "../") {
				return nil, "", fmt.Errorf("%s: %w", rel, fs.ErrNotExist)
			}
			repoPath = next
		default:
			return nil, "", fmt.Errorf("%s: %w", rel, fs.ErrNotExist)
		}
	}
	return nil, "", fmt.Errorf("%s: %w", rel, fs.ErrNotExist)
}

// list looks the workspace files rels up in the commit's tree with one
// git command, for file to answer from.
func (b *baseFiles) list(rels []string) error {
	paths := make([]string, len(rels))
	for i, rel := range rels {
		paths[i] = b.prefix + rel
	}
	found, err := b.lsTree(paths)
	if err != nil {
		return err
	}
	if b.listed == nil {
		b.listed = map[string][2]string{}
	}
	for _, p := range paths {
		b.listed[p] = found[p]
	}
	return nil
}

// lsTree lists the tree entries of paths: path → mode and object id.
func (b *baseFiles) lsTree(paths []string) (map[string][2]string, error) {
	out, err := b.r.Run(b.ctx, append([]string{"ls-tree", "-z", "--full-tree", b.commit, "--"}, paths...)...)
	if err != nil {
		return nil, err
	}
	found := map[string][2]string{}
	for _, rec := range bytes.Split(out, []byte{0}) {
		meta, name, ok := bytes.Cut(rec, []byte{'\t'})
		f := strings.Fields(string(meta))
		if ok && len(f) == 3 {
			found[string(name)] = [2]string{f[0], f[2]}
		}
	}
	return found, nil
}

// objectID is the object id of the content of the workspace file rel in
// the commit, following symbolic links as file does, without reading it
// when it is no link.
func (b *baseFiles) objectID(rel string) (string, error) {
	mode, oid, err := b.entry(b.prefix + rel)
	if err != nil || mode == "100644" || mode == "100755" {
		return oid, err
	}
	_, oid, err = b.file(rel, maxListFile)
	return oid, err
}

// entry looks repoPath up in the commit's tree: its mode and object id,
// or fs.ErrNotExist.
func (b *baseFiles) entry(repoPath string) (mode, oid string, err error) {
	e, ok := b.listed[repoPath]
	if !ok {
		found, err := b.lsTree([]string{repoPath})
		if err != nil {
			return "", "", err
		}
		e = found[repoPath]
	}
	if e[0] == "" {
		return "", "", fmt.Errorf("%s: %w", repoPath, fs.ErrNotExist)
	}
	return e[0], e[1], nil
}

// read reads a blob of at most max bytes.
func (b *baseFiles) read(oid string, max int64) ([]byte, error) {
	if b.blobs == nil {
		var err error
		if b.blobs, err = b.r.Blobs(b.ctx); err != nil {
			return nil, err
		}
	}
	var data []byte
	err := b.blobs.Read(oid, func(size int64, r io.Reader) error {
		if size > max {
			return fmt.Errorf("%w (%d bytes; at most %d)", wsfile.ErrTooLarge, size, max)
		}
		var err error
		data, err = io.ReadAll(r)
		return err
	})
	return data, err
}

// extend implements policyFiles: a workspace file extends files as they
// are in the commit; the workflow's own, outside the workspace, as they
// are on the machine.
func (b *baseFiles) extend(from *policyFile, p string) (*policyFile, error) {
	if from.rel == "" {
		return b.ws.extend(from, p)
	}
	rel := ""
	if filepath.IsAbs(p) {
		if !wsfile.Inside(b.ws.dir, p) {
			return nil, fmt.Errorf("%s: %w (a file of the workspace may only extend files of the workspace)", p, wsfile.ErrOutside)
		}
		r, _ := filepath.Rel(b.ws.dir, p)
		rel = filepath.ToSlash(r)
	} else {
		rel = path.Join(path.Dir(from.rel), filepath.ToSlash(p))
	}
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("%s: %w (a file of the workspace may only extend files of the workspace)", p, wsfile.ErrOutside)
	}
	f, _, err := b.file(rel, maxGitleaksConfig)
	return f, err
}

// selfSuppressed judges the secrets only the strict scan found: each is a
// suppressed-in-change finding naming what the change's policy used to
// let it pass, unless base already allowed it inline.
func (g *Gate) selfSuppressed(ctx context.Context, r repo, base string, det *gitleaksDetector, only []strictLeak) ([]gates.Finding, error) {
	if len(only) == 0 {
		return nil, nil
	}
	headIgnore := ignoreEntries(det.ignore)
	headBaseline, _ := det.loadBaseline() // it loaded: the scan read it
	atBase := &baseLines{bf: &baseFiles{ctx: ctx, r: r, commit: base}, files: map[string][]string{}}
	defer atBase.close()
	var out []gates.Finding
	for _, l := range only {
		f := l.finding
		var how []string
		global := fmt.Sprintf("%s:%s:%d", f.File, f.RuleID, f.StartLine)
		commit := f.Commit + ":" + global
		for _, fp := range []string{global, commit} {
			if headIgnore[fp] {
				how = append(how, fmt.Sprintf("the entry %s of %s", fp, det.ignore.name))
			}
		}
		if headBaseline.accepts(&f) {
			how = append(how, "the baseline "+det.baseline.name)
		}
		if strings.Contains(f.Line, gitleaksAllow) {
			allowed, err := atBase.allowed(f)
			if err != nil {
				return nil, err
			}
			if allowed {
				continue // base let this secret pass on this line already
			}
			how = append(how, "a gitleaks:allow comment on the line")
		}
		if len(how) == 0 {
			cfgName := "gitleaks' default rules"
			if len(det.rules.files) > 0 {
				cfgName = det.rules.files[0].name
			}
			if !det.rules.rules.Has(f.RuleID) {
				how = append(how, fmt.Sprintf("the gitleaks rules as the change leaves them, without rule %s (%s)", f.RuleID, det.rules.origin))
			} else {
				how = append(how, fmt.Sprintf("an allowlist or a change to rule %s in %s", f.RuleID, cfgName))
			}
		}
		sev := gates.SeverityError
		msg := fmt.Sprintf("This change adds a secret (%s) that only %s, added by this same change, lets pass. A suppression applies from the change after the one that adds it: rotate the secret and remove it or, if it is no secret, add the suppression in a change of its own first, for review.", f.RuleID, strings.Join(how, " and "))
		if g.selfSuppression == SelfSuppressionWarn {
			sev = gates.SeverityWarning
			msg = fmt.Sprintf("This change adds a secret (%s) that only %s, added by this same change, lets pass: a reviewer must accept the suppression (self-suppression: warn).", f.RuleID, strings.Join(how, " and "))
		}
		out = append(out, gates.Finding{
			Rule:     ruleSuppressedInChange,
			Severity: sev,
			Pos:      gates.Pos{File: l.file, Line: l.line, Col: l.col},
			Commit:   l.commit,
			Message:  msg,
		})
	}
	return out, nil
}

// ignoreEntries reads an ignore list as gitleaks does.
func ignoreEntries(f *policyFile) map[string]bool {
	out := map[string]bool{}
	if f == nil {
		return out
	}
	slash := strings.NewReplacer(`\`, "/")
	sc := bufio.NewScanner(bytes.NewReader(f.data))
	sc.Buffer(make([]byte, 64<<10), maxListFile)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, ":")
		switch len(parts) {
		case 3:
			parts[0] = slash.Replace(parts[0])
		case 4:
			parts[1] = slash.Replace(parts[1])
		}
		out[strings.Join(parts, ":")] = true
	}
	return out
}

// maxAllowLookup bounds the base copies of files read to look for a
// gitleaks:allow comment there; a larger file counts as having none.
const maxAllowLookup = 64 << 20

// baseLines reads files as they are at base, once each, keeping only the
// lines that hold gitleaks:allow: the only ones that can have let a
// secret pass at base. (Scanning every line of a file for each secret
// allowed in it took 46 s for 10,000 against a 200,000-line file.)
type baseLines struct {
	bf    *baseFiles
	files map[string][]string // repository path → its lines holding gitleaks:allow
}

func (b *baseLines) close() {
	if b.bf.blobs != nil {
		_ = b.bf.blobs.Close()
	}
}

// allowed reports whether base's copy of f's file has a line holding both
// f's secret and gitleaks:allow: the suppression was there before the
// change.
func (b *baseLines) allowed(f report.Finding) (bool, error) {
	if f.File == "" { // a commit's own text: base has no copy of it
		return false, nil
	}
	lines, ok := b.files[f.File]
	if !ok {
		mode, oid, err := b.bf.entry(f.File)
		switch {
		case errors.Is(err, fs.ErrNotExist), err == nil && mode != "100644" && mode != "100755":
		case err != nil:
			return false, err
		default:
			data, err := b.bf.read(oid, maxAllowLookup)
			if errors.Is(err, wsfile.ErrTooLarge) {
				break
			}
			if err != nil {
				return false, err
			}
			lines = allowLines(data)
		}
		b.files[f.File] = lines
	}
	secret := f.Secret
	if secret == "" {
		secret = f.Match
	}
	for _, line := range lines {
		if secret != "" && strings.Contains(line, secret) {
			return true, nil
		}
	}
	return false, nil
}

// allowLines returns the lines of data (cut at each newline) that hold
// gitleaks:allow.
func allowLines(data []byte) []string {
	var out []string
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		if bytes.Contains(line, []byte(gitleaksAllow)) {
			out = append(out, string(line))
		}
	}
	return out
}

// policyEdits reports each file that decides what the scan lets pass and
// that the change's commits edit (base...head), as a warning. configFiles
// are the other files that configure the run (Env.ConfigFiles: a waivers
// file, a configuration elsewhere than the default path).
func (g *Gate) policyEdits(ctx context.Context, r repo, rng *commitRange, prefix string, det *gitleaksDetector, configFiles []string) ([]gates.Finding, error) {
	kinds := map[string]string{}
	var paths []string
	add := func(rel, what string) {
		if _, ok := kinds[rel]; !ok {
			kinds[rel] = what
			paths = append(paths, prefix+rel)
		}
	}
	for _, c := range g.policyCandidates(det) {
		what := "the gitleaks configuration"
		switch {
		case det.ignore != nil && c.rel == det.ignore.rel, g.cfg.GitleaksIgnore == "" && c.rel == ".gitleaksignore":
			what = "the list of findings to ignore"
		case det.baseline != nil && c.rel == det.baseline.rel:
			what = "the baseline of accepted findings"
		}
		add(c.rel, what)
	}
	runConfigs := append(slices.Clone(releaseGateConfigs), configFiles...)
	for _, p := range runConfigs {
		add(p, "the release-gate configuration")
	}
	// What the change's commits edit: from where head left base. With
	// no common history, everything head differs from base in.
	revs, err := r.changeRevs(ctx, rng.base, rng.head)
	if err != nil {
		return nil, err
	}
	args := append([]string{"diff", "--no-color", "--no-ext-diff", "--no-textconv", "--name-only", "-z", "--no-renames", "--no-relative"}, revs...)
	out, err := r.Run(ctx, append(append(args, "--"), paths...)...)
	if err != nil {
		return nil, fmt.Errorf("listing the change's edits to the scan's policy: %w", err)
	}
	var edits []gates.Finding
	for _, p := range bytes.Split(out, []byte{0}) {
		rel := strings.TrimPrefix(string(p), prefix)
		what, ok := kinds[rel]
		if len(p) == 0 || !ok {
			continue
		}
		msg := fmt.Sprintf("This change edits %s (%s), which decides what secret-scan lets pass: review the edit.", rel, what)
		switch {
		case slices.Contains(runConfigs, rel):
			msg = fmt.Sprintf("This change edits %s (%s), which decides what this gate checks: review the edit. The gate reads its configuration from the change, so the edit applies to the change itself.", rel, what)
		case g.selfSuppression == SelfSuppressionFail:
			msg += " Suppressions it adds do not apply to the change's own commits."
		}
		edits = append(edits, gates.Finding{Rule: rulePolicyEdited, Severity: gates.SeverityWarning, Pos: gates.Pos{File: rel}, Message: msg})
	}
	return edits, nil
}
