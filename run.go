package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/agnivade/levenshtein"
	"github.com/creack/pty"
	"github.com/mattn/go-isatty"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/gitrepo"
	"github.com/release-gate/release-gate/internal/httpsafe"
	"github.com/release-gate/release-gate/internal/sanitize"
	"github.com/release-gate/release-gate/internal/wsfile"
	"github.com/release-gate/release-gate/report"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

// defaultRunTimeout bounds a run whose configuration sets no timeout.
const defaultRunTimeout = 15 * time.Minute

// maxConfigBytes bounds the configuration file.
const maxConfigBytes = config.MaxFileSize

// defaultReportPath is where the JSON report goes on GitHub Actions when
// --json is not given; relative to the workspace, so the path in the report
// output works both inside the action's container and in later steps.
const defaultReportPath = "release-gate-report.json"

const usage = `release-gate runs the release checklist as gates and returns one verdict.

Usage:
  release-gate [check] [flags]      run the gates (the default command)
  release-gate validate [flags]     parse and validate the configuration only
  release-gate version              print the version (also --version)
  release-gate help [command]       print this, or a command's flags

Run 'release-gate check --help' or 'release-gate validate --help' for the
flags. Documentation: https://github.com/release-gate/release-gate#readme

Exit codes: 0 every enforced gate passed; 1 a gate failed; 2 usage or
configuration error (nothing was checked); 3 a gate could not decide.
`

const usageCheck = `Usage: release-gate [check] [flags]

Runs the configured gates on the repository and returns one verdict.

Flags:
  --config PATH     configuration file (default: $INPUT_CONFIG, else
                    .github/release-gate.yml if present, else the built-in
                    default: secret-scan over the tracked files)
  --config-ref REV  read the configuration as commit REV stores it (a pull
                    request's base: the change cannot edit its own gate)
  --gates a,b       run only these gates; the others are reported as skipped
  --json PATH       write the JSON report to PATH (- for stdout)
  --sarif PATH      write findings with a location as SARIF 2.1.0 to PATH
                    (- for stdout)
  --attestation PATH
                    when the run passes and staging-digest pinned an image,
                    write an in-toto SLSA verification summary of it to PATH
                    (default on GitHub Actions:
                    release-gate-attestation.intoto.json)
  --format F        text or github (default: github when GITHUB_ACTIONS=true)
  -C DIR            run as if started in DIR (as git -C). Without it, the
                    repository holding the current directory is checked,
                    from its top directory.

Exit codes: 0 every enforced gate passed; 1 a gate failed; 2 usage or
configuration error (nothing was checked); 3 a gate could not decide.
`

const usageValidate = `Usage: release-gate validate [flags]

Parses and validates the configuration, as check would, and checks nothing:
every problem is listed with file:line:col. Exit 0 when it is valid, 2 when
it is not.

Flags:
  --config PATH     configuration file (default: $INPUT_CONFIG, else
                    .github/release-gate.yml if present, else the built-in
                    default)
  --config-ref REV  read the configuration as commit REV stores it
  -C DIR            run as if started in DIR (as git -C). Without it, the
                    repository holding the current directory is used, from
                    its top directory.
`

// usageOf is the help text of a command.
func usageOf(cmd string) string {
	switch cmd {
	case "check":
		return usageCheck
	case "validate":
		return usageValidate
	}
	return usage
}

// commands are release-gate's commands, for "did you mean".
var commands = []string{"check", "validate", "version", "help"}

// suggest returns " Did you mean X?" naming the known word closest to
// word, when one is close enough to be a likely typo; "" otherwise.
func suggest(word string, known []string, prefix string) string {
	best, bestDist := "", 0
	for _, k := range known {
		d := levenshtein.ComputeDistance(strings.ToLower(word), k)
		if best == "" || d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" || bestDist > max(2, len(best)/3) {
		return ""
	}
	return " Did you mean " + prefix + best + "?"
}

// run is the whole program behind main: it parses args, loads the
// configuration, runs the gates and reports. It returns the exit code.
//
// stdout and stderr are read by CI runners for workflow commands: every
// byte goes through a sanitize.Writer, and only the GitHub reporter writes
// commands, through its Command method.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	start := time.Now()
	out, errOut := sanitize.NewWriter(stdout), sanitize.NewWriter(stderr)
	defer errOut.Flush()
	defer out.Flush()
	return runGuarded(ctx, start, args, getenv, out, errOut, isTerminal(stderr))
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// terminalWidth is the terminal's width in columns, 0 when unknown.
func terminalWidth(f *os.File) int {
	if _, cols, err := pty.Getsize(f); err == nil {
		return cols
	}
	return 0
}

