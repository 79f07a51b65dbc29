package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/internal/attest"
	"github.com/release-gate/release-gate/internal/attest/attesttest"
	"github.com/release-gate/release-gate/internal/registry/registrytest"
)

// stagingConfig configures staging-digest against host over plain HTTP,
// with more (another gate's section) appended.
func stagingConfig(host, candidate, staging, more string) string {
	return "version: 1\ngates:\n  staging-digest:\n    image: " + host + "/shop/api:" + candidate +
		"\n    staging: " + host + "/shop/api:" + staging + "\n    insecure: true\n" + more
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// checkStatement validates the statement at path against the schemas,
// signs and verifies it offline, and checks its subject is wantDigest and
// its policy digest wantPolicy. It returns the predicate.
func checkStatement(t *testing.T, path, wantName, wantDigest, wantPolicy string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no statement: %v", err)
	}
	env, pub := attesttest.Sign(t, data)
	payload, err := attesttest.Verify(t, env, pub)
	if err != nil {
		t.Fatalf("verifying the signed statement: %v", err)
	}
	st, m := attesttest.Validate(t, payload)
	subj := st.GetSubject()
	if len(subj) != 1 || subj[0].GetName() != wantName || len(subj[0].GetDigest()) != 1 || "sha256:"+subj[0].GetDigest()["sha256"] != wantDigest {
		t.Errorf("subject %v, want %s with %s", subj, wantName, wantDigest)
	}
	pred := m["predicate"].(map[string]any)
	if got := pred["policy"].(map[string]any)["digest"].(map[string]any)["sha256"]; got != wantPolicy {
		t.Errorf("policy digest %v, want %s (the configuration's bytes)", got, wantPolicy)
	}
	if pred["verificationResult"] != "PASSED" {
		t.Errorf("verificationResult %v", pred["verificationResult"])
	}
	return pred
}

// A run against a real registry (Debian's docker-registry) that pins an
// image writes a statement whose subject is that image's digest, as the
// registry computed it when the test pushed it.
func TestAttestationOfAPinnedImage(t *testing.T) {
	host := registrytest.StartDistribution(t)
	img := registrytest.PushImage(t, host+"/shop/api:candidate")
	registrytest.WriteImage(t, host+"/shop/api:staging", img)
	// Another image, pushed last, under another tag: the statement must
	// name the image the gate proved, not the newest push.
	registrytest.PushImage(t, host+"/shop/api:other")
	want := registrytest.Digest(t, img).String()

	dir := repo(t, map[string]string{".github/release-gate.yml": stagingConfig(host, "candidate", "staging", "")})
	out := filepath.Join(t.TempDir(), "vsa.json")
	r := runIn(t, nil, "check", "-C", dir, "--attestation", out)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	pred := checkStatement(t, out, host+"/shop/api", want, fileSHA256(t, filepath.Join(dir, ".github/release-gate.yml")))
	if pred["resourceUri"] != "oci://"+host+"/shop/api@"+want {
		t.Errorf("resourceUri %v", pred["resourceUri"])
	}
	if got, _ := json.Marshal(pred[attest.GatesField]); string(got) != `[{"mode":"enforce","name":"staging-digest","verdict":"PASSED","waived":0}]` {
		t.Errorf("gates %s", got)
	}
	// Outside Actions the policy is named by a file: URI.
	if uri, _ := pred["policy"].(map[string]any)["uri"].(string); uri != "file://"+filepath.ToSlash(filepath.Join(dir, ".github/release-gate.yml")) {
		t.Errorf("policy uri %q", uri)
	}
}

