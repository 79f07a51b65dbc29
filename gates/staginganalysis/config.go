package staginganalysis

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/internal/httpsafe"
)

// Config is the staging-analysis section of the configuration.
type Config struct {
	// Prometheus is the base URL of a Prometheus-compatible query API (the
	// part before /api/v1/query): Prometheus, Thanos, Mimir (with
	// /prometheus), VictoriaMetrics.
	Prometheus string `yaml:"prometheus"`
	// Tenant is sent as X-Scope-OrgID (Mimir, Cortex, multi-tenant Thanos).
	Tenant string `yaml:"tenant"`
	// TokenEnv names an environment variable holding a bearer token.
	TokenEnv string `yaml:"token-env"`
	// Alertmanager is the base URL of staging's Alertmanager (the part
	// before /api/v2), read by no-firing-alerts.
	Alertmanager string `yaml:"alertmanager"`
	// AlertmanagerTokenEnv names the Alertmanager's bearer token variable
	// when it differs from TokenEnv.
	AlertmanagerTokenEnv string `yaml:"alertmanager-token-env"`
	// Queries are the analyses to run.
	Queries []QueryConfig `yaml:"queries"`
	// NoFiringAlerts, when set, requires that no alert of the service fires.
	NoFiringAlerts *AlertsConfig `yaml:"no-firing-alerts"`
	// DeployedAt is when staging started running the candidate (RFC 3339):
	// no evaluation reads data from before it.
	DeployedAt string `yaml:"deployed-at"`
	// SinceDigest finds when staging started running the candidate from
	// a metric that names the running image's digest.
	SinceDigest *SinceDigestConfig `yaml:"since-digest"`
	// RequestTimeout bounds one request.
	RequestTimeout config.Duration `yaml:"request-timeout"`
}

// QueryConfig is one analysis: a PromQL query and the conditions its
// result must meet.
type QueryConfig struct {
	// Name names the analysis in reports; default query-N.
	Name string `yaml:"name"`
	// Query is the PromQL expression.
	Query string `yaml:"query"`
	// Success is the condition a successful measurement meets.
	Success string `yaml:"success"`
	// Failure is the condition a failed measurement meets; without it, a
	// measurement that does not meet Success failed.
	Failure string `yaml:"failure"`
	// Count is how many instant evaluations to make (default 1).
	Count int `yaml:"count"`
	// Interval is the time between two evaluations.
	Interval config.Duration `yaml:"interval"`
	// Window evaluates the query once, as a range query over the last
	// Window, every point a measurement (instead of Count and Interval).
	Window config.Duration `yaml:"window"`
	// Step is the range query's resolution (default 1m).
	Step config.Duration `yaml:"step"`
	// FailureLimit is how many failed measurements are tolerated.
	FailureLimit int `yaml:"failure-limit"`
	// InconclusiveLimit is how many inconclusive measurements are tolerated.
	InconclusiveLimit int `yaml:"inconclusive-limit"`
	// MaxSeries is the most series an answer may have (default 50).
	MaxSeries int `yaml:"max-series"`
	// Lookback is how far back an instant query reads (its longest range
	// selector); with deployed-at, no evaluation starts before
	// deployed-at + lookback. Default 5m, Prometheus's lookback delta.
	Lookback config.Duration `yaml:"lookback"`
}

// SinceDigestConfig reads, from staging's metrics, since when staging has
// run only the candidate digest.
type SinceDigestConfig struct {
	// Digest is the candidate's digest (sha256:...).
	Digest string `yaml:"digest"`
	// Query returns one series per running image (or pod), with the
	// image's digest in Label.
	Query string `yaml:"query"`
	// Label is the label holding the digest or an image reference ending
	// in @sha256:... (default digest).
	Label string `yaml:"label"`
	// Search is how far back to look (default 24h).
	Search config.Duration `yaml:"search"`
	// Step is the resolution of the search (default 1m).
	Step config.Duration `yaml:"step"`
}

