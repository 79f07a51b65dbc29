package secretscan

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/internal/plural"
)

// Unscanned is a kind of content the scan cannot read.
type Unscanned string

// Kinds of unscanned content.
const (
	// UnscannedLFS is a Git LFS object: git stores only a pointer to it,
	// and its content was not in the work tree (or not the content the
	// pointer names).
	UnscannedLFS Unscanned = "lfs"
	// UnscannedSubmodules is a checked-out submodule, or a submodule commit
	// the change points to: another repository's content.
	UnscannedSubmodules Unscanned = "submodules"
)

var allUnscanned = []Unscanned{UnscannedLFS, UnscannedSubmodules}

// UnscannedKinds is a list of kinds, written as one name or a list.
type UnscannedKinds []Unscanned

// UnmarshalConfig implements config.Unmarshaler.
func (u *UnscannedKinds) UnmarshalConfig(n *yaml.Node) error {
	var names config.Strings
	if err := names.UnmarshalConfig(n); err != nil {
		return err
	}
	var out UnscannedKinds
	for i, name := range names {
		k := Unscanned(strings.TrimSpace(name))
		if !slices.Contains(allUnscanned, k) {
			item := n
			if n.Kind == yaml.SequenceNode {
				item = n.Content[i]
			}
			return config.ErrorAt(item, "unknown kind of unscanned content %q; want %s", name, joinUnscanned(allUnscanned))
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	*u = out
	return nil
}

func joinUnscanned(kinds []Unscanned) string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// unscanned is content a scope could not read.
type unscanned struct {
	path   string // relative to the workspace
	commit string // the commit that added it; "" in the tree
	object string // the blob (LFS pointer) it is, when known
}

// maxLFSPointer is the largest a Git LFS pointer file may be (its spec).
const maxLFSPointer = 1024

var lfsVersion = []byte("version https://git-lfs.github.com/spec/v1\n")

// isLFSPointer reports whether data is a Git LFS pointer.
func isLFSPointer(data []byte) bool {
	return len(data) <= maxLFSPointer && bytes.HasPrefix(data, lfsVersion)
}

// lfsObject reads the object a Git LFS pointer names: its sha256 and size.
func lfsObject(pointer []byte) (oid string, size int64, ok bool) {
	size = -1
	for _, line := range strings.Split(string(pointer), "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "oid":
			oid, _ = strings.CutPrefix(v, "sha256:")
		case "size":
			n, err := strconv.ParseInt(v, 10, 64)
			if err == nil {
				size = n
			}
		}
	}
	return oid, size, len(oid) == 64 && size >= 0
}

// unscannedReport is what every scope left unread, by kind.
type unscannedReport map[Unscanned][]unscanned

func (r unscannedReport) add(k Unscanned, us ...unscanned) {
	r[k] = append(r[k], us...)
}

// paths lists the distinct paths of kind k, sorted.
func (r unscannedReport) paths(k Unscanned) []string {
	var out []string
	for _, u := range r[k] {
		p := u.path
		if u.commit != "" {
			p += " (" + shortSHA(u.commit) + ")"
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// describe says what of kind k was not scanned, naming up to five paths.
func (r unscannedReport) describe(k Unscanned) string {
	ps := r.paths(k)
	switch k {
	case UnscannedLFS:
		return fmt.Sprintf("%s whose content is not in the work tree: %s", plural.Count(len(ps), "Git LFS object"), strings.Join(firstN(ps, 5), ", "))
	default:
		return fmt.Sprintf("%s, whose files are another repository's: %s", plural.Count(len(ps), "submodule"), strings.Join(firstN(ps, 5), ", "))
	}
}

// check returns an error naming what was not scanned and not allowed;
// what was allowed is noted.
func (r unscannedReport) check(allowed UnscannedKinds, note func(format string, args ...any)) error {
	var refused []string
	var kinds []string
	for _, k := range allUnscanned {
		if len(r[k]) == 0 {
			continue
		}
		if slices.Contains(allowed, k) {
			note("not scanned (allow-unscanned: %s): %s", k, r.describe(k))
			continue
		}
		refused = append(refused, r.describe(k))
		kinds = append(kinds, string(k))
	}
	if len(refused) == 0 {
		return nil
	}
	fix := []string{}
	if slices.Contains(kinds, string(UnscannedLFS)) {
		fix = append(fix, "fetch the LFS objects (actions/checkout with lfs: true, or git lfs pull)")
	}
	if slices.Contains(kinds, string(UnscannedSubmodules)) {
		fix = append(fix, "scan each submodule's repository with its own gate")
	}
	return fmt.Errorf("the scan could not read %s, which may hold secrets; %s, then accept them with allow-unscanned: [%s]",
		strings.Join(refused, "; "), strings.Join(fix, " and "), strings.Join(kinds, ", "))
}
