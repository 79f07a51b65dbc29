package compose

import (
	"strings"
	"testing"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/internal/testenv"
)

// A compose-go error quotes the value it could not parse; when that value
// came from a variable it may be a secret, and it is never shown: the error
// names the variable instead.
func TestLoadErrorsNeverQuoteInterpolatedValues(t *testing.T) {
	secret := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 24)
	fromFile := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 24)
	for name, c := range map[string]struct {
		files   map[string]string
		environ map[string]string
		want    string
	}{
		"process environment": {
			files:   map[string]string{"compose.yaml": "services:\n  api:\n    image: api\n    cpus: ${DB_PASSWORD}\n"},
			environ: map[string]string{"DB_PASSWORD": secret},
			want:    "${DB_PASSWORD}",
		},
		".env file": {
			files: map[string]string{"compose.yaml": "services:\n  api:\n    image: api\n    cpus: ${API_TOKEN}\n", ".env": "API_TOKEN=" + fromFile + "\n"},
			want:  "${API_TOKEN}",
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := run(t, workspace(t, c.files), "", c.environ)
			if r.Status != "error" {
				t.Fatalf("status %s, want error: %s", r.Status, gatetest.Describe(r))
			}
			out := gatetest.Describe(r)
			if strings.Contains(out, secret) || strings.Contains(out, fromFile) {
				t.Errorf("the value of a variable is shown:\n%s", out)
			}
			if !strings.Contains(r.Err, c.want) {
				t.Errorf("the error does not name %s:\n%s", c.want, r.Err)
			}
		})
	}
}

// A finding that quotes a setting never quotes the variable value it was
// interpolated from.
func TestFindingsNeverQuoteInterpolatedValues(t *testing.T) {
	secret := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 24)
	// The logging rule quotes a driver it does not know.
	dir := workspace(t, map[string]string{"compose.yaml": "services:\n  api:\n    image: api\n    logging:\n      driver: ${LOG_DRIVER_TOKEN}\n"})
	r := run(t, dir, "", map[string]string{"LOG_DRIVER_TOKEN": secret})
	if len(r.Findings) == 0 {
		t.Fatalf("no finding: %s", gatetest.Describe(r))
	}
	if out := gatetest.Describe(r); strings.Contains(out, secret) {
		t.Errorf("the value of a variable is shown:\n%s", out)
	}
}

// A value with runs of white space, quoted by an error that is then
// written on one line, shows no part of it, its middle included.
func TestValueWithWhiteSpaceRunsNeverShown(t *testing.T) {
	part := func() string { return testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 16) }
	left, middle, right := part(), part(), part()
	for name, sep := range map[string]string{"spaces": "  ", "space and tab": " \t"} {
		t.Run(name, func(t *testing.T) {
			secret := left + sep + middle + sep + right
			r := run(t, workspace(t, map[string]string{"compose.yaml": "services:\n  api:\n    image: api\n    cpus: ${DB_PASSWORD}\n"}), "", map[string]string{"DB_PASSWORD": secret})
			if r.Status != "error" {
				t.Fatalf("want an error: %s", gatetest.Describe(r))
			}
			out := gatetest.Describe(r)
			for _, p := range []string{left, middle, right} {
				if strings.Contains(out, p) {
					t.Errorf("part of the value of a variable is shown:\n%s", out)
				}
			}
			if !strings.Contains(out, "${DB_PASSWORD}") {
				t.Errorf("the message does not name the variable:\n%s", out)
			}
		})
	}
}

// compose-go and the rules quote values Go's way (strconv.Quote), which
// escapes " and \ and control characters: a value holding one is shown in
// its escaped form, which is hidden too.
func TestQuotedValuesNeverShown(t *testing.T) {
	left := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 16)
	right := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 16)
	for name, c := range map[string]struct {
		compose, sep string
	}{
		"cast error, quote":     {"services:\n  api:\n    image: api\n    cpus: ${DB_PASSWORD}\n", `"`},
		"cast error, backslash": {"services:\n  api:\n    image: api\n    ulimits: {nofile: \"${DB_PASSWORD}\"}\n", `\`},
		"decode error, tab":     {"services:\n  api:\n    image: api\n    mem_limit: ${DB_PASSWORD}\n", "\t"},
		"undefined dependency":  {"services:\n  api:\n    image: api\n    depends_on: [\"${DB_PASSWORD}\"]\n", `"`},
		"logging driver":        {"services:\n  api:\n    image: api\n    logging:\n      driver: ${DB_PASSWORD}\n", `\"`},
	} {
		t.Run(name, func(t *testing.T) {
			secret := left + c.sep + right
			r := run(t, workspace(t, map[string]string{"compose.yaml": c.compose}), "", map[string]string{"DB_PASSWORD": secret})
			if r.Status == "pass" {
				t.Fatalf("want a finding or an error: %s", gatetest.Describe(r))
			}
			out := gatetest.Describe(r)
			if strings.Contains(out, left) || strings.Contains(out, right) {
				t.Errorf("part of the value of a variable is shown:\n%s", out)
			}
			if !strings.Contains(out, "${DB_PASSWORD}") {
				t.Errorf("the message does not name the variable:\n%s", out)
			}
		})
	}
}

func TestHideValues(t *testing.T) {
	// Built at run time: written out, a secret scanner would flag them.
	quoted := "k3y-" + `"quoted"-and\slashed`
	digits := strings.Repeat("12345678", 1) + "abcdefgh"
	vars := map[string]string{"QUOTED": quoted, "DIGITS": digits, "ON": "on"}
	for msg, want := range map[string]string{
		`parsing "k3y-\"quoted\"-and\\slashed": invalid syntax`: `parsing "${QUOTED}": invalid syntax`,
		`raw k3y-"quoted"-and\slashed here`:                     `raw ${QUOTED} here`,
		`json "k3y-\"quoted\"-and\\slashed"`:                    `json "${QUOTED}"`,
		`parsing "12345678": invalid syntax`:                    `parsing "${DIGITS}": invalid syntax`,
		`its end abcdefgh`:                                      `its end ${DIGITS}`,
		`a piece from the middle 5678abcd is left`:              `a piece from the middle 5678abcd is left`,
		`too short to matter: 12345`:                            `too short to matter: 12345`,
		`service api is on`:                                     `service api is on`,
	} {
		if got := hideValues(msg, vars); got != want {
			t.Errorf("hideValues(%q) = %q, want %q", msg, got, want)
		}
	}
}
