package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var testGates = []string{"secret-scan", "staging-digest", "alert-presence", "backup-freshness"}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

type sampleConfig struct {
	Scope    Strings           `yaml:"scope"`
	Base     string            `yaml:"base"`
	MaxAge   Duration          `yaml:"max-age"`
	MinSize  Size              `yaml:"min-size"`
	Insecure bool              `yaml:"insecure"`
	Retries  int               `yaml:"retries"`
	Selector map[string]string `yaml:"selector"`
	Wait     *struct {
		Interval Duration `yaml:"interval"`
		Timeout  Duration `yaml:"timeout,required"`
	} `yaml:"wait"`
}

func TestParseValid(t *testing.T) {
	src := `
version: 1
timeout: 5m
gates:
  secret-scan:
    mode: warn
    timeout: 2m
    scope: [diff, tree]
    base: ${BASE_SHA}
    max-age: 7d
    min-size: 1MiB
    insecure: true
    retries: 3
    selector: {service: api}
    wait: {interval: 5s, timeout: 1m}
  staging-digest:
`
	f, err := Parse("rg.yml", []byte(src), Options{Getenv: env(map[string]string{"BASE_SHA": "abc123"}), Gates: testGates})
	if err != nil {
		t.Fatal(err)
	}
	if f.Timeout != 5*time.Minute || len(f.Sections) != 2 {
		t.Fatalf("timeout %v, %d sections", f.Timeout, len(f.Sections))
	}
	s := f.Section("secret-scan")
	if s.Mode != "warn" || s.Timeout != 2*time.Minute {
		t.Errorf("mode %q timeout %v", s.Mode, s.Timeout)
	}
	var c sampleConfig
	if err := s.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Strings{"diff", "tree"}, c.Scope); diff != "" {
		t.Error(diff)
	}
	if c.Base != "abc123" || time.Duration(c.MaxAge) != 7*24*time.Hour || c.MinSize != 1<<20 || !c.Insecure || c.Retries != 3 {
		t.Errorf("decoded %+v", c)
	}
	if c.Selector["service"] != "api" || c.Wait == nil || time.Duration(c.Wait.Timeout) != time.Minute {
		t.Errorf("decoded %+v", c)
	}
	if f.Section("staging-digest") == nil || f.Section("staging-digest").Mode != "enforce" {
		t.Error("an empty gate section configures the gate with defaults")
	}
}

func TestParseErrorsNamePositions(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string // substrings, in order, one per error
	}{
		{"syntax", "gates:\n  secret-scan: [\n", []string{"rg.yml:2: invalid YAML"}},
		{"unknown top key", "version: 1\ngatez: {}\n", []string{`rg.yml:2:1: unknown key "gatez" (did you mean "gates"?)`}},
		{"unknown gate", "gates:\n  secret-scna: {}\n", []string{`rg.yml:2:3: gates: unknown gate "secret-scna" (did you mean "secret-scan"?)`}},
		{"bad version", "version: 2\n", []string{"rg.yml:1:10: version: unsupported version 2"}},
		{"bad timeout", "timeout: soon\n", []string{`rg.yml:1:10: timeout: want a duration such as 30s, 5m, 24h or 7d, got "soon"`}},
		{"bad mode", "gates:\n  secret-scan:\n    mode: block\n", []string{`rg.yml:3:11: gates.secret-scan.mode: want enforce or warn, got "block"`}},
		{"unset var", "gates:\n  secret-scan:\n    base: ${NOPE}\n", []string{"rg.yml:3:11: ${NOPE} is not set"}},
		{"gate not a map", "gates:\n  secret-scan: [a]\n", []string{"rg.yml:2:16: gates.secret-scan: want a mapping of settings"}},
		{"two errors", "version: 3\ntimeout: -1s\n", []string{"rg.yml:1:10: version", "rg.yml:2:10: timeout"}},
		{"duplicate key", "version: 1\nversion: 1\n", []string{`rg.yml:2:1: config: key "version" is set twice (first at line 1)`}},
		{"root not a map", "- a\n", []string{"rg.yml:1:1: the configuration must be a mapping with keys version, timeout and gates; got a list"}},
		// Not quoted: a file that is not a configuration may hold anything.
		{"root is text", "https://user:pw@example.com\n", []string{"rg.yml:1:1: the configuration must be a mapping with keys version, timeout and gates; got text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("rg.yml", []byte(tt.src), Options{Getenv: env(nil), Gates: testGates})
			assertErrors(t, err, tt.want)
		})
	}
}

