package httpsafe

import (
	"fmt"
	"net/url"
	"strings"
)

// ParseBaseURL checks a server's base URL from the configuration (http or
// https, a host, no query or fragment) and strips a trailing API path the
// user may have copied with it (one of suffixes). Errors never show a
// password.
func ParseBaseURL(raw string, suffixes ...string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		// url.Parse quotes the whole text, password included.
		return nil, fmt.Errorf("not a URL (not shown, as it may hold a password): check that a user name or password in it is percent-encoded")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("want an http:// or https:// URL, got %q", ShownURL(u))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("URL %q has no host", ShownURL(u))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("want a base URL without ?query or #fragment, got %q", ShownURL(u))
	}
	p := strings.TrimRight(u.Path, "/")
	for _, s := range suffixes {
		if strings.HasSuffix(p, s) {
			p = strings.TrimSuffix(p, s)
			break
		}
	}
	u.Path, u.RawPath = p, ""
	return u, nil
}

// ShownURL is u for a configuration error: without its password, query
// string and fragment, where a ${VAR} may have put a credential.
func ShownURL(u *url.URL) string {
	c := *u
	c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = "", false, "", ""
	s := c.Redacted()
	if u.RawQuery != "" || u.ForceQuery {
		s += "?…"
	}
	if u.Fragment != "" {
		s += "#…"
	}
	return s
}
