package config

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// hangGuard is how long a parse may take before a test calls it hung. It is
// not a timing assertion: a bounded parse of these inputs takes
// milliseconds, an unbounded one years.
const hangGuard = 20 * time.Second

type parsed struct {
	f    *File
	err  error
	errs []error // from Section.Decode and Section.Errorf
}

// parseBounded parses src and decodes every section it gets, as the CLI
// does, failing the test instead of hanging when that does not return.
func parseBounded(t *testing.T, src string, getenv func(string) string) parsed {
	t.Helper()
	done := make(chan parsed, 1)
	go func() {
		var p parsed
		p.f, p.err = Parse("rg.yml", []byte(src), Options{Getenv: getenv, Gates: testGates})
		if p.f != nil {
			for _, s := range p.f.Sections {
				var c sampleConfig
				p.errs = append(p.errs, s.Decode(&c), s.Errorf("wait.timeout", "checked"))
			}
		}
		done <- p
	}()
	select {
	case p := <-done:
		return p
	case <-time.After(hangGuard):
		t.Fatalf("parsing did not return within %v: an expansion is unbounded", hangGuard)
		return parsed{}
	}
}

// mergeBomb is a gate section whose last line merges 2^levels copies of
// one mapping through nested merge keys (<<: [*m, *m]).
func mergeBomb(levels int) string {
	var b strings.Builder
	b.WriteString("version: 1\ngates:\n  secret-scan:\n    m0: &m0 {retries: 1}\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "    m%d: &m%d {<<: [*m%d, *m%d]}\n", i, i, i-1, i-1)
	}
	fmt.Fprintf(&b, "    <<: *m%d\n", levels)
	return b.String()
}

// billionLaughs nests lists of aliases: each level holds width aliases to
// the level below, so the last one expands into width^levels scalars.
func billionLaughs(levels, width int) string {
	var b strings.Builder
	b.WriteString("version: 1\ngates:\n  secret-scan:\n    l0: &l0 [lol]\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "    l%d: &l%d [", i, i)
		for j := 0; j < width; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	fmt.Fprintf(&b, "    scope: *l%d\n", levels)
	return b.String()
}

func TestMergeBombIsRefused(t *testing.T) {
	src := mergeBomb(40)
	if len(src) > 2048 {
		t.Fatalf("the bomb is %d bytes; it should be small", len(src))
	}
	p := parseBounded(t, src, env(nil))
	// The definitions already expand: m14's first alias takes the file
	// past the limit.
	assertErrors(t, p.err, []string{"rg.yml:18:21: alias *m13: the file expands aliases and merge keys into more than 100000 nodes, the limit"})
	if p.f == nil || len(p.f.Sections) != 0 {
		t.Errorf("a file over the limit must configure nothing; got %+v", p.f)
	}
}

// TestLimitsAreFarAboveARealConfiguration keeps the limits' promise: the
// largest realistic configuration reaches less than a hundredth of each.
func TestLimitsAreFarAboveARealConfiguration(t *testing.T) {
	data, err := os.ReadFile("testdata/large.yml")
	if err != nil {
		t.Fatal(err)
	}
	gates := []string{"secret-scan", "staging-digest", "alert-presence", "backup-freshness", "compose", "health-endpoints", "rollback-readiness"}
	f, err := Parse("large.yml", data, Options{Getenv: env(nil), Gates: gates})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Sections) != len(gates) {
		t.Fatalf("%d sections, want %d", len(f.Sections), len(gates))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	c := measureFile(doc.Content[0], &errorList{src: &source{file: "large.yml"}})
	t.Logf("large.yml: %d bytes, %d nodes and %d bytes of text through aliases, %d levels deep", len(data), c.aliasNodes, c.aliasBytes, c.deepest)
	if c.aliasNodes == 0 || c.aliasNodes*100 > maxAliasNodes || c.aliasBytes*100 > maxAliasBytes || c.deepest*10 > maxDepth || len(data)*100 > MaxFileSize {
		t.Errorf("a realistic configuration comes within 100 times of a limit (10 for depth): nodes %d/%d, bytes %d/%d, depth %d/%d, size %d/%d",
			c.aliasNodes, maxAliasNodes, c.aliasBytes, maxAliasBytes, c.deepest, maxDepth, len(data), MaxFileSize)
	}
}

func TestBillionLaughsIsRefused(t *testing.T) {
	src := billionLaughs(9, 10) // 10^9 scalars from 1 KB
	if len(src) > 1024 {
		t.Fatalf("the bomb is %d bytes; it should be small", len(src))
	}
	p := parseBounded(t, src, env(nil))
	assertErrors(t, p.err, []string{"rg.yml:9:29: alias *l4: the file expands aliases and merge keys into more than 100000 nodes, the limit"})
}

// TestYAMLDoesNotBoundNodeDecoding is why this package measures aliases
// itself: yaml.v3 refuses a billion laughs when it decodes into Go values,
// but not when it decodes into yaml.Node, which is what Parse reads, and
// what every walk here then follows.
func TestYAMLDoesNotBoundNodeDecoding(t *testing.T) {
	src := []byte(billionLaughs(9, 10))
	var v any
	if err := yaml.Unmarshal(src, &v); err == nil || !strings.Contains(err.Error(), "excessive aliasing") {
		t.Errorf("decoding into any: %v; want yaml.v3's excessive aliasing error", err)
	}
	var n yaml.Node
	if err := yaml.Unmarshal(src, &n); err != nil {
		t.Errorf("decoding into yaml.Node: %v; yaml.v3 was expected to accept it (if it now refuses, the limits here are a second line)", err)
	}
}

func TestAliasedTextIsBounded(t *testing.T) {
	big := strings.Repeat("x", 600<<10)
	src := "version: 1\ngates:\n  secret-scan:\n    base: &big " + big + "\n    head: *big\n    x: *big\n"
	p := parseBounded(t, src, env(nil))
	assertErrors(t, p.err, []string{"rg.yml:6:8: alias *big: the file expands aliases and merge keys into more than 1.0 MiB of text, the limit"})
}

func TestAliasCyclesAreRefused(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"list", "    scope: &a [x, *a]\n", "rg.yml:3:19: alias *a refers to a mapping or list that contains it"},
		{"merge", "    wait: &m {timeout: 1s, <<: *m}\n", "rg.yml:3:32: alias *m refers to a mapping or list that contains it"},
		{"nested", "    wait: &m {timeout: 1s, x: [{y: *m}]}\n", "rg.yml:3:36: alias *m refers to a mapping or list that contains it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parseBounded(t, "gates:\n  secret-scan:\n"+tt.body, env(nil))
			assertErrors(t, p.err, []string{tt.want})
		})
	}
}

