package backup

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
)

// progressEvery is how often long reads report progress.
const progressEvery = 5 * time.Second

// Check checks one set: it lists the location (or asks pgBackRest), picks
// the newest backup and checks its age, size, shrinkage and, as the set
// asks, its content. The report is never nil and holds whatever was
// learned; a non-nil error means the set could not be checked (location
// unreachable, access denied, a read cut short, the context).
func Check(ctx context.Context, env *gates.Env, set Set) (*Report, error) {
	if set.PgBackRest != nil {
		return checkPgBackRest(ctx, env, set)
	}
	rep := &Report{}
	store, err := OpenStore(ctx, env, set)
	if err != nil {
		return rep, err
	}
	cands := NewCandidates(set.Pattern)
	stats, err := store.List(ctx, listQuery(set.Pattern), func(o Object) error {
		if err := cands.Add(o); err != nil {
			return fmt.Errorf("listing %s: %w", store, err)
		}
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			// A deadline is reported as such by whoever set it; the note
			// keeps how far the listing got (a listing that never ends).
			rep.note("%v", err)
		}
		return rep, err
	}
	pages := ""
	if stats.Requests > 1 {
		pages = fmt.Sprintf(" in %d pages", stats.Requests)
	}
	rep.note("listed %d objects%s under %s; %d match %s", stats.Objects, pages, store, cands.Matched, set.Pattern)
	if cands.Newest == nil {
		rep.problem(RuleNoBackup, "no backup matches %s under %s (%d other objects listed); check location and pattern, and that backups run", set.Pattern, store, stats.Objects)
		return rep, nil
	}
	newest := *cands.Newest
	rep.Newest, rep.Previous = cands.Newest, cands.Previous
	rep.Where = store.ObjectURL(newest.Name)
	if ls, ok := store.(*localStore); ok {
		if err := suppliedByChange(ctx, env.Workspace, filepath.Join(ls.root, filepath.FromSlash(newest.Name)), "backup "+rep.Where,
			"keep backups out of the repository and point location at where they are written (an absolute path, or S3)"); err != nil {
			return rep, err
		}
	}
	if err := checkMetadata(rep, env.Now(), set, newest, cands.Previous, store.ObjectURL); err != nil {
		return rep, err
	}

	if !set.Checksum && !set.Decompress {
		rep.note("content not verified (verify: is empty)")
		rep.Summary = fmt.Sprintf("%s: %s old, %s", rep.Where, formatAge(env.Now().Sub(newest.ModTime)), config.FormatSize(newest.Size))
		return rep, nil
	}
	if len(rep.Problems) > 0 {
		rep.note("content not verified: %s already fails", rep.Where)
		return rep, nil
	}
	verified, err := verifyObject(ctx, env, rep, set, store, cands, newest)
	if err != nil {
		return rep, err
	}
	rep.Summary = fmt.Sprintf("%s: %s old, %s%s", rep.Where, formatAge(env.Now().Sub(newest.ModTime)), config.FormatSize(newest.Size), verified)
	return rep, nil
}

// maxClockSkew is how far a backup may be dated ahead of this machine's
// clock before that is an error rather than "0s old": NTP keeps clocks
// within seconds, and a few minutes cover a slow one. The newest backup is
// the one dated latest, so it is the one checked.
const maxClockSkew = 5 * time.Minute

// futureError says that a backup's time, at, is ahead of now by more than
// the clock skew allowed: its age, and so the verdict, is unknown. dated
// says what the time is: "backups/db.sql.gz is dated".
func futureError(dated string, at, now time.Time) error {
	return fmt.Errorf("%s %s, %s after this machine's clock (%s), more than the %s of clock skew allowed: its age is unknown; check the clocks of the machine that wrote it and of this runner",
		dated, formatTime(at), formatAge(at.Sub(now)), formatTime(now), formatAge(maxClockSkew))
}

// checkMetadata checks age, size and shrinkage. A newest backup dated in
// the future beyond the clock skew is an error.
func checkMetadata(rep *Report, now time.Time, set Set, newest Object, prev *Object, url func(string) string) error {
	age := now.Sub(newest.ModTime)
	rep.note("newest: %s, %s, modified %s (%s ago)", url(newest.Name), formatSize(newest.Size), formatTime(newest.ModTime), formatAge(age))
	if -age > maxClockSkew {
		return futureError(url(newest.Name)+" is dated", newest.ModTime, now)
	}
	if age > set.MaxAge {
		rep.problem(RuleStale, "newest backup %s is %s old (modified %s); max-age is %s", url(newest.Name), formatAge(age), formatTime(newest.ModTime), formatLimit(set.MaxAge))
	}
	if newest.Size < set.MinSize {
		rep.problem(RuleTooSmall, "newest backup %s is %s; min-size is %s", url(newest.Name), formatSize(newest.Size), formatSize(set.MinSize))
	}
	checkShrink(rep, set, newest, prev, url)
	return nil
}

