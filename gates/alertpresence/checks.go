package alertpresence

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/httpsafe"
	"github.com/release-gate/release-gate/internal/plural"
	"github.com/release-gate/release-gate/internal/promapi"
)

// Finding rule ids, one per check.
const (
	ruleCategoryMissing = "category-missing"
	ruleUnhealthy       = "rule-unhealthy"
	ruleNotEvaluated    = "rule-not-evaluated"
	ruleNoAlertmanager  = "no-alertmanager"
	ruleSilenced        = "silenced"
	ruleInhibited       = "inhibited"
	rulePartlyInhibited = "partly-inhibited"
	rulePartlySilenced  = "partly-silenced"
	ruleSilencePending  = "silence-pending"
	ruleRouteBlackhole  = "route-blackhole"
	ruleRouteUncertain  = "route-uncertain"
	ruleInvalidRule     = "invalid-rule"
	ruleUnreadableExpr  = "unreadable-expr"
	ruleUnknownCategory = "unknown-category"
)

const (
	// maxNamesInNote bounds the rule names listed in one line.
	maxNamesInNote = 8
	// evalIntervalsAllowed is how many group intervals a rule may go
	// unevaluated by default.
	evalIntervalsAllowed = 3
	// maxClockSkew is how far a server's timestamp (a rule's last
	// evaluation, a silence's start) may be ahead of this machine's clock
	// before it is an error rather than "just now": NTP keeps clocks within
	// seconds, and a few minutes cover a slow one.
	maxClockSkew = 5 * time.Minute
)

// run is the state of one run of the gate.
type run struct {
	st       *settings
	env      *gates.Env
	cl       *classifier
	rc       regexCache
	findings []gates.Finding
	sources  []*source
	// subjects lists, per failed check, the rules it failed (for the
	// summary), and problemOrder the checks in the order they failed.
	subjects     map[string][]string
	problemOrder []string
	// blocking holds, per covering rule, what keeps it from notifying
	// anyone (unhealthy, silenced, inhibited, routed nowhere). Whether
	// that fails the gate depends on the rule's categories: see decide.
	blocking map[*Rule][]gates.Finding
	// ctx is the context of the redaction of what the gate shows (see
	// shown).
	ctx context.Context
}

// shown is text the gate shows (a finding, a note, the summary, its
// error) with what gitleaks' default rules find in it, and a URL's
// password, cut out. Rule names, labels, expressions, evaluation errors,
// warnings, silences and receivers come from servers or from rule files,
// and a silence's comment is free text anyone with access to the
// Alertmanager may paste a token into. The secrets the requests carry are
// masked already (see credential).
func (r *run) shown(s string) string { return promapi.Redact(r.ctx, s, nil) }

// notef adds a note to the gate's details, shown (see shown).
func (r *run) notef(format string, args ...any) {
	r.env.Notef("%s", r.shown(fmt.Sprintf(format, args...)))
}

// redactFindings passes the text of every finding through shown.
func (r *run) redactFindings() {
	for i := range r.findings {
		f := &r.findings[i]
		f.Message = r.shown(f.Message)
		if f.Labels != nil {
			ls := make(map[string]string, len(f.Labels))
			for k, v := range f.Labels {
				ls[k] = r.shown(v)
			}
			f.Labels = ls
		}
	}
}

// source is one place rules come from, analysed.
type source struct {
	name  string // "rule files" or "Prometheus https://..."
	live  bool
	rules []*Rule
	an    *analysis
	// alerts counts alerting rules; scope lists those the selector chose.
	alerts int
	scope  []int
	// covering holds, per required category (in st.require order), the
	// alerting rules in scope that cover it, and effective those of them
	// nothing keeps from notifying someone.
	covering  [][]int
	effective [][]int
}

