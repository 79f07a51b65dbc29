package rollbackreadiness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/testenv"
)

const restoreScript = "#!/bin/sh\nset -eu\npg_restore --clean \"$1\"\n"

func scriptGate(t *testing.T, extra ...string) *Gate {
	t.Helper()
	return mustGate(t, "restore-script: scripts/restore-db.sh\n"+strings.Join(extra, "\n"))
}

// committed makes a git repository whose scripts/restore-db.sh is
// committed with mode, then given diskMode in the working tree.
func committed(t *testing.T, mode, diskMode os.FileMode) string {
	t.Helper()
	ws := gitRepo(t)
	writeFile(t, ws, "scripts/restore-db.sh", []byte(restoreScript), mode, time.Now())
	git(t, ws, "add", ".")
	git(t, ws, "commit", "-q", "-m", "restore script")
	if diskMode != mode {
		if err := os.Chmod(filepath.Join(ws, "scripts", "restore-db.sh"), diskMode); err != nil {
			t.Fatal(err)
		}
	}
	return ws
}

func TestRestoreScriptPasses(t *testing.T) {
	ws := committed(t, 0o755, 0o755)
	res := gatetest.Run(t, scriptGate(t), testEnv(ws, nil, nil))
	gatetest.Want(t, res, gates.StatusPass, nil, "restore script scripts/restore-db.sh: mode 0755, tracked by git as 100755")
	testenv.MustContain(t, "summary", res.Summary, "restore script scripts/restore-db.sh executable and tracked as such")
}

func TestRestoreScriptOutsideGit(t *testing.T) {
	ws := t.TempDir()
	writeFile(t, ws, "scripts/restore-db.sh", []byte(restoreScript), 0o755, time.Now())
	res := gatetest.Run(t, scriptGate(t), testEnv(ws, nil, nil))
	gatetest.Want(t, res, gates.StatusPass, nil, "the workspace is not a git repository, so how git records it was not checked")

	writeFile(t, ws, "scripts/restore-db.sh", []byte(restoreScript), 0o644, time.Now())
	res = gatetest.Run(t, scriptGate(t), testEnv(ws, nil, nil))
	gatetest.Want(t, res, gates.StatusFail, []string{RuleRestoreScriptNotExecutable}, "is not executable (mode 0644): run chmod +x scripts/restore-db.sh")
}