func checkShrink(rep *Report, set Set, newest Object, prev *Object, url func(string) string) {
	if !set.CheckShrink {
		return
	}
	if prev == nil {
		rep.note("no previous backup to compare sizes with")
		return
	}
	rep.note("previous: %s, %s, modified %s", url(prev.Name), formatSize(prev.Size), formatTime(prev.ModTime))
	if prev.Size <= 0 || newest.Size >= prev.Size {
		return
	}
	shrink := 1 - float64(newest.Size)/float64(prev.Size)
	if shrink > set.MaxShrink {
		rep.problem(RuleShrunk, "newest backup %s (%s) is %s smaller than the previous one %s (%s); max-shrink is %s",
			url(newest.Name), formatSize(newest.Size), percent(shrink), url(prev.Name), formatSize(prev.Size), percent(set.MaxShrink))
	}
}

// verifyObject reads the newest backup once and checks it against its
// sidecar and its own compression framing. It returns a summary suffix.
func verifyObject(ctx context.Context, env *gates.Env, rep *Report, set Set, store Store, cands *Candidates, obj Object) (string, error) {
	where := store.ObjectURL(obj.Name)
	var want []byte
	hash := false
	if set.Checksum {
		sidecar := obj.Name + SidecarSuffix
		if !cands.HasSidecar(sidecar) {
			rep.problem(RuleChecksumMissing, "%s has no checksum file %s; write one beside each backup (sha256sum NAME > NAME.sha256) or drop checksum from verify",
				where, store.ObjectURL(sidecar))
		} else {
			if ls, ok := store.(*localStore); ok {
				if err := suppliedByChange(ctx, env.Workspace, filepath.Join(ls.root, filepath.FromSlash(sidecar)), "checksum file "+store.ObjectURL(sidecar),
					"write the checksum file where the backup is written, when it is written (sha256sum NAME > NAME.sha256), outside the repository"); err != nil {
					return "", err
				}
			}
			data, err := readSmall(ctx, store, sidecar)
			if err != nil {
				return "", err
			}
			want, err = ParseSidecar(data, obj.Name)
			if err != nil {
				rep.problem(RuleChecksumMissing, "checksum file %s is unusable: %v", store.ObjectURL(sidecar), err)
			} else {
				hash = true
			}
		}
	}
	if !hash && !set.Decompress {
		return "", nil
	}
	rc, err := store.Open(ctx, obj.Name)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	last := env.Now()
	opts := VerifyOptions{
		Hash: hash, Decompress: set.Decompress, Format: FormatOf(obj.Name),
		MaxDecompressed: set.MaxDecompressed, Size: obj.Size,
		Progress: func(read int64) {
			if now := env.Now(); now.Sub(last) >= progressEvery {
				last = now
				env.Progressf("%sverifying %s: %s of %s read", set.Label(), where, formatSize(read), formatSize(obj.Size))
			}
		},
	}
	// Decompressing is one stream on one core (hashing keeps pace on
	// another): the gates that run alongside leave that core to it.
	release := env.Cores.Hold(1)
	res, err := Verify(ctx, rc, opts)
	release()
	var tooLarge *TooLargeError
	switch {
	case errors.Is(err, ErrUnknownFormat):
		return "", fmt.Errorf("verifying %s: it is neither gzip nor zstd (judging by its name and first bytes), so it cannot be decompressed; drop decompress from verify for this set", where)
	case errors.As(err, &tooLarge):
		return "", fmt.Errorf("verifying %s: it decompresses to more than %s; raise max-decompressed to verify it whole", where, formatSize(tooLarge.Limit))
	case err != nil:
		return "", fmt.Errorf("verifying %s: %w", where, err)
	}
	var parts string
	if hash {
		got := hex.EncodeToString(res.SHA256)
		if string(res.SHA256) != string(want) {
			rep.problem(RuleChecksumMismatch, "%s does not match its checksum file: sha256 is %s, %s says %s; the backup was changed or damaged after it was written",
				where, got, store.ObjectURL(obj.Name+SidecarSuffix), hex.EncodeToString(want))
		} else {
			rep.note("checksum ok: sha256 %s matches %s", got, store.ObjectURL(obj.Name+SidecarSuffix))
			parts += ", checksum ok"
		}
	}
	if set.Decompress {
		if c := res.Corrupt; c != nil {
			rule := RuleCorrupt
			if c.Truncated {
				rule = RuleTruncated
			}
			rep.problem(rule, "%s cannot be restored: %v", where, c)
		} else {
			rep.note("%s ok: %s decompressed to %s", res.Format, where, formatSize(res.Decompressed))
			parts += fmt.Sprintf(", %s ok (%s decompressed)", res.Format, config.FormatSize(res.Decompressed))
		}
	}
	return parts, nil
}

// readSmall reads a small object (a sidecar) whole, refusing a big one.
func readSmall(ctx context.Context, store Store, name string) ([]byte, error) {
	rc, err := store.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxSidecarSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", store.ObjectURL(name), err)
	}
	if len(data) > maxSidecarSize {
		return nil, fmt.Errorf("reading %s: larger than %d bytes; a checksum file is a line", store.ObjectURL(name), maxSidecarSize)
	}
	return data, nil
}
