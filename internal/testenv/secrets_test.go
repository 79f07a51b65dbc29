package testenv

import (
	"regexp"
	"testing"
)

func TestSecretsShapeAndFreshness(t *testing.T) {
	for name, tt := range map[string]struct {
		make func(testing.TB) string
		re   *regexp.Regexp
	}{
		"AWSKey":      {AWSKey, regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`)},
		"GitHubToken": {GitHubToken, regexp.MustCompile(`^ghp_[A-Za-z0-9]{36}$`)},
	} {
		a, b := tt.make(t), tt.make(t)
		if !tt.re.MatchString(a) || !tt.re.MatchString(b) {
			t.Errorf("%s: %q, %q do not match %s", name, a, b, tt.re)
		}
		if a == b {
			t.Errorf("%s returned %q twice", name, a)
		}
	}
}

func TestKeysHaveTheEntropyGitleaksDemands(t *testing.T) {
	for i := 0; i < 2000; i++ {
		if k := AWSKey(t); Entropy(k) < minEntropy {
			t.Fatalf("AWSKey %q has entropy %.2f", k, Entropy(k))
		}
	}
	if e := Entropy("AKIAAAAAAAAAAAAAAAAA"); e > 1 {
		t.Errorf("Entropy of a repeated letter is %.2f", e)
	}
}