// terminalStyle says whether the terminal report is coloured and keeps its
// progress on one line: only on a terminal, colour only when NO_COLOR
// (https://no-color.org) is unset or empty and TERM is not dumb.
func terminalStyle(tty bool, getenv func(string) string) (color, live bool) {
	if !tty {
		return false, false
	}
	dumb := getenv("TERM") == "dumb"
	return getenv("NO_COLOR") == "" && !dumb, !dumb
}

func runGuarded(ctx context.Context, start time.Time, args []string, getenv func(string) string, stdout, stderr *sanitize.Writer, tty bool) int {
	cmd, named := "check", false
	if len(args) == 1 && (args[0] == "--help" || args[0] == "-help" || args[0] == "-h") {
		fmt.Fprint(stdout, usage)
		return gates.ExitPass
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args, named = args[0], args[1:], true
	}
	unknown := func(cmd string) int {
		fmt.Fprintf(stderr, "release-gate: unknown command %s.%s\nRun 'release-gate --help' for the commands.\n", sanitize.Text(strconv.Quote(cmd)), suggest(cmd, commands, ""))
		return gates.ExitUsage
	}
	switch cmd {
	case "check", "validate":
	case "version":
		fmt.Fprintf(stdout, "release-gate %s\n", toolVersion())
		return gates.ExitPass
	case "help":
		topic := ""
		if len(args) > 0 {
			topic = args[0]
		}
		if topic != "" && !slices.Contains(commands, topic) && !slices.Contains([]string{"-h", "-help", "--help"}, topic) {
			return unknown(topic)
		}
		fmt.Fprint(stdout, usageOf(topic))
		return gates.ExitPass
	default:
		return unknown(cmd)
	}
	if slices.Contains(args, "--version") || slices.Contains(args, "-version") {
		fmt.Fprintf(stdout, "release-gate %s\n", toolVersion())
		return gates.ExitPass
	}

	opts, err := parseFlags(cmd, args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usageOf(cmd))
		return gates.ExitPass
	}
	var extra *extraArgError
	if !named && errors.As(err, &extra) && slices.Contains(commands, extra.arg) {
		// "release-gate -C DIR validate": the command was taken to be
		// check, so say where the command goes rather than blame check.
		line := append([]string{"release-gate", extra.arg}, slices.Delete(slices.Clone(args), extra.at, extra.at+1)...)
		fmt.Fprintf(stderr, "release-gate: %s is a command, and the command comes before the flags: %s\n", sanitize.Text(strconv.Quote(extra.arg)), sanitize.Text(shellLine(line)))
		return gates.ExitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "release-gate %s: %s\nRun 'release-gate %s --help' for its flags.\n", cmd, sanitize.Text(err.Error()), cmd)
		return gates.ExitUsage
	}
	gh := opts.github(stdout, getenv)
	text := report.NewText(stderr)
	text.Color, text.Live = terminalStyle(tty, getenv)
	if text.Live {
		text.Width = terminalWidth(os.Stderr)
	}

	// Every secret known before anything is printed is masked now: the
	// runner hides it in the log from here on, and every report redacts it.
	masker := &gates.Masker{}
	if gh != nil {
		masker.OnAdd = gh.Mask
	}
	for _, name := range secretEnv {
		masker.Add(getenv(name))
	}

	plan, err := loadPlan(ctx, opts, getenv, masker)
	if err != nil {
		return configError(redactError(err, masker), gh, text, stderr)
	}
	if opts.configNote != "" {
		fmt.Fprintf(stderr, "release-gate: %s\n", sanitize.Text(opts.configNote))
	}
	if cmd == "validate" {
		fmt.Fprintf(stdout, "%s: valid; gates configured: %s\n", sanitize.Text(plan.configName), strings.Join(plan.configured(), ", "))
		return gates.ExitPass
	}
	if ctx.Err() != nil {
		fmt.Fprintf(stderr, "release-gate: interrupted before any gate ran\n")
		return gates.ExitError
	}
	return check(ctx, start, opts, plan, gh, text, masker, getenv, stdout, stderr)
}

// secretEnv are the environment variables that hold a secret whatever the
// configuration says: the action's token, the runner's own tokens, and the
// AWS credentials backup sources read.
var secretEnv = []string{
	"INPUT_TOKEN", "GITHUB_TOKEN",
	"ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
	"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
}