// AlertsConfig is the no-firing-alerts check.
type AlertsConfig struct {
	// Selector is the label values that make an alert this service's.
	Selector map[string]string `yaml:"selector"`
	// Ignore lists alert names that always fire by design.
	Ignore config.Strings `yaml:"ignore"`
}

// Defaults and bounds.
const (
	defaultStep      = time.Minute
	defaultMaxSeries = 50
	defaultLookback  = 5 * time.Minute
	defaultTimeout   = 30 * time.Second
	maxCount         = 1000
	maxPoints        = 1000
	maxQueries       = 100
	maxConditionLen  = 1000
)

// defaultIgnore are alerts that fire all the time by design.
var defaultIgnore = []string{"Watchdog", "InfoInhibitor"}

// query is one validated analysis.
type query struct {
	name              string
	promql            string
	successText       string
	failureText       string
	success, failure  *vm.Program
	count             int
	interval          time.Duration
	window, step      time.Duration
	failureLimit      int
	inconclusiveLimit int
	maxSeries         int
	lookback          time.Duration
}

// settings is a validated configuration.
type settings struct {
	prometheus   *url.URL
	alertmanager *url.URL
	tenant       string
	tokenEnv     string
	amTokenEnv   string
	queries      []*query
	alerts       *AlertsConfig
	ignore       []string
	// deployedAtText is read when the gate runs: it usually comes from
	// a ${VAR} set by the deploy job.
	deployedAtText string
	requestTimeout time.Duration
	since          *sinceDigest
}

// sinceDigest is a validated since-digest.
type sinceDigest struct {
	digest string // read when the gate runs: usually ${VAR}
	q      *query
	label  string
	search time.Duration
}

