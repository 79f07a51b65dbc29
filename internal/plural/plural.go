// Package plural writes counts in messages: "1 rule", "3 rules", and
// lists of which only the first few are named: "a, b and 3 more".
package plural

import (
	"strconv"
	"strings"
)

// Count formats n with noun, adding "s" unless n is 1. Nouns that do not
// take a plain "s" ("1 entry", "2 entries") are not handled.
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// First lists the first max of n items, item(k) the k-th, separated by
// commas, and counts the rest: "a, b, c and 4 more". Only the items listed
// are made, however many there are.
func First(n, max int, item func(k int) string) string {
	shown := make([]string, 0, min(n, max))
	for k := range min(n, max) {
		shown = append(shown, item(k))
	}
	list := strings.Join(shown, ", ")
	if n > max {
		list += " and " + strconv.Itoa(n-max) + " more"
	}
	return list
}
