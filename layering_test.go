package main

import (
	"os/exec"
	"strings"
	"testing"
)

// gateImportAllowance lists the imports of one gate by another that are
// still to be moved under internal/, as "importer -> imported" (gate
// directory names). Remove an entry once its code has moved.
var gateImportAllowance = []string{"rollbackreadiness -> backupfreshness"}

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
			pair := importer + " -> " + imported
			if imported == "secretscan" {
				t.Errorf("%s imports %s: secret detection and redaction are in internal/secrets", fields[0], imp)
				continue
			}
			allowed := false
			for _, a := range gateImportAllowance {
				allowed = allowed || a == pair
			}
			if !allowed {
				t.Errorf("%s imports %s: a gate never imports another gate; move what they share under internal/", fields[0], imp)
			}
		}
	}
	if gatesSeen < 4 {
		t.Fatalf("go list showed %d gate packages: %s", gatesSeen, out)
	}
}
