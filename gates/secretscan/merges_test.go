package secretscan

import (
	"slices"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/testenv"
)

// A merge that git makes without a conflict can still carry a key of its
// own: the resolution is whatever was committed. The key is found at its
// line in the merge's copy and attributed to the merge; a key the merge
// takes from a side is that side's alone, never found twice. File names
// shaped like the raw format's own fields are read as names.
func TestCleanMergeCarryingAKeyOfItsOwn(t *testing.T) {
	r := newRepo(t)
	odd := ":: C 0000 odd\nname.txt"
	base := r.commit("base", map[string]string{"f.txt": "a\nb\nc\nd\ne\nf\ng\n", odd: "x\ny\n", "C 1 2 3": "1\n"})
	sideKey := testenv.AWSKey(t)
	r.git("checkout", "-q", "-b", "side", base)
	side := r.commit("side", map[string]string{"f.txt": "A\nb\nc\nd\ne\nf\ng\n", "s.env": "aws = " + sideKey + "\n"})
	r.git("checkout", "-q", "main")
	r.commit("main", map[string]string{"f.txt": "a\nb\nc\nd\ne\nf\nG\n", odd: "x\nY\n", "C 1 2 3": "2\n"})
	r.git("merge", "-q", "--no-commit", "--no-ff", "side")
	key, oddKey := testenv.AWSKey(t), testenv.AWSKey(t)
	r.write("f.txt", "A\nb\nc\nkey = "+key+"\nd\ne\nf\nG\n")
	r.write(odd, "x\nY\naws = "+oddKey+"\n")
	r.git("--literal-pathspecs", "add", "--", "f.txt", odd)
	r.git("commit", "-q", "-m", "merge side")
	merge := r.git("rev-parse", "HEAD")
	head := r.commit("clean up", map[string]string{"f.txt": "A\nb\nc\nd\ne\nf\nG\n", odd: "x\nY\n", "s.env": ""})
	want := []string{
		odd + ":3 aws-access-token " + shortSHA(merge),
		"f.txt:4 aws-access-token " + shortSHA(merge),
		"s.env:1 aws-access-token " + shortSHA(side),
	}
	slices.Sort(want)
	for _, body := range []string{"scope: diff", "scope: history"} {
		res := scan(t, r.dir, body, gates.Event{Base: base, Head: head})
		got := where(res.Findings)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: findings %v (status %s, err %q), want %v", body, got, res.Status, res.Err, want)
		}
		assertNoSecret(t, res, key, oddKey, sideKey)
	}
}

func TestParseMergeRaw(t *testing.T) {
	const (
		m  = "1111111111111111111111111111111111111111"
		p1 = "2222222222222222222222222222222222222222"
		p2 = "3333333333333333333333333333333333333333"
		o1 = "4444444444444444444444444444444444444444"
		o2 = "5555555555555555555555555555555555555555"
		om = "6666666666666666666666666666666666666666"
		z  = "0000000000000000000000000000000000000000"
	)
	in := "C " + m + " " + p1 + " " + p2 + "\x00\x00" +
		"::100644 100644 100644 " + o1 + " " + o2 + " " + om + " MM\x00C " + m + " x\x00" +
		"::000000 100644 100644 " + z + " " + o2 + " " + om + " AM\x00:: new\x00" +
		"\nC " + p1 + " " + p2 + " " + m + "\x00\x00"
	type entry struct{ merge, path, oid, parents string }
	var got []entry
	if err := parseMergeRaw(strings.NewReader(in), func(merge string, f mergeFile) {
		got = append(got, entry{merge, f.path, f.oid, strings.Join(f.parents, ",")})
	}); err != nil {
		t.Fatal(err)
	}
	want := []entry{{m, "C " + m + " x", om, o1 + "," + o2}, {m, ":: new", om, "," + o2}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{
		"::100644 100644 100644 " + o1 + " " + o2 + " " + om + " MM\x00f\x00",                  // no merge yet
		"C " + m + " " + p1 + "\x00",                                                           // one parent
		"C " + m + " " + p1 + " zz\x00",                                                        // not an id
		"C " + m + " " + p1 + " " + p2 + "\x00:100644 100644 " + o1 + " " + om + " M\x00f\x00", // one colon for two parents
		"C " + m + " " + p1 + " " + p2 + "\x00::100644 100644 100644 " + o1 + " " + o2 + " MM\x00f\x00",
		"C " + m + " " + p1 + " " + p2 + "\x00::10064x 100644 100644 " + o1 + " " + o2 + " " + om + " MM\x00f\x00",
		"C " + m + " " + p1 + " " + p2 + "\x00::100644 100644 100644 " + o1 + " " + o2 + " " + om + " MM\x00",
		"C " + m + " " + p1 + " " + p2 + "\x00something else\x00",
	} {
		if err := parseMergeRaw(strings.NewReader(bad), func(string, mergeFile) {}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// Whatever git prints, the parser hands on only entries of the shape it
// checks, or fails.
func FuzzParseMergeRaw(f *testing.F) {
	f.Add("C 1111111111111111111111111111111111111111 2222222222222222222222222222222222222222 3333333333333333333333333333333333333333\x00\x00::100644 100644 100644 4444444444444444444444444444444444444444 5555555555555555555555555555555555555555 6666666666666666666666666666666666666666 MM\x00f.txt\x00")
	f.Fuzz(func(t *testing.T, in string) {
		_ = parseMergeRaw(strings.NewReader(in), func(merge string, mf mergeFile) {
			if !commitID.MatchString(merge) || !commitID.MatchString(mf.oid) || mf.path == "" || len(mf.parents) < 2 {
				t.Fatalf("handed on %q %+v", merge, mf)
			}
			for _, p := range mf.parents {
				if p != "" && !commitID.MatchString(p) {
					t.Fatalf("parent copy %q", p)
				}
			}
		})
	})
}
