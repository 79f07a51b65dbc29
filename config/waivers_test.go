package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/testenv"
)

// TestWaiverExpires: a date is the start of that day in UTC; a time needs
// its zone; anything else is refused at its position.
func TestWaiverExpires(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Time
		err  string
	}{
		{"2026-12-15", time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC), ""},
		{"\"2026-12-15\"", time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC), ""},
		{"2026-12-15T18:00:00+01:00", time.Date(2026, 12, 15, 17, 0, 0, 0, time.UTC), ""},
		{"2026-12-15T18:00:00Z", time.Date(2026, 12, 15, 18, 0, 0, 0, time.UTC), ""},
		{"2026-12-15T18:00:00", time.Time{}, "want a date"},
		{"2026-02-30", time.Time{}, "want a date"},
		{"15.12.2026", time.Time{}, "want a date"},
		{"2026-12-15 18:00", time.Time{}, "want a date"},
		{"1765756800", time.Time{}, "want a date"},
		{"[2026-12-15]", time.Time{}, "want a date"},
	} {
		src := "waivers:\n  - gate: secret-scan\n    owner: o\n    reason: r\n    expires: " + c.in + "\n"
		f, err := Parse("c.yml", []byte(src), Options{Gates: testGates})
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), "c.yml:5:14: waivers[0].expires: "+c.err) {
				t.Errorf("%s: error %v, want %q at c.yml:5:14", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if len(f.Waivers) != 1 || !f.Waivers[0].Expires.Equal(c.want) {
			t.Errorf("%s: waivers %+v, want expiry %s", c.in, f.Waivers, c.want)
		}
	}
}

// TestWaiversKey: a list, or the name of a file; the defaults; strictness.
func TestWaiversKey(t *testing.T) {
	f, err := Parse("c.yml", []byte("version: 1\nwaivers: ops/waivers.yml\n"), Options{Gates: testGates})
	if err != nil || f.WaiversFile != "ops/waivers.yml" || f.MaxWaiverDays != DefaultMaxWaiverDays {
		t.Fatalf("file %+v, err %v", f, err)
	}
	f, err = Parse("c.yml", []byte("max-waiver-days: 30\nwaivers:\n  - gate: secret-scan\n    rule: aws-access-token\n    path: \"deploy/**\"\n    fingerprint: abc1234abc1234abc1234abc1234abc1234abc12:deploy/a.env:aws-access-token:3\n    owner: \"@team\"\n    reason: r\n    ticket: OPS-1\n    expires: 2026-12-15\n"), Options{Gates: testGates})
	if err != nil {
		t.Fatal(err)
	}
	w := f.Waivers[0]
	if f.MaxWaiverDays != 30 || w.Gate != "secret-scan" || w.Rule != "aws-access-token" || w.Path != "deploy/**" || w.Owner != "@team" || w.Ticket != "OPS-1" || w.File != "c.yml" || w.Line != 3 {
		t.Errorf("waiver %+v", w)
	}
	for src, want := range map[string]string{
		"waivers: {gate: secret-scan}\n": "c.yml:1:10: waivers: want a list of waivers or the path of a file that holds them, got a mapping",
		"waivers:\n  - gate: secret-scan\n    owner: o\n    reason: r\n    expires: 2026-12-15\n    images: x\n":                                                                             "c.yml:6:5: waivers[0]: unknown key \"images\"",
		"waivers:\n  - gate: alert-presence\n    owner: o\n    reason: r\n    expires: 2026-12-15\n    labels: {}\n":                                                                         "c.yml:6:13: waivers[0].labels: names no label",
		"waivers:\n  - gate: staging-digest\n    owner: o\n    reason: r\n    expires: 2026-12-15\n    image: \"\"\n":                                                                        "c.yml:6:12: waivers[0].image: must not be empty",
		"waivers:\n  - gate: secret-scan\n    owner: o\n    reason: r\n    expires: 2026-12-15\n    fingerprint: just-a-name\n":                                                              "c.yml:6:18: waivers[0].fingerprint: want secret-scan's fingerprint",
		"waivers:\n  - gate: secret-scan\n    owner: o\n    reason: r\n    expires: 2026-12-15\n    fingerprint: abc1234:deploy/a.env:aws-access-token:3\n":                                  "c.yml:6:18: waivers[0].fingerprint: give the commit's full id (40 hex digits, as gitleaks writes it), not 7",
		"waivers:\n  - gate: secret-scan\n    owner: o\n    reason: r\n    expires: 2026-12-15\n    fingerprint: ABC1234ABC1234ABC1234ABC1234ABC1234ABC12:deploy/a.env:aws-access-token:3\n": "c.yml:6:18: waivers[0].fingerprint: write the commit's id in lower case",
		"waivers:\n  - gate: secret-scan\n    owner: o\n    reason: \"  \"\n    expires: 2026-12-15\n":                                                                                       "c.yml:4:13: waivers[0].reason: must not be empty",
		"max-waiver-days: 0\n":          "c.yml:1:18: max-waiver-days: want a number of days from 1 to 366, got 0",
		"max-waiver-days: 9d\n":         "c.yml:1:18: max-waiver-days: want an integer",
		"waivers:\n  - gate: ${GATE}\n": "c.yml:2:11: ",
	} {
		_, err := Parse("c.yml", []byte(src), Options{Gates: testGates})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", src, err, want)
		}
	}
}

