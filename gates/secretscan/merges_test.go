package secretscan

import (
	"fmt"
	"math/rand/v2"
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

// addedRunsByEveryLine is addedRuns as first written: every line of every
// parent's copy in a set, then each line of content looked up.
func addedRunsByEveryLine(content string, parents []*string) []string {
	known := map[string]bool{}
	for _, p := range parents {
		if p == nil {
			continue
		}
		for line := range strings.Lines(*p) {
			known[line] = true
		}
	}
	var out []string
	var run strings.Builder
	start, n := 0, 0
	for line := range strings.Lines(content) {
		n++
		if known[line] {
			if run.Len() > 0 {
				out = append(out, fmt.Sprint(start, run.String()))
				run.Reset()
			}
			continue
		}
		if run.Len() == 0 {
			start = n
		}
		run.WriteString(line)
	}
	if run.Len() > 0 {
		out = append(out, fmt.Sprint(start, run.String()))
	}
	return out
}

// On random files and random merges of them (lines kept, dropped, added,
// moved, duplicated; with and without a last newline; parents missing or
// too large), addedRuns reports the runs the plain statement does, and
// reads a parent beyond the first only while it must.
func TestAddedRunsAsEveryLineLookedUp(t *testing.T) {
	alphabet := []string{"a\n", "b\n", "key = 1\n", "\n", "a", "b", "x\n", "aa\n", "ab\n", "b\na\n"}
	rng := rand.New(rand.NewPCG(5, 6))
	text := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	mutate := func(s string) string {
		lines := slices.Collect(strings.Lines(s))
		for range rng.IntN(4) {
			i := rng.IntN(len(lines) + 1)
			switch rng.IntN(3) {
			case 0:
				lines = slices.Insert(lines, i, alphabet[rng.IntN(len(alphabet))])
			case 1:
				if i < len(lines) {
					lines = slices.Delete(lines, i, i+1)
				}
			default:
				if i < len(lines) && len(lines) > 0 {
					lines = slices.Insert(lines, rng.IntN(len(lines)), lines[i])
				}
			}
		}
		return strings.Join(lines, "")
	}
	reported := 0
	for k := range 30_000 {
		base := text(rng.IntN(12))
		content := mutate(base)
		np := rng.IntN(4)
		parents := make([]*string, np)
		for i := range parents {
			if rng.IntN(6) > 0 {
				p := mutate(base)
				if rng.IntN(3) == 0 {
					p = mutate(content)
				}
				parents[i] = &p
			}
		}
		got, reads := runsOf(t, content, parents)
		want := addedRunsByEveryLine(content, parents)
		if !slices.Equal(got, want) {
			t.Fatalf("case %d: content %q, parents %v: addedRuns %q, every line looked up %q", k, content, deref(parents), got, want)
		}
		if len(got) > 0 {
			reported++
		}
		if reads > np {
			t.Fatalf("case %d: %d reads of %d parents", k, reads, np)
		}
	}
	if reported < 3_000 || reported > 27_000 {
		t.Errorf("runs reported in %d of 30000 cases: the draw is lopsided", reported)
	}
	// A parent the lines between need not be read is not.
	reads := 0
	_ = addedRuns("a\nb\nc\n", 2, func(i int) (string, bool, error) {
		reads++
		return "a\nb\nc\nd\n", true, nil
	}, func(int, string) error { return nil })
	if reads != 1 {
		t.Errorf("%d parents read where the first holds every line", reads)
	}
}

// runsOf is what addedRuns reports of content and parents (nil: a parent
// without the file), each run as its line and text, and how many parents'
// copies it read.
func runsOf(t testing.TB, content string, parents []*string) (runs []string, reads int) {
	t.Helper()
	err := addedRuns(content, len(parents), func(i int) (string, bool, error) {
		reads++
		if parents[i] == nil {
			return "", false, nil
		}
		return *parents[i], true, nil
	}, func(start int, run string) error {
		runs = append(runs, fmt.Sprint(start, run))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return runs, reads
}

func deref(ps []*string) []string {
	var out []string
	for _, p := range ps {
		if p == nil {
			out = append(out, "<none>")
		} else {
			out = append(out, *p)
		}
	}
	return out
}

// FuzzAddedRuns holds addedRuns to the plain statement on any merge's copy
// and two parents' (the second possibly missing).
func FuzzAddedRuns(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nc\n", "b\n", true)
	f.Add("x\nkey = 1\ny", "x\ny", "", false)
	f.Add("same\n", "same\n", "same\n", true)
	f.Add("a\na\na", "a\n", "a", true)
	f.Fuzz(func(t *testing.T, content, p1, p2 string, second bool) {
		parents := []*string{&p1, nil}
		if second {
			parents[1] = &p2
		}
		got, _ := runsOf(t, content, parents)
		if want := addedRunsByEveryLine(content, parents); !slices.Equal(got, want) {
			t.Fatalf("content %q, parents %q, %q (%v): addedRuns %q, every line looked up %q", content, p1, p2, second, got, want)
		}
	})
}