// options are the parsed command line, with action inputs folded in.
type options struct {
	configPath string // absolute; "" for discovery
	configRef  string // a commit to read the configuration from; "" for the workspace
	// configRefFrom names where configRef came from, for messages:
	// --config-ref or the action's config-ref input.
	configRefFrom string
	// configNote is said on stderr once the configuration is loaded: that
	// configRef has no configuration file, so the built-in default is used.
	configNote string
	// configCommit is the full id configRef resolved to, once the
	// configuration was read from it; gates read the files it names there.
	configCommit string
	workspace    string // absolute
	gates        []string
	// gatesFrom names where gates came from, for messages: --gates or the
	// action's gates input.
	gatesFrom string
	jsonPath  string
	sarifPath string
	format    string
	inputs    inputs
	// configSHA256 is the hex SHA-256 of the configuration bytes read and
	// configFile where they were read from; both "" for the built-in default.
	configSHA256, configFile string
	attestationPath          string
}

// inputs are the action's inputs (INPUT_*) that override the configuration.
type inputs struct {
	base, head, image, stagingImage string
}

func parseFlags(cmd string, args []string, getenv func(string) string) (*options, error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o options
	var gatesFlag, dir string
	fs.StringVar(&o.configPath, "config", "", "")
	fs.StringVar(&o.configRef, "config-ref", "", "")
	fs.StringVar(&dir, "C", "", "")
	if cmd == "check" {
		fs.StringVar(&gatesFlag, "gates", "", "")
		fs.StringVar(&o.jsonPath, "json", "", "")
		fs.StringVar(&o.sarifPath, "sarif", "", "")
		fs.StringVar(&o.format, "format", "", "")
		fs.StringVar(&o.attestationPath, "attestation", "", "")
	}
	if err := fs.Parse(args); err != nil {
		return nil, flagError(err, fs)
	}
	if fs.NArg() > 0 {
		return nil, &extraArgError{arg: fs.Arg(0), at: len(args) - fs.NArg()}
	}
	gatesGiven := false
	fs.Visit(func(f *flag.Flag) { gatesGiven = gatesGiven || f.Name == "gates" })
	if gatesGiven && len(splitList(gatesFlag)) == 0 {
		return nil, errors.New("--gates names no gate; name the gates to run (--gates secret-scan,staging-digest), or leave the flag out to run every configured gate")
	}

	input := func(name string) string { return strings.TrimSpace(getenv("INPUT_" + strings.ToUpper(name))) }
	configFromInput, sarifFromInput, attestationFromInput := false, false, false
	if o.configPath == "" {
		o.configPath = input("config")
		configFromInput = o.configPath != ""
	}
	o.configRefFrom = "--config-ref"
	if o.configRef == "" {
		o.configRef = input("config-ref")
		o.configRefFrom = "action input config-ref"
	}
	o.gatesFrom = "--gates"
	if gatesFlag == "" {
		gatesFlag = input("gates")
		o.gatesFrom = "action input gates"
	}
	if o.sarifPath == "" {
		o.sarifPath = input("sarif")
		sarifFromInput = o.sarifPath != ""
	}
	if o.attestationPath == "" && cmd == "check" {
		o.attestationPath = input("attestation")
		attestationFromInput = o.attestationPath != ""
	}
	o.inputs = inputs{base: input("base"), head: input("head"), image: input("image"), stagingImage: input("staging-image")}
	o.gates = splitList(gatesFlag)

	switch o.format {
	case "":
		o.format = "text"
		if getenv("GITHUB_ACTIONS") == "true" {
			o.format = "github"
		}
	case "text", "github":
	default:
		return nil, fmt.Errorf("--format: want text or github, got %q", o.format)
	}

	ws := dir
	if ws == "" {
		ws = getenv("GITHUB_WORKSPACE")
	}
	if ws == "" {
		var err error
		if ws, err = os.Getwd(); err != nil {
			return nil, err
		}
		// Started in a subdirectory, check the whole repository, with its
		// configuration: the top is found by looking for .git upwards,
		// without running git in a repository not yet trusted.
		if top, err := gitrepo.Find(ws); err == nil {
			ws = top
		}
	}
	abs, err := filepath.Abs(ws)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("workspace %s is not a directory", abs)
	}
	o.workspace = abs
	// Paths given as flags are relative to where the user is (to DIR with
	// -C, as with git -C); paths given as action inputs to the workspace.
	base := o.workspace
	if dir == "" {
		if base, err = os.Getwd(); err != nil {
			return nil, err
		}
	}
	o.configPath = resolve(o.configPath, base, configFromInput, o.workspace)
	o.sarifPath = resolve(o.sarifPath, base, sarifFromInput, o.workspace)
	o.jsonPath = resolve(o.jsonPath, base, false, o.workspace)
	o.attestationPath = resolve(o.attestationPath, base, attestationFromInput, o.workspace)
	if cmd == "check" {
		if err := o.checkOutputs(sarifFromInput, attestationFromInput); err != nil {
			return nil, err
		}
	}
	return &o, nil
}

