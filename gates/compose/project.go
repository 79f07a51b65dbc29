package compose

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/template"
	"gopkg.in/yaml.v3"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/wsfile"
)

// maxExtendsDepth bounds how far positions follow extends chains.
const maxExtendsDepth = 8

// sourceSet holds the raw files of one project: its config files in merge
// order, and the files they include or extend. They are also every file
// compose-go may read (see sandbox): each was read from the workspace
// through wsfile.
type sourceSet struct {
	files  []*yamlFile // the project's own files, in merge order
	extras []*yamlFile // files reached through include: and extends: file
	byRel  map[string]*yamlFile
	// dotenvs are the .env files read (the project's, and those of the
	// directories of included files): workspace-relative path → content.
	dotenvs map[string][]byte
}

// Bounds on what is read: a compose file is a few kilobytes, generated
// ones rarely more than a few hundred.
const (
	maxComposeFile = 8 << 20
	maxDotenvFile  = 1 << 20
)

// readSources reads and parses the project's files and, recursively, the
// files they include or extend, and the .env files compose reads for
// includes, resolving relative paths as compose-go does: against the
// project's directory in its own files, against the directory of an
// include entry's first file in the files it includes, and against an
// extended file's directory in that file. lookup resolves variables in
// those paths.
//
// Every file is read through ws: one that is a link out of the workspace,
// not a regular file, or named by a path that leaves the workspace is an
// error naming where it is written. A project file that cannot be read or
// parsed is an error; an included or extended file that does not exist is
// left to the compose loader, which reports it.
func readSources(ws *wsfile.Root, pf projectFiles, lookup func(string) (string, bool)) (*sourceSet, error) {
	s := &sourceSet{byRel: map[string]*yamlFile{}, dotenvs: map[string][]byte{}}
	type visit struct {
		f       *yamlFile
		base    string // the directory relative paths in f resolve against
		include bool   // f's include: entries are loaded (not in an extended file)
	}
	var queue []visit
	for _, rel := range pf {
		f, err := readYAMLFile(ws, rel)
		if err != nil {
			return nil, err
		}
		s.files = append(s.files, f)
		s.byRel[rel] = f
		queue = append(queue, visit{f, path.Dir(pf[0]), true})
	}
	done := map[visit]bool{}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		if done[visit{v.f, v.base, v.include}] {
			continue
		}
		done[visit{v.f, v.base, v.include}] = true
		if v.f.base == "" {
			v.f.base = v.base
		}
		refs, err := references(v.f, v.base, v.include, lookup)
		if err != nil {
			return nil, err
		}
		for _, r := range refs {
			if r.dotenv {
				data, err := ws.ReadFile(filepath.FromSlash(r.rel), maxDotenvFile)
				switch {
				case errors.Is(err, fs.ErrNotExist):
				case err != nil:
					return nil, fmt.Errorf("%s: reading %s (variables for the included files, as docker compose reads it): %w", v.f.pos(r.node), r.rel, err)
				default:
					s.dotenvs[r.rel] = data
				}
				continue
			}
			x, seen := s.byRel[r.rel]
			if !seen {
				var err error
				x, err = readYAMLFile(ws, r.rel)
				if errors.Is(err, fs.ErrNotExist) {
					s.byRel[r.rel] = nil // the loader will say what is wrong
					continue
				}
				if err != nil {
					return nil, fmt.Errorf("%s: %w", v.f.pos(r.node), err)
				}
				s.byRel[r.rel] = x
				s.extras = append(s.extras, x)
			}
			if x != nil {
				queue = append(queue, visit{x, r.base, r.include})
			}
		}
	}
	return s, nil
}

func readYAMLFile(ws *wsfile.Root, rel string) (*yamlFile, error) {
	data, err := ws.ReadFile(filepath.FromSlash(rel), maxComposeFile)
	if err != nil {
		return nil, fmt.Errorf("reading compose file %w", err)
	}
	f, err := parseYAMLFile(rel, data)
	if err != nil {
		return nil, err
	}
	f.data = data
	return f, nil
}

