package gates

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"

	"github.com/release-gate/release-gate/internal/spans"
)

// Masker remembers secret values and replaces them by *** in any text. It is
// safe for concurrent use. The zero value is ready.
type Masker struct {
	mu      sync.Mutex
	secrets []string // in the order they came, each once
	known   map[string]bool
	// finder looks for every secret at once when there are more than
	// maxPlainMasks; it covers the first finderOf secrets and is built again
	// by the first Redact after an Add.
	finder   *ahocorasick.AhoCorasick
	finderOf int
	// OnAdd, when set, is called once for every new secret (the GitHub
	// reporter prints ::add-mask:: so the CI log hides it too).
	OnAdd func(secret string)
}

// minMaskLen is the shortest value worth masking: masking "1" or "ab" would
// garble every report without protecting anything.
const minMaskLen = 4

// Add registers a secret. Multi-line values are registered line by line too,
// as CI logs mask line by line, and so are the forms in which a message or a
// server's answer writes a value: Go- and JSON-escaped, percent-encoded.
func (m *Masker) Add(secret string) {
	parts := []string{secret}
	if strings.ContainsAny(secret, "\r\n") {
		parts = append(parts, strings.FieldsFunc(secret, func(r rune) bool { return r == '\r' || r == '\n' })...)
	}
	parts = append(parts, encodings(secret)...)
	for _, s := range parts {
		s = strings.TrimSpace(s)
		if len(s) < minMaskLen {
			continue
		}
		m.mu.Lock()
		known := m.known[s]
		if !known {
			if m.known == nil {
				m.known = map[string]bool{}
			}
			m.known[s] = true
			m.secrets = append(m.secrets, s)
		}
		onAdd := m.OnAdd
		m.mu.Unlock()
		if !known && onAdd != nil {
			onAdd(s)
		}
	}
}

// encodings returns s as %q, JSON and URLs write it, where that differs
// from s: an error quoting the value, or an answer echoing it, shows it so.
func encodings(s string) []string {
	var out []string
	add := func(v string) {
		if v != s && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	q := strconv.Quote(s)
	add(q[1 : len(q)-1])
	if j, err := json.Marshal(s); err == nil {
		add(string(j[1 : len(j)-1]))
	}
	add(url.QueryEscape(s))
	add(url.PathEscape(s))
	return out
}

// Redact returns s with every registered secret replaced by ***: each run
// of bytes that secrets cover, where they overlap or touch, is one ***.
func (m *Masker) Redact(s string) string {
	if m == nil {
		return s
	}
	secrets, finder := m.lookup()
	return redact(s, secrets, finder)
}

// maxPlainMasks is the most secrets Redact looks for one after another.
// Past it, one search finds them all: a change can name thousands of files
// after keys, each a secret to mask, and a report masks every text it
// writes (20,000 took 41 s to report when each was looked for in turn).
const maxPlainMasks = 16

// lookup returns the secrets and, when there are more than maxPlainMasks,
// the finder of them all, built first when secrets came since.
func (m *Masker) lookup() ([]string, *ahocorasick.AhoCorasick) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.secrets) <= maxPlainMasks {
		return m.secrets, nil
	}
	if m.finder == nil || m.finderOf != len(m.secrets) {
		m.finder, m.finderOf = newFinder(m.secrets), len(m.secrets)
	}
	return m.secrets, m.finder
}

// newFinder is an automaton that finds every place of each of secrets,
// overlapping places too. It is petar-dambovaliev/aho-corasick rather than
// BobuSumisu/aho-corasick, which the keyword search uses: that one keeps 256
// transitions per byte of pattern (546 MB for 20,000 AWS key ids, against
// 26 MB).
func newFinder(secrets []string) *ahocorasick.AhoCorasick {
	b := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{MatchKind: ahocorasick.StandardMatch})
	finder := b.Build(secrets)
	return &finder
}

// redact is s with every place any of secrets stands cut out (see
// spans.Cut), looked for with finder when there is one.
func redact(s string, secrets []string, finder *ahocorasick.AhoCorasick) string {
	var places []spans.Span
	if finder == nil {
		for _, secret := range secrets {
			places = spans.AppendAll(places, s, secret)
		}
		return spans.Cut(s, places)
	}
	it := finder.IterOverlapping(s)
	for m := it.Next(); m != nil; m = it.Next() {
		places = append(places, spans.Span{Start: m.Start(), End: m.End()})
	}
	return spans.Cut(s, places)
}

// RedactResult returns a copy of r with every registered secret masked in
// every piece of text it carries.
func (m *Masker) RedactResult(r Result) Result {
	if m == nil {
		return r
	}
	r.Summary = m.Redact(r.Summary)
	r.Err = m.Redact(r.Err)
	if r.Findings != nil {
		fs := make([]Finding, len(r.Findings))
		for i, f := range r.Findings {
			f.Rule = m.Redact(f.Rule)
			f.Message = m.Redact(f.Message)
			f.Pos.File = m.Redact(f.Pos.File)
			if f.Within != nil {
				within := make([]string, len(f.Within))
				for j, file := range f.Within {
					within[j] = m.Redact(file)
				}
				f.Within = within
			}
			if f.Labels != nil {
				ls := make(map[string]string, len(f.Labels))
				for k, v := range f.Labels {
					ls[m.Redact(k)] = m.Redact(v)
				}
				f.Labels = ls
			}
			if f.Waived != nil {
				w := *f.Waived
				w.Owner, w.Reason, w.Ticket = m.Redact(w.Owner), m.Redact(w.Reason), m.Redact(w.Ticket)
				w.Source.File = m.Redact(w.Source.File)
				f.Waived = &w
			}
			fs[i] = f
		}
		r.Findings = fs
	}
	if r.Notes != nil {
		ns := make([]string, len(r.Notes))
		for i, n := range r.Notes {
			ns[i] = m.Redact(n)
		}
		r.Notes = ns
	}
	if r.Charts != nil {
		cs := make([]Chart, len(r.Charts))
		for i, c := range r.Charts {
			cs[i] = Chart{Title: m.Redact(c.Title), Values: c.Values}
		}
		r.Charts = cs
	}
	if r.Outputs != nil {
		os := make([]Output, len(r.Outputs))
		for i, o := range r.Outputs {
			os[i] = Output{Name: o.Name, Value: m.Redact(o.Value)}
		}
		r.Outputs = os
	}
	return r
}