// checkOutputs refuses two reports written to one place: on stdout the
// documents would run together and neither could be parsed; in one file
// the one written last would replace the other.
func (o *options) checkOutputs(sarifFromInput, attestationFromInput bool) error {
	type output struct{ what, path string }
	named := func(flag string, fromInput bool) string {
		if fromInput {
			return "action input " + flag
		}
		return "--" + flag
	}
	var outs []output
	onActions := o.format == "github"
	switch {
	case o.jsonPath != "":
		outs = append(outs, output{"--json", o.jsonPath})
	case onActions:
		outs = append(outs, output{"the JSON report (" + defaultReportPath + " on GitHub Actions)", filepath.Join(o.workspace, defaultReportPath)})
	}
	if o.sarifPath != "" {
		outs = append(outs, output{named("sarif", sarifFromInput), o.sarifPath})
	}
	att, attWhat := o.attestationPath, named("attestation", attestationFromInput)
	if att == "" && onActions {
		att, attWhat = filepath.Join(o.workspace, defaultAttestationPath), "the attestation ("+defaultAttestationPath+" on GitHub Actions)"
	}
	if att != "" {
		outs = append(outs, output{attWhat, att})
		if att != "-" {
			outs = append(outs, output{"the attestation's predicate", predicatePath(att)})
		}
	}
	for i, a := range outs {
		for _, b := range outs[i+1:] {
			switch {
			case a.path == "-" && b.path == "-":
				return fmt.Errorf("%s and %s both write to stdout (-), where the two documents would run together and neither could be parsed; write one of them to a file", a.what, b.what)
			case a.path != "-" && filepath.Clean(a.path) == filepath.Clean(b.path):
				return fmt.Errorf("%s and %s both write %s, and the one written last would replace the other; give each its own file", a.what, b.what, displayPath(o.workspace, a.path))
			}
		}
	}
	return nil
}

// extraArgError is an argument left over after the flags; at is its index
// in the command's arguments.
type extraArgError struct {
	arg string
	at  int
}

func (e *extraArgError) Error() string { return fmt.Sprintf("unexpected argument %q", e.arg) }

// shellLine writes a command line to be copied into a shell, quoting the
// words that need it.
func shellLine(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = w
		if w == "" || strings.ContainsFunc(w, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./,=:@+%", r))
		}) {
			quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}

// resolve makes path absolute: against the workspace when it came from an
// action input, else against base. "-" (stdout) stays as it is.
func resolve(path, base string, fromInput bool, workspace string) string {
	if path == "" || path == "-" || filepath.IsAbs(path) {
		return path
	}
	if fromInput {
		return filepath.Join(workspace, path)
	}
	return filepath.Join(base, path)
}

// flagError rewrites the flag package's errors to name flags the way the
// documentation and the help write them (--json, -C), and an unknown flag
// with the closest known one.
func flagError(err error, fs *flag.FlagSet) error {
	const prefix = "flag provided but not defined: "
	msg := err.Error()
	dashes := func(n string) string {
		if len(n) == 1 {
			return "-"
		}
		return "--"
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		name = strings.TrimLeft(name, "-")
		return fmt.Errorf("flag %s%s needs a value", dashes(name), name)
	}
	if !strings.HasPrefix(msg, prefix) {
		return err
	}
	name := strings.TrimLeft(strings.TrimPrefix(msg, prefix), "-")
	var known []string
	fs.VisitAll(func(f *flag.Flag) { known = append(known, f.Name) })
	hint := ""
	if s := suggest(name, known, ""); s != "" {
		best := strings.TrimSuffix(strings.TrimPrefix(s, " Did you mean "), "?")
		hint = " Did you mean " + dashes(best) + best + "?"
	}
	return fmt.Errorf("unknown flag %s%s.%s", dashes(name), name, hint)
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })
}

func (o *options) github(stdout *sanitize.Writer, getenv func(string) string) *report.GitHub {
	if o.format != "github" {
		return nil
	}
	return &report.GitHub{Stdout: stdout, SummaryPath: getenv("GITHUB_STEP_SUMMARY"), OutputPath: getenv("GITHUB_OUTPUT")}
}

// plan is a validated configuration turned into jobs.
type plan struct {
	configName string // for messages: a workspace-relative path or "built-in default"
	timeout    time.Duration
	jobs       []gates.Job
	// deselected are the configured gates --gates left out.
	deselected []string
	// waivers and what caps them; configFiles are for Env.ConfigFiles.
	waivers       []gates.Waiver
	maxWaiverDays int
	configFiles   []string
}

func (p *plan) configured() []string {
	var names []string
	for _, j := range p.jobs {
		if j.Skip == "" {
			names = append(names, j.Gate.Name())
		}
	}
	if len(names) == 0 {
		return []string{"none"}
	}
	return names
}

