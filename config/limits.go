package config

import (
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// MaxFileSize is the largest configuration file release-gate reads: 1 MiB.
// A configuration is a few kilobytes; the limit only stops a file that
// would make parsing itself the problem.
const MaxFileSize = 1 << 20

// Limits on what aliases (*name) and merge keys (<<) may make of a file.
// yaml.v3 bounds aliasing when it decodes into Go values, but not into
// yaml.Node, which is what this package reads; every walk here follows
// aliases, so the file is measured once, as if every alias were written
// out, before anything walks it.
//
// The largest realistic configuration measured (testdata/large.yml: every
// gate, thirty backup sets and a dozen alert categories sharing their
// settings through anchors and merge keys) reaches 595 nodes and 4,758
// bytes of text through aliases, and is 8 levels deep. The alias limits are
// more than 100 times that, and far below what costs anything: walking
// 100,000 nodes takes milliseconds. TestLimitsAreFarAboveARealConfiguration
// keeps this true.
const (
	// maxAliasNodes bounds the nodes reached through aliases, counted
	// each time an alias is followed (an alias to a list of 3 scalars
	// counts 4).
	maxAliasNodes = 100_000
	// maxAliasBytes bounds the scalar text reached through aliases, so a
	// few aliases to one huge scalar cannot cost what many nodes would:
	// aliases may add no more text than a whole file holds.
	maxAliasBytes = MaxFileSize
	// maxDepth bounds the nesting of mappings and lists, aliases followed.
	maxDepth = 100
)

// Read reads a configuration file from r, refusing one larger than
// MaxFileSize without reading more than one byte past the limit. name
// names the file in messages. A file over the limit is an Errors, a
// configuration error like any other.
func Read(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading config file %s: %w", oneLine(name), err)
	}
	if err := checkSize(name, data); err != nil {
		return nil, err
	}
	return data, nil
}

func checkSize(name string, data []byte) error {
	if len(data) <= MaxFileSize {
		return nil
	}
	src := &source{file: name}
	return Errors{src.newError(nil, fmt.Sprintf("the file is larger than %s, the limit for a configuration file; a configuration is a few kilobytes: check that this is the file you meant", FormatSize(MaxFileSize)))}
}

// measure is the expanded size of one node: what walking it costs when
// every alias under it is followed.
type measure struct {
	nodes, bytes, depth int
}

// checkLimits measures root as if every alias were written out and reports
// the first alias that takes the file past maxAliasNodes or maxAliasBytes,
// the first node nested deeper than maxDepth, and any alias that refers to
// a node containing it. It visits each node once: an alias refers to a node
// that comes before it in the file, so that node is either measured already
// or still open (a cycle). It returns false when the file is over a limit;
// nothing else may then walk it.
func checkLimits(root *yaml.Node, errs *errorList) bool {
	return !measureFile(root, errs).failed
}

func measureFile(root *yaml.Node, errs *errorList) *limitCheck {
	c := &limitCheck{memo: map[*yaml.Node]measure{}, open: map[*yaml.Node]bool{}, errs: errs}
	c.walk(root, 1)
	return c
}

type limitCheck struct {
	memo map[*yaml.Node]measure
	open map[*yaml.Node]bool
	errs *errorList
	// Through aliases so far, in file order.
	aliasNodes, aliasBytes int
	deepest                int // the deepest nesting seen, aliases followed
	failed                 bool
}

func (c *limitCheck) walk(n *yaml.Node, depth int) measure {
	if c.failed || n == nil {
		return measure{}
	}
	if depth > maxDepth {
		c.fail(n, "nesting is deeper than %d levels; a configuration needs a few", maxDepth)
		return measure{}
	}
	if n.Kind == yaml.AliasNode {
		return c.alias(n, depth)
	}
	if m, ok := c.memo[n]; ok {
		return m
	}
	c.deepest = max(c.deepest, depth)
	c.open[n] = true
	m := measure{nodes: 1, bytes: len(n.Value), depth: 1}
	for _, child := range n.Content {
		cm := c.walk(child, depth+1)
		m.nodes = satAdd(m.nodes, cm.nodes)
		m.bytes = satAdd(m.bytes, cm.bytes)
		m.depth = max(m.depth, cm.depth+1)
	}
	delete(c.open, n)
	c.memo[n] = m
	return m
}

func (c *limitCheck) alias(n *yaml.Node, depth int) measure {
	target := n.Alias
	if target == nil {
		return measure{}
	}
	if c.open[target] {
		c.fail(n, "alias *%s refers to a mapping or list that contains it, which never ends; write the value out", n.Value)
		return measure{}
	}
	m, ok := c.memo[target]
	if !ok {
		// Not reached before in file order (yaml.v3 does not make such
		// files); measure it here rather than trust that.
		m = c.walk(target, depth)
		if c.failed {
			return measure{}
		}
	}
	c.deepest = max(c.deepest, depth-1+m.depth)
	c.aliasNodes = satAdd(c.aliasNodes, m.nodes)
	c.aliasBytes = satAdd(c.aliasBytes, m.bytes)
	switch {
	case c.aliasNodes > maxAliasNodes:
		c.fail(n, "alias *%s: the file expands aliases and merge keys into more than %d nodes, the limit; write the repeated settings out, or alias fewer levels deep", n.Value, maxAliasNodes)
	case c.aliasBytes > maxAliasBytes:
		c.fail(n, "alias *%s: the file expands aliases and merge keys into more than %s of text, the limit; write the repeated settings out, or alias fewer levels deep", n.Value, FormatSize(maxAliasBytes))
	case depth-1+m.depth > maxDepth:
		c.fail(n, "alias *%s: the file nests deeper than %d levels with its aliases written out; a configuration needs a few", n.Value, maxDepth)
	}
	return m
}

func (c *limitCheck) fail(n *yaml.Node, format string, args ...any) {
	c.errs.at(n, format, args...)
	c.failed = true
}

// satAdd adds two non-negative counts, saturating instead of overflowing.
func satAdd(a, b int) int {
	const limit = 1 << 40
	if a > limit-b {
		return limit
	}
	return a + b
}
