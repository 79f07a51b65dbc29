// Package gitrepotest builds hostile git repositories for tests of code
// that runs git through gitrepo.
package gitrepotest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// HostileAttributes, committed as .gitattributes, sends every file through
// the diff, filter and merge drivers named x, and hides text as binary.
const HostileAttributes = "* diff=x filter=x merge=x\n*.txt -diff\n"

// CommandKeys are the configuration keys that make git run a program.
var CommandKeys = []string{
	"core.fsmonitor", "core.pager", "core.askPass", "core.sshCommand",
	"core.gitProxy", "core.editor", "core.alternateRefsCommand",
	"credential.helper", "credential.https://example.com.helper",
	"diff.external", "diff.x.textconv", "diff.x.command",
	"filter.x.clean", "filter.x.smudge", "filter.x.process",
	"merge.x.driver", "merge.text.driver", "gpg.program", "gpg.openpgp.program",
	"gpg.ssh.program", "gpg.x509.program", "gpg.ssh.defaultKeyCommand",
	"pager.log", "pager.diff", "pager.show", "sequence.editor",
	"uploadpack.packObjectsHook", "remote.origin.uploadpack",
	"remote.origin.receivepack", "mergetool.x.cmd", "difftool.x.cmd",
}

// hooks are the hooks git may run.
var hooks = []string{
	"pre-commit", "post-checkout", "post-merge", "post-index-change",
	"reference-transaction", "pre-auto-gc", "post-rewrite", "fsmonitor-watchman",
	"pre-push", "post-commit", "push-to-checkout", "sendemail-validate",
}

// ArmConfig writes into the repository's .git/config every key that makes
// git run a program (and those that make a program run more often: a
// global attributes file, signatures shown, protocol exceptions), each
// pointing at a script that creates a marker file. It returns the
// marker's path: it must never exist after running git through gitrepo.
func ArmConfig(t testing.TB, repo string) (marker string) {
	t.Helper()
	dir := t.TempDir()
	marker = filepath.Join(dir, "ran")
	script := filepath.Join(dir, "evil.sh")
	// The script marks, then passes its input through so that a filter or
	// textconv using it still "works".
	body := "#!/bin/sh\necho \"$0 $*\" >>'" + marker + "'\ncat 2>/dev/null\nexit 0\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	hookDir := filepath.Join(dir, "hooks")
	if err := os.MkdirAll(hookDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, h := range hooks {
		for _, d := range []string{hookDir, filepath.Join(repo, ".git", "hooks")} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(d, h), []byte(body), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	attrs := filepath.Join(dir, "attributes")
	if err := os.WriteFile(attrs, []byte(HostileAttributes), 0o644); err != nil {
		t.Fatal(err)
	}
	set := func(k, v string) {
		t.Helper()
		Git(t, repo, "config", "--local", "--add", k, v)
	}
	for _, k := range CommandKeys {
		set(k, script)
	}
	for k, v := range map[string]string{
		"core.hooksPath":         hookDir,
		"core.attributesFile":    attrs,
		"filter.x.required":      "true",
		"merge.default":          "x",
		"log.showSignature":      "true",
		"protocol.allow":         "always",
		"protocol.file.allow":    "always",
		"protocol.ext.allow":     "always",
		"diff.x.binary":          "true",
		"core.useReplaceRefs":    "true",
		"diff.renames":           "copies",
		"core.commitGraph":       "true",
		"gc.auto":                "1",
		"maintenance.auto":       "true",
		"color.ui":               "always",
		"fetch.writeCommitGraph": "true",
	} {
		set(k, v)
	}
	return marker
}

// Ran returns what the marker recorded: "" when nothing ran.
func Ran(t testing.TB, marker string) string {
	t.Helper()
	data, err := os.ReadFile(marker)
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 {
		return "(empty)"
	}
	return strings.TrimSpace(string(data))
}

// Git runs the real git in dir with a fixed identity, no system or global
// configuration, and returns its trimmed stdout.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}
