package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/wsfile"
)

// PgBackRest reads a set from pgBackRest's info --output=json.
type PgBackRest struct {
	// InfoFile is a saved copy of the JSON (relative to the workspace or
	// absolute). When empty, Command is run.
	InfoFile string
	// Command prints the JSON; default: pgbackrest --output=json info,
	// with --stanza=STANZA when Stanza is set.
	Command []string
	// Stanza selects the stanza; it may be empty when the output holds
	// exactly one.
	Stanza string
	// Types restricts which backups count (full, diff, incr); empty: all.
	Types []string
}

// Limits on what pgBackRest may print.
const (
	maxInfoSize   = 64 << 20
	maxStderrSize = 16 << 10
)

// pgBackRest's stanza status codes that mean "could not look", rather than
// "looked and found a problem".
const pgbrStatusOther = 99

// pgbrStanza is one element of pgbackrest info --output=json.
type pgbrStanza struct {
	Name   string `json:"name"`
	Status struct {
		Code    *int   `json:"code"`
		Message string `json:"message"`
		Lock    struct {
			Backup struct {
				Held bool `json:"held"`
			} `json:"backup"`
		} `json:"lock"`
	} `json:"status"`
	Backup []pgbrBackup `json:"backup"`
	Repo   []struct {
		Key    int `json:"key"`
		Status struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"status"`
	} `json:"repo"`
}

// statusText is the stanza's status with the failing repositories' own
// messages, which carry the detail ("other" alone says nothing).
func (s *pgbrStanza) statusText() string {
	text := fmt.Sprintf("status %d: %s", *s.Status.Code, s.Status.Message)
	for _, r := range s.Repo {
		if r.Status.Code != 0 {
			text += fmt.Sprintf("; repo%d: %s", r.Key, r.Status.Message)
		}
	}
	return text
}

type pgbrBackup struct {
	Label     string `json:"label"`
	Type      string `json:"type"`
	Error     *bool  `json:"error"`
	Timestamp struct {
		Start int64 `json:"start"`
		Stop  int64 `json:"stop"`
	} `json:"timestamp"`
	Info struct {
		Size       int64 `json:"size"`
		Repository struct {
			Size  int64 `json:"size"`
			Delta int64 `json:"delta"`
		} `json:"repository"`
	} `json:"info"`
}

// DefaultPgBackRestCommand is run when a pgBackRest set names neither an
// info file nor a command.
var defaultPgBackRestCommand = []string{"pgbackrest", "--output=json", "info"}

func checkPgBackRest(ctx context.Context, env *gates.Env, set Set) (*Report, error) {
	rep := &Report{}
	pb := set.PgBackRest
	data, source, err := readPgBackRestInfo(ctx, env, pb)
	if err != nil {
		return rep, err
	}
	var stanzas []pgbrStanza
	if err := json.Unmarshal(data, &stanzas); err != nil {
		return rep, fmt.Errorf("reading %s: not the JSON of pgbackrest info --output=json: %w", source, err)
	}
	st, err := pickStanza(stanzas, pb.Stanza, source)
	if err != nil {
		return rep, err
	}
	if st == nil {
		rep.problem(RuleNoBackup, "%s has no stanza %q (it has %s); check the stanza name", source, pb.Stanza, stanzaNames(stanzas))
		return rep, nil
	}
	where := fmt.Sprintf("pgBackRest stanza %s", st.Name)
	switch code := *st.Status.Code; {
	case code == pgbrStatusOther:
		return rep, fmt.Errorf("%s: pgBackRest could not read the repository: %s", where, st.statusText())
	case code != 0:
		rep.problem(RuleStanzaStatus, "%s is not healthy: %s", where, st.statusText())
		return rep, nil
	}
	if st.Status.Lock.Backup.Held {
		rep.note("%s: a backup is running now", where)
	}
	backups := filterBackups(st.Backup, pb.Types)
	rep.note("%s: status ok; %d backups (%d of type %s)", where, len(st.Backup), len(backups), typesText(pb.Types))
	if len(backups) == 0 {
		rep.problem(RuleNoBackup, "%s has no %s backup", where, typesText(pb.Types))
		return rep, nil
	}
	sort.SliceStable(backups, func(i, j int) bool {
		a, b := backups[i], backups[j]
		if a.Timestamp.Stop != b.Timestamp.Stop {
			return a.Timestamp.Stop > b.Timestamp.Stop
		}
		return a.Label > b.Label
	})
	nb := backups[0]
	if nb.Timestamp.Stop <= 0 {
		return rep, fmt.Errorf("%s: backup %s has no stop time in %s", where, nb.Label, source)
	}
	newest := Object{Name: nb.Label, Size: nb.Info.Size, ModTime: time.Unix(nb.Timestamp.Stop, 0).UTC()}
	if now := env.Now(); newest.ModTime.Sub(now) > maxClockSkew {
		return rep, futureError(fmt.Sprintf("%s backup %s finished at", where, nb.Label), newest.ModTime, now)
	}
	rep.Newest = &newest
	rep.Where = fmt.Sprintf("%s backup %s", where, nb.Label)
	if len(backups) > 1 {
		pb := backups[1]
		rep.Previous = &Object{Name: pb.Label, Size: pb.Info.Size, ModTime: time.Unix(pb.Timestamp.Stop, 0).UTC()}
	}
	url := func(label string) string { return fmt.Sprintf("%s backup %s", where, label) }
	age := env.Now().Sub(newest.ModTime)
	rep.note("newest: backup %s (%s), database %s, repository %s, finished %s (%s ago)",
		nb.Label, nb.Type, formatSize(nb.Info.Size), formatSize(nb.Info.Repository.Size), formatTime(newest.ModTime), formatAge(age))
	if nb.Error == nil {
		return rep, fmt.Errorf("%s: %s does not say whether backup %s had errors (no \"error\" field; pgBackRest 2.36 or later reports it); upgrade pgBackRest", where, source, nb.Label)
	}
	if *nb.Error {
		rep.problem(RuleBackupError, "newest backup %s (%s, finished %s) has errors: pgBackRest found corrupt pages or missing files while copying; see pgbackrest info --set=%s, fix the cause and take a new backup",
			rep.Where, nb.Type, formatTime(newest.ModTime), nb.Label)
	}
	if age > set.MaxAge {
		rep.problem(RuleStale, "newest backup %s (%s) finished %s ago (%s); max-age is %s", rep.Where, nb.Type, formatAge(age), formatTime(newest.ModTime), formatLimit(set.MaxAge))
	}
	if newest.Size < set.MinSize {
		rep.problem(RuleTooSmall, "newest backup %s backs up a database of %s; min-size is %s", rep.Where, formatSize(newest.Size), formatSize(set.MinSize))
	}
	checkShrink(rep, set, newest, rep.Previous, url)
	rep.Summary = fmt.Sprintf("%s (%s): %s old, database %s, no errors", rep.Where, nb.Type, formatAge(age), config.FormatSize(newest.Size))
	return rep, nil
}

// readPgBackRestInfo returns the JSON and names its source for messages.
func readPgBackRestInfo(ctx context.Context, env *gates.Env, pb *PgBackRest) ([]byte, string, error) {
	if pb.InfoFile != "" {
		p := pb.InfoFile
		if !filepath.IsAbs(p) {
			p = filepath.Join(env.Workspace, p)
		}
		if err := suppliedByChange(ctx, env.Workspace, p, "pgBackRest info file "+pb.InfoFile,
			"save it in the job (pgbackrest --output=json info > FILE), or leave info-file out to run pgbackrest"); err != nil {
			return nil, "", err
		}
		// Stat before opening: a link to a named pipe would block the open.
		info, err := os.Stat(p)
		if err != nil {
			return nil, "", fmt.Errorf("reading pgBackRest info file %s: %w", pb.InfoFile, err)
		}
		if !info.Mode().IsRegular() {
			return nil, "", fmt.Errorf("reading pgBackRest info file %s: it is %s, not a regular file; point info-file at the saved output of pgbackrest info --output=json", pb.InfoFile, wsfile.Kind(info.Mode()))
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, "", fmt.Errorf("reading pgBackRest info file %s: %w", pb.InfoFile, err)
		}
		defer func() { _ = f.Close() }() // read only: nothing to lose
		data, err := io.ReadAll(io.LimitReader(f, maxInfoSize+1))
		if err != nil {
			return nil, "", fmt.Errorf("reading pgBackRest info file %s: %w", pb.InfoFile, err)
		}
		if len(data) > maxInfoSize {
			return nil, "", fmt.Errorf("reading pgBackRest info file %s: larger than %d bytes", pb.InfoFile, maxInfoSize)
		}
		return data, pb.InfoFile, nil
	}
	argv := pb.Command
	if len(argv) == 0 {
		argv = append([]string(nil), defaultPgBackRestCommand...)
		if pb.Stanza != "" {
			argv = append(argv, "--stanza="+pb.Stanza)
		}
	}
	source := "the output of " + strings.Join(argv, " ")
	if err := programSuppliedByChange(ctx, env.Workspace, argv[0]); err != nil {
		return nil, "", err
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = env.Workspace
	cmd.WaitDelay = time.Second // a child that keeps the pipes open cannot hang the gate
	stdout := &capped{max: maxInfoSize}
	stderr := &capped{max: maxStderrSize}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	if cerr := ctx.Err(); cerr != nil {
		return nil, "", fmt.Errorf("running %s: %w", strings.Join(argv, " "), cerr)
	}
	if err != nil {
		msg := stderr.buf.String()
		if stderr.over {
			// The line the bound cut may end in part of a secret, which
			// the masking of every output no longer recognises.
			msg = msg[:strings.LastIndexByte(msg, '\n')+1]
		}
		msg = strings.TrimSpace(msg)
		if msg != "" {
			msg = ": " + lastLines(msg, 3)
		}
		var ee *exec.Error
		if errors.As(err, &ee) {
			return nil, "", fmt.Errorf("running %s: %w; install pgBackRest in the job or point info-file at a saved copy", strings.Join(argv, " "), err)
		}
		return nil, "", fmt.Errorf("running %s: %w%s", strings.Join(argv, " "), err, msg)
	}
	if stdout.over {
		return nil, "", fmt.Errorf("running %s: it printed more than %d bytes", strings.Join(argv, " "), maxInfoSize)
	}
	return stdout.buf.Bytes(), source, nil
}

// programSuppliedByChange refuses a command whose program the change under
// test supplies: a file git tracks in the workspace (named by a path, or
// found on PATH), or one reached through a link git tracks. It would run
// the change's code with the job's environment, and print what the change
// wants. A program the job put in the workspace itself still runs.
func programSuppliedByChange(ctx context.Context, workspace, prog string) error {
	var p string
	switch {
	case strings.ContainsRune(prog, '/') || strings.ContainsRune(prog, filepath.Separator):
		p = prog
		if !filepath.IsAbs(p) {
			p = filepath.Join(workspace, p) // the command runs in the workspace
		}
	default:
		found, err := exec.LookPath(prog)
		if err != nil || !filepath.IsAbs(found) {
			return nil //nolint:nilerr // not found, or refused by exec itself: running it says so
		}
		p = found
	}
	return suppliedByChange(ctx, workspace, filepath.Clean(p), "pgBackRest command "+prog,
		"release-gate does not run a program the change supplies: install pgBackRest on the runner, or save its output in the job (pgbackrest --output=json info > FILE) and point info-file at it")
}

// pickStanza finds the named stanza, or the only one. A nil stanza with a
// nil error means the name is not there. A name given twice is an error:
// which of the two pgBackRest means is unknown.
func pickStanza(stanzas []pgbrStanza, name, source string) (*pgbrStanza, error) {
	seen := map[string]bool{}
	for i := range stanzas {
		if stanzas[i].Status.Code == nil {
			return nil, fmt.Errorf("reading %s: stanza %q has no status.code; is this pgbackrest info --output=json?", source, stanzas[i].Name)
		}
		if seen[stanzas[i].Name] {
			return nil, fmt.Errorf("reading %s: it holds stanza %q twice; pgBackRest prints each stanza once: check where this output comes from", source, stanzas[i].Name)
		}
		seen[stanzas[i].Name] = true
	}
	if name == "" {
		if len(stanzas) != 1 {
			return nil, fmt.Errorf("%s holds %d stanzas (%s); set pgbackrest.stanza", source, len(stanzas), stanzaNames(stanzas))
		}
		return &stanzas[0], nil
	}
	for i := range stanzas {
		if stanzas[i].Name == name {
			return &stanzas[i], nil
		}
	}
	return nil, nil
}

func stanzaNames(stanzas []pgbrStanza) string {
	if len(stanzas) == 0 {
		return "none"
	}
	names := make([]string, len(stanzas))
	for i, s := range stanzas {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

func filterBackups(all []pgbrBackup, types []string) []pgbrBackup {
	if len(types) == 0 {
		return append([]pgbrBackup(nil), all...)
	}
	var out []pgbrBackup
	for _, b := range all {
		for _, t := range types {
			if b.Type == t {
				out = append(out, b)
				break
			}
		}
	}
	return out
}

func typesText(types []string) string {
	if len(types) == 0 {
		return "any"
	}
	return strings.Join(types, " or ")
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " / ")
}

// capped keeps up to max bytes written to it and remembers if there was more.
type capped struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); len(p) > room {
		c.buf.Write(p[:max(room, 0)])
		c.over = true
		return len(p), nil
	}
	return c.buf.Write(p)
}