func TestRestoreScriptFailures(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T) string
		rules []string
		want  []string
	}{
		{"missing", func(t *testing.T) string { return gitRepo(t) },
			[]string{RuleRestoreScriptMissing}, []string{"at scripts/restore-db.sh:", "restore script scripts/restore-db.sh does not exist in the repository"}},
		{"directory", func(t *testing.T) string {
			ws := gitRepo(t)
			if err := os.MkdirAll(filepath.Join(ws, "scripts", "restore-db.sh"), 0o755); err != nil {
				t.Fatal(err)
			}
			return ws
		}, []string{RuleRestoreScriptNotAFile}, []string{"restore script scripts/restore-db.sh is a directory, not a script file"}},
		{"broken link", func(t *testing.T) string {
			ws := gitRepo(t)
			if err := os.MkdirAll(filepath.Join(ws, "scripts"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("gone.sh", filepath.Join(ws, "scripts", "restore-db.sh")); err != nil {
				t.Fatal(err)
			}
			return ws
		}, []string{RuleRestoreScriptMissing}, []string{"is a symbolic link to gone.sh, which does not exist"}},
		{"executable but untracked", func(t *testing.T) string {
			ws := gitRepo(t)
			writeFile(t, ws, "scripts/restore-db.sh", []byte(restoreScript), 0o755, time.Now())
			return ws
		}, []string{RuleRestoreScriptUntracked}, []string{"is not tracked by git: the rollback job's checkout will not have it; git add scripts/restore-db.sh"}},
		{"neither executable nor tracked", func(t *testing.T) string {
			ws := gitRepo(t)
			writeFile(t, ws, "scripts/restore-db.sh", []byte(restoreScript), 0o600, time.Now())
			return ws
		}, []string{RuleRestoreScriptNotExecutable, RuleRestoreScriptUntracked}, []string{"is not executable (mode 0600): run chmod +x scripts/restore-db.sh\n"}},
		{"committed as 100644, executable here", func(t *testing.T) string { return committed(t, 0o644, 0o755) },
			[]string{RuleRestoreScriptNotExecutable}, []string{"is executable here but git records it as 100644", "git update-index --chmod=+x scripts/restore-db.sh"}},
		{"committed as 100644, not executable", func(t *testing.T) string { return committed(t, 0o644, 0o644) },
			[]string{RuleRestoreScriptNotExecutable}, []string{"is not executable (mode 0644) and git records it as 100644: run chmod +x scripts/restore-db.sh && git update-index --chmod=+x scripts/restore-db.sh"}},
		{"committed as 100755, mode lost", func(t *testing.T) string { return committed(t, 0o755, 0o644) },
			[]string{RuleRestoreScriptNotExecutable}, []string{"is not executable here (mode 0644) although git records it as 100755"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := gatetest.Run(t, scriptGate(t), testEnv(tt.setup(t), nil, nil))
			gatetest.Want(t, res, gates.StatusFail, tt.rules, tt.want...)
			for _, f := range res.Findings {
				if f.Pos.File != "scripts/restore-db.sh" || f.Pos.Line != 0 {
					t.Errorf("finding %s positioned at %s, want the script", f.Rule, f.Pos)
				}
			}
		})
	}
}

// A link is judged by its target: what a checkout makes executable.
func TestRestoreScriptLink(t *testing.T) {
	ws := gitRepo(t)
	writeFile(t, ws, "ops/restore.sh", []byte(restoreScript), 0o755, time.Now())
	if err := os.MkdirAll(filepath.Join(ws, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../ops/restore.sh", filepath.Join(ws, "scripts", "restore-db.sh")); err != nil {
		t.Fatal(err)
	}
	git(t, ws, "add", ".")
	git(t, ws, "commit", "-q", "-m", "restore script behind a link")
	res := gatetest.Run(t, scriptGate(t), testEnv(ws, nil, nil))
	gatetest.Want(t, res, gates.StatusPass, nil, "restore script scripts/restore-db.sh (a symbolic link to ../ops/restore.sh): mode 0755, tracked by git as 100755 for the link's target ops/restore.sh")

	git(t, ws, "update-index", "--chmod=-x", "ops/restore.sh")
	res = gatetest.Run(t, scriptGate(t), testEnv(ws, nil, nil))
	gatetest.Want(t, res, gates.StatusFail, []string{RuleRestoreScriptNotExecutable}, "git records it as 100644, so a fresh checkout (the rollback job's) cannot run it: run git update-index --chmod=+x ops/restore.sh")
}

// A .git that git cannot read is an error, never "not a repository".
func TestRestoreScriptBrokenRepository(t *testing.T) {
	ws := t.TempDir()
	writeFile(t, ws, "scripts/restore-db.sh", []byte(restoreScript), 0o755, time.Now())
	writeFile(t, ws, ".git", []byte("gitdir: /nonexistent/worktree\n"), 0o644, time.Now())
	res := gatetest.Run(t, scriptGate(t), testEnv(ws, nil, nil))
	gatetest.Want(t, res, gates.StatusError, nil, "checking restore script scripts/restore-db.sh in git: reading the repository at", "fatal: not a git repository")
}

func TestRunbook(t *testing.T) {
	ws := committed(t, 0o755, 0o755)
	for _, tt := range []struct {
		name, runbook, text string
		rules               []string
		want                []string
	}{
		{"names it", "docs/runbook.md", "# Rollback\n\n1. Stop traffic.\n2. Run `scripts/restore-db.sh backup.sql.gz`.\n",
			nil, []string{"runbook docs/runbook.md names the restore script at line 4, column 9", "executable and tracked as such, named in docs/runbook.md"}},
		{"links to it", "docs/runbook.md", "See [the script](../scripts/restore-db.sh).\n",
			nil, []string{"at line 1, column 21"}},
		{"names it from its own directory", "scripts/README.md", "Run ./restore-db.sh, then check.\n",
			nil, []string{`at line 1, column 7 ("restore-db.sh")`}},
		{"does not name it", "docs/runbook.md", "# Rollback\n\nAsk the DBA.\n",
			[]string{RuleRunbookMissingScript}, []string{"at docs/runbook.md: runbook docs/runbook.md does not mention the restore script scripts/restore-db.sh"}},
		{"names another file", "docs/runbook.md", "Run myscripts/restore-db.sh or scripts/restore-db.sh.bak or scripts/restore-db.sh2\n",
			[]string{RuleRunbookMissingScript}, []string{"does not mention the restore script"}},
		{"sentence end counts", "docs/runbook.md", "The script is scripts/restore-db.sh.\n",
			nil, []string{"at line 1, column 15"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			writeFile(t, ws, tt.runbook, []byte(tt.text), 0o644, time.Now())
			defer os.Remove(filepath.Join(ws, filepath.FromSlash(tt.runbook)))
			status := gates.StatusPass
			if len(tt.rules) > 0 {
				status = gates.StatusFail
			}
			res := gatetest.Run(t, scriptGate(t, "runbook: "+tt.runbook), testEnv(ws, nil, nil))
			gatetest.Want(t, res, status, tt.rules, tt.want...)
		})
	}
	t.Run("missing", func(t *testing.T) {
		res := gatetest.Run(t, scriptGate(t, "runbook: docs/nope.md"), testEnv(ws, nil, nil))
		gatetest.Want(t, res, gates.StatusFail, []string{RuleRunbookMissing}, "at docs/nope.md: runbook docs/nope.md does not exist")
	})
	t.Run("a directory", func(t *testing.T) {
		res := gatetest.Run(t, scriptGate(t, "runbook: scripts"), testEnv(ws, nil, nil))
		gatetest.Want(t, res, gates.StatusFail, []string{RuleRunbookMissing}, "runbook scripts is a directory, not a document")
	})
	t.Run("script missing too", func(t *testing.T) {
		ws := gitRepo(t)
		writeFile(t, ws, "docs/runbook.md", []byte("no script here\n"), 0o644, time.Now())
		res := gatetest.Run(t, scriptGate(t, "runbook: docs/runbook.md"), testEnv(ws, nil, nil))
		gatetest.Want(t, res, gates.StatusFail, []string{RuleRestoreScriptMissing, RuleRunbookMissingScript})
	})
}

func TestFindMention(t *testing.T) {
	for _, tt := range []struct {
		text, form string
		line, col  int
	}{
		{"scripts/x.sh", "scripts/x.sh", 1, 1},
		{"a\nbé scripts/x.sh", "scripts/x.sh", 2, 4},
		{"scripts/x.sh.bak and (scripts/x.sh)", "scripts/x.sh", 1, 23},
		{"/work/scripts/x.sh", "scripts/x.sh", 1, 7},
		{"x.sh/y", "x.sh", 0, 0},
		{"my_x.sh", "x.sh", 0, 0},
	} {
		line, col, ok := findMention(tt.text, tt.form)
		if ok != (tt.line > 0) || line != tt.line || col != tt.col {
			t.Errorf("findMention(%q, %q) = %d:%d %v, want %d:%d", tt.text, tt.form, line, col, ok, tt.line, tt.col)
		}
	}
}