// parseSettings decodes and validates a section, reporting every mistake at
// once. It does no I/O.
func parseSettings(s *config.Section) (*settings, error) {
	var c Config
	if err := s.Decode(&c); err != nil {
		return nil, err
	}
	st := &settings{tenant: c.Tenant, tokenEnv: c.TokenEnv, amTokenEnv: c.AlertmanagerTokenEnv,
		alerts: c.NoFiringAlerts, requestTimeout: time.Duration(c.RequestTimeout)}
	var errs []error
	bad := func(key, format string, args ...any) { errs = append(errs, s.Errorf(key, format, args...)) }
	if len(c.Queries) == 0 && c.NoFiringAlerts == nil {
		bad("", "set queries (PromQL analyses) or no-firing-alerts, or both")
	}
	var err error
	if c.Prometheus != "" {
		if st.prometheus, err = httpsafe.ParseBaseURL(c.Prometheus, "/api/v1/query_range", "/api/v1/query", "/api/v1"); err != nil {
			bad("prometheus", "%v", err)
		}
	} else if len(c.Queries) > 0 {
		bad("prometheus", "queries need prometheus, the URL of staging's Prometheus-compatible query API")
	}
	if c.Alertmanager != "" {
		if st.alertmanager, err = httpsafe.ParseBaseURL(c.Alertmanager, "/api/v2/alerts", "/api/v2"); err != nil {
			bad("alertmanager", "%v", err)
		}
		if c.NoFiringAlerts == nil {
			bad("alertmanager", "is only used with no-firing-alerts")
		}
	}
	for _, k := range []struct{ key, value string }{{"token-env", c.TokenEnv}, {"alertmanager-token-env", c.AlertmanagerTokenEnv}} {
		if k.value != "" && !config.ValidEnvName(k.value) {
			bad(k.key, "want the name of an environment variable (such as PROMETHEUS_TOKEN: letters, digits and _), got a value that is not a variable name (not shown: it may be the token); the token itself never goes in the file")
		}
	}
	if c.AlertmanagerTokenEnv != "" && c.Alertmanager == "" {
		bad("alertmanager-token-env", "is only used with alertmanager")
	}
	if st.amTokenEnv == "" {
		st.amTokenEnv = c.TokenEnv
	}
	if st.requestTimeout < 0 {
		bad("request-timeout", "must be positive")
	}
	if st.requestTimeout == 0 {
		st.requestTimeout = defaultTimeout
	}
	st.deployedAtText = strings.TrimSpace(c.DeployedAt)
	if a := c.NoFiringAlerts; a != nil {
		if len(a.Selector) == 0 {
			bad("no-firing-alerts", "set the labels that make an alert this service's, such as {service: api}")
		}
		for k := range a.Selector {
			if !labelNameOK(k) {
				bad("no-firing-alerts.selector", "%q is not a label name", k)
			}
		}
		if st.prometheus == nil && st.alertmanager == nil && c.Prometheus == "" && c.Alertmanager == "" {
			bad("no-firing-alerts", "needs alertmanager or prometheus, where staging's alerts fire")
		}
		st.ignore = defaultIgnore
		if a.Ignore != nil {
			st.ignore = a.Ignore
		}
	}
	if sd := c.SinceDigest; sd != nil {
		st.since = &sinceDigest{digest: strings.TrimSpace(sd.Digest), label: sd.Label, search: time.Duration(sd.Search),
			q: &query{name: "since-digest", promql: strings.TrimSpace(sd.Query), step: time.Duration(sd.Step), maxSeries: defaultMaxSeries}}
		if c.Prometheus == "" {
			bad("since-digest", "needs prometheus, where staging's metrics are")
		}
		if st.since.digest == "" {
			bad("since-digest", "set digest, the candidate's digest (sha256:...)")
		}
		if st.since.q.promql == "" {
			bad("since-digest", "set query, which returns a series per running image with its digest in a label (such as kube_pod_container_info{namespace=\"staging\",container=\"api\"})")
		}
		if st.since.label == "" {
			st.since.label = "digest"
		} else if !labelNameOK(st.since.label) {
			bad("since-digest.label", "%q is not a label name", st.since.label)
		}
		if st.since.search == 0 {
			st.since.search = 24 * time.Hour
		}
		if st.since.q.step == 0 {
			st.since.q.step = defaultStep
		}
		if st.since.search < 0 || st.since.q.step < time.Second {
			bad("since-digest", "search must be positive and step at least 1s")
		} else if st.since.search/st.since.q.step > 5*maxPoints {
			bad("since-digest.step", "search/step is %d points; at most %d", st.since.search/st.since.q.step, 5*maxPoints)
		}
	}
	if len(c.Queries) > maxQueries {
		bad("queries", "at most %d queries", maxQueries)
	}
	names := map[string]bool{}
	for i, qc := range c.Queries {
		q, qerrs := parseQuery(s, i, qc)
		errs = append(errs, qerrs...)
		if q == nil {
			continue
		}
		if names[q.name] {
			bad(fmt.Sprintf("queries[%d].name", i), "%q names another query too", q.name)
		}
		names[q.name] = true
		st.queries = append(st.queries, q)
	}
	if err := s.Join(errs...); err != nil {
		return nil, err
	}
	return st, nil
}

