package compose

import (
	"strings"
	"testing"

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
				t.Fatalf("status %s, want error: %s", r.Status, everything(r))
			}
			out := everything(r)
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
		t.Fatalf("no finding: %s", everything(r))
	}
	if out := everything(r); strings.Contains(out, secret) {
		t.Errorf("the value of a variable is shown:\n%s", out)
	}
}
