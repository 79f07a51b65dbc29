package gates

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Masker remembers secret values and replaces them by *** in any text. It is
// safe for concurrent use. The zero value is ready.
type Masker struct {
	mu      sync.RWMutex
	secrets []string // longest first, so overlapping secrets are masked whole
	known   map[string]bool
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
			// Inserted after those as long, not sorted in: a scan may
			// register a mask for each of thousands of findings, and sorting
			// the list at each made that grow with their square times its
			// logarithm.
			at, _ := slices.BinarySearchFunc(m.secrets, len(s), func(k string, n int) int { return n - len(k) })
			for at < len(m.secrets) && len(m.secrets[at]) == len(s) {
				at++
			}
			m.secrets = slices.Insert(m.secrets, at, s)
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

// Redact returns s with every registered secret replaced by ***.
func (m *Masker) Redact(s string) string {
	if m == nil {
		return s
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, secret := range m.secrets {
		if strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, "***")
		}
	}
	return s
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
