package testenv

import (
	"fmt"
	"testing"
)

func TestMustContain(t *testing.T) {
	var rec recorder
	MustContain(&rec, "error", "registry down: 503", "503", "registry")
	if len(rec.errors) != 0 {
		t.Errorf("contained, yet: %q", rec.errors)
	}
	MustContain(&rec, "error", "registry down: 503", "404", "registry", "401")
	if len(rec.errors) != 2 || rec.errors[0] != "error does not contain \"404\":\nregistry down: 503" {
		t.Errorf("want one error per missing string: %q", rec.errors)
	}
}

// recorder is a testing.TB that keeps what Errorf says.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
