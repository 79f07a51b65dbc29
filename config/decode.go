package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Unmarshaler is implemented by value types that parse themselves from a
// YAML node (durations, sizes, enumerations). The error needs no position:
// the decoder adds the node's.
type Unmarshaler interface {
	UnmarshalConfig(n *yaml.Node) error
}

var (
	unmarshalerType = reflect.TypeFor[Unmarshaler]()
	nodeType        = reflect.TypeFor[yaml.Node]()
)

// decoder fills Go values from YAML nodes, strictly.
type decoder struct {
	errs *errorList
}

// decode fills v (addressable) from n. path names the value in messages
// ("gates.secret-scan.scope").
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	n = resolveAlias(n)
	if v.CanAddr() && v.Addr().Type().Implements(unmarshalerType) {
		if err := v.Addr().Interface().(Unmarshaler).UnmarshalConfig(n); err != nil {
			var ne *nodeError
			if errors.As(err, &ne) && ne.node != nil {
				d.errs.at(ne.node, "%s: %v", path, err)
			} else {
				d.errs.at(n, "%s: %v", path, err)
			}
		}
		return
	}
	if v.Type() == nodeType {
		v.Set(reflect.ValueOf(*n))
		return
	}
	if isNull(n) {
		switch {
		case v.Kind() == reflect.Struct, v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Struct:
			// "wait:" with nothing under it is a mistake, not "no wait".
			d.errs.at(n, "%s: is empty; give it its keys or remove it", path)
		case v.Kind() == reflect.Pointer, v.Kind() == reflect.Slice, v.Kind() == reflect.Map, v.Kind() == reflect.Interface:
			v.SetZero()
		default:
			d.errs.at(n, "%s: missing value", path)
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem(), path)
		v.Set(p)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errs.at(n, "%s: want a list, got %s", path, describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.String:
		if !d.scalar(n, path, "a string") {
			return
		}
		if n.Tag == "!!bool" {
			d.errs.at(n, "%s: want a string, got %s (quote it if you mean the text)", path, n.Value)
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		if !d.scalar(n, path, "true or false") {
			return
		}
		switch strings.ToLower(n.Value) {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			d.errs.at(n, "%s: want true or false, got %q", path, n.Value)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if !d.scalar(n, path, "an integer") {
			return
		}
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, v.Type().Bits())
		if err != nil {
			d.errs.at(n, "%s: want an integer, got %q", path, n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Float32, reflect.Float64:
		if !d.scalar(n, path, "a number") {
			return
		}
		f, err := strconv.ParseFloat(n.Value, v.Type().Bits())
		if err != nil {
			d.errs.at(n, "%s: want a number, got %q", path, n.Value)
			return
		}
		v.SetFloat(f)
	case reflect.Interface:
		var x any
		if err := n.Decode(&x); err != nil {
			// yaml.v3's message quotes the start of the value, which may
			// be the start of a secret: say it without.
			d.errs.at(n, "%s: cannot read %s as plain YAML data; check its tag", path, describe(n))
			return
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		panic(fmt.Sprintf("config: cannot decode into %s", v.Type()))
	}
}

func (d *decoder) scalar(n *yaml.Node, path, want string) bool {
	if n.Kind != yaml.ScalarNode {
		d.errs.at(n, "%s: want %s, got %s", path, want, describe(n))
		return false
	}
	return true
}

// field is a struct field with its config key. index leads to it through
// inlined structs (yaml:",inline"), as reflect.Value.FieldByIndex takes it.
type field struct {
	key      string
	index    []int
	required bool
}

func fieldsOf(t reflect.Type) []field {
	var fs []field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if tag == "-" || !sf.IsExported() && !sf.Anonymous {
			continue
		}
		if strings.Contains(opts, "inline") && sf.Type.Kind() == reflect.Struct {
			for _, inner := range fieldsOf(sf.Type) {
				inner.index = append([]int{i}, inner.index...)
				fs = append(fs, inner)
			}
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		fs = append(fs, field{key: name, index: []int{i}, required: strings.Contains(opts, "required")})
	}
	return fs
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errs.at(n, "%s: want a mapping of keys, got %s", path, describe(n))
		return
	}
	fields := fieldsOf(v.Type())
	known := make([]string, len(fields))
	for i, f := range fields {
		known[i] = f.key
	}
	seen := map[string]bool{}
	for _, kv := range mappingPairs(n, d.errs, path) {
		key := kv.key.Value
		var f *field
		for i := range fields {
			if fields[i].key == key {
				f = &fields[i]
				break
			}
		}
		if f == nil {
			d.errs.at(kv.key, "%s: unknown key %q%s; known keys: %s", path, key, suggest(key, known), strings.Join(known, ", "))
			continue
		}
		seen[key] = true
		d.decode(kv.value, v.FieldByIndex(f.index), path+"."+key)
	}
	for _, f := range fields {
		if f.required && !seen[f.key] {
			d.errs.at(n, "%s: missing required key %q", path, f.key)
		}
	}
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errs.at(n, "%s: want a mapping, got %s", path, describe(n))
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		panic("config: map keys must be strings")
	}
	m := reflect.MakeMap(v.Type())
	for _, kv := range mappingPairs(n, d.errs, path) {
		elem := reflect.New(v.Type().Elem()).Elem()
		// A key from the file can be long; the path only names it, cut
		// after the secrets in it are.
		d.decode(kv.value, elem, path+"."+truncate(oneLine(d.errs.src.redact(kv.key.Value)), 64))
		m.SetMapIndex(reflect.ValueOf(kv.key.Value).Convert(v.Type().Key()), elem)
	}
	v.Set(m)
}

type pair struct{ key, value *yaml.Node }

// mappingPairs lists a mapping's key/value pairs, applying YAML merge keys
// (<<) and reporting duplicate and non-scalar keys to errs (when not nil).
// Its work is bounded by the size of n with every alias written out, which
// checkLimits bounds.
func mappingPairs(n *yaml.Node, errs *errorList, path string) []pair {
	report := func(n *yaml.Node, format string, args ...any) {
		if errs != nil {
			errs.at(n, format, args...)
		}
	}
	var pairs []pair
	index := map[string]int{}
	var add func(n *yaml.Node, merged bool)
	add = func(n *yaml.Node, merged bool) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := resolveAlias(n.Content[i]), n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				report(k, "%s: keys must be plain names", path)
				continue
			}
			if k.Tag == "!!merge" || (k.Value == "<<" && k.Style == 0) {
				src := resolveAlias(val)
				switch src.Kind {
				case yaml.MappingNode:
					add(src, true)
				case yaml.SequenceNode:
					for _, m := range src.Content {
						if m = resolveAlias(m); m.Kind == yaml.MappingNode {
							add(m, true)
						}
					}
				default:
					report(val, "%s: a merge key (<<) needs a mapping", path)
				}
				continue
			}
			if j, dup := index[k.Value]; dup {
				if merged {
					continue // an explicit key wins over a merged one
				}
				if pairs[j].merged() {
					pairs[j] = pair{k, val}
					continue
				}
				report(k, "%s: key %q is set twice (first at line %d)", path, k.Value, pairs[j].key.Line)
				continue
			}
			index[k.Value] = len(pairs)
			p := pair{k, val}
			if merged {
				p = pair{&yaml.Node{Kind: k.Kind, Value: k.Value, Line: k.Line, Column: k.Column, Tag: mergedTag}, val}
			}
			pairs = append(pairs, p)
		}
	}
	add(n, false)
	return pairs
}

const mergedTag = "!release-gate-merged"

func (p pair) merged() bool { return p.key.Tag == mergedTag }

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names what a node holds, for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		return strconv.Quote(n.Value)
	}
	return "something else"
}