func TestSectionDecodeErrors(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"unknown key", "    scoep: [tree]\n", []string{`rg.yml:3:5: gates.secret-scan: unknown key "scoep" (did you mean "scope"?)`}},
		{"wrong type bool", "    insecure: yes\n", []string{`rg.yml:3:15: gates.secret-scan.insecure: want true or false, got "yes"`}},
		{"wrong type int", "    retries: many\n", []string{`rg.yml:3:14: gates.secret-scan.retries: want an integer, got "many"`}},
		{"list wanted", "    selector: [a]\n", []string{"rg.yml:3:15: gates.secret-scan.selector: want a mapping, got a list"}},
		{"bad size", "    min-size: 1 potato\n", []string{`rg.yml:3:15: gates.secret-scan.min-size: want a size such as 512KiB, 10MiB or 1GB, got "1 potato"`}},
		{"bad duration", "    max-age: 24\n", []string{`rg.yml:3:14: gates.secret-scan.max-age: want a duration`}},
		{"required missing", "    wait: {interval: 1s}\n", []string{`rg.yml:3:11: gates.secret-scan.wait: missing required key "timeout"`}},
		{"string not bool", "    base: true\n", []string{"rg.yml:3:11: gates.secret-scan.base: want a string, got true"}},
		{"empty mapping", "    wait:\n", []string{"rg.yml:3:10: gates.secret-scan.wait: is empty; give it its keys or remove it"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "gates:\n  secret-scan:\n" + tt.body
			f, err := Parse("rg.yml", []byte(src), Options{Getenv: env(nil), Gates: testGates})
			if err != nil {
				t.Fatal(err)
			}
			var c sampleConfig
			assertErrors(t, f.Section("secret-scan").Decode(&c), tt.want)
		})
	}
}

func TestSectionErrorfAndSet(t *testing.T) {
	f, err := Parse("rg.yml", []byte("gates:\n  staging-digest:\n    image: a:b\n    wait:\n      timeout: 1m\n"), Options{Gates: testGates})
	if err != nil {
		t.Fatal(err)
	}
	s := f.Section("staging-digest")
	if got := s.Errorf("wait.timeout", "too long").Error(); got != "rg.yml:5:16: gates.staging-digest.wait.timeout: too long" {
		t.Errorf("got %q", got)
	}
	if got := s.Errorf("staging", "required").Error(); got != "rg.yml:2:3: gates.staging-digest.staging: required" {
		t.Errorf("a missing key is reported at the gate's name; got %q", got)
	}
	s.Set("image", "c:d")
	s.Set("staging", "c:staging")
	var c struct {
		Image   string         `yaml:"image"`
		Staging string         `yaml:"staging"`
		Wait    map[string]any `yaml:"wait"`
	}
	if err := s.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.Image != "c:d" || c.Staging != "c:staging" {
		t.Errorf("Set did not override: %+v", c)
	}
}

func TestInlineStructs(t *testing.T) {
	type common struct {
		MaxAge Duration `yaml:"max-age"`
		Region string   `yaml:"region"`
	}
	var c struct {
		common `yaml:",inline"`
		Sets   []common `yaml:"sets"`
	}
	f, err := Parse("rg.yml", []byte("gates:\n  secret-scan:\n    max-age: 1h\n    sets: [{region: eu}]\n    regoin: x\n"), Options{Gates: testGates})
	if err != nil {
		t.Fatal(err)
	}
	assertErrors(t, f.Section("secret-scan").Decode(&c), []string{`rg.yml:5:5: gates.secret-scan: unknown key "regoin" (did you mean "region"?); known keys: max-age, region, sets`})
	if time.Duration(c.MaxAge) != time.Hour || len(c.Sets) != 1 || c.Sets[0].Region != "eu" {
		t.Errorf("decoded %+v", c)
	}
}

