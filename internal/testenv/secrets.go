package testenv

import (
	"crypto/rand"
	"math"
	"math/big"
	"strings"
	"testing"
)

// Secrets for tests are built at run time from random characters, so that
// none is ever committed to this repository and each test gets its own.

// AWSKey returns a fresh value shaped like an AWS access key id that
// gitleaks reports.
func AWSKey(t testing.TB) string {
	t.Helper()
	return detectable(t, func() string { return "AKIA" + Random(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16) })
}

// GitHubToken returns a fresh value shaped like a GitHub personal access
// token that gitleaks reports.
func GitHubToken(t testing.TB) string {
	t.Helper()
	return detectable(t, func() string {
		return "gh" + "p_" + Random(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 36)
	})
}

// minEntropy is above the Shannon entropy (bits per character) gitleaks'
// rules demand of these values (3 for AWS keys): a random draw falls below
// it about once in 6,000 (AKIA plus 16 characters), and a suite that draws
// hundreds of keys would then fail now and then for no fault of the code.
const minEntropy = 3.5

// detectable draws values until one has minEntropy.
func detectable(t testing.TB, draw func() string) string {
	t.Helper()
	for {
		if s := draw(); Entropy(s) >= minEntropy {
			return s
		}
	}
}

// Entropy is the Shannon entropy of s in bits per byte, as gitleaks
// measures it.
func Entropy(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	var e float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(len(s))
			e -= p * math.Log2(p)
		}
	}
	return e
}

// Random returns n characters drawn from alphabet with crypto/rand.
func Random(t testing.TB, alphabet string, n int) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < n; i++ {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteByte(alphabet[k.Int64()])
	}
	return b.String()
}
