package backup

import (
	"fmt"
	"hash/maphash"
	"strings"

	"github.com/release-gate/release-gate/internal/glob"
)

// maxSidecars bounds the checksum files a listing may hold for backups
// the pattern matches: a listing that never ends must not make the gate
// keep names until the memory runs out. A set of a million backups, each
// with its checksum file, is far beyond any real one. Each is kept as a
// fixed-size hash of its name, never the name itself, whose length is the
// server's choice: a million take a few tens of MiB whatever the names.
const maxSidecars = 1_000_000

// Candidates keeps the newest and the previous backup among the objects it
// is shown, and the checksum sidecars beside them.
type Candidates struct {
	Pattern  string
	Matched  int // objects that matched the pattern
	Newest   *Object
	Previous *Object
	// sidecars holds a hash of the name of each .sha256 file listed for
	// objects the pattern matches, under seed. Two names that collide
	// (by chance: the seed is random and never shown) would at worst make
	// a missing checksum file look listed; reading it then fails, and the
	// set is an error, never a pass.
	sidecars map[uint64]struct{}
	seed     maphash.Seed
}

// NewCandidates returns an empty selection for pattern.
func NewCandidates(pattern string) *Candidates {
	return &Candidates{Pattern: pattern, sidecars: map[uint64]struct{}{}, seed: maphash.MakeSeed()}
}

// HasSidecar reports whether the checksum file called name was listed.
func (c *Candidates) HasSidecar(name string) bool {
	_, ok := c.sidecars[maphash.String(c.seed, name)]
	return ok
}

// SidecarCount is how many checksum files were listed for objects the
// pattern matches.
func (c *Candidates) SidecarCount() int { return len(c.sidecars) }

// Add considers one listed object. Sidecars never count as backups, even
// when the pattern matches them; only those of objects the pattern matches
// are kept, at most maxSidecars.
func (c *Candidates) Add(o Object) error {
	if backup, ok := strings.CutSuffix(o.Name, SidecarSuffix); ok {
		if !glob.Match(c.Pattern, backup) {
			return nil
		}
		h := maphash.String(c.seed, o.Name)
		if _, ok := c.sidecars[h]; ok {
			return nil
		}
		if len(c.sidecars) >= maxSidecars {
			return fmt.Errorf("more than %d checksum files are listed for backups matching %s, which no backup set has: check location and pattern, or the endpoint", maxSidecars, c.Pattern)
		}
		c.sidecars[h] = struct{}{}
		return nil
	}
	if !glob.Match(c.Pattern, o.Name) {
		return nil
	}
	c.Matched++
	obj := o
	switch {
	case c.Newest == nil || newer(obj, *c.Newest):
		c.Previous, c.Newest = c.Newest, &obj
	case c.Previous == nil || newer(obj, *c.Previous):
		c.Previous = &obj
	}
	return nil
}

// newer orders backups by modification time, then by name (timestamps in
// names sort that way) so that the choice never depends on listing order.
func newer(a, b Object) bool {
	if !a.ModTime.Equal(b.ModTime) {
		return a.ModTime.After(b.ModTime)
	}
	return a.Name > b.Name
}