func TestMergeKeysAndAliases(t *testing.T) {
	src := `
x-defaults: &defaults
  max-age: 24h
  retries: 2
`
	// x-defaults is not a known top-level key; anchors must live in a gate.
	if _, err := Parse("rg.yml", []byte(src), Options{Gates: testGates}); err == nil {
		t.Fatal("unknown top-level key accepted")
	}
	src = `
gates:
  secret-scan:
    selector: &sel {service: api}
    wait: &w {interval: 1s, timeout: 2s}
    <<: {retries: 2, max-age: 1h}
    max-age: 2h
`
	f, err := Parse("rg.yml", []byte(src), Options{Gates: testGates})
	if err != nil {
		t.Fatal(err)
	}
	var c sampleConfig
	if err := f.Section("secret-scan").Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.Retries != 2 || time.Duration(c.MaxAge) != 2*time.Hour {
		t.Errorf("merge: %+v", c)
	}
}

func TestEnvKeysAreNotExpanded(t *testing.T) {
	src := "gates:\n  secret-scan:\n    token-env: ${SECRET}\n    headers-env: {Authorization: \"${SECRET}\"}\n    base: ${SECRET}\n"
	f, err := Parse("rg.yml", []byte(src), Options{Getenv: env(map[string]string{"SECRET": "hunter2-value"}), Gates: testGates})
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		TokenEnv   string            `yaml:"token-env"`
		HeadersEnv map[string]string `yaml:"headers-env"`
		Base       string            `yaml:"base"`
	}
	if err := f.Section("secret-scan").Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.TokenEnv != "${SECRET}" || c.HeadersEnv["Authorization"] != "${SECRET}" || c.Base != "hunter2-value" {
		t.Errorf("decoded %+v", c)
	}
}

func TestExpand(t *testing.T) {
	get := env(map[string]string{"A": "x", "EMPTY": ""})
	tests := []struct {
		in, out string
		missing []string
		bad     bool
	}{
		{"plain", "plain", nil, false},
		{"${A}-${A}", "x-x", nil, false},
		{"$A", "$A", nil, false},
		{"$${A}", "${A}", nil, false},
		{"${EMPTY:-d}", "d", nil, false},
		{"${UNSET:-}", "", nil, false},
		{"${EMPTY}", "", []string{"EMPTY"}, false},
		{"${1X}", "", nil, true},
		{"${A", "", nil, true},
	}
	for _, tt := range tests {
		out, _, missing, bad := expand(tt.in, get)
		if (bad != "") != tt.bad || (!tt.bad && out != tt.out) || !cmp.Equal(missing, tt.missing) {
			t.Errorf("expand(%q) = %q, %v, %q", tt.in, out, missing, bad)
		}
	}
}

func TestParseSizeAndDuration(t *testing.T) {
	sizes := map[string]int64{"0": 0, "100": 100, "1KiB": 1024, "1kb": 1000, "10M": 10 << 20, "1.5GiB": 3 << 29, "2 MB": 2e6}
	for in, want := range sizes {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1XB", "abc", "1e400"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
	durs := map[string]time.Duration{"30s": 30 * time.Second, "7d": 7 * 24 * time.Hour, "1d12h": 36 * time.Hour, "0": 0}
	for in, want := range durs {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "24", "-1s", "d", "xd"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
}

func assertErrors(t *testing.T, err error, want []string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %q", want)
	}
	es, ok := err.(Errors)
	if !ok {
		t.Fatalf("error %T %v is not Errors", err, err)
	}
	if len(es) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(es), len(want), err)
	}
	for i, e := range es {
		if !strings.Contains(e.Error(), want[i]) {
			t.Errorf("error %d:\n got  %s\n want %s", i, e.Error(), want[i])
		}
	}
}
