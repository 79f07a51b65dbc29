package report

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Source says where the checked files can be read on the web, so that the
// job summary can link each finding to its line. The zero value makes no
// links.
//
// Its parts come from the environment and the event, which whoever starts a
// run controls: NewSource accepts only what has the shape of a web server,
// a repository name and a commit, and anything else gives no links, never a
// link somewhere else.
type Source struct {
	server string // scheme://host[:port], no trailing slash
	repo   string // owner/name
	commit string // full hex SHA
}

var (
	repoRE   = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)
	commitRE = regexp.MustCompile(`^(?:[0-9a-f]{40}|[0-9a-f]{64})$`)
	hostRE   = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$`)
)

// NewSource returns the Source for $GITHUB_SERVER_URL, $GITHUB_REPOSITORY
// and a commit SHA; the zero Source when any of them is missing or does not
// have the shape it must have.
func NewSource(serverURL, repository, commit string) Source {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || (u.Path != "" && u.Path != "/") {
		return Source{}
	}
	host := u.Hostname()
	if !hostRE.MatchString(host) || strings.Contains(host, "..") {
		return Source{}
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return Source{}
		}
	}
	name := repository[strings.IndexByte(repository, '/')+1:]
	if !repoRE.MatchString(repository) || name == "." || name == ".." || !commitRE.MatchString(commit) {
		return Source{}
	}
	return Source{server: u.Scheme + "://" + u.Host, repo: repository, commit: commit}
}

// Valid reports whether the Source makes links.
func (s Source) Valid() bool { return s.server != "" }

// LineURL is the web address of path at line (0: the file) on commit, or on
// the Source's commit when commit is empty; "" when no safe link can be
// made. Every path segment is percent-encoded but for unreserved
// characters, so the address holds nothing Markdown or HTML could read as
// syntax.
func (s Source) LineURL(path string, line int, commit string) string {
	if !s.Valid() || path == "" || strings.HasPrefix(path, "/") {
		return ""
	}
	if commit == "" {
		commit = s.commit
	}
	if !commitRE.MatchString(commit) {
		return ""
	}
	var b strings.Builder
	b.WriteString(s.server + "/" + s.repo + "/blob/" + commit)
	for _, seg := range strings.Split(path, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return ""
		}
		b.WriteByte('/')
		b.WriteString(escapeSegment(seg))
	}
	if line > 0 {
		b.WriteString("#L" + strconv.Itoa(line))
	}
	return b.String()
}

// escapeSegment percent-encodes every byte of a path segment but letters,
// digits and -._~ (RFC 3986's unreserved characters).
func escapeSegment(seg string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
