package compose

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/release-gate/release-gate/gates"
)

// The compose-spec library's model keeps no positions. Each file is also
// parsed with yaml.v3, and findings are placed by looking their key path
// (services.api.healthcheck.interval) up in the files' nodes.

// yamlFile is one compose file parsed for positions.
type yamlFile struct {
	rel  string     // workspace-relative, forward slashes
	root *yaml.Node // the top-level mapping; nil for an empty file
	data []byte     // the file as read
	// base is the directory relative paths in the file resolve against,
	// as compose-go resolves them (see readSources).
	base string
}

// parseYAMLFile parses data; a syntax error names rel and the line.
func parseYAMLFile(rel string, data []byte) (*yamlFile, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &yamlFile{rel: rel}, nil
		}
		return nil, yamlError(rel, err)
	}
	var second yaml.Node
	if err := dec.Decode(&second); err == nil {
		line := second.Line
		if len(second.Content) > 0 {
			line = second.Content[0].Line
		}
		return nil, fmt.Errorf("%s:%d: a second YAML document (after ---): docker compose merges every document of a file, and the compose gate reads one; merge them into one document, or into files listed under projects", rel, line)
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(rel, err)
	}
	f := &yamlFile{rel: rel}
	if len(doc.Content) == 1 {
		if root := resolve(doc.Content[0]); root.Kind == yaml.MappingNode {
			f.root = root
		} else if !isNull(root) {
			return nil, fmt.Errorf("%s:%d:%d: a compose file is a mapping (services:, ...), not %s", rel, root.Line, root.Column, describe(root))
		}
	}
	return f, nil
}

// yamlError positions a yaml.v3 error ("yaml: line 3: ...") in rel.
func yamlError(rel string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		_, rest, _ := strings.Cut(msg, ":")
		return fmt.Errorf("%s:%d: invalid YAML: %s", rel, line, strings.TrimSpace(rest))
	}
	return fmt.Errorf("%s: invalid YAML: %s", rel, msg)
}

// key returns the key node and value node of key k in mapping m, following
// aliases and YAML merge keys (<<: *defaults); an explicit key wins over a
// merged one, as in YAML. Both are nil when m has no such key. It is what
// pairs lists first for k, found without listing: a file's services are
// looked up for each finding, and listing them each time made a file of
// 8,000 services take a minute.
func key(m *yaml.Node, k string) (keyNode, value *yaml.Node) {
	merged := explicitPairs(m, func(kn, v *yaml.Node) bool {
		if kn.Value == k {
			keyNode, value = kn, v
			return false
		}
		return true
	})
	for _, mm := range merged {
		if keyNode != nil {
			break
		}
		keyNode, value = key(mm, k)
	}
	return keyNode, value
}

// explicitPairs calls fn with each key and value written in mapping m (after
// aliases), in order, until fn returns false, and returns the mappings its
// merge keys (<<: *a, <<: [*a, *b]) merge, in order; nil when fn stopped.
func explicitPairs(m *yaml.Node, fn func(kn, v *yaml.Node) bool) (merged []*yaml.Node) {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn, v := m.Content[i], m.Content[i+1]
		if kn.Value == "<<" && kn.Style == 0 || kn.Tag == "!!merge" {
			if v = resolve(v); v.Kind == yaml.SequenceNode {
				merged = append(merged, v.Content...)
			} else {
				merged = append(merged, v)
			}
			continue
		}
		if !fn(kn, v) {
			return nil
		}
	}
	return merged
}

// pairs lists a mapping's keys and values, merged keys included (explicit
// keys first).
func pairs(m *yaml.Node) [][2]*yaml.Node {
	var out [][2]*yaml.Node
	seen := map[string]bool{}
	merged := explicitPairs(m, func(kn, v *yaml.Node) bool {
		seen[kn.Value] = true
		out = append(out, [2]*yaml.Node{kn, v})
		return true
	})
	for _, mm := range merged {
		for _, p := range pairs(mm) {
			if !seen[p[0].Value] {
				seen[p[0].Value] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// lookup walks keys from the file's root and returns the key node of the
// last one (its position is where the user wrote it) and its value, or
// nils.
func (f *yamlFile) lookup(keys ...string) (kn, value *yaml.Node) {
	if f == nil || f.root == nil {
		return nil, nil
	}
	value = f.root
	for _, k := range keys {
		kn, value = key(value, k)
		if kn == nil {
			return nil, nil
		}
	}
	return kn, resolve(value)
}

// service returns the mapping of a service in the file, or nil.
func (f *yamlFile) service(name string) *yaml.Node {
	if f == nil || f.root == nil {
		return nil
	}
	_, services := key(f.root, "services")
	_, s := key(services, name)
	if s = resolve(s); s == nil || s.Kind != yaml.MappingNode {
		return nil
	}
	return s
}

func (f *yamlFile) pos(n *yaml.Node) gates.Pos {
	return gates.Pos{File: f.rel, Line: n.Line, Col: n.Column}
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	}
	return "something else"
}
