package compose

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"strings"

	interp "github.com/compose-spec/compose-go/v2/interpolation"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/tree"

	"github.com/release-gate/release-gate/internal/wsfile"
)

// compose-go reads files by itself: the files a project includes or
// extends, the .env file of an included project's directory, an include's
// env_file and project_directory. Its loader offers no way to see where a
// relative path resolves before it reads the file, and several of those
// reads bypass its ResourceLoaders hook. So the loader never sees the
// workspace: it loads a private copy of the project, a sandbox holding
// only files the gate read itself through wsfile (regular files of the
// workspace, bounded), at their workspace paths, with no symbolic link.
//
// From inside the sandbox, a path can reach the machine's files only by
// being absolute or by climbing out of it. The sandbox's files sit under
// sandboxDepth empty directories of a private directory, and a
// ResourceLoader ahead of compose-go's own refuses an include or extends
// path that is absolute (outside the sandbox) or climbs more than
// sandboxDepth levels: any other relative path, wherever compose-go
// resolves it from inside the sandbox, stays in the private directory. An
// include's env_file is not read (as a service's is not), and its
// project_directory is refused, through casts on their values, the one
// hook compose-go calls for them.

// sandboxDepth is how many empty directories sit above the sandbox's
// workspace copy: how far a relative path may climb.
const sandboxDepth = 32

// sandbox is a private copy of the files of the projects a run loads.
type sandbox struct {
	top string // the private directory
	ws  string // the workspace's copy, sandboxDepth levels below top
}

// newSandbox makes an empty sandbox. Remove it when done.
func newSandbox() (*sandbox, error) {
	top, err := os.MkdirTemp("", "release-gate-compose-")
	if err != nil {
		return nil, fmt.Errorf("making a private directory: %w", err)
	}
	sb := &sandbox{top: top, ws: filepath.Join(top, strings.Repeat("d"+string(filepath.Separator), sandboxDepth), "ws")}
	if err := os.MkdirAll(sb.ws, 0o700); err != nil {
		_ = sb.remove()
		return nil, fmt.Errorf("making a private directory: %w", err)
	}
	return sb, nil
}

// add copies the files of src (every one read from the workspace) into
// the sandbox.
func (sb *sandbox) add(src *sourceSet) error {
	write := func(rel string, data []byte) error {
		p := sb.path(rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return fmt.Errorf("copying %s: %w", rel, err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return fmt.Errorf("copying %s: %w", rel, err)
		}
		return nil
	}
	for _, f := range append(append([]*yamlFile(nil), src.files...), src.extras...) {
		if err := write(f.rel, f.data); err != nil {
			return err
		}
	}
	for rel, data := range src.dotenvs {
		if err := write(rel, data); err != nil {
			return err
		}
	}
	return nil
}

// path is where the workspace file rel is copied.
func (sb *sandbox) path(rel string) string {
	return filepath.Join(sb.ws, filepath.FromSlash(rel))
}

func (sb *sandbox) remove() error { return os.RemoveAll(sb.top) }

// unsandboxed rewrites the sandbox's paths in a message as workspace
// paths, so messages read as before.
func (sb *sandbox) unsandboxed(msg string) string {
	msg = strings.ReplaceAll(msg, sb.ws+string(filepath.Separator), "")
	msg = strings.ReplaceAll(msg, sb.ws, ".")
	return strings.ReplaceAll(msg, sb.top, "(outside the workspace)")
}

// errOutsideSandbox is an include or extends path refused by the guard.
var errOutsideSandbox = errors.New("leads out of the workspace")

// guard is the ResourceLoader ahead of compose-go's own: it takes the
// paths that could leave the sandbox, and refuses them.
type guard struct{ sb *sandbox }

// Accept implements loader.ResourceLoader: it claims an absolute path
// outside the sandbox, or one that climbs further than the sandbox's depth.
func (g guard) Accept(p string) bool {
	if filepath.IsAbs(p) {
		return !wsfile.Inside(g.sb.ws, filepath.Clean(p)) && filepath.Clean(p) != g.sb.ws
	}
	return climbs(filepath.ToSlash(p)) > sandboxDepth
}

// Load implements loader.ResourceLoader.
func (g guard) Load(_ context.Context, p string) (string, error) {
	return "", fmt.Errorf("%s %w; name a file of the workspace, by a relative path", p, errOutsideSandbox)
}

// Dir implements loader.ResourceLoader.
func (g guard) Dir(p string) string { return filepath.Dir(p) }

// climbs counts the directories p climbs above where it starts, once
// cleaned.
func climbs(p string) int {
	n := 0
	for _, seg := range strings.Split(path.Clean(p), "/") {
		if seg != ".." {
			break
		}
		n++
	}
	return n
}

// errProjectDirectory refuses an include's project_directory.
var errProjectDirectory = errors.New("include's project_directory is not supported by the compose gate: it moves where compose reads files from out of what the gate can check; move the included files so they need none")

// sandboxCasts returns compose-go's casts (casts, which it must not
// change: it is the library's own map) with the include's env_file made
// /dev/null, which compose-go skips, and its project_directory refused.
func sandboxCasts(casts map[tree.Path]interp.Cast) map[tree.Path]interp.Cast {
	out := maps.Clone(casts)
	if out == nil {
		out = map[tree.Path]interp.Cast{}
	}
	noFile := func(string) (any, error) { return "/dev/null", nil }
	for _, p := range []tree.Path{
		tree.NewPath("include", tree.PathMatchList, "env_file"),
		tree.NewPath("include", tree.PathMatchList, "env_file", tree.PathMatchList),
	} {
		out[p] = noFile
	}
	out[tree.NewPath("include", tree.PathMatchList, "project_directory")] = func(string) (any, error) { return nil, errProjectDirectory }
	return out
}

var _ loader.ResourceLoader = guard{}