// The slots of a run's requests (see fanout), in the order the gate
// reports their errors: the order in which it reads their answers.
const (
	slotFiles    = iota // the rule files, read from the workspace
	slotRules           // GET /api/v1/rules
	slotActive          // GET /api/v1/alertmanagers
	slotSilences        // GET /api/v2/silences
	slotStatus          // GET /api/v2/status
	slotAlerts          // GET /api/v2/alerts, once the status has inhibit rules
	numSlots
)

// answers is what the requests of a run brought back; f holds their
// errors. A field is read only once f.err of its slot is nil.
type answers struct {
	f        *fanout
	files    *fileSource
	rules    *liveRules
	active   []string
	dropped  int
	silences []silence
	routing  *routing
	alerts   []firingAlert
}

// fetch makes every request of a run at once, and reads the rule files
// meanwhile. Only /api/v2/alerts waits for an answer (the status's inhibit
// rules say whether it is needed); it is sent as soon as that answer is
// read, whatever the others are doing. The credentials are read (and
// masked) before any request; one that is missing fails its slot, so no
// request after it in the order is made.
func (r *run) fetch(ctx context.Context) *answers {
	a := &answers{f: newFanout(ctx, numSlots)}
	f := a.f
	var prom, am *apiClient
	if r.st.prometheus != nil {
		var err error
		if prom, err = r.client(r.st.prometheus, "Prometheus", "token-env", r.st.tokenEnv); err != nil {
			f.fail(slotRules, err)
		}
	}
	if r.st.alertmanager != nil {
		var err error
		if am, err = r.client(r.st.alertmanager, "Alertmanager", "alertmanager-token-env", r.st.amTokenEnv); err != nil {
			f.fail(slotSilences, err)
		}
	}
	if len(r.st.files) > 0 {
		f.start(slotFiles, func(ctx context.Context) (err error) {
			a.files, err = loadFiles(ctx, r.env.Workspace, r.st.files)
			return err
		})
	}
	if prom != nil {
		f.start(slotRules, func(ctx context.Context) (err error) {
			a.rules, err = fetchRules(ctx, prom)
			return err
		})
		if r.st.checkActive {
			f.start(slotActive, func(ctx context.Context) (err error) {
				a.active, a.dropped, err = fetchActiveAlertmanagers(ctx, prom)
				return err
			})
		}
	}
	if am != nil {
		f.start(slotSilences, func(ctx context.Context) (err error) {
			a.silences, err = fetchSilences(ctx, am)
			return err
		})
		f.start(slotStatus, func(ctx context.Context) error {
			rt, err := fetchRouting(ctx, am)
			if err != nil {
				return err
			}
			a.routing = rt
			if len(rt.inhibits) > 0 {
				f.start(slotAlerts, func(ctx context.Context) (err error) {
					a.alerts, err = fetchAlerts(ctx, am)
					return err
				})
			}
			return nil
		})
	}
	if p := f.wait(); p != nil {
		r.env.NoteStack("the panic in a request", p.stack)
		panic(p.value)
	}
	return a
}

