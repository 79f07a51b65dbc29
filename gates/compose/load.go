package compose

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/consts"
	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/wsfile"
)

// loadedProject is a project as docker compose config would see it.
type loadedProject struct {
	files   projectFiles
	src     *sourceSet
	model   *types.Project
	unset   []string // variables not set where the gate runs, sorted
	dotenv  string   // the .env file used for interpolation, "" for none
	allProf bool     // every profile active
	// profiles are the active profiles, and profilesFrom where they came
	// from when not from the config ("" for the config or the default).
	profiles     []string
	profilesFrom string
}

// projectName is the name every project is loaded under: the gate checks
// services, not names, and a name written in a file (perhaps with a
// variable) must not stop the load.
const projectName = "release-gate"

// load loads one project with the compose-spec library: include, extends,
// override files, profiles and interpolation as docker compose config does,
// with these differences: a variable that is not set is never an error
// (${VAR:?message} included; it becomes empty); env_file files, a
// service's or an include's, are not read (they usually hold secrets and
// are not committed); an include's project_directory is refused. The
// library reads a sandbox holding copies of the files the gate read from
// the workspace itself (see sandbox), never the workspace.
//
// Every value used for interpolation is added to used, so that messages can
// name the variable instead of quoting its value (hideValues).
//
// profiles are the profiles the config names; nil when it names none, and
// then COMPOSE_PROFILES is honoured as docker compose does (the process
// environment first, else the project's .env), and every profile is active
// when it is not set.
func load(ctx context.Context, ws *wsfile.Root, sb *sandbox, pf projectFiles, getenv func(string) string, profiles []string, used types.Mapping) (*loadedProject, error) {
	lp := &loadedProject{files: pf}

	environment := types.Mapping{}
	dotenvRel := path.Join(path.Dir(pf[0]), ".env")
	data, err := ws.ReadFile(filepath.FromSlash(dotenvRel), maxDotenvFile)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, wsfile.ErrNotRegular) && !errors.Is(err, wsfile.ErrOutside) && isDir(ws, dotenvRel):
		// docker compose reads .env only when it is a file.
	case err != nil:
		return nil, fmt.Errorf("reading %s (variables for interpolation, as docker compose reads it): %w", dotenvRel, err)
	default:
		vars, err := dotenv.ParseWithLookup(bytes.NewReader(data), nil)
		if err != nil {
			return nil, fmt.Errorf("reading %s (variables for interpolation, as docker compose reads it): %s", dotenvRel, dotenvProblem(err))
		}
		environment.Merge(vars)
		lp.dotenv = dotenvRel
	}
	lp.profiles, lp.profilesFrom = activeProfiles(profiles, getenv, environment, lp.dotenv)
	lp.allProf = len(lp.profiles) == 1 && lp.profiles[0] == "*"
	lookup := func(name string) (string, bool) {
		if v, ok := environment[name]; ok {
			return v, true
		}
		if v := getenv(name); v != "" {
			return v, true
		}
		return "", false
	}
	src, err := readSources(ws, pf, lookup)
	if err != nil {
		return nil, hideError(err, environment, getenv)
	}
	lp.src = src
	// The process environment wins over .env, as in docker compose. Only
	// the variables the files use are read.
	for _, name := range src.variables() {
		if v := getenv(name); v != "" {
			environment[name] = v
		}
	}
	used.Merge(environment)
	// COMPOSE_PROFILES names profiles, which messages name too: hiding
	// its value would garble them ("service ${COMPOSE_PROFILES} has...").
	delete(used, consts.ComposeProfiles)
	// The .env files of included projects' directories set variables too.
	for rel, data := range src.dotenvs {
		if vars, err := dotenv.ParseWithLookup(bytes.NewReader(data), nil); err == nil {
			used.Merge(vars)
		} else {
			return nil, fmt.Errorf("reading %s (variables for the included files, as docker compose reads it): %s", rel, dotenvProblem(err))
		}
	}

	if err := sb.add(src); err != nil {
		return nil, err
	}
	model, unset, err := loadSandboxed(ctx, sb, src, pf, environment, lp.profiles)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		return nil, fmt.Errorf("%s (loading compose project %s as docker compose would)", loadProblem(sb, src, err, used), pf)
	}
	lp.model = model
	lp.unset = unset
	return lp, nil
}

// activeProfiles returns the profiles to activate and where they came
// from: the config's when it names them; else COMPOSE_PROFILES, from the
// process environment or else the project's .env (dotenv, its path), split
// as compose-go's cli.WithDefaultProfiles splits it; else every profile.
// docker compose activates no profile when COMPOSE_PROFILES is not set;
// the gate checks every service then, which is stricter.
func activeProfiles(config []string, getenv func(string) string, dotenvVars types.Mapping, dotenv string) ([]string, string) {
	if config != nil {
		return config, ""
	}
	v, from := getenv(consts.ComposeProfiles), consts.ComposeProfiles+" in the environment"
	if v == "" {
		v, from = dotenvVars[consts.ComposeProfiles], consts.ComposeProfiles+" in "+dotenv
	}
	if v == "" {
		return []string{"*"}, ""
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		out = append(out, strings.TrimSpace(p))
	}
	return out, from
}

