package secretscan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/release-gate/release-gate/internal/secrets"
	"github.com/release-gate/release-gate/internal/wsfile"
)

// The files that decide what the scan lets pass (the gitleaks
// configuration and the files its [extend] path names, .gitleaksignore, a
// baseline) are files of the change when they are in the workspace: a
// symbolic link among them could bring in the runner's files (whose content
// an error would quote), /dev/zero or a FIFO. Each is read once, through
// wsfile, bounded; gitleaks, which opens the ignore file itself, is handed
// a private copy of what was read. A file the workflow's
// author names outside the workspace is theirs and may be anywhere, but it
// too must be a regular file.

// Bounds on the files read. A gitleaks configuration is a few kilobytes;
// an ignore list or a baseline grows with the findings accepted, about
// 100 bytes and 1 KB each.
const (
	maxGitleaksConfig = 1 << 20
	maxListFile       = 64 << 20
)

// policyFile is one such file, read.
type policyFile struct {
	// name names it in messages: workspace-relative with slashes, or its
	// absolute path outside the workspace.
	name string
	// rel is its path in the workspace, "" for a file outside it.
	rel  string
	data []byte
}

// policyFiles reads policy files from one place: the workspace, or (see
// baseFiles) a commit.
type policyFiles interface {
	// extend reads the file that from's [extend] path p names.
	extend(from *policyFile, p string) (*policyFile, error)
}

// workspaceFiles reads policy files in the workspace and, for the ones the
// workflow's author names outside it, the machine.
type workspaceFiles struct {
	ws  *wsfile.Root
	dir string
}

// file reads p, relative to the workspace or absolute (outside it: a file
// the workflow's author named).
func (w workspaceFiles) file(p string, max int64) (*policyFile, error) {
	if filepath.IsAbs(p) && !wsfile.Inside(w.dir, p) {
		data, err := wsfile.ReadRegular(p, max)
		if err != nil {
			return nil, err
		}
		return &policyFile{name: p, data: data}, nil
	}
	rel := filepath.ToSlash(p)
	if filepath.IsAbs(p) {
		r, err := filepath.Rel(w.dir, p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, wsfile.ErrOutside)
		}
		rel = filepath.ToSlash(r)
	}
	rel = path.Clean(rel)
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("%s: %w", p, wsfile.ErrOutside)
	}
	data, err := w.ws.ReadFile(filepath.FromSlash(rel), max)
	if err != nil {
		return nil, err
	}
	return &policyFile{name: rel, rel: rel, data: data}, nil
}

// extend implements policyFiles. A file of the workspace (the change's)
// may only extend files of the workspace; one of the author's, outside it,
// any file.
func (w workspaceFiles) extend(from *policyFile, p string) (*policyFile, error) {
	if from.rel == "" {
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(from.name), p)
		}
		return w.file(p, maxGitleaksConfig)
	}
	if filepath.IsAbs(p) {
		if !wsfile.Inside(w.dir, p) {
			return nil, fmt.Errorf("%s: %w (a file of the workspace may only extend files of the workspace)", p, wsfile.ErrOutside)
		}
		return w.file(p, maxGitleaksConfig)
	}
	rel := path.Join(path.Dir(from.rel), filepath.ToSlash(p))
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("%s: %w (a file of the workspace may only extend files of the workspace)", p, wsfile.ErrOutside)
	}
	return w.file(rel, maxGitleaksConfig)
}

// optional reads the file configured names, or when configured is empty
// the file def names if the workspace has one (nil when it has not).
func (w workspaceFiles) optional(configured, def string, max int64) (*policyFile, error) {
	if configured != "" {
		return w.file(configured, max)
	}
	if def == "" {
		return nil, nil
	}
	f, err := w.file(def, max)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return f, err
}

// readingError wraps an error reading the file the configuration key names
// with what to do about it.
func readingError(key string, err error) error {
	switch {
	case errors.Is(err, wsfile.ErrOutside):
		return fmt.Errorf("reading %s: %w; a file of the workspace must be the file itself, not a link out of it (the workflow may name a file outside the workspace by its absolute path)", key, err)
	case errors.Is(err, wsfile.ErrNotRegular):
		return fmt.Errorf("reading %s: %w; name a regular file", key, err)
	}
	return fmt.Errorf("reading %s: %w", key, err)
}

// hideSecrets is err with any secret its message quotes cut out, as
// gitleaks' default rules and each of more (the rules the scan used) find
// them: a gitleaks configuration's error quotes the regular expression it
// could not compile, and a scan's errors name the files they could not
// read, whose names the change chose (the names' own scan, which masks
// them, never ran when the scan failed).
func hideSecrets(ctx context.Context, err error, more ...*secrets.Rules) error {
	msg := err.Error()
	hidden, rerr := secrets.RedactString(ctx, msg)
	for _, rules := range more {
		if rerr == nil {
			hidden, rerr = rules.Redact(ctx, hidden)
		}
	}
	if rerr != nil {
		return errors.New("an error occurred, and its message could not be checked for secrets to show it")
	}
	if hidden == msg {
		return err
	}
	return errors.New(hidden)
}

// privateCopies holds copies of policy files for gitleaks to open, in a
// directory of the process's own.
type privateCopies struct {
	dir string
}

func newPrivateCopies() (*privateCopies, error) {
	dir, err := os.MkdirTemp("", "release-gate-secret-scan-")
	if err != nil {
		return nil, fmt.Errorf("making a private directory: %w", err)
	}
	return &privateCopies{dir: dir}, nil
}

// source is the directory a copy of a workspace file sits under, at its
// workspace path.
func (p *privateCopies) source() string { return filepath.Join(p.dir, "ws") }

// write copies f and returns the copy's path: under source() at its
// workspace path, or elsewhere for a file outside the workspace.
func (p *privateCopies) write(f *policyFile, kind string) (string, error) {
	dst := filepath.Join(p.dir, "outside", kind, filepath.Base(f.name))
	if f.rel != "" {
		dst = filepath.Join(p.source(), filepath.FromSlash(f.rel))
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", fmt.Errorf("copying %s: %w", f.name, err)
	}
	if err := os.WriteFile(dst, f.data, 0o600); err != nil {
		return "", fmt.Errorf("copying %s: %w", f.name, err)
	}
	return dst, nil
}

func (p *privateCopies) remove() error { return os.RemoveAll(p.dir) }
