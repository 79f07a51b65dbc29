package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/attest"
	"github.com/release-gate/release-gate/internal/sanitize"
	"github.com/release-gate/release-gate/internal/wsfile"
	"github.com/release-gate/release-gate/report"
)

// defaultAttestationPath is where the verification summary goes on GitHub
// Actions when --attestation is not given; relative to the workspace, like
// the JSON report.
const defaultAttestationPath = "release-gate-attestation.intoto.json"

// writeAttestation writes the verification summary of a passing run that
// pinned an image (see internal/attest), and its predicate alone beside it
// for actions/attest, and returns the step outputs naming both and the
// subject, and the files it wrote (see removeAttestation). A run that
// proved less writes none, and removes nothing: the output is then absent,
// so a later step that reads it cannot pick up a file an earlier run left.
// exit is the run's exit code so far; fail reports a statement that should
// have been written and was not.
func writeAttestation(ctx context.Context, o *options, p *plan, rep report.Run, exit int, onActions bool, masker *gates.Masker, getenv func(string) string, stdout, stderr io.Writer, fail func(string, error)) (outputs []gates.Output, written []string) {
	target, explicit := o.attestationPath, o.attestationPath != ""
	if !explicit {
		if !onActions {
			return nil, nil
		}
		target = filepath.Join(o.workspace, defaultAttestationPath)
	}
	skip := func(reason string) ([]gates.Output, []string) {
		if explicit || ran(rep.Results, "staging-digest") {
			fmt.Fprintf(stderr, "release-gate: no attestation written: %s\n", sanitize.Text(masker.Redact(reason)))
		}
		return nil, nil
	}
	switch {
	case ctx.Err() != nil:
		return skip("the run was interrupted")
	case exit != gates.ExitPass:
		return skip(fmt.Sprintf("the run ends with exit code %d", exit))
	}
	data, err := attest.Statement(attest.Run{
		Version:      toolVersion(),
		Time:         time.Now(),
		PolicyURI:    policyURI(o, getenv),
		PolicySHA256: o.configSHA256,
		PolicyInputs: o.inputs.asMap(masker),
		Deselected:   p.deselected,
		Results:      rep.Results,
	})
	if attest.IsNotAttestable(err) {
		return skip(strings.TrimPrefix(err.Error(), "no attestation: "))
	}
	if err != nil {
		fail("the attestation", err)
		return nil, nil
	}
	if target == "-" {
		if _, err := stdout.Write(data); err != nil {
			fail("the attestation", err)
		}
		return nil, nil
	}
	parts, err := attest.Split(data)
	if err != nil {
		fail("the attestation", err)
		return nil, nil
	}
	predicate := predicatePath(target)
	for _, f := range []struct {
		path string
		data []byte
	}{{target, data}, {predicate, parts.Predicate}} {
		if err := wsfile.WriteFile(o.workspace, f.path, f.data); err != nil {
			fail("the attestation", err)
			return nil, written // removed by the caller: half a pair is none
		}
		written = append(written, f.path)
	}
	return []gates.Output{
		{Name: "attestation", Value: displayPath(o.workspace, target)},
		{Name: "attestation-predicate", Value: displayPath(o.workspace, predicate)},
		{Name: "attestation-subject-name", Value: parts.SubjectName},
		{Name: "attestation-subject-digest", Value: parts.SubjectDigest},
	}, written
}

// removeAttestation removes the files writeAttestation wrote, when the run
// did not pass after all: the regular files they are, through a link the
// workflow made; a device or a descriptor (/dev/stdout) stays as it is.
func removeAttestation(workspace string, written []string, masker *gates.Masker, stderr io.Writer) {
	for _, f := range written {
		target, err := filepath.EvalSymlinks(f)
		if err != nil {
			continue
		}
		if fi, err := os.Lstat(target); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if err := os.Remove(target); err != nil {
			fmt.Fprintf(stderr, "release-gate: removing %s: %s\n", sanitize.Text(displayPath(workspace, f)), sanitize.Text(masker.Redact(err.Error())))
		}
	}
}

// predicatePath is where the predicate alone goes, beside the statement:
// x.intoto.json (or x.json, or x) gets x.predicate.json.
func predicatePath(statement string) string {
	base := statement
	for _, ext := range []string{".intoto.json", ".json"} {
		if b, ok := strings.CutSuffix(base, ext); ok {
			base = b
			break
		}
	}
	return base + ".predicate.json"
}

// ran reports whether the named gate ran (was not skipped).
func ran(results []gates.Result, gate string) bool {
	for _, r := range results {
		if r.Name == gate && r.Status != gates.StatusSkipped {
			return true
		}
	}
	return false
}

// asMap lists the inputs that were set, by their action input name, with
// every secret the run knows cut out: the statement is signed and kept.
func (in inputs) asMap(masker *gates.Masker) map[string]string {
	m := map[string]string{}
	for k, v := range map[string]string{"base": in.base, "head": in.head, "image": in.image, "staging-image": in.stagingImage} {
		if v != "" {
			m[k] = masker.Redact(v)
		}
	}
	return m
}

// policyURI names the configuration file the run read: on GitHub, the file
// at the commit it was read from (--config-ref's, else the checked-out
// GITHUB_SHA); elsewhere a file: URI. The policy digest, not this URI, is
// what a verifier should require: the workspace copy may differ from the
// commit's.
func policyURI(o *options, getenv func(string) string) string {
	if o.configFile == "" {
		return ""
	}
	if filepath.IsAbs(o.configFile) {
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(o.configFile)}).String()
	}
	commit := o.configCommit
	if commit == "" {
		commit = getenv("GITHUB_SHA")
	}
	server, repo := strings.TrimSuffix(getenv("GITHUB_SERVER_URL"), "/"), getenv("GITHUB_REPOSITORY")
	if u, err := url.Parse(server); err == nil && u.Scheme == "https" && repo != "" && commit != "" {
		u.Path = path.Join(u.Path, repo, "blob", commit, o.configFile)
		return u.String()
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(o.workspace, filepath.FromSlash(o.configFile)))}).String()
}

// sha256Hex is the hex SHA-256 of data.
func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
