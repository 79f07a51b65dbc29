package rollbackreadiness

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/wsfile"
)

// maxRunbook caps how much of the runbook is read.
const maxRunbook = 16 << 20

// checkScript proves that the restore script exists, is an executable
// regular file, is tracked by git as executable (when the workspace is a
// git repository), and that the runbook names it.
func (g *Gate) checkScript(ctx context.Context, env *gates.Env) partResult {
	r := g.checkScriptFile(ctx, env)
	if g.runbook == "" {
		return r
	}
	rb := g.checkRunbook(env)
	r.findings = append(r.findings, rb.findings...)
	r.err = errors.Join(r.err, rb.err)
	r.summary += rb.summary
	return r
}

func (g *Gate) checkScriptFile(ctx context.Context, env *gates.Env) partResult {
	script := g.script
	pos := gates.Pos{File: script}
	full := filepath.Join(env.Workspace, filepath.FromSlash(script))
	linfo, err := os.Lstat(full)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return partResult{findings: []gates.Finding{finding(RuleRestoreScriptMissing, pos,
			"restore script %s does not exist in the repository: a rollback would have nothing to run; add it (executable, committed) or fix restore-script", script)}}
	case err != nil:
		return partResult{err: fmt.Errorf("reading restore script %s: %w", script, err)}
	}
	info := linfo
	link := ""
	if linfo.Mode()&fs.ModeSymlink != 0 {
		target, _ := os.Readlink(full)
		link = fmt.Sprintf(" (a symbolic link to %s)", target)
		info, err = os.Stat(full)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return partResult{findings: []gates.Finding{finding(RuleRestoreScriptMissing, pos,
				"restore script %s is a symbolic link to %s, which does not exist: a rollback would have nothing to run; fix the link or restore-script", script, target)}}
		case err != nil:
			return partResult{err: fmt.Errorf("reading restore script %s%s: %w", script, link, err)}
		}
	}
	if !info.Mode().IsRegular() {
		return partResult{findings: []gates.Finding{finding(RuleRestoreScriptNotAFile, pos,
			"restore script %s%s is %s, not a script file: point restore-script at the script itself", script, link, wsfile.Kind(info.Mode()))}}
	}
	diskExec := info.Mode().Perm()&0o111 != 0

	git, err := g.gitState(ctx, env, script, linfo.Mode()&fs.ModeSymlink != 0)
	if err != nil {
		return partResult{err: err}
	}
	var findings []gates.Finding
	perm := fmt.Sprintf("%04o", info.Mode().Perm())
	switch {
	case !diskExec && git.mode == "100644":
		findings = append(findings, finding(RuleRestoreScriptNotExecutable, pos,
			"restore script %s%s is not executable (mode %s) and git records it as 100644: run chmod +x %s && git update-index --chmod=+x %s and commit", script, link, perm, script, git.path))
	case !diskExec && git.mode == "100755":
		findings = append(findings, finding(RuleRestoreScriptNotExecutable, pos,
			"restore script %s%s is not executable here (mode %s) although git records it as 100755: something in this job removed the mode (a copy, an archive, core.fileMode=false); the rollback job may do the same", script, link, perm))
	case !diskExec:
		findings = append(findings, finding(RuleRestoreScriptNotExecutable, pos,
			"restore script %s%s is not executable (mode %s): run chmod +x %s%s", script, link, perm, script, commitHint(git)))
	case git.mode == "100644":
		findings = append(findings, finding(RuleRestoreScriptNotExecutable, pos,
			"restore script %s%s is executable here but git records it as 100644, so a fresh checkout (the rollback job's) cannot run it: run git update-index --chmod=+x %s and commit", script, link, git.path))
	}
	if git.inRepo && git.mode == "" {
		findings = append(findings, finding(RuleRestoreScriptUntracked, pos,
			"restore script %s%s is not tracked by git: the rollback job's checkout will not have it; git add %s and commit it", script, link, git.path))
	}
	if len(findings) > 0 {
		return partResult{findings: findings}
	}
	summary := fmt.Sprintf("restore script %s executable", script)
	if git.inRepo {
		env.Notef("restore script %s%s: mode %s, tracked by git as %s", script, link, perm, git.describe())
		summary += " and tracked as such"
	} else {
		env.Notef("restore script %s%s: mode %s; the workspace is not a git repository, so how git records it was not checked", script, link, perm)
	}
	return partResult{summary: summary}
}

// gitFacts is how git records the restore script or, for a symbolic link
// inside the repository, its target (what a checkout makes executable).
type gitFacts struct {
	inRepo bool   // the workspace is a git repository
	path   string // the file whose mode is reported
	mode   string // as git records path; "" when untracked
	note   string // more about it, for the evidence line
}

func (f gitFacts) describe() string { return f.mode + f.note }

// commitHint says to commit the mode, when git tracks the file.
func commitHint(f gitFacts) string {
	if f.inRepo && f.mode != "" {
		return fmt.Sprintf(" && git update-index --chmod=+x %s and commit", f.path)
	}
	return ""
}

