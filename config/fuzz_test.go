package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/testenv"
)

// FuzzParse feeds Parse any bytes, as a hostile pull request may write the
// configuration file, and decodes every section as the gates do. Parse
// must return in bounded time without panicking; every error must be a
// positioned one-line Error about the file; and no error may show the value
// of a secret-named variable it expanded.
func FuzzParse(f *testing.F) {
	token := testenv.GitHubToken(f)
	password := testenv.Random(f, "abcdefghijklmnopqrstuvwxyz", 20)
	vals := map[string]string{
		"INPUT_TOKEN":  token,
		"DB_PASSWORD":  " " + password + "\"\n",
		"PROM_TOKEN":   "unused-" + password,
		"BASE_SHA":     "0123abc",
		"GITHUB_SHA":   "0123456789abcdef0123456789abcdef01234567",
		"A":            "x",
		"NUM":          "3",
		"BOOL":         "true",
		"STAGING_AUTH": "Bearer " + token,
	}
	getenv := env(vals)
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan parsed, 1)
		go func() {
			var p parsed
			p.f, p.err = Parse("rg.yml", data, Options{Getenv: getenv, Gates: testGates})
			if p.f != nil {
				for _, s := range p.f.Sections {
					var c sampleConfig
					p.errs = append(p.errs, s.Decode(&c), s.Errorf("wait.timeout", "checked"), s.Errorf("selector.service", "checked"))
				}
				_ = p.f.Secrets(getenv)
			}
			done <- p
		}()
		var p parsed
		select {
		case p = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("Parse did not return within 10s")
		}
		if p.err == nil && p.f == nil {
			t.Fatal("no error and no File")
		}
		if p.f != nil {
			// A waiver that is kept is a whole one: a known gate, someone
			// who answers for it, a reason and a date.
			for _, w := range p.f.Waivers {
				if !slices.Contains(testGates, w.Gate) || strings.TrimSpace(w.Owner) == "" || strings.TrimSpace(w.Reason) == "" || w.Expires.IsZero() || w.File != "rg.yml" || w.Line < 1 {
					t.Errorf("waiver kept incomplete: %+v", w)
				}
			}
		}
		for _, err := range append([]error{p.err}, p.errs...) {
			if err == nil {
				continue
			}
			var es Errors
			var one *Error
			switch {
			case errors.As(err, &es):
			case errors.As(err, &one):
				es = Errors{one}
			default:
				t.Fatalf("error %T is not a configuration error: %v", err, err)
			}
			if len(es) == 0 {
				t.Fatal("an empty Errors")
			}
			for _, e := range es {
				if e.File != "rg.yml" || e.Line < 0 || e.Col < 0 || e.Line == 0 && e.Col != 0 {
					t.Errorf("error at %q:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
				}
				if e.Msg == "" || strings.ContainsFunc(e.Msg, isControl) || len(e.Msg) > maxMsgLen+310 {
					t.Errorf("message is not one clean bounded line: %q", e.Msg)
				}
				for _, secret := range []string{token, password} {
					if strings.Contains(e.Error(), secret) {
						t.Errorf("error shows a secret: %q", e.Error())
					}
				}
			}
		}
	})
}
