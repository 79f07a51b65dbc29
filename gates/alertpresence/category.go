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

// evidence says why the selector belongs to the category: the metric name
// or the matcher that made it count, and whether it was a label matcher
// (which, for error rate, counts only on counters: a state gauge such as
// job_status{status="ERROR"} is no rate). ok is false when it does not.
func (c *category) evidence(sel vectorSelector, rc *regexCache) (why string, byMatcher, ok bool) {
	if sel.Metric != "" {
		for _, t := range c.metric {
			if t(sel.Metric) {
				return "metric " + sel.Metric, false, true
			}
		}
	}
	for _, m := range sel.Matchers {
		if m.Name == "__name__" {
			if m.Op.positive() {
				for _, t := range c.metric {
					if t(m.Value) {
						return m.String(), false, true
					}
				}
			}
			continue
		}
		for _, t := range c.matcher {
			if t(m, rc) {
				if sel.Metric != "" {
					return sel.Metric + "{" + m.String() + "}", true, true
				}
				return "{" + m.String() + "}", true, true
			}
		}
	}
	return "", false, false
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
			lookedFor: []string{`a metric whose name has the word "memory", "mem", "ram", "heap", "rss" or "oom" (snake_case or camelCase) and measures bytes or usage, not a count of objects`,
				`resource="memory"`, `reason="OOMKilled"`, `condition="MemoryPressure"`},
			metric: []func(string) bool{isMemoryMetric},
			matcher: []func(labelMatcher, *regexCache) bool{resourceMatcher("memory"),
				func(m labelMatcher, _ *regexCache) bool {
					return m.Name == "reason" && m.Op.positive() && containsFold(m.Value, "oom")
				},
				func(m labelMatcher, rc *regexCache) bool {
					// kube_node_status_condition{condition="MemoryPressure",status="true"}
					return m.Name == "condition" && m.Op.positive() && matcherAccepts(m, "MemoryPressure", rc)
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
// go_memstats_*, mem_used_percent, nodejs_heap_*, container_oom_events_total,
// camelCase names (jvmMemoryUsed, processRamBytes) and "ram" as a word
// (system_ram_used_percent). A count of objects held in memory
// (cortex_ingester_memory_series, loki_ingester_memory_chunks,
// cortex_ingester_memory_users) measures load, not memory, and does not
// count unless it is in bytes.
func isMemoryMetric(n string) bool {
	memory, bytes, objects := false, false, false
	forEachWord(n, func(w string) bool {
		switch {
		case w == "memory" || w == "mem" || w == "ram" || w == "heap" || w == "memstats" || w == "rss" ||
			strings.HasPrefix(w, "oom"):
			memory = true
		case w == "bytes" || w == "percent" || w == "ratio" || w == "utilization" || w == "utilisation" || w == "usage":
			bytes = true
		case objectWords[w]:
			objects = true
		}
		return true
	})
	return memory && (bytes || !objects)
}

// objectWords are the words of metrics that count things kept in memory.
var objectWords = map[string]bool{
	"series": true, "users": true, "tenants": true, "chunks": true, "streams": true,
	"objects": true, "items": true, "entries": true, "keys": true, "sessions": true,
}

// forEachWord calls f with each lower-case word of a metric name, split at
// _, :, . and camelCase boundaries, until f returns false:
// "jvmMemoryUsed" and "jvm_memory_used" both give jvm, memory, used;
// "node_memory_MemAvailable_bytes" gives node, memory, mem, available,
// bytes.
func forEachWord(n string, f func(w string) bool) {
	start := 0
	for i := 0; i <= len(n); i++ {
		end := i == len(n)
		split := false
		next := i
		if !end {
			c := n[i]
			switch {
			case c == '_' || c == ':' || c == '.' || c == '-':
				split, next = true, i+1
			case c >= 'A' && c <= 'Z' && i > start:
				prev := n[i-1]
				nextLower := i+1 < len(n) && n[i+1] >= 'a' && n[i+1] <= 'z'
				split = (prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9') || (prev >= 'A' && prev <= 'Z' && nextLower)
			}
		}
		if !end && !split {
			continue
		}
		if i > start {
			w := n[start:i]
			if hasUpper(w) {
				w = strings.ToLower(w)
			}
			if !f(w) {
				return
			}
		}
		start = next
		if !end && next == i {
			start = i
		}
	}
}

// errorWords are the words of metric names that count failures: a ratio
// of such a counter to the total (app_requests_failed_total / ...,
// http_errors / http_requests) is an error rate.
var errorWords = map[string]bool{"error": true, "errors": true, "failed": true, "failure": true, "failures": true, "fail": true, "fails": true}

// isErrorCounterName reports whether a metric name counts failures.
func isErrorCounterName(n string) bool {
	found := false
	forEachWord(n, func(w string) bool {
		found = errorWords[w]
		return !found
	})
	return found
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
			"error", "Error", "ERROR", "err", "server_error", "SERVER_ERROR", "failure", "FAILURE", "failed", "fail"},
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

// statusKind returns the status codes a status-like label holds: gRPC's
// for a label naming grpc, HTTP's (and outcome/result words) for one
// naming a code, a status, an outcome, a classification or a result; nil
// for any other label.
func statusKind(label string) *statusLabel {
	name := strings.ToLower(label)
	switch {
	case strings.Contains(name, "grpc"):
		return &grpcStatus
	case strings.Contains(name, "code") || strings.Contains(name, "status") ||
		name == "outcome" || name == "classification" || name == "result":
		return &httpStatus
	}
	return nil
}

// selectsServerErrors reports whether m, on a status-like label, selects
// server errors: code=~"5..", status="503", code="5xx",
// envoy_response_code_class="5", http_response_status_code=~"5..",
// code!~"2..", grpc_code!="OK", outcome="SERVER_ERROR",
// classification="failure" (Linkerd).
func selectsServerErrors(m labelMatcher, rc *regexCache) bool {
	kind := statusKind(m.Name)
	if kind == nil {
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

// selectsSuccess reports whether m, on a status-like label, selects the
// successful requests: code=~"2..", code!~"5..", grpc_code="OK",
// outcome="SUCCESS". A ratio of those to all requests falling below a
// threshold is an availability alert, the error rate seen from the other
// side (Sloth's 1 - good/total).
func selectsSuccess(m labelMatcher, rc *regexCache) bool {
	kind := statusKind(m.Name)
	if kind == nil {
		return false
	}
	keepsSuccess := false
	for _, ok := range kind.oks {
		if matcherAccepts(m, ok, rc) {
			keepsSuccess = true
			break
		}
	}
	if !keepsSuccess {
		return false
	}
	for _, e := range kind.typical {
		if matcherAccepts(m, e, rc) {
			return false
		}
	}
	return true
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
