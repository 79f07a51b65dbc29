package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/release-gate/release-gate/internal/glob"
)

// DefaultMaxWaiverDays is how far ahead a waiver may expire when the
// configuration does not set max-waiver-days.
const DefaultMaxWaiverDays = 90

// maxMaxWaiverDays bounds max-waiver-days: a waiver is a debt with a due
// date, not a second way to turn a rule off.
const maxMaxWaiverDays = 366

// Waiver lets the findings it matches pass until it expires. Gate is
// required; every other matcher that is set must match too.
type Waiver struct {
	Gate        string
	Rule        string
	Path        string            // a glob (internal/glob) over the finding's file
	Fingerprint string            // secret-scan's commit:file:rule:line or file:rule:line
	Image       string            // the finding's image label, exactly
	Labels      map[string]string // each must be one of the finding's labels
	Owner       string
	Reason      string
	Ticket      string
	Expires     time.Time
	// File and Line are where the waiver is written, for messages.
	File string
	Line int
}

// waiverKeys is a waiver as written.
type waiverKeys struct {
	Gate        string            `yaml:"gate,required"`
	Rule        string            `yaml:"rule"`
	Path        string            `yaml:"path"`
	Fingerprint string            `yaml:"fingerprint"`
	Image       string            `yaml:"image"`
	Labels      map[string]string `yaml:"labels"`
	Owner       string            `yaml:"owner,required"`
	Reason      string            `yaml:"reason,required"`
	Ticket      string            `yaml:"ticket"`
	Expires     Expiry            `yaml:"expires,required"`
}

// Expiry is the instant a waiver stops applying, written as a date
// (2026-12-15: the start of that day in UTC) or an RFC 3339 time with its
// zone (2026-12-15T18:00:00+01:00).
type Expiry time.Time

var dateOnly = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

// UnmarshalConfig implements Unmarshaler.
func (e *Expiry) UnmarshalConfig(n *yaml.Node) error {
	bad := errors.New("want a date such as 2026-12-15 (UTC), or a time with its zone such as 2026-12-15T18:00:00+01:00")
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return bad
	}
	v := strings.TrimSpace(n.Value)
	layout := time.RFC3339
	if dateOnly.MatchString(v) {
		layout = time.DateOnly
	}
	t, err := time.Parse(layout, v)
	if err != nil {
		// Not cut here: the error's message is cut after the secrets in
		// it are (see newError), as a secret cut first is no longer found.
		return fmt.Errorf("%v, got %q", bad, v)
	}
	*e = Expiry(t)
	return nil
}

// fingerprintForm is secret-scan's fingerprint: [commit:]file:rule:line.
var fingerprintForm = regexp.MustCompile(`^([0-9a-f]{7,64}:)?.+:[^:]+:[0-9]+$`)

// FingerprintCommit splits a secret-scan fingerprint that names a commit
// (commit:file:rule:line) into the commit and the rest (file:rule:line);
// ok is false for one that does not (file:rule:line). A fingerprint whose
// first of four or more colon-separated parts is 7 to 64 hex digits, in
// either case, names a commit, whatever a file may be called: git allows
// ':' in file names, and a fingerprint also read as file:rule:line would
// match a file a change names "<commit>:file" on any commit. (A commit in
// upper case never matches one: commit ids are written in lower case.)
func FingerprintCommit(fp string) (commit, rest string, ok bool) {
	commit, rest, found := strings.Cut(fp, ":")
	if !found || len(commit) < 7 || len(commit) > 64 || strings.Count(rest, ":") < 2 {
		return "", "", false
	}
	for i := 0; i < len(commit); i++ {
		if c := commit[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return "", "", false
		}
	}
	return commit, rest, true
}

