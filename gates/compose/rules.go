package compose

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/go-units"
	"gopkg.in/yaml.v3"

	"github.com/release-gate/release-gate/gates"
)

// sortedServices returns the project's active services in name order.
func sortedServices(p *types.Project) []types.ServiceConfig {
	names := p.ServiceNames()
	sort.Strings(names)
	out := make([]types.ServiceConfig, 0, len(names))
	for _, n := range names {
		out = append(out, p.Services[n])
	}
	return out
}

// healthcheckFields are the settings a complete healthcheck writes out, in
// compose's names, with Docker's silent defaults.
var healthcheckFields = []struct{ name, dflt string }{
	{"interval", "30s"}, {"timeout", "30s"}, {"retries", "3"}, {"start_period", "0s"},
}

// hasHealthcheck reports whether s declares a healthcheck that runs.
func hasHealthcheck(s types.ServiceConfig) bool {
	hc := s.HealthCheck
	return hc != nil && !hc.Disable && !(len(hc.Test) > 0 && strings.EqualFold(hc.Test[0], "NONE"))
}

// healthchecks: every service has a healthcheck that runs and writes out
// test, interval, timeout, retries and start_period.
func (g *Gate) healthchecks(lp *loadedProject, sev gates.Severity) []gates.Finding {
	var out []gates.Finding
	add := func(service string, keys []string, format string, args ...any) {
		pos := lp.src.pos(service, keys...)
		out = append(out, gates.Finding{Rule: ruleHealthcheck, Severity: sev, Pos: pos, Within: lp.src.within(service, pos), Message: fmt.Sprintf(format, args...)})
	}
	const fix = "healthcheck: {test: [CMD, ...], interval: 10s, timeout: 5s, retries: 5, start_period: 30s}"
	for _, s := range sortedServices(lp.model) {
		if slices.Contains(g.cfg.AllowNoHealthcheck, s.Name) {
			continue
		}
		hc := s.HealthCheck
		switch {
		case hc == nil:
			add(s.Name, nil, "service %s has no healthcheck: Docker cannot tell when it is ready, and services that depend on it cannot wait for it. Add %s (a HEALTHCHECK built into the image cannot be seen from the compose file; write it here so the file says what is checked), or list %s under allow-no-healthcheck if it is a one-shot job or a tool", s.Name, fix, s.Name)
			continue
		case hc.Disable:
			add(s.Name, []string{"healthcheck", "disable"}, "service %s disables its healthcheck (disable: true): Docker cannot tell when it is ready. Remove disable and write %s, or list %s under allow-no-healthcheck", s.Name, fix, s.Name)
			continue
		case len(hc.Test) > 0 && strings.EqualFold(hc.Test[0], "NONE"):
			add(s.Name, []string{"healthcheck", "test"}, "service %s disables its healthcheck (test: [NONE]), including any HEALTHCHECK of the image: Docker cannot tell when it is ready. Write a real test, or list %s under allow-no-healthcheck", s.Name, s.Name)
			continue
		}
		var missing []string
		if len(hc.Test) == 0 {
			missing = append(missing, "test (the image's HEALTHCHECK command would run, which this file cannot show)")
		}
		set := map[string]bool{"interval": hc.Interval != nil, "timeout": hc.Timeout != nil, "retries": hc.Retries != nil, "start_period": hc.StartPeriod != nil}
		var defaults []string
		for _, f := range healthcheckFields {
			if !set[f.name] {
				missing = append(missing, f.name)
				defaults = append(defaults, f.name+" "+f.dflt)
			}
		}
		if len(missing) == 0 {
			continue
		}
		msg := fmt.Sprintf("the healthcheck of service %s does not set %s", s.Name, joinAnd(missing))
		if len(defaults) > 0 {
			msg += fmt.Sprintf(": Docker's defaults (%s) would apply without anyone choosing them", strings.Join(defaults, ", "))
		}
		msg += "; write every setting out, as in " + fix
		add(s.Name, []string{"healthcheck"}, "%s", msg)
	}
	return out
}

