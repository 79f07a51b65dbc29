package config

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Secrets returns every value this configuration brings into the process
// that must be masked before anything is printed, config errors included:
//
//   - the value of each variable named by a key ending in -env (token-env,
//     password-env, headers-env, ...; not username-env), anywhere in the
//     file;
//   - the value of each ${VAR} the file expanded whose name looks secret
//     (SecretName), unless its default was used (a default is file text);
//   - the password of each URL with userinfo in a value, as written and
//     percent-decoded, after expansion; or its user name, when it has no
//     password and is at least 16 characters long (a token written as the
//     user: https://TOKEN@host).
//
// Values that differ from their trimmed form are listed both ways. getenv
// resolves the -env names: pass the one given to Parse. The list is
// sorted and holds no empty string. f may be nil (a file that is not even
// YAML brings nothing in).
func (f *File) Secrets(getenv func(string) string) []string {
	if f == nil {
		return nil
	}
	var out []string
	add := func(v string) {
		if v != "" {
			out = append(out, v)
		}
		if t := strings.TrimSpace(v); t != v && t != "" {
			out = append(out, t)
		}
	}
	if f.src != nil {
		for _, e := range f.src.secret {
			add(e.value)
		}
	}
	if getenv != nil {
		for _, name := range f.credentialEnv {
			add(getenv(name))
		}
	}
	for _, v := range f.urlSecrets {
		add(v)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// SecretName reports whether an environment variable's name says it holds
// a secret: TOKEN, SECRET, PASSWORD, PASSWD, PASSPHRASE, CREDENTIAL,
// API_KEY, PRIVATE_KEY, ACCESS_KEY, SSH_KEY, SIGNING_KEY, ENCRYPTION_KEY,
// WEBHOOK or CONNECTION_STRING anywhere in it (underscores, hyphens and
// case ignored); or a word (between underscores) PASS, PWD, PW, CRED(S),
// PAT, JWT, DSN, SAS, BEARER, COOKIE, AUTHN, AUTHZ, AUTHORIZATION, AUTH or
// one ending in AUTH (OAUTH, BASICAUTH); or the word KEY, unless PUBLIC
// comes just before it (STRIPE_KEY, not SSH_PUBLIC_KEY). A name whose last word is FILE, FILENAME, PATH, DIR or NAME
// names where a secret is, not the secret (AWS_WEB_IDENTITY_TOKEN_FILE),
// and PWD and OLDPWD are the shell's directories.
func SecretName(name string) bool {
	up := strings.ToUpper(name)
	if up == "PWD" || up == "OLDPWD" {
		return false
	}
	words := strings.FieldsFunc(up, func(r rune) bool {
		return (r < 'A' || r > 'Z') && (r < '0' || r > '9')
	})
	if len(words) == 0 {
		return false
	}
	switch words[len(words)-1] {
	case "FILE", "FILENAME", "PATH", "DIR", "NAME":
		return false
	}
	joined := strings.Join(words, "")
	for _, s := range []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL", "APIKEY", "PRIVATEKEY", "ACCESSKEY", "SSHKEY", "SIGNINGKEY", "ENCRYPTIONKEY", "WEBHOOK", "CONNECTIONSTRING"} {
		if strings.Contains(joined, s) {
			return true
		}
	}
	for i, w := range words {
		switch w {
		case "PASS", "PWD", "PW", "CRED", "CREDS", "PAT", "JWT", "DSN", "SAS", "BEARER", "COOKIE", "AUTHN", "AUTHZ", "AUTHORIZATION":
			return true
		}
		if strings.HasSuffix(w, "AUTH") {
			return true
		}
		if w == "KEY" && (i == 0 || words[i-1] != "PUBLIC") {
			return true
		}
	}
	return false
}

// expansion is one ${VAR} substitution made in the file.
type expansion struct {
	name, value string
	defaulted   bool // the variable was unset or empty: value is the default
}

// source is what errors about one file need: its name, and what ${VAR}
// expansion put into it, so that no message shows a secret's value.
type source struct {
	file string
	// expanded lists the substitutions made in each node's value.
	expanded map[*yaml.Node][]expansion
	// secret lists the distinct substitutions of variables whose names
	// look secret (not defaulted, not empty): as many as the environment
	// has such variables, however often the file uses them.
	secret []expansion
	// urls lists the URL credentials the file's values hold (see
	// urlCredentials), after expansion: an error may quote such a value.
	urls     []string
	replacer *strings.Replacer // built from secret and urls when first needed
}

// addURLSecrets makes redact cut the URL credentials urls out too.
func (s *source) addURLSecrets(urls []string) {
	if s != nil && len(urls) > 0 {
		s.urls = append(s.urls, urls...)
		s.replacer = nil
	}
}

func (s *source) record(n *yaml.Node, exps []expansion) {
	if s.expanded == nil {
		s.expanded = map[*yaml.Node][]expansion{}
	}
	s.expanded[n] = exps
	for _, e := range exps {
		if !e.defaulted && e.value != "" && SecretName(e.name) && !slices.Contains(s.secret, e) {
			s.secret = append(s.secret, e)
			s.replacer = nil
		}
	}
}

// redact replaces, in msg, each value of a secret-looking variable the file
// expanded, as is, trimmed, and as %q quotes them, by ${NAME}, and each
// URL credential a value holds by ***. Messages are cut short after it:
// the final masking of every output knows these values only whole.
func (s *source) redact(msg string) string {
	if s == nil || len(s.secret)+len(s.urls) == 0 {
		return msg
	}
	if s.replacer == nil {
		type pair struct{ old, new string }
		var pairs []pair
		add := func(v, with string) {
			if v == "" {
				return
			}
			pairs = append(pairs, pair{v, with})
			if q := strconv.Quote(v); q[1:len(q)-1] != v {
				pairs = append(pairs, pair{q[1 : len(q)-1], with})
			}
		}
		for _, e := range s.secret {
			ref := "${" + e.name + "}"
			for _, v := range []string{e.value, strings.TrimSpace(e.value)} {
				add(v, ref)
			}
		}
		for _, v := range s.urls {
			if len(v) >= 4 { // as the final masking: shorter ones garble, not protect
				add(v, "***")
			}
		}
		// Longest first: the replacer tries its pairs in order at each
		// position, so a secret that holds another is replaced whole.
		slices.SortStableFunc(pairs, func(a, b pair) int { return len(b.old) - len(a.old) })
		args := make([]string, 0, 2*len(pairs))
		for _, p := range pairs {
			args = append(args, p.old, p.new)
		}
		s.replacer = strings.NewReplacer(args...)
	}
	return s.replacer.Replace(msg)
}

// expandedNames lists the ${NAME}s expanded in n's value, for messages:
// about 200 bytes at most.
func (s *source) expandedNames(n *yaml.Node) string {
	if s == nil || n == nil {
		return ""
	}
	var b strings.Builder
	seen := map[string]bool{}
	for _, e := range s.expanded[n] {
		if seen[e.name] {
			continue
		}
		seen[e.name] = true
		if b.Len() > 200 {
			b.WriteString(", …")
			break
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString("${" + e.name + "}")
	}
	return b.String()
}

// namesVariables reports whether a mapping key's value names environment
// variables instead of holding a value (token-env: PROM_TOKEN): such values
// are never expanded, and the variables they name are credentials.
func namesVariables(key *yaml.Node) bool {
	key = resolveAlias(key)
	return key != nil && key.Kind == yaml.ScalarNode && strings.HasSuffix(key.Value, "-env")
}

// namesCredentials reports whether a key names variables that hold
// credentials: every -env key but a user name's (username-env), which is
// not a secret, and masking it would hide the user (often GITHUB_ACTOR)
// everywhere in the job's log.
func namesCredentials(key *yaml.Node) bool {
	if !namesVariables(key) {
		return false
	}
	k := resolveAlias(key).Value
	return !strings.HasSuffix(k, "username-env") && k != "user-env"
}

// collectSecrets walks the file once (each node at most twice: under a -env
// key and elsewhere; aliases followed) and returns the variable names the
// -env keys give and the URL credentials written in any other scalar.
func collectSecrets(root *yaml.Node) (credentialEnv, urlSecrets []string) {
	seen := [2]map[*yaml.Node]bool{{}, {}}
	var walk func(n *yaml.Node, underEnv bool)
	walk = func(n *yaml.Node, underEnv bool) {
		ctx := 0
		if underEnv {
			ctx = 1
		}
		if n == nil || seen[ctx][n] {
			return
		}
		seen[ctx][n] = true
		switch n.Kind {
		case yaml.AliasNode:
			walk(n.Alias, underEnv)
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, underEnv)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i], false) // a key is never a variable's name
				walk(n.Content[i+1], underEnv || namesCredentials(n.Content[i]))
			}
		case yaml.ScalarNode:
			switch {
			case underEnv && ValidEnvName(n.Value):
				credentialEnv = append(credentialEnv, n.Value)
			case !underEnv:
				urlSecrets = append(urlSecrets, urlCredentials(n.Value)...)
			}
		}
	}
	walk(root, false)
	slices.Sort(credentialEnv)
	return slices.Compact(credentialEnv), urlSecrets
}

