package secrets

import (
	"context"
	"slices"
	"strings"
	"testing"

	glconfig "github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/sources"

	"github.com/release-gate/release-gate/internal/testenv"
)

// Each pattern anchored is one of the default allowlist's: a gitleaks
// that changed them would leave the replacement doing nothing.
func TestAnchoredPathsAreTheDefaults(t *testing.T) {
	def, err := ParseConfig("default", []byte(glconfig.DefaultConfig))
	if err != nil {
		t.Fatal(err)
	}
	var paths, regexes []string
	for _, a := range def.Allowlists {
		paths = append(paths, a.Paths...)
		regexes = append(regexes, a.Regexes...)
	}
	for p := range anchoredPaths {
		if !slices.Contains(paths, p) {
			t.Errorf("%q is not a path of gitleaks' default allowlist", p)
		}
	}
	for p := range anchoredRegexes {
		if !slices.Contains(regexes, p) {
			t.Errorf("%q is not a regular expression of gitleaks' default allowlist", p)
		}
	}
	anchored, err := DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Compile(anchored, "default")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Rules) < 100 || len(cfg.Allowlists) == 0 {
		t.Errorf("default rules: %d rules, %d global allowlists", len(cfg.Rules), len(cfg.Allowlists))
	}
}

// The single [allowlist] tables of gitleaks' older format (still the
// format of its own default configuration) work as the lists do, global
// and of a rule, alone or beside a list.
func TestParseConfigFoldsSingleAllowlists(t *testing.T) {
	tok := testenv.GitHubToken(t)
	const rule = `
[[rules]]
id = "token"
regex = '''ghp_[A-Za-z0-9]{36}'''
keywords = ["ghp_"]
`
	for _, tt := range []struct {
		name, toml string
		lists      int
	}{
		{"global single", "[allowlist]\npaths = ['''^vendor/''']\n" + rule, 1},
		{"global both", "[allowlist]\npaths = ['''^vendor/''']\n[[allowlists]]\npaths = ['''^third_party/''']\n" + rule, 2},
		{"rule single", rule + "[rules.allowlist]\npaths = ['''^vendor/''']\n", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vc, err := ParseConfig(tt.name, []byte(tt.toml))
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := Compile(vc, tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Allowlists) != tt.lists {
				t.Errorf("%d global allowlists, want %d", len(cfg.Allowlists), tt.lists)
			}
			ctx := context.Background()
			for path, want := range map[string]int{"vendor/x.go": 0, "app/x.go": 1} {
				got := Detect(ctx, NewDetector(ctx, cfg, false), sources.Fragment{Raw: "t = " + tok, FilePath: path})
				if len(got) != want {
					t.Errorf("%s: %d findings, want %d", path, len(got), want)
				}
				for _, f := range got {
					if strings.Contains(f.Secret+f.Match+f.Line, tok) {
						t.Errorf("a finding holds the secret")
					}
				}
			}
		})
	}
}

func TestCompileRefusesNoRulesAndBadRegex(t *testing.T) {
	for _, toml := range []string{"title = 'none'\n", "[[rules]]\nid = 'x'\nregex = '''(unclosed'''\n"} {
		vc, err := ParseConfig("t", []byte(toml))
		if err != nil {
			t.Fatalf("%q: %v", toml, err)
		}
		if _, err := Compile(vc, "t"); err == nil {
			t.Errorf("%q compiled", toml)
		}
	}
}

// Detect returns the findings of one fragment, not those a detector found
// before.
func TestDetectReturnsOnlyThisFragment(t *testing.T) {
	rules, err := defaultRules()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d := rules.NewDetector(ctx, false)
	for i := 1; i <= 3; i++ {
		got, err := rules.Detect(ctx, d, sources.Fragment{Raw: "aws = " + testenv.AWSKey(t), FilePath: "a.txt"}, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("scan %d: %d findings, want 1", i, len(got))
		}
		if n := len(d.Findings()); n != i {
			t.Errorf("the detector recorded %d findings after %d scans", n, i)
		}
	}
}