func TestDepthIsBounded(t *testing.T) {
	deep := strings.Repeat("[", 120) + strings.Repeat("]", 120)
	p := parseBounded(t, "gates:\n  secret-scan:\n    scope: "+deep+"\n", env(nil))
	assertErrors(t, p.err, []string{"rg.yml:3:109: nesting is deeper than 100 levels"})

	half := strings.Repeat("[", 60) + strings.Repeat("]", 60)
	p = parseBounded(t, "gates:\n  secret-scan:\n    scope: &a "+half+"\n    base: "+strings.Repeat("[", 59)+"*a"+strings.Repeat("]", 59)+"\n", env(nil))
	assertErrors(t, p.err, []string{"rg.yml:4:70: alias *a: the file nests deeper than 100 levels with its aliases written out"})
}

func TestFileSizeIsBounded(t *testing.T) {
	data := []byte("version: 1\n# " + strings.Repeat("x", MaxFileSize) + "\n")
	_, err := Parse("big.yml", data, Options{Gates: testGates})
	assertErrors(t, err, []string{"big.yml: the file is larger than 1.0 MiB, the limit for a configuration file"})

	r := &countingReader{}
	_, err = Read(r, "zero.yml")
	assertErrors(t, err, []string{"zero.yml: the file is larger than 1.0 MiB"})
	if r.n > MaxFileSize+1 {
		t.Errorf("Read read %d bytes; it should stop one past the limit", r.n)
	}

	ok := []byte("version: 1\n")
	got, err := Read(strings.NewReader(string(ok)), "ok.yml")
	if err != nil || string(got) != string(ok) {
		t.Errorf("Read = %q, %v", got, err)
	}
}

// countingReader is an endless file of spaces that counts what was read.
type countingReader struct{ n int }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	r.n += len(p)
	return len(p), nil
}

func TestErrorsAreCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("gates:\n  secret-scan:\n    wait: &bad {tiemout: 1s}\n    x: [")
	for i := 0; i < 300; i++ {
		b.WriteString("*bad, ")
	}
	b.WriteString("]\n")
	f, err := Parse("rg.yml", []byte(b.String()), Options{Gates: testGates})
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		X []struct {
			Timeout Duration `yaml:"timeout"`
		} `yaml:"x"`
	}
	err = f.Section("secret-scan").Decode(&c)
	es, ok := err.(Errors)
	if !ok || len(es) != maxErrors+1 {
		t.Fatalf("got %d errors, want %d and a count of the rest: %v", len(es), maxErrors+1, err)
	}
	if got := es[maxErrors].Error(); got != "rg.yml: 201 more problems are not listed; fix these first" {
		t.Errorf("last error %q", got)
	}
}