// builtinDefault is the configuration used when there is no file: a secret
// scan of the repository with the gate's defaults.
func builtinDefault() *config.File {
	return &config.File{Path: "built-in default", Version: config.CurrentVersion, Sections: []*config.Section{config.NewSection("built-in default", "secret-scan")}}
}

func loadPlan(ctx context.Context, o *options, getenv func(string) string, masker *gates.Masker) (*plan, error) {
	defs := gateList()
	names := make([]string, len(defs))
	for i, d := range defs {
		names[i] = d.Name
	}
	for _, g := range o.gates {
		if !slices.Contains(names, g) {
			return nil, fmt.Errorf("%s: unknown gate %q.%s Known gates: %s", o.gatesFrom, g, suggest(g, names, ""), strings.Join(names, ", "))
		}
	}

	var file *config.File
	var err error
	if o.configRef != "" {
		file, err = loadConfigAt(ctx, o, names, getenv)
	} else {
		file, err = loadConfig(o, names, getenv)
	}
	if file != nil {
		for _, secret := range file.Secrets(getenv) {
			masker.Add(secret)
		}
	}
	var errs config.Errors
	switch {
	case file != nil && errors.As(err, &errs):
		// Check the gates it could read too: every problem is listed at once.
	case err != nil:
		return nil, err
	}
	if err := applyInputs(file, o.inputs); err != nil {
		return nil, err
	}

	// Where reading the file found a problem (a ${VAR} that is not set),
	// what a gate says of the same value follows from it: it is left out.
	parsed := map[errorAt]bool{}
	for _, e := range errs {
		if e.Line > 0 {
			parsed[errorAt{e.File, e.Line, e.Col}] = true
		}
	}
	if len(file.Sections) == 0 && len(errs) == 0 {
		// An emptied or cut-off file would otherwise pass having checked
		// nothing.
		errs = append(errs, &config.Error{File: file.Path, Msg: "configures no gate, so nothing would be checked and the run would pass; name at least one under gates: (such as gates: {secret-scan: {}}; docs/configuration.md lists them)"})
	}
	p := &plan{configName: file.Path, timeout: file.Timeout, maxWaiverDays: file.MaxWaiverDays}
	if p.waivers, p.configFiles, err = loadWaivers(ctx, o, file, names, getenv, masker); err != nil {
		errs = append(errs, asConfigErrors(err, file.Path)...)
	}
	if p.timeout == 0 {
		p.timeout = defaultRunTimeout
	}
	for _, def := range defs {
		sec := file.Section(def.Name)
		selected := len(o.gates) == 0 || slices.Contains(o.gates, def.Name)
		switch {
		case !selected:
			if sec != nil {
				p.deselected = append(p.deselected, def.Name)
			}
			p.jobs = append(p.jobs, gates.Job{Gate: namedGate(def.Name), Skip: "not selected (" + o.gatesFrom + ")"})
			continue
		case sec == nil && len(o.gates) > 0:
			return nil, fmt.Errorf("%s: %s is not configured in %s", o.gatesFrom, def.Name, file.Path)
		case sec == nil:
			p.jobs = append(p.jobs, gates.Job{Gate: namedGate(def.Name), Skip: "not configured"})
			continue
		}
		g, err := def.New(sec)
		if err != nil {
			errs = append(errs, notAt(asConfigErrors(err, file.Path), parsed)...)
			continue
		}
		p.jobs = append(p.jobs, gates.Job{Gate: g, Mode: gates.Mode(sec.Mode), Timeout: sec.Timeout})
	}
	if len(errs) > 0 {
		// By position; errors without one ("and N more problems") last.
		sort.SliceStable(errs, func(i, j int) bool {
			a, b := errs[i], errs[j]
			if (a.Line == 0) != (b.Line == 0) {
				return b.Line == 0
			}
			if a.File != b.File {
				return a.File < b.File
			}
			return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
		})
		return nil, errs
	}
	return p, nil
}

