package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// EnvName is the name of an environment variable (keys such as
// password-env), checked as it is decoded: letters, digits and _, not
// starting with a digit. The value is never repeated in the error: a file
// that holds a credential where a name belongs must not print it.
type EnvName string

// UnmarshalConfig implements Unmarshaler.
func (e *EnvName) UnmarshalConfig(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || !ValidEnvName(n.Value) {
		return fmt.Errorf("want the name of an environment variable (such as REGISTRY_PASSWORD: letters, digits and _), got a value that is not a variable name; the file never holds credentials themselves")
	}
	*e = EnvName(n.Value)
	return nil
}

// ShownEnvName is how a message names the environment variable name: name
// itself, or, when name looks like a credential written where a variable's
// name belongs (token-env: ghp_…, see EnvNameLooksSecret), words that say so
// without repeating it. Every message that names a variable read from the
// configuration goes through it: a name that passes ValidEnvName can still
// be a token (ghp_ followed by letters and digits is one).
func ShownEnvName(name string) string {
	if EnvNameLooksSecret(name) {
		return "[a name that looks like a credential, not shown: write the name of the variable that holds it, such as API_TOKEN]"
	}
	return name
}

// EnvNameLooksSecret reports whether a variable's name looks like a
// credential rather than a name: not a valid name (see ValidEnvName), longer
// than 64 bytes, or holding a run of letters and digits (between
// underscores) of 20 or more, or of 16 or more that mixes letters with
// digits or lower with upper case, as tokens do (ghp_…, sk_live_…, AKIA…,
// hex keys) and names such as PROMETHEUS_TOKEN or http_proxy do not. A name
// it wrongly takes for a credential is only not shown; nothing refuses it.
func EnvNameLooksSecret(name string) bool {
	if len(name) > 64 || !ValidEnvName(name) {
		return true
	}
	for _, run := range strings.Split(name, "_") {
		if len(run) >= 20 {
			return true
		}
		if len(run) < 16 {
			continue
		}
		var digit, lower, upper bool
		for i := 0; i < len(run); i++ {
			switch c := run[i]; {
			case c >= '0' && c <= '9':
				digit = true
			case c >= 'a' && c <= 'z':
				lower = true
			case c >= 'A' && c <= 'Z':
				upper = true
			}
		}
		if digit && (lower || upper) || lower && upper {
			return true
		}
	}
	return false
}

// RegistryCredentials are the keys that name the environment variables
// holding a registry login. Embed it in a gate's config with
// `yaml:",inline"` and call Check.
type RegistryCredentials struct {
	// UsernameEnv and PasswordEnv name environment variables holding
	// registry credentials; both or neither.
	UsernameEnv EnvName `yaml:"username-env"`
	PasswordEnv EnvName `yaml:"password-env"`
}

// Set reports whether the keys name credentials.
func (c RegistryCredentials) Set() bool { return c.UsernameEnv != "" }

// Check reports one key set without the other, at the one that is set.
func (c RegistryCredentials) Check(s *Section) error {
	switch {
	case c.UsernameEnv != "" && c.PasswordEnv == "":
		return s.Errorf("username-env", "set both username-env and password-env, or neither")
	case c.UsernameEnv == "" && c.PasswordEnv != "":
		return s.Errorf("password-env", "set both username-env and password-env, or neither")
	}
	return nil
}

// Join merges configuration errors (from Errorf, Decode or Join) into one
// Errors in file order, so that a gate's validation reports every problem
// at once; nils are dropped and nil is returned when none is left. An error
// that is not a configuration error is kept as an unpositioned one of the
// section's file.
func (s *Section) Join(errs ...error) error {
	var out Errors
	for _, err := range errs {
		if err == nil {
			continue
		}
		var list Errors
		var one *Error
		switch {
		case errors.As(err, &list):
			out = append(out, list...)
		case errors.As(err, &one):
			out = append(out, one)
		default:
			out = append(out, &Error{File: s.src.file, Msg: err.Error()})
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Col < out[j].Col
	})
	if len(out) == 1 {
		return out[0]
	}
	return out
}