// dependsOnHealthy: a dependency on a service with a healthcheck waits for
// it to be healthy (or, for a one-shot job, to complete).
func dependsOnHealthy(lp *loadedProject, sev gates.Severity) []gates.Finding {
	var out []gates.Finding
	for _, s := range sortedServices(lp.model) {
		deps := make([]string, 0, len(s.DependsOn))
		for d := range s.DependsOn {
			deps = append(deps, d)
		}
		sort.Strings(deps)
		for _, d := range deps {
			dep := s.DependsOn[d]
			target, ok := lp.model.Services[d]
			if !ok || !hasHealthcheck(target) {
				continue
			}
			switch dep.Condition {
			case types.ServiceConditionHealthy, types.ServiceConditionCompletedSuccessfully:
				continue
			}
			pos, short := dependsOnPos(lp.src, s.Name, d)
			how := fmt.Sprintf("condition: %s", dep.Condition)
			if short {
				how = "the short list syntax, which means condition: service_started"
			}
			out = append(out, gates.Finding{
				Rule: ruleDependsOnHealthy, Severity: sev, Pos: pos, Within: lp.src.within(s.Name, pos),
				Message: fmt.Sprintf("service %s depends on %s with %s: %s starts as soon as %s's container starts, before its healthcheck passes. Write depends_on: {%s: {condition: service_healthy}}", s.Name, d, how, s.Name, d, d),
			})
		}
	}
	return out
}

// dependsOnPos places a depends_on finding at the dependency's entry, and
// tells whether it is written with the short (list) syntax.
func dependsOnPos(src *sourceSet, service, dep string) (gates.Pos, bool) {
	f, v := src.node(service, "depends_on")
	if v != nil && v.Kind == yaml.SequenceNode {
		for _, item := range v.Content {
			if item = resolve(item); item.Kind == yaml.ScalarNode && item.Value == dep {
				return f.pos(item), true
			}
		}
		return f.pos(v), true
	}
	return src.pos(service, "depends_on", dep, "condition"), false
}

// logDriverDefault is the driver of a service that names none.
const logDriverDefault = "json-file"

// logging: every service's logs rotate: json-file or local with max-size
// and max-file, or a driver the configuration allows.
func (g *Gate) logging(lp *loadedProject, sev gates.Severity) []gates.Finding {
	var out []gates.Finding
	add := func(service string, keys []string, format string, args ...any) {
		pos := lp.src.pos(service, keys...)
		out = append(out, gates.Finding{Rule: ruleLogging, Severity: sev, Pos: pos, Within: lp.src.within(service, pos), Message: fmt.Sprintf(format, args...)})
	}
	const fix = `logging: {driver: json-file, options: {max-size: "10m", max-file: "3"}}`
	for _, s := range sortedServices(lp.model) {
		driver, opts := "", types.Options(nil)
		if s.Logging != nil {
			driver, opts = s.Logging.Driver, s.Logging.Options
		}
		if slices.Contains(g.cfg.AllowedLogDrivers, driver) {
			continue
		}
		if s.Logging == nil || (driver == "" && len(opts) == 0) {
			add(s.Name, []string{"logging"}, "service %s sets no logging: Docker's default json-file driver keeps every log line until the disk is full (unless the host's daemon.json sets log-opts, which this file cannot show). Add %s", s.Name, fix)
			continue
		}
		if driver == "" {
			driver = logDriverDefault
		}
		if driver != "json-file" && driver != "local" {
			add(s.Name, []string{"logging", "driver"}, "service %s logs with the %s driver, which is neither json-file nor local with rotation, nor in allowed-log-drivers. Use %s, or add %s to allowed-log-drivers if it ships logs off the host", s.Name, strconv.Quote(driver), fix, driver)
			continue
		}
		var problems []string
		if p := checkMaxSize(opts); p != "" {
			problems = append(problems, p)
		}
		if p := checkMaxFile(opts); p != "" {
			problems = append(problems, p)
		}
		if len(problems) == 0 {
			continue
		}
		keys := []string{"logging", "options"}
		if len(problems) == 1 {
			for _, k := range []string{"max-size", "max-file"} {
				if _, set := opts[k]; set && strings.HasPrefix(problems[0], k) {
					keys = append(keys, k)
				}
			}
		}
		add(s.Name, keys, "service %s logs with %s but %s, so its log can fill the disk. Use %s", s.Name, driver, joinAnd(problems), fix)
	}
	return out
}

func checkMaxSize(opts types.Options) string {
	v, ok := opts["max-size"]
	switch {
	case !ok:
		return "max-size is not set"
	case strings.TrimSpace(v) == "":
		return "max-size is empty (a variable that is not set here?)"
	case strings.TrimSpace(v) == "-1":
		return "max-size is -1 (unlimited)"
	}
	n, err := units.RAMInBytes(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return "max-size is not a size such as 10m"
	}
	return ""
}

func checkMaxFile(opts types.Options) string {
	v, ok := opts["max-file"]
	switch {
	case !ok:
		return "max-file is not set"
	case strings.TrimSpace(v) == "":
		return "max-file is empty (a variable that is not set here?)"
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		return "max-file is not a whole number of files, 1 or more"
	}
	return ""
}

// joinAnd joins a, b and c.
func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