// parseWaivers reads the value of a waivers key: a list of waivers, or
// (when allowFile) the path of a file that holds them, returned as file.
func parseWaivers(n *yaml.Node, known []string, errs *errorList, allowFile bool) (list []Waiver, file string) {
	n = resolveAlias(n)
	switch {
	case isNull(n):
		return nil, ""
	case n.Kind == yaml.ScalarNode && allowFile:
		if strings.TrimSpace(n.Value) == "" {
			errs.at(n, "waivers: want a list of waivers or the path of a file that holds them")
		}
		return nil, n.Value
	case n.Kind != yaml.SequenceNode:
		want := "a list of waivers"
		if allowFile {
			want += " or the path of a file that holds them"
		}
		errs.at(n, "waivers: want %s, got %s", want, describe(n))
		return nil, ""
	}
	d := decoder{errs: errs}
	for i, item := range n.Content {
		item = resolveAlias(item)
		path := fmt.Sprintf("waivers[%d]", i)
		var k waiverKeys
		before := len(errs.errs)
		d.decode(item, reflect.ValueOf(&k).Elem(), path)
		if item.Kind != yaml.MappingNode {
			continue
		}
		ok := len(errs.errs) == before
		at := func(key, format string, args ...any) {
			node := lookup(item, key)
			if node == nil {
				node = item
			}
			errs.at(node, "%s.%s: %s", path, key, fmt.Sprintf(format, args...))
		}
		if lookup(item, "gate") != nil && !slices.Contains(known, k.Gate) {
			at("gate", "unknown gate %q%s; known gates: %s", k.Gate, suggest(k.Gate, known), strings.Join(known, ", "))
			ok = false
		}
		for _, kv := range [][2]string{{"owner", k.Owner}, {"reason", k.Reason}} {
			if key, v := kv[0], kv[1]; lookup(item, key) != nil && strings.TrimSpace(v) == "" {
				at(key, "must not be empty: a waiver says who answers for it and why")
				ok = false
			}
		}
		if k.Path != "" {
			if err := glob.Check(k.Path); err != nil {
				at("path", "%v", err)
				ok = false
			}
		}
		if k.Fingerprint != "" && !fingerprintForm.MatchString(k.Fingerprint) {
			at("fingerprint", "want secret-scan's fingerprint, commit:file:rule:line or file:rule:line")
			ok = false
		} else if c, _, named := FingerprintCommit(k.Fingerprint); named && len(c) != 40 && len(c) != 64 {
			at("fingerprint", "give the commit's full id (40 hex digits, as gitleaks writes it), not %d: a fingerprint matches its commit's whole id only", len(c))
			ok = false
		} else if named && c != strings.ToLower(c) {
			at("fingerprint", "write the commit's id in lower case, as git and gitleaks write it: one in upper case matches no commit")
			ok = false
		}
		if lookup(item, "labels") != nil && len(k.Labels) == 0 {
			at("labels", "names no label; leave it out, or write labels: {alertname: HighCPU}")
			ok = false
		}
		if lookup(item, "image") != nil && strings.TrimSpace(k.Image) == "" {
			at("image", "must not be empty: write the image reference as the finding names it")
			ok = false
		}
		if !ok {
			continue
		}
		list = append(list, Waiver{
			Gate: k.Gate, Rule: k.Rule, Path: k.Path, Fingerprint: k.Fingerprint, Image: k.Image, Labels: k.Labels,
			Owner: k.Owner, Reason: k.Reason, Ticket: k.Ticket, Expires: time.Time(k.Expires),
			File: errs.src.file, Line: item.Line,
		})
	}
	return list, ""
}

// parseMaxWaiverDays reads max-waiver-days.
func parseMaxWaiverDays(n *yaml.Node, errs *errorList) int {
	var days int
	before := len(errs.errs)
	d := decoder{errs: errs}
	d.decode(n, reflect.ValueOf(&days).Elem(), "max-waiver-days")
	if len(errs.errs) != before {
		return 0
	}
	if days < 1 || days > maxMaxWaiverDays {
		errs.at(n, "max-waiver-days: want a number of days from 1 to %d, got %d", maxMaxWaiverDays, days)
		return 0
	}
	return days
}

// ParseWaivers parses a waivers file: a mapping with the one key waivers,
// a list of waivers as the configuration writes them. name is used in
// messages and kept as each waiver's File. The File it returns holds only
// Path and Waivers; its Secrets are what ${VAR}s brought into it, to be
// masked as the configuration's are. It is not nil when err is nil.
func ParseWaivers(name string, data []byte, opts Options) (*File, error) {
	if err := checkSize(name, data); err != nil {
		return nil, err
	}
	src := &source{file: name}
	errs := &errorList{src: src}
	f := &File{Path: name, src: src}
	root, err := readDocument(name, data, errs, "a waivers file")
	if err != nil {
		return nil, err
	}
	if root == nil {
		return f, nil
	}
	if root.Kind != yaml.MappingNode {
		errs.at(root, "a waivers file must be a mapping with the key waivers")
		return nil, errs.err()
	}
	var ok bool
	if f.credentialEnv, f.urlSecrets, ok = expandWithinLimits(root, opts.Getenv, errs); !ok {
		return f, errs.err()
	}
	for _, kv := range mappingPairs(root, errs, "waivers file") {
		if kv.key.Value != "waivers" {
			errs.at(kv.key, "unknown key %q; a waivers file has the one key waivers", truncate(oneLine(errs.src.redact(kv.key.Value)), 64))
			continue
		}
		f.Waivers, _ = parseWaivers(kv.value, opts.Gates, errs, false)
	}
	return f, errs.err()
}

// WaiversFileErrorf returns an error about the waivers file the
// configuration names, positioned at the name.
func (f *File) WaiversFileErrorf(format string, args ...any) error {
	return f.src.newError(f.waiversNode, "waivers: "+fmt.Sprintf(format, args...))
}
