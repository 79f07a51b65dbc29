package compose

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/release-gate/release-gate/gates"
)

// maxExtendsDepth bounds how far positions follow extends chains.
const maxExtendsDepth = 8

// sourceSet holds the raw files of one project for positions: its config
// files in merge order, and the files they include or extend.
type sourceSet struct {
	files  []*yamlFile // the project's own files, in merge order
	extras []*yamlFile // files reached through include: and extends: file
	byRel  map[string]*yamlFile
}

// readSources parses the project's files and, recursively, the files they
// include or extend. A project file that cannot be read or parsed is an
// error; an include or extends file that cannot is left to the compose
// loader, which reports it.
func readSources(workspace string, pf projectFiles) (*sourceSet, error) {
	s := &sourceSet{byRel: map[string]*yamlFile{}}
	for _, rel := range pf {
		f, err := readYAMLFile(workspace, rel)
		if err != nil {
			return nil, err
		}
		s.files = append(s.files, f)
		s.byRel[rel] = f
	}
	queue := append([]*yamlFile(nil), s.files...)
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		for _, ref := range references(f) {
			if _, done := s.byRel[ref]; done {
				continue
			}
			x, err := readYAMLFile(workspace, ref)
			if err != nil {
				s.byRel[ref] = nil // the loader will say what is wrong
				continue
			}
			s.byRel[ref] = x
			s.extras = append(s.extras, x)
			queue = append(queue, x)
		}
	}
	return s, nil
}

func readYAMLFile(workspace, rel string) (*yamlFile, error) {
	data, err := os.ReadFile(filepath.Join(workspace, filepath.FromSlash(rel)))
	if err != nil {
		return nil, fmt.Errorf("reading compose file %s: %w", rel, unwrapPathError(err))
	}
	return parseYAMLFile(rel, data)
}

// unwrapPathError drops the absolute path an *os.PathError repeats.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// references lists the local files f includes (include:) or extends
// (extends: {file: ...}), workspace-relative. Paths that use variables or
// name remote resources are left out.
func references(f *yamlFile) []string {
	if f.root == nil {
		return nil
	}
	dir := path.Dir(f.rel)
	var out []string
	add := func(n *yaml.Node) {
		n = resolve(n)
		if n == nil || n.Kind != yaml.ScalarNode || n.Value == "" || strings.Contains(n.Value, "$") || strings.Contains(n.Value, "://") || strings.HasPrefix(n.Value, "/") {
			return
		}
		out = append(out, path.Clean(path.Join(dir, n.Value)))
	}
	_, inc := key(f.root, "include")
	if inc = resolve(inc); inc != nil && inc.Kind == yaml.SequenceNode {
		for _, item := range inc.Content {
			item = resolve(item)
			if item.Kind == yaml.ScalarNode {
				add(item)
				continue
			}
			_, p := key(item, "path")
			if p = resolve(p); p != nil && p.Kind == yaml.SequenceNode {
				for _, x := range p.Content {
					add(x)
				}
			} else {
				add(p)
			}
		}
	}
	_, services := key(f.root, "services")
	for _, kv := range pairs(services) {
		_, ext := key(kv[1], "extends")
		_, file := key(ext, "file")
		add(file)
	}
	return out
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
			target = s.byRel[path.Clean(path.Join(path.Dir(f.rel), file.Value))]
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
