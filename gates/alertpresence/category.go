package alertpresence

import (
	"regexp"
	"strings"
)

// The built-in categories.
const (
	catCPU       = "cpu"
	catMemory    = "memory"
	catErrorRate = "error-rate"
)

// defaultRequire is what require: defaults to.
var defaultRequire = []string{catCPU, catMemory, catErrorRate}

// overrideLabel is the rule label that names a rule's categories explicitly,
// replacing what its expression says ("cpu", "memory,error-rate", "none").
const overrideLabel = "release_gate"

// category is one kind of alert the gate can require: a rule belongs to it
// when a series selector its expression reads (directly or through
// recording rules) passes one of its tests.
type category struct {
	name string
	// lookedFor says, for a "missing" message, what the gate looked for.
	lookedFor []string
	// metric tests a metric name (or the text of a __name__ regex).
	metric []func(name string) bool
	// matcher tests one positive or negative label matcher.
	matcher []func(m labelMatcher, rc *regexCache) bool
}

// selects reports whether the selector belongs to the category.
func (c *category) selects(sel vectorSelector, rc *regexCache) bool {
	if sel.Metric != "" {
		for _, t := range c.metric {
			if t(sel.Metric) {
				return true
			}
		}
	}
	for _, m := range sel.Matchers {
		if m.Name == "__name__" {
			if m.Op.positive() {
				for _, t := range c.metric {
					if t(m.Value) {
						return true
					}
				}
			}
			continue
		}
		for _, t := range c.matcher {
			if t(m, rc) {
				return true
			}
		}
	}
	return false
}

// builtinCategories returns fresh definitions of cpu, memory and error-rate.
func builtinCategories() []*category {
	return []*category{
		{
			name:      catCPU,
			lookedFor: []string{`a metric whose name contains "cpu"`, `resource="cpu"`},
			metric:    []func(string) bool{func(n string) bool { return containsFold(n, "cpu") }},
			matcher:   []func(labelMatcher, *regexCache) bool{resourceMatcher("cpu")},
		},
		{
			name: catMemory,
			lookedFor: []string{`a metric whose name contains "memory", "mem", "heap" or "oom"`,
				`resource="memory"`, `reason="OOMKilled"`},
			metric: []func(string) bool{isMemoryMetric},
			matcher: []func(labelMatcher, *regexCache) bool{resourceMatcher("memory"),
				func(m labelMatcher, _ *regexCache) bool {
					return m.Name == "reason" && m.Op.positive() && containsFold(m.Value, "oom")
				}},
		},
		{
			name: catErrorRate,
			lookedFor: []string{`a status label selecting server errors (code=~"5..", status="5xx", ` +
				`http_response_status_code=~"5..", envoy_response_code_class="5", code!~"2..", ` +
				`grpc_code!="OK", outcome="SERVER_ERROR")`, `a metric whose name contains "5xx"`},
			metric: []func(string) bool{func(n string) bool {
				return containsFold(n, "5xx") || containsFold(n, "5_xx")
			}},
			matcher: []func(labelMatcher, *regexCache) bool{selectsServerErrors},
		},
	}
}

// resourceMatcher accepts resource="cpu" and kube-state-metrics' forms such
// as resource=~"requests.cpu|limits.cpu".
func resourceMatcher(word string) func(labelMatcher, *regexCache) bool {
	return func(m labelMatcher, _ *regexCache) bool {
		return m.Name == "resource" && m.Op.positive() && containsFold(m.Value, word)
	}
}

// isMemoryMetric recognises memory metrics across exporters: node_memory_*,
// container_memory_*, jvm_memory_*, process_resident_memory_bytes,
// go_memstats_*, mem_used_percent, nodejs_heap_*, container_oom_events_total.
func isMemoryMetric(n string) bool {
	l := n
	if hasUpper(n) {
		l = strings.ToLower(n)
	}
	if strings.Contains(l, "memory") || strings.Contains(l, "heap") || strings.Contains(l, "memstats") {
		return true
	}
	// "mem" as a word (mem_used_percent, node_mem_free), "oom" starting
	// a word (node_vmstat_oom_kill, container_oom_events_total) but not
	// inside one (loki_bloom_*).
	return hasWord(l, "mem", true) || hasWord(l, "oom", false)
}

// hasWord reports whether w occurs in the metric name n at the start of a
// word (after the start, _ or :) and, when whole, also at a word's end.
func hasWord(n, w string, whole bool) bool {
	for off := 0; ; {
		i := strings.Index(n[off:], w)
		if i < 0 {
			return false
		}
		i += off
		end := i + len(w)
		before := i == 0 || n[i-1] == '_' || n[i-1] == ':'
		after := !whole || end == len(n) || n[end] == '_' || n[end] == ':'
		if before && after {
			return true
		}
		off = end
	}
}

// statusLabel describes the values of one family of status-like labels.
type statusLabel struct {
	errs    []string // server-error values a selecting regex accepts
	oks     []string // success values a selecting regex rejects
	typical []string // errors a negative matcher must keep (code!~"2..")
	fivexx  bool     // 5, 5xx and 5NN are errors too
}

