// Package plural writes counts in messages: "1 rule", "3 rules".
package plural

import "strconv"

// Count formats n with noun, adding "s" unless n is 1. Nouns that do not
// take a plain "s" ("1 entry", "2 entries") are not handled.
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