// collect reads the answers of every configured source, in a fixed order:
// the rule files, then the rules API and Prometheus' Alertmanagers. The
// first error in that order is the run's, whichever request failed first.
func (r *run) collect(a *answers) error {
	if len(r.st.files) > 0 {
		if err := a.f.err(slotFiles); err != nil {
			return err
		}
		fs := a.files
		for _, p := range fs.problems {
			r.report(p, "")
		}
		r.notef("rule files: %d file(s) matched %s, %d held rule groups, %d rules",
			len(fs.files), strings.Join(r.st.files, ", "), fs.ruleFiles, len(fs.rules))
		r.sources = append(r.sources, &source{name: "rule files", rules: fs.rules})
	}
	if r.st.prometheus != nil {
		if err := a.f.err(slotRules); err != nil {
			return err
		}
		lr := a.rules
		name := "Prometheus " + r.st.prometheus.Redacted()
		r.notef("%s: %d rules loaded", name, len(lr.rules))
		for _, w := range lr.warnings {
			r.notef("%s warned: %s (rules may be missing from its answer)", name, w)
		}
		if lr.skipped > 0 {
			r.notef("%s: %d rules of an unknown type were left out", name, lr.skipped)
		}
		r.sources = append(r.sources, &source{name: name, live: true, rules: lr.rules})
		if r.st.checkActive {
			if err := a.f.err(slotActive); err != nil {
				return err
			}
			active, dropped := a.active, a.dropped
			if len(active) == 0 {
				msg := fmt.Sprintf("%s has no active Alertmanager: its alerts fire into the void and notify nobody", name)
				if dropped > 0 {
					msg += fmt.Sprintf(" (%d discovered Alertmanagers were dropped by relabelling)", dropped)
				}
				r.report(gates.Finding{Rule: ruleNoAlertmanager, Severity: gates.SeverityError,
					Message: msg + "; configure alerting.alertmanagers in Prometheus and check it can reach them"}, "")
			} else {
				r.notef("%s sends alerts to %s", name, strings.Join(active, ", "))
			}
		}
	}
	return nil
}

// client builds an API client, reading and masking its credentials.
func (r *run) client(u *url.URL, server, key, tokenEnv string) (*apiClient, error) {
	if pw, ok := u.User.Password(); ok {
		r.env.Mask(pw)
	}
	tok, err := promapi.BearerToken(r.env.Getenv, r.env.Mask, key, tokenEnv)
	if err != nil {
		return nil, err
	}
	// The token, the tenant and user:password never follow a redirect to
	// another origin.
	return newAPIClient(httpsafe.Client(r.env.HTTPClient), u, server, r.st.tenant, tok), nil
}

