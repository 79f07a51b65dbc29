package backupfreshness

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/release-gate/release-gate/internal/gatetest"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/backup"
	"github.com/release-gate/release-gate/internal/testenv"
)

// workspaceWithInfo copies the pgBackRest fixture into a workspace.
func workspaceWithInfo(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/pgbackrest-info.json")
	if err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	writeFile(t, ws, "ci/pgbackrest-info.json", data, now)
	return ws
}

func TestPgBackRestInfoFile(t *testing.T) {
	ws := workspaceWithInfo(t)
	for _, tt := range []struct {
		name    string
		pb, top string // keys under pgbackrest:, keys beside it
		status  gates.Status
		rules   []string
		want    string
	}{
		{"newest incremental is fresh", "stanza: main", "max-age: 24h", gates.StatusPass, nil,
			"pgBackRest stanza main backup 20250311-120000F_20250314-100000I (incr): 2h 0m old, database 19.1 MiB, no errors"},
		{"only full backups count", "stanza: main, type: full", "max-age: 24h", gates.StatusFail, []string{RuleStale},
			"newest backup pgBackRest stanza main backup 20250311-120000F (full) finished 3d 0h ago (2025-03-11T12:00:00Z); max-age is 1d"},
		{"diff or full", "stanza: main, type: [full, diff]", "max-age: 27h", gates.StatusPass, nil, "20250311-120000F_20250313-100000D (diff): 1d 2h old"},
		{"database too small", "stanza: main", "max-age: 24h\nmin-size: 1GB", gates.StatusFail, []string{RuleTooSmall},
			"backs up a database of 19.1 MiB (20054016 bytes); min-size is 953.7 MiB (1000000000 bytes)"},
		{"database shrunk", "stanza: main", "max-age: 24h\nmax-shrink: 20%", gates.StatusFail, []string{RuleShrunk},
			"is 36.38% smaller than the previous one pgBackRest stanza main backup 20250311-120000F_20250313-100000D"},
		{"no valid backups", "stanza: reporting", "max-age: 24h", gates.StatusFail, []string{RuleStanzaStatus},
			"pgBackRest stanza reporting is not healthy: status 2: no valid backups; repo1: no valid backups"},
		{"newest backup has errors", "stanza: billing", "max-age: 24h", gates.StatusFail, []string{RuleBackupError},
			"newest backup pgBackRest stanza billing backup 20250314-070000F (full, finished 2025-03-14T07:00:00Z) has errors"},
		{"unknown stanza", "stanza: nope", "max-age: 24h", gates.StatusFail, []string{RuleNoBackup},
			`ci/pgbackrest-info.json has no stanza "nope" (it has main, reporting, billing, offsite)`},
		{"repository unreadable", "stanza: offsite", "max-age: 24h", gates.StatusError, nil,
			"pgBackRest stanza offsite: pgBackRest could not read the repository: status 99: other; repo1: [039]: HTTP request failed with 403 (Forbidden)"},
		{"several stanzas, none named", "", "max-age: 24h", gates.StatusError, nil,
			"ci/pgbackrest-info.json holds 4 stanzas (main, reporting, billing, offsite); set pgbackrest.stanza"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := "pgbackrest: {info-file: ci/pgbackrest-info.json, " + tt.pb + "}\n" + tt.top + "\n"
			res := gatetest.Run(t, mustGate(t, cfg), testEnv(ws, nil))
			gatetest.Want(t, res, tt.status, tt.rules, tt.want)
		})
	}
}

func TestPgBackRestOutputProblems(t *testing.T) {
	ws := t.TempDir()
	writeFile(t, ws, "old.json", []byte(`[{"name":"main","status":{"code":0,"message":"ok"},
		"backup":[{"label":"20250314-100000F","type":"full","timestamp":{"start":1741946340,"stop":1741946400},"info":{"size":1}}]}]`), now)
	writeFile(t, ws, "html.json", []byte("<html>"), now)
	writeFile(t, ws, "nostatus.json", []byte(`[{"name":"main"}]`), now)
	for _, tt := range []struct{ file, want string }{
		{"old.json", `does not say whether backup 20250314-100000F had errors (no "error" field; pgBackRest 2.36 or later reports it)`},
		{"html.json", "reading html.json: not the JSON of pgbackrest info --output=json"},
		{"nostatus.json", `stanza "main" has no status.code`},
		{"missing.json", "reading pgBackRest info file missing.json: stat"},
	} {
		res := gatetest.Run(t, mustGate(t, "pgbackrest: {info-file: "+tt.file+"}\nmax-age: 1d\n"), testEnv(ws, nil))
		gatetest.Want(t, res, gates.StatusError, nil, tt.want)
	}
}

// fakePgBackRest puts a pgbackrest script first on PATH.
func fakePgBackRest(t *testing.T, script string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pgbackrest"), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestPgBackRestCommand(t *testing.T) {
	fixture, err := filepath.Abs("testdata/pgbackrest-info.json")
	if err != nil {
		t.Fatal(err)
	}
	// The default command, with the stanza: the script checks its arguments.
	fakePgBackRest(t, `[ "$*" = "--output=json info --stanza=main" ] || { echo "ERROR: [031]: unexpected arguments: $*" >&2; exit 31; }
cat '`+fixture+`'
`)
	ws := t.TempDir()
	res := gatetest.Run(t, mustGate(t, "pgbackrest: {stanza: main}\nmax-age: 1d\n"), testEnv(ws, nil))
	gatetest.Want(t, res, gates.StatusPass, nil, "backup 20250311-120000F_20250314-100000I (incr): 2h 0m old")

	// A command of the user's: the arguments differ, the script fails.
	res = gatetest.Run(t, mustGate(t, "pgbackrest: {stanza: main, command: pgbackrest info --output=json}\nmax-age: 1d\n"), testEnv(ws, nil))
	gatetest.Want(t, res, gates.StatusError, nil,
		"running pgbackrest info --output=json: exit status 31: ERROR: [031]: unexpected arguments: info --output=json")

	res = gatetest.Run(t, mustGate(t, "pgbackrest: {command: [no-such-pgbackrest-binary, info]}\nmax-age: 1d\n"), testEnv(ws, nil))
	gatetest.Want(t, res, gates.StatusError, nil, "running no-such-pgbackrest-binary info", "install pgBackRest in the job or point info-file at a saved copy")
}

// What pgbackrest printed on stderr is kept up to a bound: a line across
// it, which may end in part of a secret no masking recognises any more, is
// not shown.
func TestPgBackRestStderrCutAtALine(t *testing.T) {
	token := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 40)
	t.Setenv("RG_TEST_TOKEN", token)
	fakePgBackRest(t, `{ yes xxxxxxxxxxxxxxx | head -c 16368; printf 'token=%s\n' "$RG_TEST_TOKEN"; echo more; } >&2; exit 1
`)
	res := gatetest.Run(t, mustGate(t, "pgbackrest: {stanza: main}\nmax-age: 1d\n"), testEnv(t.TempDir(), nil))
	gatetest.Want(t, res, gates.StatusError, nil, "exit status 1: xxxxxxxxxxxxxxx / xxxxxxxxxxxxxxx")
	gatetest.WantNot(t, res, token[:8])
}

func TestPgBackRestCommandHonoursContext(t *testing.T) {
	fakePgBackRest(t, "sleep 30\n")
	g := mustGate(t, "pgbackrest: {stanza: main}\nmax-age: 1d\n")
	env := testEnv(t.TempDir(), nil)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := backup.Check(ctx, &env, g.sets[0])
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
}