// gitState asks git how it records script. For a tracked symbolic link,
// what counts is its target, when that is in the repository too.
func (g *Gate) gitState(ctx context.Context, env *gates.Env, script string, symlink bool) (gitFacts, error) {
	f := gitFacts{path: script}
	repo, err := openRepository(env.Workspace)
	if err != nil || repo == nil {
		return f, err
	}
	f.inRepo = true
	if f.mode, err = trackedMode(ctx, repo, script); err != nil {
		return f, fmt.Errorf("checking restore script %s in git: %w", script, err)
	}
	if !symlink || f.mode == "" {
		return f, nil
	}
	real, err := filepath.EvalSymlinks(filepath.Join(env.Workspace, filepath.FromSlash(script)))
	if err != nil {
		return f, fmt.Errorf("reading restore script %s: %w", script, err)
	}
	ws, err := filepath.EvalSymlinks(env.Workspace)
	if err != nil {
		return f, fmt.Errorf("reading the workspace: %w", err)
	}
	rel, err := filepath.Rel(ws, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		f.note = fmt.Sprintf(" (a link to %s, outside the repository, whose mode git does not record)", real)
		return f, nil //nolint:nilerr // not relative to the workspace: outside it, reported as a note
	}
	target := filepath.ToSlash(rel)
	mode, err := trackedMode(ctx, repo, target)
	if err != nil {
		return f, fmt.Errorf("checking restore script %s (a link to %s) in git: %w", script, target, err)
	}
	return gitFacts{inRepo: true, path: target, mode: mode, note: " for the link's target " + target}, nil
}

// checkRunbook proves that the runbook exists and names the restore
// script, by its path from the repository's root or from the runbook's
// directory.
func (g *Gate) checkRunbook(env *gates.Env) partResult {
	pos := gates.Pos{File: g.runbook}
	full := filepath.Join(env.Workspace, filepath.FromSlash(g.runbook))
	// Stat before opening: the change controls the repository's links, and
	// opening a named pipe for reading waits for a writer.
	info, err := os.Stat(full)
	if errors.Is(err, fs.ErrNotExist) {
		return partResult{findings: []gates.Finding{finding(RuleRunbookMissing, pos,
			"runbook %s does not exist: nobody on call will find how to roll back; add it, or fix runbook", g.runbook)}}
	}
	if err != nil {
		return partResult{err: fmt.Errorf("reading runbook %s: %w", g.runbook, err)}
	}
	if !info.Mode().IsRegular() {
		return partResult{findings: []gates.Finding{finding(RuleRunbookMissing, pos,
			"runbook %s is %s, not a document: point runbook at the file", g.runbook, wsfile.Kind(info.Mode()))}}
	}
	// A runbook the change links out of the workspace is not the
	// repository's runbook.
	data, err := wsfile.ReadFile(env.Workspace, filepath.FromSlash(g.runbook), maxRunbook)
	if errors.Is(err, wsfile.ErrTooLarge) {
		return partResult{err: fmt.Errorf("reading runbook %s: larger than %d MiB; point runbook at the document that names the restore script", g.runbook, maxRunbook>>20)}
	}
	if err != nil {
		return partResult{err: fmt.Errorf("reading runbook %w", err)}
	}
	forms := []string{g.script}
	if rel, err := filepath.Rel(filepath.FromSlash(path.Dir(g.runbook)), filepath.FromSlash(g.script)); err == nil {
		if r := filepath.ToSlash(rel); r != g.script {
			forms = append(forms, r)
		}
	}
	text := string(data)
	for _, form := range forms {
		if line, col, ok := findMention(text, form); ok {
			env.Notef("runbook %s names the restore script at line %d, column %d (%q)", g.runbook, line, col, form)
			return partResult{summary: fmt.Sprintf(", named in %s", g.runbook)}
		}
	}
	also := ""
	if len(forms) > 1 {
		also = fmt.Sprintf(" (or %s, from the runbook's directory)", strings.Join(forms[1:], ", "))
	}
	return partResult{findings: []gates.Finding{finding(RuleRunbookMissingScript, pos,
		"runbook %s does not mention the restore script %s%s: whoever follows it during an incident will not find the script; name it in the runbook, or fix restore-script",
		g.runbook, g.script, also)}}
}

// findMention finds form in text as a whole path, not part of a longer
// name (scripts/restore.sh is not in myscripts/restore.sh.bak), and
// returns its 1-based line and column.
func findMention(text, form string) (line, col int, ok bool) {
	for from := 0; ; {
		i := strings.Index(text[from:], form)
		if i < 0 {
			return 0, 0, false
		}
		i += from
		end := i + len(form)
		before := i == 0 || !isNameByte(text[i-1])
		after := end == len(text) || (!isNameByte(text[end]) && text[end] != '/') ||
			(text[end] == '.' && (end+1 == len(text) || !isNameByte(text[end+1])))
		if before && after {
			start := strings.LastIndexByte(text[:i], '\n') + 1
			return strings.Count(text[:i], "\n") + 1, utf8.RuneCountInString(text[start:i]) + 1, true
		}
		from = i + 1
	}
}

// isNameByte reports bytes that continue a file name.
func isNameByte(b byte) bool {
	return b == '_' || b == '-' || b == '.' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}
