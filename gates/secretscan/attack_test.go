package secretscan

import (
	"slices"
	"testing"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/testenv"
)

// Ways a change tried to pass the gate while adding a secret, each found
// working once; the gate now reports the secret or fails closed.

// A tag the change pushes, named like the branch the configuration names
// as base, comes first in git's order: base would become the change's own
// head, and its commits would leave the range.
func TestBaseNamedByAnAmbiguousRefFailsClosed(t *testing.T) {
	r := newRepo(t)
	base := r.commit("base", map[string]string{"README.md": "hello\n"})
	r.git("update-ref", "refs/remotes/origin/main", base)
	r.git("checkout", "-q", "-b", "feature")
	key := testenv.AWSKey(t)
	leak := r.commit("leak", map[string]string{"creds.txt": "aws = " + key + "\n"})
	r.commit("remove", map[string]string{"creds.txt": ""})
	body := "scope: diff\nbase: origin/main\n"
	if got := where(scan(t, r.dir, body, gates.Event{}).Findings); !slices.Equal(got, []string{"creds.txt:1 aws-access-token " + shortSHA(leak)}) {
		t.Fatalf("before the tag: findings %v", got)
	}
	r.git("tag", "origin/main", "HEAD")
	res := scan(t, r.dir, body, gates.Event{})
	wantStatus(t, res, gates.StatusError)
	testenv.MustContain(t, "error", res.Err, "origin/main", "more than one ref")
	assertNoSecret(t, res, key)
}

// A ref named like the base commit's full id changes nothing: git takes
// the object. It used to make git warn, which stopped the scan.
func TestRefNamedLikeACommitIdChangesNothing(t *testing.T) {
	r := newRepo(t)
	base := r.commit("base", map[string]string{"README.md": "hello\n"})
	key := testenv.AWSKey(t)
	leak := r.commit("leak", map[string]string{"creds.txt": "aws = " + key + "\n"})
	head := r.commit("remove", map[string]string{"creds.txt": ""})
	r.git("tag", base, head)
	res := scan(t, r.dir, "scope: diff", gates.Event{Base: base, Head: head})
	if got := where(res.Findings); !slices.Equal(got, []string{"creds.txt:1 aws-access-token " + shortSHA(leak)}) {
		t.Errorf("findings %v (status %s, err %q)", got, res.Status, res.Err)
	}
}