// TestParseWaiversFile: the file's one key, positions in the file's name.
func TestParseWaiversFile(t *testing.T) {
	wf, err := ParseWaivers("ops/w.yml@abc1234", []byte("# waivers\nwaivers:\n  - gate: compose\n    rule: healthcheck\n    owner: o\n    reason: r\n    expires: 2026-12-15\n"), Options{Gates: []string{"compose"}})
	if err != nil || len(wf.Waivers) != 1 || wf.Waivers[0].File != "ops/w.yml@abc1234" || wf.Waivers[0].Line != 3 {
		t.Fatalf("file %+v, err %v", wf, err)
	}
	for src, want := range map[string]string{
		"gates: {}\n":                     "ops/w.yml:1:1: unknown key \"gates\"; a waivers file has the one key waivers",
		"waivers: other.yml\n":            "ops/w.yml:1:10: waivers: want a list of waivers, got \"other.yml\"",
		"- gate: compose\n":               "ops/w.yml:1:1: a waivers file must be a mapping with the key waivers",
		"waivers: []\n---\nwaivers: []\n": "ops/w.yml:2:1: a waivers file holds one YAML document",
	} {
		_, err := ParseWaivers("ops/w.yml", []byte(src), Options{Gates: []string{"compose"}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", src, err, want)
		}
	}
}

// TestWaiverFingerprintsGitleaksWrites: every fingerprint in the ignore
// file gitleaks ships (its own, read from the module cache) is a valid
// waiver fingerprint, and turning its commit into a non-hex word is not.
func TestWaiverFingerprintsGitleaksWrites(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testenv.ModuleDir(t, "github.com/zricethezav/gitleaks/v8"), ".gitleaksignore"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("waivers:\n")
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		n++
		fmt.Fprintf(&b, "  - {gate: secret-scan, fingerprint: %q, owner: o, reason: r, expires: 2026-12-15}\n", line)
	}
	if n < 100 {
		t.Fatalf("%d fingerprints in gitleaks' ignore file; it has hundreds", n)
	}
	f, err := Parse("c.yml", []byte(b.String()), Options{Gates: testGates})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Waivers) != n {
		t.Fatalf("%d waivers of %d fingerprints", len(f.Waivers), n)
	}
	for _, fp := range []string{"no-line-number", "file:rule:", "file:rule:3x", ":rule:3"} {
		if fingerprintForm.MatchString(fp) {
			t.Errorf("fingerprint %q accepted", fp)
		}
	}
}

// TestWaiversFileSecrets: a secret a ${VAR} brings into a waivers file is
// listed for masking, as in the configuration.
func TestWaiversFileSecrets(t *testing.T) {
	src := "waivers:\n  - gate: compose\n    owner: o\n    reason: ${DEPLOY_TOKEN}\n    expires: 2026-12-15\n"
	wf, err := ParseWaivers("w.yml", []byte(src), Options{Gates: []string{"compose"}, Getenv: env(map[string]string{"DEPLOY_TOKEN": "s3cr3t-value"})})
	if err != nil {
		t.Fatal(err)
	}
	if got := wf.Secrets(nil); len(got) != 1 || got[0] != "s3cr3t-value" {
		t.Errorf("secrets %q, want the token's value", got)
	}
}