// loadConfig finds and parses the configuration: --config, else
// INPUT_CONFIG, else .github/release-gate.yml (or .yaml) if present, else
// the built-in default.
func loadConfig(o *options, known []string, getenv func(string) string) (*config.File, error) {
	path := o.configPath
	if path == "" {
		var found []string
		for _, name := range []string{config.DefaultPath, strings.TrimSuffix(config.DefaultPath, ".yml") + ".yaml"} {
			p := filepath.Join(o.workspace, filepath.FromSlash(name))
			if _, err := os.Stat(p); err == nil {
				found = append(found, p)
			}
		}
		switch len(found) {
		case 0:
			return builtinDefault(), nil
		case 2:
			return nil, fmt.Errorf("both %s and its .yaml twin exist: keep one, so it is clear which configures the release", config.DefaultPath)
		}
		path = found[0]
	}
	name := displayPath(o.workspace, path)
	var data []byte
	var err error
	if wsfile.Inside(o.workspace, path) {
		// The workspace is the change under test: its configuration must
		// be a regular file of its own, not a link to the runner's files.
		data, err = wsfile.ReadFile(o.workspace, path, maxConfigBytes)
	} else {
		data, err = readCapped(path, maxConfigBytes)
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("config file %s does not exist", name)
		}
		return nil, fmt.Errorf("reading config file %s: %s", name, strings.TrimPrefix(err.Error(), path+": "))
	}
	o.configSHA256, o.configFile = sha256Hex(data), name
	return config.Parse(name, data, config.Options{Getenv: getenv, Gates: known})
}

// loadConfigAt reads the configuration as the commit o.configRef stores
// it: --config (a path inside the workspace), else .github/release-gate.yml
// (or .yaml), else the built-in default. A pull request's workflow can pass
// its base commit, so that the change under test cannot edit its own gate.
// The file is named path@commit in messages.
func loadConfigAt(ctx context.Context, o *options, known []string, getenv func(string) string) (*config.File, error) {
	repo, err := gitrepo.Open(ctx, o.workspace)
	if err != nil {
		return nil, fmt.Errorf("reading the configuration at %s: %w", o.configRef, err)
	}
	defer repo.Close()
	top := repo.Top()
	ws, err := filepath.EvalSymlinks(o.workspace)
	if err != nil {
		return nil, err
	}
	candidates := []string{config.DefaultPath, strings.TrimSuffix(config.DefaultPath, ".yml") + ".yaml"}
	if o.configPath != "" {
		if !wsfile.Inside(o.workspace, o.configPath) {
			return nil, fmt.Errorf("--config-ref reads the configuration from a commit, so --config must name a file of the repository; %s is outside the workspace", o.configPath)
		}
		rel, _ := filepath.Rel(o.workspace, o.configPath)
		candidates = []string{filepath.ToSlash(rel)}
	}
	type found struct {
		name   string
		data   []byte
		commit string
		rel    string
	}
	var got []found
	var lacking string // the commit that has no configuration file
	for _, rel := range candidates {
		inRepo, err := filepath.Rel(top, filepath.Join(ws, filepath.FromSlash(rel)))
		if err != nil || strings.HasPrefix(inRepo, "..") {
			return nil, fmt.Errorf("%s is outside the repository", rel)
		}
		data, commit, err := repo.ReadCommitFile(ctx, o.configRef, filepath.ToSlash(inRepo), maxConfigBytes)
		switch {
		case errors.Is(err, gitrepo.ErrNotInCommit) && o.configPath == "":
			lacking = commit
			continue
		case err != nil:
			return nil, fmt.Errorf("reading the configuration at %s: %w", o.configRef, err)
		}
		got = append(got, found{rel + "@" + commit[:min(len(commit), 7)], data, commit, filepath.ToSlash(inRepo)})
	}
	switch len(got) {
	case 0:
		at := o.configRef
		if short := lacking[:min(len(lacking), 7)]; short != "" && !strings.HasPrefix(o.configRef, short) {
			at += " (" + short + ")"
		}
		for _, rel := range candidates {
			if _, err := os.Stat(filepath.Join(o.workspace, filepath.FromSlash(rel))); err == nil {
				// Fail closed: the workspace says which gates the release
				// needs, and the default would check fewer and could pass.
				return nil, fmt.Errorf("%s: commit %s has no %s (or .yaml), so the run would check only the built-in default; the workspace's %s is not read, because %s points elsewhere. Point %s at a commit that has the file; if the change under test is the one that adds it, land the file before checking with %s", o.configRefFrom, at, config.DefaultPath, rel, o.configRefFrom, o.configRefFrom, o.configRefFrom)
			}
		}
		o.configNote = fmt.Sprintf("commit %s has no %s (or .yaml): using the built-in default", at, config.DefaultPath)
		return builtinDefault(), nil
	case 2:
		return nil, fmt.Errorf("both %s and its .yaml twin exist at %s: keep one, so it is clear which configures the release", config.DefaultPath, o.configRef)
	}
	o.configCommit = got[0].commit
	o.configSHA256, o.configFile = sha256Hex(got[0].data), got[0].rel
	return config.Parse(got[0].name, got[0].data, config.Options{Getenv: getenv, Gates: known})
}

// displayPath names a file relative to the workspace when it is inside it,
// as annotations need; otherwise as an absolute path.
func displayPath(workspace, path string) string {
	if rel, err := filepath.Rel(workspace, path); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return path
}

