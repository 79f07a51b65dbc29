package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/release-gate/release-gate/config"
	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/gitrepo"
	"github.com/release-gate/release-gate/internal/wsfile"
)

// loadWaivers collects the configuration's waivers, reading the waivers
// file it names from where the configuration itself came from: the commit
// of --config-ref when there is one (the change under test cannot edit
// it there), else the workspace. It also lists, for a gate that reports
// edits to the files that configure the run, the workspace files the
// configuration came from when they are not at the default path.
func loadWaivers(ctx context.Context, o *options, file *config.File, known []string, getenv func(string) string, masker *gates.Masker) (waivers []gates.Waiver, configFiles []string, err error) {
	list := file.Waivers
	if o.configRef == "" && o.configPath != "" && wsfile.Inside(o.workspace, o.configPath) {
		configFiles = append(configFiles, displayPath(o.workspace, o.configPath))
	}
	if name := file.WaiversFile; name != "" {
		var data []byte
		var display string
		data, display, err = readWaiversFile(ctx, o, name)
		if err != nil {
			return nil, nil, file.WaiversFileErrorf("%s", err.Error())
		}
		if o.configRef == "" {
			configFiles = append(configFiles, display)
		}
		wf, err := config.ParseWaivers(display, data, config.Options{Getenv: getenv, Gates: known})
		if wf != nil {
			// What ${VAR}s brought in is masked before any error is shown.
			for _, secret := range wf.Secrets(getenv) {
				masker.Add(secret)
			}
		}
		if err != nil {
			return nil, nil, err
		}
		list = append(slices.Clone(list), wf.Waivers...)
	}
	for _, w := range list {
		waivers = append(waivers, gates.Waiver{
			Gate: w.Gate, Rule: w.Rule, Path: w.Path, Fingerprint: w.Fingerprint, Image: w.Image, Labels: w.Labels,
			Owner: w.Owner, Reason: w.Reason, Ticket: w.Ticket, Expires: w.Expires,
			Source: gates.Pos{File: w.File, Line: w.Line},
		})
	}
	return waivers, configFiles, nil
}

// readWaiversFile reads the waivers file name (relative to the workspace)
// and returns it with the name messages give it.
func readWaiversFile(ctx context.Context, o *options, name string) ([]byte, string, error) {
	if filepath.IsAbs(name) {
		return nil, "", fmt.Errorf("%s is not relative to the workspace; the waivers file is a file of the repository, read as the configuration is", name)
	}
	abs := filepath.Join(o.workspace, filepath.FromSlash(name))
	if !wsfile.Inside(o.workspace, abs) {
		return nil, "", fmt.Errorf("%s is outside the workspace", name)
	}
	rel := displayPath(o.workspace, abs)
	if o.configRef == "" {
		data, err := wsfile.ReadFile(o.workspace, abs, maxConfigBytes)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, "", fmt.Errorf("waivers file %s does not exist", rel)
			}
			return nil, "", fmt.Errorf("reading waivers file %s: %s", rel, strings.TrimPrefix(err.Error(), abs+": "))
		}
		return data, rel, nil
	}
	repo, err := gitrepo.Open(ctx, o.workspace)
	if err != nil {
		return nil, "", fmt.Errorf("reading waivers file %s at %s: %w", rel, o.configRef, err)
	}
	defer repo.Close()
	ws, err := filepath.EvalSymlinks(o.workspace)
	if err != nil {
		return nil, "", err
	}
	inRepo, err := filepath.Rel(repo.Top(), filepath.Join(ws, filepath.FromSlash(rel)))
	if err != nil || strings.HasPrefix(inRepo, "..") {
		return nil, "", fmt.Errorf("%s is outside the repository", rel)
	}
	// The commit the configuration was read from, not the ref again: a
	// branch that moves in between must not bring other waivers.
	rev := o.configCommit
	if rev == "" {
		rev = o.configRef
	}
	data, commit, err := repo.ReadCommitFile(ctx, rev, filepath.ToSlash(inRepo), maxConfigBytes)
	if err != nil {
		return nil, "", fmt.Errorf("reading waivers file %s at %s, the commit the configuration comes from: %w", rel, o.configRef, err)
	}
	return data, rel + "@" + commit[:min(len(commit), 7)], nil
}
