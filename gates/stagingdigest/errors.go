package stagingdigest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/release-gate/release-gate/internal/registry"
)

// explained is a registry failure for one reference, prefixed with what
// the gate was doing; the original stays reachable for errors.Is and As.
type explained struct {
	msg    string // the whole message
	detail string // the message without "resolving <role> <ref>: "
	key    string // the kind of failure and the registry, to merge repeats
	err    error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

// explain says which reference failed to resolve, and why.
func explain(role string, ref name.Reference, err error) error {
	prefix := fmt.Sprintf("resolving %s %q", role, ref.String())
	var re *registry.Error
	if !errors.As(err, &re) {
		return fmt.Errorf("%s: %w", prefix, err)
	}
	return &explained{msg: prefix + ": " + re.Msg, detail: re.Msg, key: fmt.Sprintf("%v %d %s", re.Kind, re.Status, re.Host), err: err}
}

// joinErrors combines the two references' errors, once when they are the
// same failure of the same registry.
func joinErrors(cand, stag error) error {
	if cand == stag { //nolint:errorlint // identity: the very same error value, resolved once
		return cand
	}
	var ce, se *explained
	if cand != nil && stag != nil && errors.As(cand, &ce) && errors.As(stag, &se) && ce.key == se.key {
		cp := strings.TrimSuffix(ce.msg, ": "+ce.detail)
		sp := strings.TrimPrefix(strings.TrimSuffix(se.msg, ": "+se.detail), "resolving ")
		return &explained{msg: cp + " and " + sp + ": " + ce.detail, detail: ce.detail, err: cand}
	}
	return errors.Join(cand, stag)
}