// loadSandboxed loads the project pf from its copy in sb, returning the
// model and the variables that were not set.
func loadSandboxed(ctx context.Context, sb *sandbox, src *sourceSet, pf projectFiles, environment types.Mapping, profiles []string) (*types.Project, []string, error) {
	rec := &unsetRecorder{}
	files := make([]types.ConfigFile, len(pf))
	for i, rel := range pf {
		files[i] = types.ConfigFile{Filename: sb.path(rel), Content: src.byRel[rel].data}
	}
	details := types.ConfigDetails{WorkingDir: sb.path(path.Dir(pf[0])), ConfigFiles: files, Environment: environment}
	configure := loaderOptions(sb, rec, profiles)
	// What loader.LoadWithContext does, in three steps: the model, the
	// project without the consistency check, then with it. The check ends
	// with compose-go's search for a depends_on cycle, which walks every
	// path from every service and remembers none: services depending on
	// each other in diamonds multiply its work (24 diamonds in a row, 73
	// services, ran for minutes, with the context ignored). It runs only
	// when the project shows that search to be cheap (see cycleSearchSteps).
	// The environment is a map the loader adds COMPOSE_PROJECT_NAME to, as
	// it does in its one call.
	if details.Environment == nil {
		details.Environment = types.Mapping{}
	}
	dict, err := loader.LoadModelWithContext(ctx, details, configure)
	if err != nil {
		return nil, nil, err
	}
	opts := loader.ToOptions(&details, []func(*loader.Options){configure})
	quick := *opts
	quick.SkipConsistencyCheck = true
	sketch, err := loader.ModelToProject(copyModel(dict).(map[string]any), &quick, details)
	if err != nil {
		return nil, nil, err
	}
	if n := len(sketch.Services); cycleSearchSteps(sketch, maxCycleSearchSteps) > maxCycleSearchSteps {
		return nil, nil, fmt.Errorf("the depends_on of these %d services form too many paths: compose-go, which docker compose uses to load a project, walks every path of depends_on from every service to look for a cycle (more than %d steps here), so docker compose would not finish loading it either; depend only on the services each one needs directly", n, maxCycleSearchSteps)
	}
	model, err := loader.ModelToProject(dict, opts, details)
	if err != nil {
		return nil, nil, err
	}
	return model, rec.names(), nil
}

// loaderOptions is how the gate has compose-go load a project from sb:
// with the given profiles, no env_file or label file read, every file read
// through the sandbox, and the variables interpolation finds unset noted in
// rec.
func loaderOptions(sb *sandbox, rec *unsetRecorder, profiles []string) func(*loader.Options) {
	return func(o *loader.Options) {
		o.SetProjectName(projectName, true)
		o.Profiles = profiles
		o.SkipResolveEnvironment = true // env_file files are not read
		o.SkipResolveLabels = true
		o.ResourceLoaders = []loader.ResourceLoader{guard{sb}}
		interpolate := *o.Interpolate
		interpolate.Substitute = rec.substitute
		interpolate.TypeCastMapping = sandboxCasts(interpolate.TypeCastMapping)
		o.Interpolate = &interpolate
	}
}

// copyModel is a copy of a loaded model (maps, lists and values).
func copyModel(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = copyModel(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = copyModel(x)
		}
		return out
	default:
		return v
	}
}

// maxCycleSearchSteps bounds the steps of compose-go's cycle search (see
// cycleSearchSteps) a project may take: the loader runs the search twice,
// at 15–30 ns a step, so about a second. 16 diamonds in a row (49
// services) take 29 million steps, a chain of 500 services 21 million;
// 17 diamonds (63 million) or a chain of 700 (57 million) are refused.
const maxCycleSearchSteps = 1 << 25

// cycleSearchSteps counts, up to past limit, the steps compose-go's
// search for a depends_on cycle (graph.CheckCycle, v2.16.2, which the
// loader runs in its consistency check) takes on project: it starts from
// each service in name order and, at each, visits each service it depends
// on (in name order) that the project has, comparing it with every service
// on the path so far, and stops at the first cycle. Each comparison is a
// step, and each visit one more.
func cycleSearchSteps(project *types.Project, limit int) int {
	deps := make(map[string][]string, len(project.Services))
	for name, s := range project.Services {
		for dep := range s.DependsOn {
			if _, ok := project.Services[dep]; ok {
				deps[name] = append(deps[name], dep)
			}
		}
		slices.Sort(deps[name])
	}
	steps := 0
	var search func(path []string, name string) (stop bool)
	search = func(path []string, name string) bool {
		for _, dep := range deps[name] {
			if steps += len(path) + 1; steps > limit || slices.Contains(path, dep) {
				return true
			}
			if search(append(path, dep), dep) {
				return true
			}
		}
		return false
	}
	for _, name := range slices.Sorted(maps.Keys(project.Services)) {
		if search([]string{name}, name) {
			break
		}
	}
	return steps
}