// applyInputs lets action inputs override (or create) gate settings.
func applyInputs(f *config.File, in inputs) error {
	if s := f.Section("secret-scan"); s != nil {
		if in.base != "" {
			s.SetInput("base", in.base, "base")
		}
		if in.head != "" {
			s.SetInput("head", in.head, "head")
		}
	}
	if in.image != "" || in.stagingImage != "" {
		s := f.Section("staging-digest")
		if s == nil {
			if in.image == "" || in.stagingImage == "" {
				return errors.New("the action inputs image and staging-image go together: staging-digest compares the two, and " + f.Path + " does not configure it; set both inputs, or configure gates.staging-digest")
			}
			s = config.NewSection(f.Path, "staging-digest")
			f.Sections = append(f.Sections, s)
		}
		if in.image != "" {
			s.SetInput("image", in.image, "image")
		}
		if in.stagingImage != "" {
			s.SetInput("staging", in.stagingImage, "staging-image")
		}
	}
	return nil
}

// errorAt is where a configuration error is.
type errorAt struct {
	file      string
	line, col int
}

// notAt returns errs but those at a position in at.
func notAt(errs config.Errors, at map[errorAt]bool) config.Errors {
	out := errs[:0:0]
	for _, e := range errs {
		if e.Line == 0 || !at[errorAt{e.File, e.Line, e.Col}] {
			out = append(out, e)
		}
	}
	return out
}

func asConfigErrors(err error, file string) config.Errors {
	var list config.Errors
	var one *config.Error
	switch {
	case errors.As(err, &list):
		return list
	case errors.As(err, &one):
		return config.Errors{one}
	}
	return config.Errors{{File: file, Msg: err.Error()}}
}

// redactError returns err with every secret the masker knows cut out,
// keeping the positions of configuration errors.
func redactError(err error, masker *gates.Masker) error {
	var list config.Errors
	var one *config.Error
	switch {
	case errors.As(err, &list):
		out := make(config.Errors, len(list))
		for i, e := range list {
			c := *e
			c.File, c.Msg = masker.Redact(c.File), masker.Redact(c.Msg)
			out[i] = &c
		}
		return out
	case errors.As(err, &one):
		c := *one
		c.File, c.Msg = masker.Redact(c.File), masker.Redact(c.Msg)
		return &c
	}
	return errors.New(masker.Redact(err.Error()))
}

func configError(err error, gh *report.GitHub, text *report.Text, stderr io.Writer) int {
	text.ConfigError(err)
	if gh != nil {
		if werr := gh.WriteConfigError(err); werr != nil {
			fmt.Fprintf(stderr, "release-gate: writing the job summary: %s\n", sanitize.Text(werr.Error()))
		}
	}
	return gates.ExitUsage
}