// A matcher on a status-like label selects server errors when it accepts an
// error sample and rejects every success sample (so code=~".*" does not
// count), or, negated, when it excludes success and keeps typical errors
// (code!~"2..", grpc_code!="OK").
var (
	httpStatus = statusLabel{
		errs: []string{"500", "502", "503", "504", "5xx", "5XX", "5",
			"error", "Error", "ERROR", "server_error", "SERVER_ERROR", "failure", "FAILURE", "failed", "fail"},
		oks:     []string{"200", "201", "204", "2xx", "2XX", "2", "ok", "OK", "success", "SUCCESS"},
		typical: []string{"500", "503"},
		fivexx:  true,
	}
	// gRPC codes by name (grpc_code) and number (rpc_grpc_status_code).
	grpcStatus = statusLabel{
		errs: []string{"Unknown", "Internal", "Unavailable", "DeadlineExceeded", "DataLoss",
			"ResourceExhausted", "2", "4", "13", "14", "15"},
		oks:     []string{"OK", "0"},
		typical: []string{"Internal", "Unavailable"},
	}
)

// selectsServerErrors reports whether m, on a status-like label, selects
// server errors: code=~"5..", status="503", code="5xx",
// envoy_response_code_class="5", http_response_status_code=~"5..",
// code!~"2..", grpc_code!="OK", outcome="SERVER_ERROR",
// classification="failure" (Linkerd).
func selectsServerErrors(m labelMatcher, rc *regexCache) bool {
	name := strings.ToLower(m.Name)
	var kind *statusLabel
	switch {
	case strings.Contains(name, "grpc"):
		kind = &grpcStatus
	case strings.Contains(name, "code") || strings.Contains(name, "status") ||
		name == "outcome" || name == "classification" || name == "result":
		kind = &httpStatus
	default:
		return false
	}
	acceptsAny := func(samples []string) bool {
		for _, s := range samples {
			if matcherAccepts(m, s, rc) {
				return true
			}
		}
		return false
	}
	switch m.Op {
	case opEq:
		return kind.isError(m.Value)
	case opRe:
		return acceptsAny(kind.errs) && !acceptsAny(kind.oks)
	default:
		for _, e := range kind.typical {
			if !matcherAccepts(m, e, rc) {
				return false
			}
		}
		return excludesAny(m, kind.oks, rc)
	}
}

// isError reports whether an exact label value is a server error.
func (k *statusLabel) isError(v string) bool {
	if k.fivexx && len(v) >= 1 && len(v) <= 3 && v[0] == '5' {
		ok := true
		for i := 1; i < len(v); i++ {
			if !isDigit(v[i]) && v[i] != 'x' && v[i] != 'X' {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	for _, e := range k.errs {
		if strings.EqualFold(v, e) {
			return true
		}
	}
	return false
}

// excludesAny reports whether a negative matcher excludes one of values.
func excludesAny(m labelMatcher, values []string, rc *regexCache) bool {
	for _, v := range values {
		if !matcherAccepts(m, v, rc) {
			return true
		}
	}
	return false
}

// matcherAccepts reports whether a label value v passes matcher m, with
// PromQL semantics (regular expressions are anchored).
func matcherAccepts(m labelMatcher, v string, rc *regexCache) bool {
	switch m.Op {
	case opEq:
		return v == m.Value
	case opNeq:
		return v != m.Value
	case opRe:
		re := rc.get(m.Value)
		return re != nil && re.MatchString(v)
	default:
		re := rc.get(m.Value)
		return re == nil || !re.MatchString(v)
	}
}

// specAccepts reports whether an expression's matcher m selects values that
// spec (a positive matcher from the configuration) asks for: equal values,
// a regex that accepts spec's value, a value spec's regex accepts, the same
// regex, or a regex listing alternatives one of which spec accepts.
func specAccepts(spec labelMatcher, m labelMatcher, rc *regexCache) bool {
	if m.Name != spec.Name || !m.Op.positive() {
		return false
	}
	if spec.Op == opEq {
		return matcherAccepts(m, spec.Value, rc)
	}
	if m.Op == opEq {
		return matcherAccepts(spec, m.Value, rc)
	}
	if m.Value == spec.Value {
		return true
	}
	for _, alt := range literalAlternatives(m.Value) {
		if matcherAccepts(spec, alt, rc) {
			return true
		}
	}
	return false
}

// literalAlternatives splits a regex made of literal alternatives
// ("api|web") into them; it returns nil for any other regex.
func literalAlternatives(re string) []string {
	alts := strings.Split(re, "|")
	for _, a := range alts {
		if regexp.QuoteMeta(a) != a {
			return nil
		}
	}
	return alts
}

// regexCache compiles PromQL regexes (anchored) once per run: real rule
// sets repeat the same few ("5..", "api|web") thousands of times.
type regexCache struct {
	m map[string]*regexp.Regexp
}

// get returns the anchored regex, or nil when it does not compile.
func (rc *regexCache) get(expr string) *regexp.Regexp {
	if re, ok := rc.m[expr]; ok {
		return re
	}
	if rc.m == nil {
		rc.m = map[string]*regexp.Regexp{}
	}
	re, err := regexp.Compile("^(?:" + expr + ")$")
	if err != nil {
		re = nil
	}
	rc.m[expr] = re
	return re
}

// containsFold reports whether s contains the lower-case word, ignoring case.
func containsFold(s, word string) bool {
	if !hasUpper(s) {
		return strings.Contains(s, word)
	}
	return strings.Contains(strings.ToLower(s), word)
}