// urlCredentials finds the URLs in s (scheme://...) and returns their
// credentials, as written and percent-decoded: the password of each that
// has one, or the user name when there is no password and it is at least
// 16 characters long (https://TOKEN@host); and the value of each query
// parameter whose name looks secret (?token=..., ?api_key=..., ?sig=...).
// It reads s once, whatever it holds.
func urlCredentials(s string) []string {
	if !strings.Contains(s, "://") {
		return nil
	}
	var out []string
	add := func(v string, unescape func(string) (string, error)) {
		if v == "" {
			return
		}
		out = append(out, v)
		if dec, err := unescape(v); err == nil && dec != v && dec != "" {
			out = append(out, dec)
		}
	}
	isDelim := func(r rune) bool {
		return r <= ' ' || strings.ContainsRune("\"'<>`", r)
	}
	for _, field := range strings.FieldsFunc(s, isDelim) {
		// Each segment after a :// is a URL's rest: authority, path,
		// query and fragment, up to the next URL's scheme.
		segs := strings.Split(field, "://")
		for _, seg := range segs[1:] {
			authority := seg
			if j := strings.IndexAny(seg, "/?#"); j >= 0 {
				authority = seg[:j]
			}
			if at := strings.LastIndexByte(authority, '@'); at >= 0 {
				user, password, hasPassword := strings.Cut(authority[:at], ":")
				switch {
				case hasPassword:
					add(password, url.PathUnescape)
				case len(user) >= 16:
					add(user, url.PathUnescape)
				}
			}
			q := strings.IndexByte(seg, '?')
			if q < 0 {
				continue
			}
			query, _, _ := strings.Cut(seg[q+1:], "#")
			for _, kv := range strings.Split(query, "&") {
				k, v, _ := strings.Cut(kv, "=")
				if dk, err := url.QueryUnescape(k); err == nil {
					k = dk
				}
				if secretParam(k) {
					add(v, url.QueryUnescape)
				}
			}
		}
	}
	return out
}

// secretParam reports whether a URL query parameter's name says its value
// is a secret: as SecretName says, or a signature (Azure's sig, AWS's and
// Google's X-*-Signature).
func secretParam(name string) bool {
	switch strings.ToLower(name) {
	case "sig", "signature", "x-amz-signature", "x-goog-signature":
		return true
	}
	return SecretName(name)
}
