package backup

import (
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"strings"
)

// SidecarSuffix is appended to a backup's name to find its checksum file.
const SidecarSuffix = ".sha256"

// maxSidecarSize bounds how much of a sidecar is read: a checksum file for
// one backup is a line.
const maxSidecarSize = 64 << 10

var (
	bareLine = regexp.MustCompile(`^([0-9a-fA-F]{64})$`)
	// sha256sum: "HASH  name" (text) or "HASH *name" (binary); some tools
	// write one space. A leading backslash marks an escaped name.
	gnuLine = regexp.MustCompile(`^\\?([0-9a-fA-F]{64})[ \t][ *]?(.+)$`)
	// sha256sum --tag, BSD sha256, openssl dgst: "SHA256 (name) = HASH".
	bsdLine = regexp.MustCompile(`^SHA(?:2-)?256 ?\((.*)\) ?= ?([0-9a-fA-F]{64})$`)
)

// sidecarEntry is one line of a checksum file.
type sidecarEntry struct {
	name string // "" for a bare hash
	sum  []byte
}

// ParseSidecar finds the SHA-256 a checksum file gives for the object
// named name (only its base name is compared). It reads the usual formats:
// a bare hash, sha256sum's "HASH  name" and "HASH *name", and the BSD/tag
// form "SHA256 (name) = HASH". A file with a single entry applies whatever
// name it gives, since backups are often renamed when uploaded.
func ParseSidecar(data []byte, name string) ([]byte, error) {
	var entries []sidecarEntry
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		var e sidecarEntry
		var hexSum string
		switch {
		case bareLine.MatchString(trimmed):
			hexSum = trimmed
		case gnuLine.MatchString(line):
			m := gnuLine.FindStringSubmatch(line)
			hexSum, e.name = m[1], m[2]
			if strings.HasPrefix(line, `\`) {
				e.name = strings.NewReplacer(`\\`, `\`, `\n`, "\n", `\r`, "\r").Replace(e.name)
			}
		case bsdLine.MatchString(trimmed):
			m := bsdLine.FindStringSubmatch(trimmed)
			e.name, hexSum = m[1], m[2]
		default:
			return nil, fmt.Errorf("line %d is not in sha256sum format (want HASH  NAME, HASH *NAME, a bare hash, or SHA256 (NAME) = HASH)", i+1)
		}
		sum, err := hex.DecodeString(hexSum)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		e.sum = sum
		entries = append(entries, e)
	}
	switch len(entries) {
	case 0:
		return nil, fmt.Errorf("it holds no checksum")
	case 1:
		return entries[0].sum, nil
	}
	base := path.Base(name)
	var found []byte
	for _, e := range entries {
		if e.name == "" || path.Base(strings.ReplaceAll(e.name, `\`, "/")) != base {
			continue
		}
		if found != nil && string(found) != string(e.sum) {
			return nil, fmt.Errorf("it gives two different checksums for %s", base)
		}
		found = e.sum
	}
	if found == nil {
		return nil, fmt.Errorf("none of its %d entries is for %s", len(entries), base)
	}
	return found, nil
}