// isDir reports whether rel is a directory of the workspace.
func isDir(ws *wsfile.Root, rel string) bool {
	fi, err := ws.Stat(filepath.FromSlash(rel))
	return err == nil && fi.IsDir()
}

// hideError is err with the values of the variables it may quote hidden.
func hideError(err error, environment types.Mapping, getenv func(string) string) error {
	msg := err.Error()
	vars := maps.Clone(environment)
	for _, m := range varRE.FindAllStringSubmatch(msg, -1) {
		if v := getenv(m[1]); v != "" {
			vars[m[1]] = v
		}
	}
	if hidden := hideValues(msg, vars); hidden != msg {
		return errors.New(hidden)
	}
	return err
}

// unsetRecorder is a lenient substitution: it notes variables that are not
// set and never fails for one, not even for ${VAR:?message}.
type unsetRecorder struct {
	mu    sync.Mutex
	unset map[string]bool
}

func (r *unsetRecorder) note(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.unset == nil {
		r.unset = map[string]bool{}
	}
	r.unset[name] = true
}

func (r *unsetRecorder) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.unset))
	for k := range r.unset {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (r *unsetRecorder) substitute(tmpl string, mapping template.Mapping) (string, error) {
	lookup := func(name string) (string, bool) {
		v, ok := mapping(name)
		if !ok {
			r.note(name)
		}
		return v, ok
	}
	replace := func(s string, m template.Mapping, cfg *template.Config) (string, error) {
		v, err := template.DefaultReplacementFunc(s, m, cfg)
		var missing *template.MissingRequiredError
		if errors.As(err, &missing) {
			r.note(missing.Variable)
			return "", nil
		}
		return v, err
	}
	return template.SubstituteWithOptions(tmpl, lookup, template.WithoutLogging, template.WithReplacementFunction(replace))
}

// dotenvProblem describes a .env parse error without quoting the file's
// content, which may hold secrets.
func dotenvProblem(err error) string {
	msg := err.Error()
	if m := regexp.MustCompile(`line (\d+)`).FindStringSubmatch(msg); m != nil {
		return "its syntax is invalid at line " + m[1]
	}
	if errors.Is(err, os.ErrPermission) {
		return "permission denied"
	}
	return "its syntax is invalid"
}

// Key paths compose-spec errors name: services.api.healthcheck.interval,
// 'services[api].healthcheck.interval', or service "api".
var (
	keyPathRE     = regexp.MustCompile(`\bservices\.([a-zA-Z0-9_-]+(?:\.[a-zA-Z0-9_-]+)*?)\.([a-z_]+(?:\.[a-zA-Z0-9_-]+)*)\b`)
	bracketPathRE = regexp.MustCompile(`services\[([^\]]+)\]\.`)
	serviceRE     = regexp.MustCompile(`\bservice "([^"]+)"`)
	validatingRE  = regexp.MustCompile(`validating [^:]+: `)
	openRE        = regexp.MustCompile(`\bopen ([^: ]+): `)
)

// loadProblem rewrites a loader error for the user: the values of vars
// hidden (see hideValues), on one line, with workspace-relative paths, and
// starting with the file:line of the key or service it names when the
// files have it. The values are hidden before white space is collapsed:
// a value with runs of it would no longer be found whole, and its middle
// would be shown.
func loadProblem(sb *sandbox, src *sourceSet, err error, vars types.Mapping) string {
	msg := hideValues(sb.unsandboxed(err.Error()), vars)
	msg = strings.Join(strings.Fields(msg), " ")
	msg = bracketPathRE.ReplaceAllString(msg, "services.$1.")
	msg = validatingRE.ReplaceAllString(msg, "")
	msg = strings.ReplaceAll(msg, " false schema", ": unknown key")
	var pos gates.Pos
	if m := keyPathRE.FindStringSubmatch(msg); m != nil {
		pos = src.pos(m[1], strings.Split(m[2], ".")...)
	} else if m := serviceRE.FindStringSubmatch(msg); m != nil {
		pos = src.pos(m[1])
	} else if m := openRE.FindStringSubmatch(msg); m != nil {
		pos = src.scalar(m[1]) // the include: or extends: file naming it
	}
	if pos.Line > 0 {
		return pos.String() + ": " + msg
	}
	return msg
}