func check(ctx context.Context, start time.Time, o *options, p *plan, gh *report.GitHub, text *report.Text, masker *gates.Masker, getenv func(string) string, stdout, stderr io.Writer) int {
	event, err := readEvent(getenv)
	if err != nil {
		return configError(redactError(err, masker), gh, text, stderr)
	}
	token := getenv("INPUT_TOKEN")
	if token == "" {
		token = getenv("GITHUB_TOKEN")
	}
	env := gates.Env{
		Workspace:  o.workspace,
		Now:        time.Now,
		HTTPClient: httpsafe.NewClient(),
		Getenv:     getenv,
		Event:      event,
		Token:      token,
		ConfigRef:  o.configCommit,
		// Files that configure the run, for secret-scan's report of edits.
		ConfigFiles: p.configFiles,
	}

	text.Start(p.configName, p.configured())
	// The run's timeout counts from the start of the process: loading the
	// configuration is part of the run.
	remaining := p.timeout - time.Since(start)
	if remaining <= 0 {
		remaining = time.Nanosecond
	}
	runner := gates.Runner{
		Timeout:    remaining,
		Masker:     masker,
		OnDone:     text.GateDone,
		OnProgress: text.Progress,
		Waivers:    p.waivers,
		// The cap comes from the same file as the waivers.
		MaxWaiverDays: p.maxWaiverDays,
	}
	results := runner.Run(ctx, env, p.jobs)
	// The last redaction: a gate may have learned a secret after another
	// gate finished; nothing is reported before this point but status lines.
	for i := range results {
		results[i] = masker.RedactResult(results[i])
	}
	rep := report.Run{
		Version:  toolVersion(),
		Config:   masker.Redact(p.configName),
		Results:  results,
		Verdict:  gates.Decide(results),
		Duration: time.Since(start),
		// The commit checked out is the one the findings' lines are on.
		Source: report.NewSource(getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"), getenv("GITHUB_SHA")),
	}

	exit := rep.Verdict.Exit
	// A report the user asked for that cannot be written is an error: a CI
	// step reading it next must not read a stale one. From then on the
	// verdict is an error, and every output written after says so.
	fail := func(what string, err error) {
		fmt.Fprintf(stderr, "release-gate: writing %s: %s\n", what, sanitize.Text(masker.Redact(err.Error())))
		rep.Unwritten = append(rep.Unwritten, what)
		if exit == gates.ExitPass || exit == gates.ExitFail {
			exit = gates.ExitError
			rep.Verdict.Result, rep.Verdict.Exit = "error", exit
		}
	}
	jsonPath, jsonFile := o.jsonPath, o.jsonPath
	if jsonPath == "" && gh != nil {
		jsonPath, jsonFile = defaultReportPath, filepath.Join(o.workspace, defaultReportPath)
	}
	// "-" is stdout; a file is written so that no reader sees half of it,
	// through a link only where the workflow, not the change, made it.
	write := func(path string, encode func(report.Run) ([]byte, error)) error {
		data, err := encode(rep)
		if err != nil {
			return err
		}
		if path == "-" {
			_, err = stdout.Write(data)
			return err
		}
		return wsfile.WriteFile(o.workspace, path, data)
	}
	// Files first, then the summary, the attestation (only if nothing
	// failed before it) and the step outputs; a report on stdout last, so
	// that it states the verdict the run ends with.
	if jsonPath != "" && jsonPath != "-" {
		if err := write(jsonFile, report.EncodeJSON); err != nil {
			fail("the JSON report", err)
			jsonPath = ""
		}
	}
	rep.ReportPath = jsonPath
	if jsonPath == "-" {
		rep.ReportPath = "" // no file for the report output to name
	}
	if o.sarifPath != "" && o.sarifPath != "-" {
		if err := write(o.sarifPath, report.EncodeSARIF); err != nil {
			fail("the SARIF report", err)
		}
	}
	// The attestation comes before the summary and the outputs, which
	// must say error if it cannot be written; one for stdout waits for the
	// end, when the run is known to pass.
	var attestationStdout bytes.Buffer
	attestationOutput, attested := writeAttestation(ctx, o, p, rep, exit, gh != nil, masker, getenv, &attestationStdout, stderr, fail)
	if gh != nil {
		omitted := gh.WriteAnnotations(rep)
		if err := gh.WriteSummary(rep, omitted); err != nil {
			fail("the job summary", err)
		}
		if exit != gates.ExitPass {
			attestationOutput = nil
		}
		if err := gh.WriteOutputs(append(rep.Outputs(rep.ReportPath), attestationOutput...)); err != nil {
			fail("the step outputs", err)
		}
	}
	if len(attested) > 0 && exit != gates.ExitPass {
		// Something failed after the statement was written: a run that
		// does not pass leaves none.
		removeAttestation(o.workspace, attested, masker, stderr)
		fmt.Fprintf(stderr, "release-gate: attestation removed: the run ends with exit code %d\n", exit)
	}
	if len(rep.Unwritten) > 0 && rep.ReportPath != "" {
		// The JSON report was written before what failed: it states the
		// verdict the run ends with.
		if err := write(jsonFile, report.EncodeJSON); err != nil {
			fmt.Fprintf(stderr, "release-gate: writing the JSON report again: %s\n", sanitize.Text(masker.Redact(err.Error())))
		}
	}
	if o.sarifPath != "" && o.sarifPath != "-" && len(rep.Unwritten) > 0 && !slices.Contains(rep.Unwritten, "the SARIF report") {
		if err := write(o.sarifPath, report.EncodeSARIF); err != nil {
			fmt.Fprintf(stderr, "release-gate: writing the SARIF report again: %s\n", sanitize.Text(masker.Redact(err.Error())))
		}
	}
	if jsonPath == "-" {
		if err := write("-", report.EncodeJSON); err != nil {
			fail("the JSON report", err)
		}
	}
	if o.sarifPath == "-" {
		if err := write("-", report.EncodeSARIF); err != nil {
			fail("the SARIF report", err)
		}
	}
	if attestationStdout.Len() > 0 {
		if exit != gates.ExitPass {
			fmt.Fprintf(stderr, "release-gate: no attestation written: the run ends with exit code %d\n", exit)
		} else if _, err := stdout.Write(attestationStdout.Bytes()); err != nil {
			fail("the attestation", err)
		}
	}
	text.Final(rep)
	return exit
}

// namedGate stands in for a gate that is not run.
type namedGate string

func (g namedGate) Name() string { return string(g) }
func (g namedGate) Run(context.Context, *gates.Env) ([]gates.Finding, error) {
	return nil, errors.New("not run")
}

func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
