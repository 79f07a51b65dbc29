package compose

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/release-gate/release-gate/gates"
)

// loadedProject is a project as docker compose config would see it.
type loadedProject struct {
	files   projectFiles
	src     *sourceSet
	model   *types.Project
	unset   []string // variables not set where the gate runs, sorted
	dotenv  string   // the .env file used for interpolation, "" for none
	allProf bool     // every profile active
}

// projectName is the name every project is loaded under: the gate checks
// services, not names, and a name written in a file (perhaps with a
// variable) must not stop the load.
const projectName = "release-gate"

// load loads one project with the compose-spec library: include, extends,
// override files, profiles and interpolation as docker compose config does,
// with two differences: a variable that is not set is never an error
// (${VAR:?message} included; it becomes empty), and env_file files are not
// read (they usually hold secrets and are not committed).
//
// Every value used for interpolation is added to used, so that messages can
// name the variable instead of quoting its value (hideValues).
func load(ctx context.Context, workspace string, pf projectFiles, src *sourceSet, getenv func(string) string, profiles []string, used types.Mapping) (*loadedProject, error) {
	dir := filepath.Join(workspace, filepath.FromSlash(path.Dir(pf[0])))
	lp := &loadedProject{files: pf, src: src, allProf: len(profiles) == 1 && profiles[0] == "*"}

	environment := types.Mapping{}
	dotenvRel := path.Join(path.Dir(pf[0]), ".env")
	if fi, err := os.Stat(filepath.Join(workspace, filepath.FromSlash(dotenvRel))); err == nil && fi.Mode().IsRegular() {
		vars, err := dotenv.GetEnvFromFile(types.Mapping{}, []string{filepath.Join(workspace, filepath.FromSlash(dotenvRel))})
		if err != nil {
			return nil, fmt.Errorf("reading %s (variables for interpolation, as docker compose reads it): %s", dotenvRel, dotenvProblem(err))
		}
		environment.Merge(vars)
		lp.dotenv = dotenvRel
	}
	// The process environment wins over .env, as in docker compose. Only
	// the variables the files use are read.
	for _, name := range src.variables() {
		if v := getenv(name); v != "" {
			environment[name] = v
		}
	}
	used.Merge(environment)

	rec := &unsetRecorder{}
	files := make([]types.ConfigFile, len(pf))
	for i, rel := range pf {
		files[i] = types.ConfigFile{Filename: filepath.Join(workspace, filepath.FromSlash(rel))}
	}
	details := types.ConfigDetails{WorkingDir: dir, ConfigFiles: files, Environment: environment}
	model, err := loader.LoadWithContext(ctx, details, func(o *loader.Options) {
		o.SetProjectName(projectName, true)
		o.Profiles = profiles
		o.SkipResolveEnvironment = true // env_file files are not read
		o.SkipResolveLabels = true
		o.Interpolate.Substitute = rec.substitute
	})
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		return nil, fmt.Errorf("%s (loading compose project %s as docker compose would)", hideValues(loadProblem(workspace, src, err), environment), pf)
	}
	lp.model = model
	lp.unset = rec.names()
	return lp, nil
}

// minHiddenValue is the shortest variable value hideValues replaces:
// shorter ones ("1", "on") are not secrets, and replacing them would
// garble messages.
const minHiddenValue = 4

// hideValues replaces in msg every value of vars (from the environment or
// a .env file: either may hold a secret) by the variable's name, ${NAME}.
// compose-go quotes a value it cannot use ("strconv.ParseFloat: parsing
// \"<value>\"").
func hideValues(msg string, vars types.Mapping) string {
	names := make([]string, 0, len(vars))
	for name, v := range vars {
		if len(v) >= minHiddenValue && strings.Contains(msg, v) {
			names = append(names, name)
		}
	}
	// Longest values first, so that one holding another is replaced whole.
	sort.Slice(names, func(i, j int) bool {
		if a, b := len(vars[names[i]]), len(vars[names[j]]); a != b {
			return a > b
		}
		return names[i] < names[j]
	})
	for _, name := range names {
		msg = strings.ReplaceAll(msg, vars[name], "${"+name+"}")
	}
	return msg
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

// loadProblem rewrites a loader error for the user: on one line, with
// workspace-relative paths, and starting with the file:line of the key or
// service it names when the files have it.
func loadProblem(workspace string, src *sourceSet, err error) string {
	msg := err.Error()
	msg = strings.ReplaceAll(msg, workspace+string(filepath.Separator), "")
	msg = strings.ReplaceAll(msg, workspace, ".")
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
