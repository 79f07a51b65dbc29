package main

import (
	"os/exec"
	"strings"
	"testing"
)

// A gate never imports another gate, in its code or its tests: what
// several gates share lives under internal/. go list reads the imports as
// the build does.
func TestGatesDoNotImportEachOther(t *testing.T) {
	const gatesPath = "github.com/release-gate/release-gate/gates/"
	out, err := exec.Command("go", "list", "-f",
		`{{.ImportPath}} {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}`,
		"./gates/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	gateOf := func(path string) string {
		rest, ok := strings.CutPrefix(path, gatesPath)
		if !ok {
			return ""
		}
		gate, _, _ := strings.Cut(rest, "/")
		return gate
	}
	var gatesSeen int
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		importer := gateOf(fields[0])
		if importer == "" {
			continue // the gates package itself: the domain every gate uses
		}
		gatesSeen++
		for _, imp := range fields[1:] {
			imported := gateOf(imp)
			if imported == "" || imported == importer {
				continue
			}
			t.Errorf("%s imports %s: a gate never imports another gate; move what they share under internal/ (as internal/secrets and internal/backup)", fields[0], imp)
		}
	}
	if gatesSeen < 4 {
		t.Fatalf("go list showed %d gate packages: %s", gatesSeen, out)
	}
}
