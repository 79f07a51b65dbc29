package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// DefaultPath is where the configuration is looked for when none is named.
const DefaultPath = ".github/release-gate.yml"

// CurrentVersion is the only configuration format version there is.
const CurrentVersion = 1

// File is a parsed configuration file.
type File struct {
	// Path names the file in messages (as the user gave it).
	Path    string
	Version int
	// Timeout bounds the whole run; 0 when not set.
	Timeout time.Duration
	// Sections are the configured gates, in file order.
	Sections []*Section
	// Waivers are the waivers the file lists (see docs/waivers.md).
	Waivers []Waiver
	// WaiversFile is the file that holds the waivers, when the waivers key
	// names one instead of listing them: as written, relative to the
	// workspace. The caller reads it from where it read this file.
	WaiversFile string
	// MaxWaiverDays is how far ahead a waiver may expire, in days.
	MaxWaiverDays int

	waiversNode   *yaml.Node // the value of waivers when it names a file
	src           *source    // what ${VAR} expansion put into the file
	credentialEnv []string   // variables named by -env keys
	urlSecrets    []string   // URL passwords written in values
}

// Section returns the configuration of the named gate, or nil.
func (f *File) Section(name string) *Section {
	for _, s := range f.Sections {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Section is the configuration of one gate. Mode and Timeout are common to
// every gate; the rest is the gate's own, decoded by the gate with Decode.
type Section struct {
	Name    string
	Mode    string // enforce | warn
	Timeout time.Duration
	src     *source
	key     *yaml.Node        // the gate's name in the file
	body    *yaml.Node        // the gate's own keys (mode and timeout removed)
	inputs  map[string]string // key -> the action input that set it
}

// NewSection makes a section with no keys: the gate's defaults. It is how a
// gate gets configured by action inputs alone.
func NewSection(file, name string) *Section {
	return &Section{
		Name: name,
		Mode: "enforce",
		src:  &source{file: file},
		key:  &yaml.Node{Kind: yaml.ScalarNode, Value: name},
		body: &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"},
	}
}

// Decode fills out (a pointer to the gate's config struct) from the
// section, strictly. Errors name file:line:col.
func (s *Section) Decode(out any) error {
	errs := &errorList{src: s.src}
	d := decoder{errs: errs}
	d.decode(s.body, reflect.ValueOf(out).Elem(), "gates."+s.Name)
	return errs.err()
}

// Set sets key to value in the section, replacing what the file said (action
// inputs override the file this way).
func (s *Section) Set(key, value string) {
	val := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value, Line: s.key.Line, Column: s.key.Column}
	for i := 0; i+1 < len(s.body.Content); i += 2 {
		if s.body.Content[i].Value == key {
			s.body.Content[i+1] = val
			return
		}
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: s.key.Line, Column: s.key.Column}
	s.body.Content = append(s.body.Content, k, val)
}

// SetInput sets key to the value of the action input named input, as Set
// does; an error about the key then names the input, where the value came
// from, rather than the file.
func (s *Section) SetInput(key, value, input string) {
	s.Set(key, value)
	if s.inputs == nil {
		s.inputs = map[string]string{}
	}
	s.inputs[key] = input
}

// Errorf returns an error positioned at the value of key (a dotted path such
// as "wait.timeout" or "backups[1].pattern": list indexes from 0, in
// brackets, as the decoder prints paths; "backups.1.pattern" finds the same
// node) or, when the file does not set it, at the gate's name. A key an
// action input set is named as that input.
func (s *Section) Errorf(key, format string, args ...any) error {
	if input, ok := s.inputs[key]; ok {
		e := s.src.newError(nil, fmt.Sprintf(format, args...)+" (this input sets gates."+s.Name+"."+key+")")
		e.File = "action input " + input
		return e
	}
	n := s.key
	if v := lookup(s.body, key); v != nil {
		n = v
	}
	path := "gates." + s.Name
	if key != "" {
		path += "." + key
	}
	return s.src.newError(n, path+": "+fmt.Sprintf(format, args...))
}

// lookup finds the node at a dotted path under n, through aliases and merge
// keys, as the decoder sees the file.
func lookup(n *yaml.Node, path string) *yaml.Node {
	if path == "" {
		return nil
	}
	path = strings.ReplaceAll(strings.ReplaceAll(path, "]", ""), "[", ".")
	for _, part := range strings.Split(path, ".") {
		n = resolveAlias(n)
		if n == nil {
			return nil
		}
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for _, kv := range mappingPairs(n, nil, "") {
				if kv.key.Value == part {
					next = kv.value
				}
			}
			n = next
		case yaml.SequenceNode:
			var i int
			if _, err := fmt.Sscanf(part, "%d", &i); err != nil || i < 0 || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
		case yaml.ScalarNode:
			// A list written as one string (Strings) is its own item 0.
			if part != "0" {
				return nil
			}
		default:
			return nil
		}
	}
	return n
}

// Options control parsing.
type Options struct {
	// Getenv resolves ${VAR} references.
	Getenv func(string) string
	// Gates are the gate names a file may configure.
	Gates []string
}

