package testenv

import (
	"strings"
	"testing"
)

// MustContain marks the test failed, and goes on, for each of wants that s
// does not contain; what names s in the message ("error", "notes").
func MustContain(t testing.TB, what, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, s)
		}
	}
}