// parseQuery validates one item of queries.
func parseQuery(s *config.Section, i int, qc QueryConfig) (*query, []error) {
	var errs []error
	key := func(k string) string { return fmt.Sprintf("queries[%d].%s", i, k) }
	bad := func(k, format string, args ...any) { errs = append(errs, s.Errorf(key(k), format, args...)) }
	q := &query{name: strings.TrimSpace(qc.Name), promql: strings.TrimSpace(qc.Query),
		successText: qc.Success, failureText: qc.Failure,
		count: qc.Count, interval: time.Duration(qc.Interval), window: time.Duration(qc.Window), step: time.Duration(qc.Step),
		failureLimit: qc.FailureLimit, inconclusiveLimit: qc.InconclusiveLimit, maxSeries: qc.MaxSeries, lookback: time.Duration(qc.Lookback)}
	if q.name == "" {
		q.name = fmt.Sprintf("query-%d", i+1)
	}
	if q.promql == "" {
		bad("query", "set the PromQL expression to evaluate")
	}
	if strings.TrimSpace(qc.Success) == "" {
		bad("success", "set the condition a healthy result meets, such as 'result < 0.01'")
	} else if p, err := compileCondition(qc.Success); err != nil {
		bad("success", "%v", err)
	} else {
		q.success = p
	}
	if strings.TrimSpace(qc.Failure) != "" {
		if p, err := compileCondition(qc.Failure); err != nil {
			bad("failure", "%v", err)
		} else {
			q.failure = p
		}
	}
	if q.window != 0 {
		if q.count != 0 || q.interval != 0 {
			bad("window", "evaluates the query once over the window: leave out count and interval")
		}
		if q.window < 0 {
			bad("window", "must be positive")
		}
		if q.step == 0 {
			q.step = defaultStep
		}
		if q.step < time.Second {
			bad("step", "at least 1s")
		} else if q.window > 0 && q.window/q.step > maxPoints {
			bad("step", "window/step is %d points; at most %d: make the step longer", q.window/q.step, maxPoints)
		}
	} else {
		if q.step != 0 {
			bad("step", "is only used with window")
		}
		if q.count == 0 {
			q.count = 1
		}
		if q.count < 0 || q.count > maxCount {
			bad("count", "want 1 to %d evaluations", maxCount)
		}
		if q.count > 1 && q.interval <= 0 {
			bad("count", "set interval, the time between the %d evaluations, such as 1m", q.count)
		}
		if wait := time.Duration(q.count-1) * q.interval; s.Timeout > 0 && q.count > 1 && wait >= s.Timeout {
			bad("interval", "the evaluations take (count - 1) × interval = %s, not less than the gate's timeout (%s)", wait, s.Timeout)
		}
		if q.count == 1 && q.interval != 0 {
			bad("interval", "is only used with a count above 1")
		}
		if q.failureLimit >= q.count && q.count > 0 {
			bad("failure-limit", "must be below count (%d): the analysis could pass with every evaluation failed", q.count)
		}
		if q.inconclusiveLimit >= q.count && q.count > 0 {
			bad("inconclusive-limit", "must be below count (%d)", q.count)
		}
	}
	if q.failureLimit < 0 {
		bad("failure-limit", "must not be negative")
	}
	if q.inconclusiveLimit < 0 {
		bad("inconclusive-limit", "must not be negative")
	}
	if q.maxSeries < 0 {
		bad("max-series", "must be positive")
	}
	if q.maxSeries == 0 {
		q.maxSeries = defaultMaxSeries
	}
	if q.lookback < 0 {
		bad("lookback", "must be positive")
	}
	if q.lookback == 0 {
		q.lookback = defaultLookback
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return q, nil
}

// labelNameOK reports whether s is a Prometheus label name.
func labelNameOK(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// parseDeployedAt reads deployed-at: an RFC 3339 time or Unix seconds.
func parseDeployedAt(text string) (time.Time, error) {
	if text == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, text); err == nil {
		return t, nil
	}
	if secs, err := strconv.ParseInt(text, 10, 64); err == nil && secs > 0 && secs < 1<<40 {
		return time.Unix(secs, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("deployed-at: want an RFC 3339 time such as 2026-11-27T15:04:05Z, or Unix seconds, got %s", quoteShort(text, 60))
}

// quoteShort quotes a value the configuration expanded when it is at most
// n bytes, and otherwise says only how long it is: one that long is wrong
// anyway, and a secret the value holds is masked only whole, so a part of
// it must not be shown.
func quoteShort(s string, n int) string {
	if len(s) > n {
		return fmt.Sprintf("a text of %d bytes", len(s))
	}
	return strconv.Quote(s)
}