// On Actions the statement goes to a default path in the workspace, named
// by the attestation output; the policy names the file at the commit.
func TestAttestationOnActions(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/shop/api:candidate")
	registrytest.WriteImage(t, host+"/shop/api:staging", img)
	// The configuration names another tag; the image input overrides it.
	cfg := stagingConfig(host, "elsewhere", "staging", "")
	dir := repo(t, map[string]string{".github/release-gate.yml": cfg})
	head := gitIn(t, dir, "rev-parse", "HEAD")
	env, files := actionEnv(t, dir, map[string]string{"image": host + "/shop/api:candidate"})
	env["GITHUB_SERVER_URL"], env["GITHUB_REPOSITORY"], env["GITHUB_SHA"] = "https://github.com", "octo-org/shop", head
	r := runIn(t, env, "check")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	outs := outputs(t, filepath.Join(files, "output"))
	if outs["attestation"] != defaultAttestationPath {
		t.Fatalf("attestation output %q, want %q; outputs %v", outs["attestation"], defaultAttestationPath, outs)
	}
	sum := sha256.Sum256([]byte(cfg))
	pred := checkStatement(t, filepath.Join(dir, outs["attestation"]), host+"/shop/api", registrytest.Digest(t, img).String(), hex.EncodeToString(sum[:]))
	if uri := pred["policy"].(map[string]any)["uri"]; uri != "https://github.com/octo-org/shop/blob/"+head+"/.github/release-gate.yml" {
		t.Errorf("policy uri %v", uri)
	}
	// The input that overrode the file is recorded beside its digest.
	if ann, _ := json.Marshal(pred["policy"].(map[string]any)["annotations"]); string(ann) != `{"gates":["staging-digest"],"inputs":{"image":"`+host+`/shop/api:candidate"}}` {
		t.Errorf("policy annotations %s", ann)
	}
	// The digest output and the subject agree.
	if outs["digest"] != registrytest.Digest(t, img).String() {
		t.Errorf("digest output %q", outs["digest"])
	}
	// What actions/attest takes: the subject, and the predicate alone,
	// the same as the statement's.
	if outs["attestation-subject-name"] != host+"/shop/api" || outs["attestation-subject-digest"] != registrytest.Digest(t, img).String() {
		t.Errorf("subject outputs %q %q", outs["attestation-subject-name"], outs["attestation-subject-digest"])
	}
	if outs["attestation-predicate"] != "release-gate-attestation.predicate.json" {
		t.Fatalf("attestation-predicate output %q", outs["attestation-predicate"])
	}
	data, err := os.ReadFile(filepath.Join(dir, outs["attestation-predicate"]))
	if err != nil {
		t.Fatal(err)
	}
	var alone map[string]any
	if err := json.Unmarshal(data, &alone); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(alone)
	b, _ := json.Marshal(pred)
	if string(a) != string(b) {
		t.Errorf("the predicate file differs from the statement's predicate:\n%s\n%s", a, b)
	}
}

// With --config-ref the policy digest is that of the bytes the commit
// stores, not of the workspace's edited copy.
func TestAttestationPolicyFromConfigRef(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/shop/api:candidate")
	registrytest.WriteImage(t, host+"/shop/api:staging", img)
	cfg := stagingConfig(host, "candidate", "staging", "")
	dir := repo(t, map[string]string{".github/release-gate.yml": cfg})
	if err := os.WriteFile(filepath.Join(dir, ".github/release-gate.yml"), []byte(cfg+"# edited by the change\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "vsa.json")
	r := runIn(t, nil, "check", "-C", dir, "--config-ref", "HEAD", "--attestation", out)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	sum := sha256.Sum256([]byte(cfg))
	checkStatement(t, out, host+"/shop/api", registrytest.Digest(t, img).String(), hex.EncodeToString(sum[:]))
}

// A run that does not pass, or proves less than the statement would
// claim, writes none and leaves a file already at the path as it was.
func TestNoAttestationUnlessThePolicyPassed(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/shop/api:candidate")
	registrytest.WriteImage(t, host+"/shop/api:staging", img)
	registrytest.PushImage(t, host+"/shop/api:rebuilt")
	secretScan := "  secret-scan:\n    scope: [tree]\n"

	cases := []struct {
		name, config string
		args         []string
		code         int
		why          string
	}{
		{"candidate is not what staging validated", stagingConfig(host, "rebuilt", "staging", ""), nil, 1, "the run ends with exit code 1"},
		{"candidate missing", stagingConfig(host, "gone", "staging", ""), nil, 1, "the run ends with exit code 1"},
		{"registry unreachable", stagingConfig("127.0.0.1:1", "candidate", "staging", ""), nil, 3, "the run ends with exit code 3"},
		{"an enforced gate failed", stagingConfig(host, "candidate", "staging", "  secret-scan:\n    scope: [tree]\n    forbid-files: [README.md]\n"), nil, 1, "the run ends with exit code 1"},
		{"--gates left secret-scan out", stagingConfig(host, "candidate", "staging", secretScan), []string{"--gates", "staging-digest"}, 0, "--gates left out secret-scan"},
		{"no image pinned", "version: 1\ngates:\n" + secretScan, nil, 0, "staging-digest did not run"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := repo(t, map[string]string{".github/release-gate.yml": c.config, "README.md": "hi\n"})
			out := filepath.Join(dir, "vsa.json")
			const stale = "an earlier run's statement\n"
			if err := os.WriteFile(out, []byte(stale), 0o644); err != nil {
				t.Fatal(err)
			}
			r := runIn(t, nil, append([]string{"check", "-C", dir, "--attestation", out}, c.args...)...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d\n%s", r.code, c.code, r.stderr)
			}
			if data, err := os.ReadFile(out); err != nil || string(data) != stale {
				t.Errorf("the file at the path changed: %q, %v", data, err)
			}
			if _, err := os.Stat(predicatePath(out)); err == nil {
				t.Error("a predicate was written")
			}
			if !strings.Contains(r.stderr, "no attestation written") || !strings.Contains(r.stderr, c.why) {
				t.Errorf("stderr does not say why (%q):\n%s", c.why, r.stderr)
			}
		})
	}
}

// On Actions a failing run sets no attestation output, so a later step
// reading it finds none, whatever an earlier run left in the workspace.
func TestNoAttestationOutputWhenTheRunFails(t *testing.T) {
	host := registrytest.Start(t, nil)
	registrytest.PushImage(t, host+"/shop/api:candidate")
	registrytest.PushImage(t, host+"/shop/api:staging")
	dir := repo(t, map[string]string{".github/release-gate.yml": stagingConfig(host, "candidate", "staging", "")})
	env, files := actionEnv(t, dir, nil)
	r := runIn(t, env, "check")
	if r.code != 1 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	outs := outputs(t, filepath.Join(files, "output"))
	if v, ok := outs["attestation"]; ok {
		t.Errorf("attestation output %q on a failing run", v)
	}
	if outs["result"] != "fail" {
		t.Errorf("result output %q", outs["result"])
	}
	for _, f := range []string{defaultAttestationPath, predicatePath(defaultAttestationPath)} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("a failing run wrote %s", f)
		}
	}
}