// reference is a file a compose file makes compose read.
type reference struct {
	rel     string     // workspace-relative, cleaned
	node    *yaml.Node // where it is written
	base    string     // the directory relative paths in it resolve against
	include bool       // it is included (its own include: entries count)
	dotenv  bool       // a .env file of an include's directory
}

// references lists the local files f includes (include:) or extends
// (extends: {file: ...}), relative paths resolved against base, and the
// .env files of the included files' directories. Remote resources are left
// out (compose reports them). A path that is absolute or climbs out of the
// workspace is an error: compose would read a file of the machine.
func references(f *yamlFile, base string, include bool, lookup func(string) (string, bool)) ([]reference, error) {
	if f.root == nil {
		return nil, nil
	}
	var out []reference
	resolvePath := func(n *yaml.Node) (string, bool, error) {
		n = resolve(n)
		if n == nil || n.Kind != yaml.ScalarNode || n.Value == "" {
			return "", false, nil
		}
		v := n.Value
		if strings.Contains(v, "$") {
			sub, err := template.Substitute(v, lookup)
			if err != nil {
				return "", false, nil //nolint:nilerr // the loader reports it
			}
			v = sub
		}
		if strings.Contains(v, "://") {
			return "", false, nil
		}
		if path.IsAbs(filepath.ToSlash(v)) {
			return "", false, fmt.Errorf("%s: %s is an absolute path, so it %w; write it relative to the project", f.pos(n), n.Value, wsfile.ErrOutside)
		}
		rel := path.Join(base, filepath.ToSlash(v))
		if rel == ".." || strings.HasPrefix(rel, "../") {
			return "", false, fmt.Errorf("%s: %s %w; name a file of the workspace", f.pos(n), n.Value, wsfile.ErrOutside)
		}
		return rel, true, nil
	}
	if include {
		_, inc := key(f.root, "include")
		if inc = resolve(inc); inc != nil && inc.Kind == yaml.SequenceNode {
			for _, item := range inc.Content {
				item = resolve(item)
				var paths []*yaml.Node
				hasEnvFile := false
				if item.Kind == yaml.ScalarNode {
					paths = []*yaml.Node{item}
				} else {
					_, p := key(item, "path")
					if p = resolve(p); p != nil && p.Kind == yaml.SequenceNode {
						paths = p.Content
					} else if p != nil {
						paths = []*yaml.Node{p}
					}
					_, env := key(item, "env_file")
					hasEnvFile = env != nil
					if _, pd := key(item, "project_directory"); pd != nil {
						return nil, fmt.Errorf("%s: %w", f.pos(pd), errProjectDirectory)
					}
				}
				first := ""
				for _, pn := range paths {
					rel, ok, err := resolvePath(pn)
					if err != nil {
						return nil, err
					}
					if !ok {
						continue
					}
					if first == "" {
						first = rel
					}
					out = append(out, reference{rel: rel, node: resolve(pn), base: path.Dir(first), include: true})
				}
				if first != "" && !hasEnvFile {
					out = append(out, reference{rel: path.Join(path.Dir(first), ".env"), node: item, dotenv: true})
				}
			}
		}
	}
	for _, section := range []string{"services", "jobs"} {
		_, services := key(f.root, section)
		for _, kv := range pairs(services) {
			_, ext := key(kv[1], "extends")
			_, file := key(ext, "file")
			rel, ok, err := resolvePath(file)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, reference{rel: rel, node: resolve(file), base: path.Dir(rel)})
			}
		}
	}
	return out, nil
}

// pos places a finding about service's keys (healthcheck, interval): at
// the deepest of the keys written in some file, overrides first; else at
// the service's name in the first file that defines it. Keys inherited
// through extends are found in the service they come from.
func (s *sourceSet) pos(service string, keys ...string) gates.Pos {
	for depth := len(keys); depth >= 1; depth-- {
		for _, f := range s.searchOrder() {
			if f, kn, _ := s.find(f, service, keys[:depth], 0); kn != nil {
				return f.pos(kn)
			}
		}
	}
	for _, f := range append(append([]*yamlFile(nil), s.files...), s.extras...) {
		if kn, _ := f.lookup("services", service); kn != nil {
			return f.pos(kn)
		}
	}
	return gates.Pos{File: s.files[0].rel}
}