// checkSources classifies each source's rules, checks coverage and, in live
// mode, health and evaluation.
func (r *run) checkSources() error {
	if len(r.st.selector) == 0 {
		r.notef("no selector: every alerting rule counts; set selector (e.g. {service: api}) to require alerts for this service")
	}
	for _, s := range r.sources {
		s.an = analyze(s.rules, r.cl)
		// Prometheus refuses to load a rule file with an expression it
		// cannot parse: none of that file's rules would run, so none
		// covers a category. (Live, the rules are what Prometheus loaded.)
		refused := map[string]bool{}
		if !s.live {
			for i, rule := range s.rules {
				if s.an.facts[i].exprErr != nil {
					refused[rule.File] = true
				}
			}
		}
		for i, rule := range s.rules {
			f := &s.an.facts[i]
			if rule.Alert {
				s.alerts++
			}
			inScope := rule.Alert && r.st.selector.matches(rule.Labels, f.matchers, &r.rc)
			if f.exprErr != nil && (inScope || !s.live) {
				msg := fmt.Sprintf("%s: could not read the expression (%v); it counts for no category unless labelled %s", rule.describe(), f.exprErr, overrideLabel)
				if !s.live {
					msg = fmt.Sprintf("%s: could not read the expression (%v); Prometheus refuses to load a rule file with an expression its parser cannot read, so no rule of %s counts for any category", rule.describe(), f.exprErr, rule.File)
				}
				r.report(gates.Finding{Rule: ruleUnreadableExpr, Severity: gates.SeverityWarning, Pos: exprPos(rule), Message: msg}, rule.Name)
			}
			if refused[rule.File] {
				continue
			}
			if !inScope {
				continue
			}
			s.scope = append(s.scope, i)
			if len(f.badOverride) > 0 {
				r.report(gates.Finding{Rule: ruleUnknownCategory, Severity: gates.SeverityWarning, Pos: rule.Pos,
					Message: fmt.Sprintf("%s: label %s names unknown categories %s; known: %s", rule.describe(), overrideLabel,
						strings.Join(f.badOverride, ", "), strings.Join(categoryNames(r.cl.cats), ", "))}, rule.Name)
			}
		}
		r.notef("%s: %d of %d alerting rules in scope%s", s.name, len(s.scope), s.alerts, r.scopeText())
		s.covering = make([][]int, len(r.st.require))
		for c, name := range r.st.require {
			bit := r.cl.bit(name)
			for _, i := range s.scope {
				if s.an.facts[i].cats&bit != 0 {
					s.covering[c] = append(s.covering[c], i)
				}
			}
			r.coverage(s, c, name)
		}
		if s.live {
			if err := r.checkLive(s); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *run) scopeText() string {
	if len(r.st.selector) == 0 {
		return ""
	}
	return " for " + r.st.selector.String()
}

func exprPos(rule *Rule) gates.Pos {
	if rule.Pos.File == "" {
		return gates.Pos{}
	}
	if rule.ExprLine > 0 {
		return gates.Pos{File: rule.Pos.File, Line: rule.ExprLine}
	}
	return rule.Pos
}

// coverage notes the rules covering category c, or reports it missing.
func (r *run) coverage(s *source, c int, name string) {
	cov := s.covering[c]
	if len(cov) > 0 {
		names := make([]string, 0, len(cov))
		bit := r.cl.bit(name)
		for _, i := range cov {
			d := s.rules[i].describe()
			if s.an.facts[i].overridden {
				d += " [" + overrideLabel + "]"
			} else if ev := s.an.facts[i].evidence[bit]; ev != "" {
				d += " [" + ev + "]"
			}
			names = append(names, d)
		}
		r.notef("%s — %s: %s", name, s.name, listNames(names))
		r.notIgnored(s, name)
		return
	}
	r.notIgnored(s, name)
	cat := r.cl.cats[r.cl.byName[name]]
	looked := strings.Join(cat.lookedFor, ", or ")
	r.notef("%s — %s: none; looked for %s", name, s.name, looked)
	var scope string
	switch {
	case len(s.scope) == 0 && len(r.st.selector) > 0:
		scope = fmt.Sprintf("; no alerting rule matches the selector %s (of %d alerting rules): check the selector or the rules' labels", r.st.selector, s.alerts)
	case len(s.scope) > 0:
		names := make([]string, 0, len(s.scope))
		for _, i := range s.scope {
			names = append(names, s.rules[i].Name)
		}
		scope = fmt.Sprintf("; alerting rules in scope: %s", listNames(names))
	default:
		scope = "; there are no alerting rules"
	}
	r.report(gates.Finding{Rule: ruleCategoryMissing, Severity: gates.SeverityError, Labels: map[string]string{"category": name},
		Message: fmt.Sprintf("no %s alert%s in %s: looked for an alerting rule reading %s%s. Add one, or label an existing alerting rule %s: %s",
			name, r.scopeText(), s.name, looked, scope, overrideLabel, name)}, "")
}

// notIgnored notes the rules in scope that read the category but do not
// count for it, and why (under-utilisation, a state gauge).
func (r *run) notIgnored(s *source, name string) {
	bit := r.cl.bit(name)
	for _, i := range s.scope {
		f := &s.an.facts[i]
		if why := f.ignored[bit]; why != "" && f.cats&bit == 0 {
			r.notef("%s — %s: %s does not count: %s", name, s.name, s.rules[i].describe(), why)
		}
	}
}

// checkLive checks that every covering rule is healthy and was evaluated
// recently. A rule evaluated later than this machine's clock allows is an
// error: its age, and so its health, is unknown.
func (r *run) checkLive(s *source) error {
	now := r.env.Now()
	for _, i := range coveringRules(s) {
		rule := s.rules[i]
		if ahead := rule.LastEval.Sub(now); ahead > maxClockSkew {
			return fmt.Errorf("%s in %s was last evaluated at %s, %s after this machine's clock (%s), more than the %s of clock skew allowed: check the clocks of the rule evaluator and of this runner",
				rule.describe(), s.name, rule.LastEval.UTC().Format(time.RFC3339), ahead.Round(time.Second), now.UTC().Format(time.RFC3339), maxClockSkew)
		}
		switch {
		case rule.Health == "err":
			r.block(rule, gates.Finding{Rule: ruleUnhealthy, Severity: gates.SeverityError,
				Message: fmt.Sprintf("%s in %s fails to evaluate (health err): %s; it can never fire: fix the expression",
					rule.describe(), s.name, firstLineOf(rule.LastError))})
		case rule.Health != "ok" || rule.LastEval.IsZero():
			health := rule.Health
			if health == "" {
				health = "not reported"
			}
			r.block(rule, gates.Finding{Rule: ruleNotEvaluated, Severity: gates.SeverityError,
				Message: fmt.Sprintf("%s in %s has not been evaluated yet (health %s); wait for its first evaluation, or check the rule group is running",
					rule.describe(), s.name, health)})
		default:
			limit := r.st.maxEvalAge
			if limit == 0 {
				limit = max(minEvalAge, evalIntervalsAllowed*rule.Interval)
			}
			if age := now.Sub(rule.LastEval); age > limit {
				r.block(rule, gates.Finding{Rule: ruleNotEvaluated, Severity: gates.SeverityError,
					Message: fmt.Sprintf("%s in %s was last evaluated %s ago (at %s), more than %s: its rule group is stuck or the server stopped evaluating",
						rule.describe(), s.name, age.Round(time.Second), rule.LastEval.UTC().Format(time.RFC3339), limit)})
			}
		}
	}
	return nil
}

// coveringRules lists each covering rule of a source once, in rule order.
func coveringRules(s *source) []int {
	seen := map[int]bool{}
	for _, cov := range s.covering {
		for _, i := range cov {
			seen[i] = true
		}
	}
	var out []int
	for i := range s.rules {
		if seen[i] {
			out = append(out, i)
		}
	}
	return out
}

// checkAlertmanager checks, with the Alertmanager's answers, that no active
// silence mutes a covering rule and that each reaches a receiver that
// notifies someone. Its errors come in the order the requests were once
// made: silences, status, alerts.
func (r *run) checkAlertmanager(a *answers) error {
	if err := a.f.err(slotSilences); err != nil {
		return err
	}
	if err := a.f.err(slotStatus); err != nil {
		return err
	}
	silences, rt := a.silences, a.routing
	now := r.env.Now()
	active := 0
	for _, sl := range silences {
		if sl.State == stateActive {
			active++
		}
	}
	r.notef("Alertmanager %s: %s", r.st.alertmanager.Redacted(), plural.Count(active, "active silence"))
	var firing []firingAlert
	if len(rt.inhibits) > 0 {
		if err := a.f.err(slotAlerts); err != nil {
			return err
		}
		firing = append(firing, a.alerts...)
		for _, s := range r.sources {
			for i, rule := range s.rules {
				if rule.Alert && s.an.facts[i].constant && s.an.facts[i].exprErr == nil {
					firing = append(firing, firingAlert{labels: rule.alertLabels(),
						what: fmt.Sprintf("alerting rule %s, which fires always (%s)", rule.describe(), firstLineOf(rule.Expr))})
				}
			}
		}
		r.notef("Alertmanager %s: %s, %s that may inhibit", r.st.alertmanager.Redacted(),
			plural.Count(len(rt.inhibits), "inhibit rule"), plural.Count(len(firing), "firing or always-firing alert"))
	}
	sources := sourcesOf(rt.inhibits, firing)
	// A rule with the same name and labels in two sources (a file and the
	// server that loaded it) is checked once; both get the verdict.
	checked := map[string][]gates.Finding{}
	for _, s := range r.sources {
		for _, i := range coveringRules(s) {
			rule := s.rules[i]
			if prev, ok := checked[rule.labelKey()]; ok {
				for _, f := range prev {
					r.block(rule, f)
				}
				continue
			}
			before := len(r.blocking[rule])
			known := rule.alertLabels()
			likely := likelyLabels(s.an.facts[i].matchers)
			for _, sl := range silences {
				verdict := silenceApplies(sl, known, likely)
				if verdict == silenceNone {
					continue
				}
				mutes, err := mutesNow(sl, now)
				if err != nil {
					return fmt.Errorf("judging whether %s is silenced: %w", rule.describe(), err)
				}
				switch {
				case !mutes && sl.State == statePending:
					r.report(gates.Finding{Rule: ruleSilencePending, Severity: gates.SeverityWarning, Pos: rule.Pos,
						Message: fmt.Sprintf("%s will be silenced from %s by %s", rule.describe(), sl.StartsAt.UTC().Format(time.RFC3339), describeSilence(sl, now))}, rule.Name)
				case !mutes:
				case verdict == silenceWhole:
					r.block(rule, gates.Finding{Rule: ruleSilenced, Severity: gates.SeverityError, Pos: rule.Pos,
						Message: fmt.Sprintf("%s is silenced by %s: it notifies nobody until the silence ends; expire the silence (amtool silence expire %s) or release after it ends",
							rule.describe(), describeSilence(sl, now), sl.ID)})
				default:
					r.report(gates.Finding{Rule: rulePartlySilenced, Severity: gates.SeverityWarning, Pos: rule.Pos,
						Message: fmt.Sprintf("%s is partly silenced by %s: its alerts for matching series notify nobody",
							rule.describe(), describeSilence(sl, now))}, rule.Name)
				}
			}
			for k, ir := range rt.inhibits {
				verdict, by := inhibition(ir, known, likely, s.an.facts[i].constant, sources[k])
				switch verdict {
				case silenceWhole:
					r.block(rule, gates.Finding{Rule: ruleInhibited, Severity: gates.SeverityError, Pos: rule.Pos,
						Message: fmt.Sprintf("%s is muted by %s while %s fires: it notifies nobody; narrow the inhibit rule's source or equal labels, or stop the source alert",
							rule.describe(), describeInhibit(ir), by.what)})
				case silencePartly:
					r.report(gates.Finding{Rule: rulePartlyInhibited, Severity: gates.SeverityWarning, Pos: rule.Pos,
						Message: fmt.Sprintf("%s may be muted by %s while %s fires, depending on labels only the firing series carry",
							rule.describe(), describeInhibit(ir), by.what)}, rule.Name)
				}
			}
			r.checkRoute(rt, rule, known)
			checked[rule.labelKey()] = append([]gates.Finding(nil), r.blocking[rule][before:]...)
		}
	}
	return nil
}

// block records what keeps a covering rule from notifying anyone.
func (r *run) block(rule *Rule, f gates.Finding) {
	if r.blocking == nil {
		r.blocking = map[*Rule][]gates.Finding{}
	}
	r.blocking[rule] = append(r.blocking[rule], f)
}

// decide turns what blocks covering rules into findings. A category is
// covered when at least one of its rules (for this service, in this
// source) has nothing blocking it: that rule notifies someone. The
// problems of the other rules of a covered category are warnings that
// name the rule that covers it; a rule that leaves a category uncovered
// fails the gate.
func (r *run) decide() {
	for _, s := range r.sources {
		s.effective = make([][]int, len(r.st.require))
		for c := range r.st.require {
			for _, i := range s.covering[c] {
				if len(r.blocking[s.rules[i]]) == 0 {
					s.effective[c] = append(s.effective[c], i)
				}
			}
		}
		// The categories each rule covers, and what keeps each category
		// covered, worked out once: a source may have thousands of
		// blocked rules in one category.
		cats := map[int][]int{}
		for c := range r.st.require {
			for _, i := range s.covering[c] {
				if len(cats[i]) == 0 || cats[i][len(cats[i])-1] != c {
					cats[i] = append(cats[i], c)
				}
			}
		}
		coveredBy := make([]string, len(r.st.require))
		for _, i := range coveringRules(s) {
			rule := s.rules[i]
			fs := r.blocking[rule]
			if len(fs) == 0 {
				continue
			}
			var uncovered, covered []string
			for _, c := range cats[i] {
				name := r.st.require[c]
				if len(s.effective[c]) == 0 {
					uncovered = append(uncovered, name)
					continue
				}
				if coveredBy[c] == "" {
					coveredBy[c] = fmt.Sprintf("%s stays covered by %s", name, describeRules(s, s.effective[c]))
				}
				covered = append(covered, coveredBy[c])
			}
			for _, f := range fs {
				if len(uncovered) == 0 {
					f.Severity = gates.SeverityWarning
					f.Message += "; not blocking: " + strings.Join(covered, "; ")
				} else {
					f.Message += fmt.Sprintf("; no other rule covers %s", strings.Join(uncovered, ", "))
				}
				r.report(f, rule.Name)
			}
		}
	}
}

// describeRules lists the rules of s at indexes as listNames lists their
// descriptions, describing only the ones it shows.
func describeRules(s *source, indexes []int) string {
	return plural.First(len(indexes), maxNamesInNote, func(k int) string { return s.rules[indexes[k]].describe() })
}

// checkRoute routes a rule's alerts through the tree and reports receivers
// that notify nobody.
func (r *run) checkRoute(rt *routing, rule *Rule, known map[string]string) {
	outs, complete := rt.outcomes(known, &r.rc)
	var silent, loud []routeOutcome
	for _, o := range outs {
		if rt.notifies(o) {
			loud = append(loud, o)
		} else {
			silent = append(silent, o)
		}
	}
	switch {
	case len(loud) == 0:
		r.block(rule, gates.Finding{Rule: ruleRouteBlackhole, Severity: gates.SeverityError, Pos: rule.Pos,
			Message: fmt.Sprintf("%s is routed to %s, which has no integrations (no *_configs): nobody is notified; route it to a receiver with email_configs, slack_configs, pagerduty_configs, webhook_configs or the like",
				rule.describe(), receiverList(silent))})
	case len(silent) > 0:
		var assumed []string
		for _, o := range silent {
			for _, a := range o.assumed {
				assumed = appendUnique(assumed, a)
			}
		}
		r.report(gates.Finding{Rule: ruleRouteUncertain, Severity: gates.SeverityWarning, Pos: rule.Pos,
			Message: fmt.Sprintf("%s may be routed to %s, which has no integrations, depending on labels only the firing series carry (%s); set them in the rule's labels to make the route certain",
				rule.describe(), receiverList(silent), strings.Join(assumed, ", "))}, rule.Name)
	default:
		r.notef("%s → %s", rule.describe(), receiverList(loud))
	}
	if !complete {
		r.report(gates.Finding{Rule: ruleRouteUncertain, Severity: gates.SeverityWarning, Pos: rule.Pos,
			Message: fmt.Sprintf("%s: the route tree has too many ways depending on unknown labels to check them all", rule.describe())}, rule.Name)
	}
}

// receiverList names the receivers of routing outcomes: receiver "a", "b".
func receiverList(outs []routeOutcome) string {
	var names []string
	seen := map[string]bool{}
	for _, o := range outs {
		for _, rc := range o.receivers {
			if q := fmt.Sprintf("%q", rc); !seen[q] {
				seen[q] = true
				names = append(names, q)
			}
		}
	}
	if len(names) == 1 {
		return "receiver " + names[0]
	}
	return "receivers " + strings.Join(names, ", ")
}

// listNames lists the first maxNamesInNote names and counts the rest.
func listNames(names []string) string {
	return plural.First(len(names), maxNamesInNote, func(k int) string { return names[k] })
}

func firstLineOf(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}
