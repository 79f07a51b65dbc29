package attesttest_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/release-gate/release-gate/internal/attest/attesttest"
)

// codeBlock is a fenced code block of a Markdown page.
var codeBlock = regexp.MustCompile("(?s)```(?:json|jsonc)?\n(.*?)```")

// publishedStatements are the complete Statement v1 examples of the in-toto
// attestation specification, as its Go module ships them: every JSON code
// block of spec/predicates/*.md that parses and is a Statement v1.
func publishedStatements(t *testing.T) map[string][]byte {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/in-toto/attestation").Output()
	if err != nil {
		t.Fatalf("finding the in-toto attestation module: %v", err)
	}
	pages, err := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "spec", "predicates", "*.md"))
	if err != nil || len(pages) == 0 {
		t.Fatalf("no predicate pages in the module (%v)", err)
	}
	found := map[string][]byte{}
	for _, page := range pages {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range codeBlock.FindAllSubmatch(data, -1) {
			var doc struct {
				Type string `json:"_type"`
			}
			if json.Unmarshal(m[1], &doc) != nil || doc.Type != "https://in-toto.io/Statement/v1" {
				continue
			}
			found[filepath.Base(page)+"#"+string(rune('0'+i))] = m[1]
		}
	}
	return found
}

// The Statement schema accepts every statement the specification
// publishes, and the VSA schema refuses them all (none is a VSA): the
// schemas are neither looser nor stricter than the specification's own
// examples.
func TestSchemasAgainstPublishedStatements(t *testing.T) {
	statements := publishedStatements(t)
	if len(statements) < 5 {
		t.Fatalf("found %d published statements, want at least 5", len(statements))
	}
	stSchema, vsaSchema := attesttest.Schemas(t)
	for name, data := range statements {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if err := stSchema.Validate(doc); err != nil {
			t.Errorf("%s: the Statement schema refuses a published statement: %v", name, err)
		}
		if err := vsaSchema.Validate(doc); err == nil {
			t.Errorf("%s: the VSA schema accepts a statement that is not a VSA", name)
		}
	}
}