// home is the file that declares service: the first of the project's
// files (then of the included and extended ones) that names it; "" for
// none.
func (s *sourceSet) home(service string) string {
	for _, f := range append(append([]*yamlFile(nil), s.files...), s.extras...) {
		if kn, _ := f.lookup("services", service); kn != nil {
			return f.rel
		}
	}
	return ""
}

// within is what a finding about service placed at pos concerns besides
// pos's file (see gates.Finding.Within): the file that declares the
// service, when the finding is placed in another (a key it inherits
// through extends).
func (s *sourceSet) within(service string, pos gates.Pos) []string {
	if home := s.home(service); home != "" && home != pos.File {
		return []string{home}
	}
	return nil
}

// node returns the value written at service's keys, where pos would place
// it, with its file; nils when no file writes it.
func (s *sourceSet) node(service string, keys ...string) (*yamlFile, *yaml.Node) {
	for _, f := range s.searchOrder() {
		if f, _, v := s.find(f, service, keys, 0); v != nil {
			return f, v
		}
	}
	return nil, nil
}

// searchOrder is the order keys are looked for: overrides first, then
// included and extended files.
func (s *sourceSet) searchOrder() []*yamlFile {
	out := make([]*yamlFile, 0, len(s.files)+len(s.extras))
	for i := len(s.files) - 1; i >= 0; i-- {
		out = append(out, s.files[i])
	}
	return append(out, s.extras...)
}

// find looks service's keys up in f, following the service's extends.
func (s *sourceSet) find(f *yamlFile, service string, keys []string, depth int) (*yamlFile, *yaml.Node, *yaml.Node) {
	if f == nil || depth > maxExtendsDepth {
		return nil, nil, nil
	}
	if kn, v := f.lookup(append([]string{"services", service}, keys...)...); kn != nil {
		return f, kn, v
	}
	svc := f.service(service)
	if svc == nil {
		return nil, nil, nil
	}
	_, ext := key(svc, "extends")
	ext = resolve(ext)
	switch {
	case ext == nil:
		return nil, nil, nil
	case ext.Kind == yaml.ScalarNode:
		return s.find(f, ext.Value, keys, depth+1)
	case ext.Kind == yaml.MappingNode:
		_, base := key(ext, "service")
		_, file := key(ext, "file")
		if base = resolve(base); base == nil || base.Kind != yaml.ScalarNode {
			return nil, nil, nil
		}
		target := f
		if file = resolve(file); file != nil && file.Kind == yaml.ScalarNode && file.Value != "" {
			base := f.base
			if base == "" {
				base = path.Dir(f.rel)
			}
			target = s.byRel[path.Clean(path.Join(base, file.Value))]
		}
		return s.find(target, base.Value, keys, depth+1)
	}
	return nil, nil, nil
}

// varRE finds variable references in compose values: $NAME and ${NAME...}.
var varRE = regexp.MustCompile(`\$\{?([_a-zA-Z][_a-zA-Z0-9]*)`)

// variables lists the names of the variables the files refer to, sorted.
func (s *sourceSet) variables() []string {
	set := map[string]bool{}
	var walk func(n *yaml.Node)
	seen := map[*yaml.Node]bool{}
	walk = func(n *yaml.Node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "$") {
			for _, m := range varRE.FindAllStringSubmatch(n.Value, -1) {
				set[m[1]] = true
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	for _, f := range append(append([]*yamlFile(nil), s.files...), s.extras...) {
		walk(f.root)
	}
	names := make([]string, 0, len(set))
	for k := range set {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// scalar returns the position of the first value written as text in the
// files, or no position.
func (s *sourceSet) scalar(text string) gates.Pos {
	for _, f := range append(append([]*yamlFile(nil), s.files...), s.extras...) {
		var found *yaml.Node
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			if n == nil || found != nil {
				return
			}
			if n.Kind == yaml.ScalarNode && n.Value == text {
				found = n
				return
			}
			for _, c := range n.Content {
				walk(c)
			}
		}
		walk(f.root)
		if found != nil {
			return f.pos(found)
		}
	}
	return gates.Pos{}
}