// readDocument reads the one YAML document of a file (what names it in
// messages). It returns nil, nil for an empty or null document, and an
// error for a syntax error or a second document.
func readDocument(name string, data []byte, errs *errorList, what string) (*yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := decodeYAML(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlSyntaxError(name, err)
	}
	var extra yaml.Node
	if err := decodeYAML(dec, &extra); err == nil {
		errs.at(&extra, "%s holds one YAML document; found another", what)
		return nil, errs.err()
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if isNull(root) {
		return nil, nil
	}
	return root, nil
}

// Parse parses a configuration file. name is used in messages. On errors
// in a well-formed document it returns the errors (Errors) together with a
// File holding the sections it could read, so a caller can go on checking
// them and report every problem at once.
//
// The file may be at most MaxFileSize bytes; aliases and merge keys may not
// make it much bigger than it is (see checkLimits). f.Secrets lists what
// the file brings in that must be masked; it is filled whenever f is not
// nil, errors or not.
func Parse(name string, data []byte, opts Options) (*File, error) {
	if err := checkSize(name, data); err != nil {
		return nil, err
	}
	src := &source{file: name}
	errs := &errorList{src: src}
	f := &File{Path: name, Version: CurrentVersion, MaxWaiverDays: DefaultMaxWaiverDays, src: src}

	root, err := readDocument(name, data, errs, "a configuration file")
	if err != nil {
		return nil, err
	}
	if root == nil {
		return f, nil // an empty file configures nothing
	}
	if root.Kind != yaml.MappingNode {
		// Not its text: a file that is not a configuration at all (a
		// symlink to a credentials file, say) must not be printed.
		got := "text"
		if root.Kind != yaml.ScalarNode {
			got = describe(root)
		}
		errs.at(root, "the configuration must be a mapping with keys version, timeout and gates; got %s", got)
		return nil, errs.err()
	}

	var ok bool
	if f.credentialEnv, f.urlSecrets, ok = expandWithinLimits(root, opts.Getenv, errs); !ok {
		return f, errs.err()
	}

	d := decoder{errs: errs}
	known := []string{"version", "timeout", "gates", "waivers", "max-waiver-days"}
	for _, kv := range mappingPairs(root, errs, "config") {
		switch kv.key.Value {
		case "version":
			d.decode(kv.value, reflect.ValueOf(&f.Version).Elem(), "version")
			if f.Version != CurrentVersion {
				errs.at(kv.value, "version: unsupported version %d; this release-gate reads version %d", f.Version, CurrentVersion)
			}
		case "timeout":
			var t Duration
			before := len(errs.errs)
			d.decode(kv.value, reflect.ValueOf(&t).Elem(), "timeout")
			f.Timeout = time.Duration(t)
			if len(errs.errs) == before && t <= 0 {
				errs.at(kv.value, "timeout: must be positive")
			}
		case "gates":
			f.Sections = parseGates(kv.value, opts.Gates, errs)
		case "waivers":
			f.Waivers, f.WaiversFile = parseWaivers(kv.value, opts.Gates, errs, true)
			f.waiversNode = kv.value
		case "max-waiver-days":
			if days := parseMaxWaiverDays(kv.value, errs); days > 0 {
				f.MaxWaiverDays = days
			}
		default:
			errs.at(kv.key, "unknown key %q%s; known keys: %s", kv.key.Value, suggest(kv.key.Value, known), strings.Join(known, ", "))
		}
	}
	return f, errs.err()
}

func parseGates(n *yaml.Node, known []string, errs *errorList) []*Section {
	n = resolveAlias(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		errs.at(n, "gates: want a mapping from gate name to its settings, got %s", describe(n))
		return nil
	}
	d := decoder{errs: errs}
	var sections []*Section
	for _, kv := range mappingPairs(n, errs, "gates") {
		name := kv.key.Value
		if !slices.Contains(known, name) {
			errs.at(kv.key, "gates: unknown gate %q%s; known gates: %s", name, suggest(name, known), strings.Join(known, ", "))
			continue
		}
		s := NewSection(errs.src.file, name)
		s.src = errs.src
		s.key = kv.key
		body := resolveAlias(kv.value)
		switch {
		case isNull(body):
		case body.Kind != yaml.MappingNode:
			errs.at(body, "gates.%s: want a mapping of settings, got %s", name, describe(body))
			continue
		default:
			s.body = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: body.Line, Column: body.Column}
			for _, p := range mappingPairs(body, errs, "gates."+name) {
				switch p.key.Value {
				case "mode":
					d.decode(p.value, reflect.ValueOf(&s.Mode).Elem(), "gates."+name+".mode")
					if s.Mode != "enforce" && s.Mode != "warn" {
						errs.at(p.value, "gates.%s.mode: want enforce or warn, got %q", name, s.Mode)
					}
				case "timeout":
					var t Duration
					before := len(errs.errs)
					d.decode(p.value, reflect.ValueOf(&t).Elem(), "gates."+name+".timeout")
					if len(errs.errs) == before && t <= 0 {
						errs.at(p.value, "gates.%s.timeout: must be positive", name)
					}
					s.Timeout = time.Duration(t)
				default:
					s.body.Content = append(s.body.Content, p.key, p.value)
				}
			}
		}
		sections = append(sections, s)
	}
	return sections
}

// decodeYAML reads the next document into n. yaml.v3 turns its own
// failures into errors, but a panic it did not mean (a bug reached by
// hostile input) must not crash the run either.
func decodeYAML(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the YAML parser failed on this file (%v)", r)
		}
	}()
	return dec.Decode(n)
}

// yamlSyntaxError turns a yaml.v3 error ("yaml: line 3: ...") into an Error.
func yamlSyntaxError(file string, err error) error {
	src := &source{file: file}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil && line > 0 {
		_, rest, _ := strings.Cut(msg, ":")
		return Errors{src.newError(&yaml.Node{Line: line}, "invalid YAML: "+strings.TrimSpace(rest))}
	}
	return Errors{src.newError(nil, "invalid YAML: "+msg)}
}
