package plural

import "testing"

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 rules", 1: "1 rule", 2: "2 rules", 10000: "10000 rules"} {
		if got := Count(n, "rule"); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFirst(t *testing.T) {
	items := []string{"a", "b", "c", "d", "e"}
	item := func(k int) string { return items[k] }
	for _, c := range []struct {
		n, max int
		want   string
	}{
		{0, 3, ""},
		{2, 3, "a, b"},
		{3, 3, "a, b, c"},
		{5, 3, "a, b, c and 2 more"},
	} {
		if got := First(c.n, c.max, item); got != c.want {
			t.Errorf("First(%d, %d) = %q, want %q", c.n, c.max, got, c.want)
		}
	}
	made := 0
	First(1_000_000, 2, func(k int) string { made++; return "x" })
	if made != 2 {
		t.Errorf("%d items made, want only the 2 listed", made)
	}
}
