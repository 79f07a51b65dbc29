package testenv

import (
	"crypto/rand"
	"math/big"
	"strings"
	"testing"
)

// Secrets for tests are built at run time from random characters, so that
// none is ever committed to this repository and each test gets its own.

// AWSKey returns a fresh value shaped like an AWS access key id.
func AWSKey(t testing.TB) string {
	t.Helper()
	return "AKIA" + Random(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
}

// GitHubToken returns a fresh value shaped like a GitHub personal access
// token.
func GitHubToken(t testing.TB) string {
	t.Helper()
	return "gh" + "p_" + Random(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 36)
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