// The statement is written as reports are: never through a link the
// change under test planted to a file outside the workspace.
func TestAttestationNotThroughALinkOut(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/shop/api:candidate")
	registrytest.WriteImage(t, host+"/shop/api:staging", img)
	dir := repo(t, map[string]string{".github/release-gate.yml": stagingConfig(host, "candidate", "staging", "")})
	victim := filepath.Join(t.TempDir(), "deploy.sh")
	if err := os.WriteFile(victim, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, defaultAttestationPath)); err != nil {
		t.Fatal(err)
	}
	env, files := actionEnv(t, dir, nil)
	r := runIn(t, env, "check")
	if r.code != 3 {
		t.Errorf("exit %d, want 3 (the statement asked for could not be written)\n%s", r.code, r.stderr)
	}
	if data, _ := os.ReadFile(victim); string(data) != "#!/bin/sh\n" {
		t.Errorf("wrote through the link: %q", data)
	}
	if _, ok := outputs(t, filepath.Join(files, "output"))["attestation"]; ok {
		t.Error("attestation output names a statement that was not written")
	}
}

// A gate in warn mode that fails does not block the run: the statement is
// written, PASSED, with that gate's verdict FAILED and without its level.
func TestAttestationRecordsAWarnModeFailure(t *testing.T) {
	host := registrytest.Start(t, nil)
	img := registrytest.PushImage(t, host+"/shop/api:candidate")
	registrytest.WriteImage(t, host+"/shop/api:staging", img)
	cfg := stagingConfig(host, "candidate", "staging", "  secret-scan:\n    mode: warn\n    scope: [tree]\n    forbid-files: [README.md]\n")
	dir := repo(t, map[string]string{".github/release-gate.yml": cfg, "README.md": "hi\n"})
	out := filepath.Join(t.TempDir(), "vsa.json")
	r := runIn(t, nil, "check", "-C", dir, "--attestation", out)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	sum := sha256.Sum256([]byte(cfg))
	pred := checkStatement(t, out, host+"/shop/api", registrytest.Digest(t, img).String(), hex.EncodeToString(sum[:]))
	gotGates, _ := json.Marshal(pred[attest.GatesField])
	if !strings.Contains(string(gotGates), `{"mode":"warn","name":"secret-scan","verdict":"FAILED","waived":0}`) {
		t.Errorf("gates %s", gotGates)
	}
	levels, _ := json.Marshal(pred["verifiedLevels"])
	if string(levels) != `["RELEASE_GATE_STAGING_DIGEST_PASSED"]` {
		t.Errorf("verifiedLevels %s", levels)
	}
}
