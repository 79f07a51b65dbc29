package compose

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/release-gate/release-gate/internal/plural"
	"github.com/release-gate/release-gate/internal/wsfile"

	"github.com/release-gate/release-gate/gates"
)

// Gate is the compose gate.
type Gate struct {
	cfg          Config
	files        []string // globs
	defaultFiles bool     // files are the default names: none found is an error of its own
	profiles     []string
	levels       map[string]Level
}

// Name implements gates.Gate.
func (g *Gate) Name() string { return Name }

// Run implements gates.Gate.
func (g *Gate) Run(ctx context.Context, env *gates.Env) ([]gates.Finding, error) {
	sink := &logSink{}
	stop := captureLogs(sink)
	used := types.Mapping{} // every variable value interpolated: never quoted
	var sb *sandbox
	defer func() {
		stop()
		hider := newValueHider(used)
		for _, m := range sink.messages() {
			if sb != nil {
				m = sb.unsandboxed(m)
			}
			env.Notef("docker compose would warn: %s", hider.hide(strings.ReplaceAll(m, env.Workspace+string(filepath.Separator), "")))
		}
	}()
	projects, err := g.discover(ctx, env.Workspace)
	if err != nil {
		return nil, err
	}
	ws, err := wsfile.Open(env.Workspace)
	if err != nil {
		return nil, fmt.Errorf("opening the workspace: %w", err)
	}
	defer ws.Close()
	if sb, err = newSandbox(); err != nil {
		return nil, err
	}
	defer func() { _ = sb.remove() }() // a temporary directory: nothing of the verdict in it
	var (
		findings []gates.Finding
		errs     []error
		services int
		loaded   []*loadedProject
	)
	for _, pf := range projects {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		lp, err := load(ctx, ws, sb, pf, env.Getenv, g.profiles, used)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		loaded = append(loaded, lp)
		services += len(lp.model.Services)
		g.noteProject(env, lp)
		findings = append(findings, g.checkProject(lp)...)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if sev, on := g.levels[ruleEnvironmentSecrets].severity(); on {
		fs, err := environmentSecrets(ctx, loaded, sev)
		if err != nil {
			return findings, err
		}
		findings = append(findings, fs...)
	}
	g.noteUnusedExceptions(env, loaded)
	hider := newValueHider(used)
	for i := range findings {
		findings[i].Message = hider.hide(findings[i].Message)
	}
	sortFindings(findings)
	findings = dedupe(findings)
	if len(errs) > 0 {
		return findings, errors.Join(errs...)
	}
	if services == 0 {
		why := "they define none"
		for _, lp := range loaded {
			if !lp.allProf {
				why = "none is active with " + profilesText(lp)
				break
			}
		}
		return findings, fmt.Errorf("no service to check in %s: %s", plural.Count(len(loaded), "compose project"), why)
	}
	g.summarize(env, findings, services, len(loaded))
	return findings, nil
}

// profilesText says which profiles are active in lp and, when they do not
// come from the config, where they come from.
func profilesText(lp *loadedProject) string {
	s := "profiles: [" + strings.Join(lp.profiles, ", ") + "]"
	if lp.profilesFrom != "" {
		s += " (from " + lp.profilesFrom + "; set profiles: in the config to choose others)"
	}
	return s
}

// checkProject applies the per-service rules.
func (g *Gate) checkProject(lp *loadedProject) []gates.Finding {
	var out []gates.Finding
	if sev, on := g.levels[ruleHealthcheck].severity(); on {
		out = append(out, g.healthchecks(lp, sev)...)
	}
	if sev, on := g.levels[ruleDependsOnHealthy].severity(); on {
		out = append(out, dependsOnHealthy(lp, sev)...)
	}
	if sev, on := g.levels[ruleLogging].severity(); on {
		out = append(out, g.logging(lp, sev)...)
	}
	return out
}

// noteProject records what was loaded, so a reader sees what the verdict
// covers.
func (g *Gate) noteProject(env *gates.Env, lp *loadedProject) {
	names := lp.model.ServiceNames()
	sort.Strings(names)
	profiles := "every profile"
	if !lp.allProf {
		profiles = profilesText(lp)
	}
	env.Notef("%s: %d service(s) checked (%s): %s", lp.files, len(names), profiles, orNone(names))
	if disabled := lp.model.DisabledServiceNames(); len(disabled) > 0 {
		sort.Strings(disabled)
		env.Notef("%s: not checked, their profiles are not active: %s", lp.files, strings.Join(disabled, ", "))
	}
	if len(lp.unset) > 0 {
		env.Notef("%s: variables not set where the gate runs (interpolated as their default, or empty): %s", lp.files, strings.Join(lp.unset, ", "))
	}
	if lp.dotenv != "" {
		env.Notef("%s: variables for interpolation also read from %s", lp.files, lp.dotenv)
	}
}

// noteUnusedExceptions points out allow-no-healthcheck entries that name no
// service: a typo there would otherwise go unnoticed.
func (g *Gate) noteUnusedExceptions(env *gates.Env, loaded []*loadedProject) {
	for _, name := range g.cfg.AllowNoHealthcheck {
		found := false
		for _, lp := range loaded {
			if _, err := lp.model.GetService(name); err == nil {
				found = true
				break
			}
			if slices.Contains(lp.model.DisabledServiceNames(), name) {
				found = true
				break
			}
		}
		if !found && len(loaded) > 0 {
			env.Notef("allow-no-healthcheck names %q, which no compose project defines", name)
		}
	}
}

func (g *Gate) summarize(env *gates.Env, findings []gates.Finding, services, projects int) {
	var active []string
	for _, r := range []string{ruleHealthcheck, ruleDependsOnHealthy, ruleLogging, ruleEnvironmentSecrets} {
		if g.levels[r] != LevelOff {
			active = append(active, r)
		}
	}
	what := fmt.Sprintf("%s in %s", plural.Count(services, "service"), plural.Count(projects, "compose project"))
	byRule := map[string]int{}
	errs := 0
	for _, f := range findings {
		byRule[f.Rule]++
		if f.Severity == gates.SeverityError {
			errs++
		}
	}
	if len(findings) == 0 {
		env.SetSummary("%s meet %s", what, strings.Join(active, ", "))
		return
	}
	var parts []string
	for _, r := range []string{ruleHealthcheck, ruleDependsOnHealthy, ruleLogging, ruleEnvironmentSecrets} {
		if n := byRule[r]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", r, n))
		}
	}
	env.SetSummary("%s in %s: %s", plural.Count(len(findings), "problem"), what, strings.Join(parts, ", "))
}

func sortFindings(fs []gates.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i].Pos, fs[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return fs[i].Rule < fs[j].Rule
	})
}

// dedupe drops repeated findings (sorted): a file that two projects
// include or extend is reported once, concerning every file it did (see
// gates.Finding.Within).
func dedupe(fs []gates.Finding) []gates.Finding {
	out := fs[:0]
	for _, f := range fs {
		// Sorted by place and rule: a repeat is in the run of findings
		// with f's, at the end of out.
		i := -1
		for j := len(out) - 1; j >= 0 && out[j].Pos == f.Pos && out[j].Rule == f.Rule; j-- {
			if sameFinding(out[j], f) {
				i = j
				break
			}
		}
		if i < 0 {
			out = append(out, f)
			continue
		}
		for _, w := range f.Within {
			if !slices.Contains(out[i].Within, w) {
				out[i].Within = append(out[i].Within, w)
			}
		}
		slices.Sort(out[i].Within)
	}
	return out
}

// sameFinding reports whether a and b are one finding but for Within.
func sameFinding(a, b gates.Finding) bool {
	a.Within, b.Within = nil, nil
	return reflect.DeepEqual(a, b)
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
