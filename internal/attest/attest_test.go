package attest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	vsa "github.com/in-toto/attestation/go/predicates/vsa/v1"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/attest"
	"github.com/release-gate/release-gate/internal/attest/attesttest"
)

const digest = "3b4f3b1c2a6f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d"

func pinnedResult(pinned string) gates.Result {
	return gates.Result{Name: "staging-digest", Status: gates.StatusPass, Mode: gates.ModeEnforce,
		Outputs: []gates.Output{{Name: "digest", Value: "sha256:" + digest}, {Name: attest.PinnedOutput, Value: pinned}}}
}

func passingRun() attest.Run {
	return attest.Run{
		Version:      "v1.4.0",
		Time:         time.Date(2026, 11, 27, 16, 0, 0, 0, time.FixedZone("CET", 3600)),
		PolicyURI:    "https://github.com/octo-org/api/blob/0123456789abcdef0123456789abcdef01234567/.github/release-gate.yml",
		PolicySHA256: strings.Repeat("ab", 32),
		Results: []gates.Result{
			{Name: "backup-freshness", Status: gates.StatusSkipped, Summary: "not configured"},
			{Name: "secret-scan", Status: gates.StatusPass, Mode: gates.ModeEnforce},
			pinnedResult("ghcr.io/octo-org/api@sha256:" + digest),
			{Name: "alert-presence", Status: gates.StatusFail, Mode: gates.ModeWarn},
		},
	}
}

func TestStatementOfAPassingRun(t *testing.T) {
	data, err := attest.Statement(passingRun())
	if err != nil {
		t.Fatal(err)
	}
	st, m := attesttest.Validate(t, data)
	if st.GetPredicateType() != attest.PredicateType {
		t.Errorf("predicateType %q", st.GetPredicateType())
	}
	if len(st.GetSubject()) != 1 || st.GetSubject()[0].GetDigest()["sha256"] != digest || st.GetSubject()[0].GetName() != "ghcr.io/octo-org/api" {
		t.Errorf("subject %v, want ghcr.io/octo-org/api with sha256 %s", st.GetSubject(), digest)
	}

	// The predicate reads as in-toto's own VerificationSummary type:
	// field names and shapes are the library's, not ours.
	predJSON, err := protojson.Marshal(st.GetPredicate())
	if err != nil {
		t.Fatal(err)
	}
	var sum vsa.VerificationSummary
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(predJSON, &sum); err != nil {
		t.Fatalf("in-toto's VerificationSummary type refuses the predicate: %v", err)
	}
	if sum.GetVerificationResult() != "PASSED" || sum.GetVerifier().GetId() != attest.VerifierID ||
		sum.GetResourceUri() != "oci://ghcr.io/octo-org/api@sha256:"+digest ||
		sum.GetPolicy().GetDigest()["sha256"] != strings.Repeat("ab", 32) ||
		!strings.HasSuffix(sum.GetPolicy().GetUri(), "/.github/release-gate.yml") ||
		!sum.GetTimeVerified().AsTime().Equal(time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)) {
		t.Errorf("predicate: %v", &sum)
	}
	// Passed gates are levels a verifier can require; the warn-mode
	// failure is not one of them.
	want := []string{"RELEASE_GATE_SECRET_SCAN_PASSED", "RELEASE_GATE_STAGING_DIGEST_PASSED"}
	if !slices.Equal(sum.GetVerifiedLevels(), want) {
		t.Errorf("verifiedLevels %v, want %v", sum.GetVerifiedLevels(), want)
	}

	pred := m["predicate"].(map[string]any)
	if v := pred["verifier"].(map[string]any)["version"].(map[string]any)["release-gate"]; v != "v1.4.0" {
		t.Errorf("verifier version %v", v)
	}
	// Exactly the gates that ran, with their verdicts; the skipped one
	// is not there.
	gotGates, _ := json.Marshal(pred[attest.GatesField])
	wantGates := `[{"mode":"enforce","name":"secret-scan","verdict":"PASSED","waived":0},{"mode":"enforce","name":"staging-digest","verdict":"PASSED","waived":0},{"mode":"warn","name":"alert-presence","verdict":"FAILED","waived":0}]`
	if string(gotGates) != wantGates {
		t.Errorf("gates\n got %s\nwant %s", gotGates, wantGates)
	}
	ann, _ := json.Marshal(pred["policy"].(map[string]any)["annotations"])
	if string(ann) != `{"gates":["secret-scan","staging-digest","alert-presence"]}` {
		t.Errorf("policy annotations %s", ann)
	}
}

// A gate that passed only because a waiver let a finding pass is recorded
// as such: a verifier that requires RELEASE_GATE_<NAME>_PASSED refuses it.
func TestWaivedPassIsItsOwnLevel(t *testing.T) {
	r := passingRun()
	r.Results[1].Findings = []gates.Finding{{Rule: "aws-access-token", Severity: gates.SeverityError,
		Waived: &gates.Waived{Owner: "@payments-oncall", Reason: "rotated", Expires: time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC)}}}
	data, err := attest.Statement(r)
	if err != nil {
		t.Fatal(err)
	}
	_, m := attesttest.Validate(t, data)
	pred := m["predicate"].(map[string]any)
	levels, _ := json.Marshal(pred["verifiedLevels"])
	if string(levels) != `["RELEASE_GATE_SECRET_SCAN_PASSED_WITH_WAIVERS","RELEASE_GATE_STAGING_DIGEST_PASSED"]` {
		t.Errorf("verifiedLevels %s", levels)
	}
	gotGates, _ := json.Marshal(pred[attest.GatesField])
	if !strings.Contains(string(gotGates), `{"mode":"enforce","name":"secret-scan","verdict":"PASSED","waived":1}`) {
		t.Errorf("gates %s", gotGates)
	}
}

func TestNoStatementUnlessProved(t *testing.T) {
	cases := map[string]func(r *attest.Run){
		"an enforced gate failed": func(r *attest.Run) {
			r.Results[1].Status = gates.StatusFail
		},
		"an enforced gate errored": func(r *attest.Run) {
			r.Results[1].Status, r.Results[1].Err = gates.StatusError, "interrupted: context canceled"
		},
		"staging-digest errored after setting its output": func(r *attest.Run) {
			r.Results[2].Status = gates.StatusError
		},
		"staging-digest failed in warn mode": func(r *attest.Run) {
			r.Results[2].Status, r.Results[2].Mode = gates.StatusFail, gates.ModeWarn
		},
		"staging-digest skipped": func(r *attest.Run) {
			r.Results[2] = gates.Result{Name: "staging-digest", Status: gates.StatusSkipped}
		},
		"no pinned image": func(r *attest.Run) {
			r.Results[2].Outputs = r.Results[2].Outputs[:1]
		},
		"pinned by tag": func(r *attest.Run) {
			r.Results[2] = pinnedResult("ghcr.io/octo-org/api:v1")
		},
		"pinned image redacted": func(r *attest.Run) {
			r.Results[2] = pinnedResult("ghcr.io/octo-org/api@sha256:" + digest[:20] + "***")
		},
		"pinned by a weaker digest": func(r *attest.Run) {
			r.Results[2] = pinnedResult("ghcr.io/octo-org/api@sha1:" + digest[:40])
		},
		"--gates left a configured gate out": func(r *attest.Run) {
			r.Deselected = []string{"secret-scan"}
		},
		"built-in default configuration": func(r *attest.Run) {
			r.PolicySHA256 = ""
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			r := passingRun()
			r.Results = slices.Clone(r.Results)
			mutate(&r)
			data, err := attest.Statement(r)
			if err == nil || !attest.IsNotAttestable(err) || data != nil {
				t.Fatalf("got a statement (err %v):\n%s", err, data)
			}
		})
	}
}

// TestSignAndVerifyOffline signs the statement as a DSSE envelope with an
// Ed25519 key the test generates, through secure-systems-lab's DSSE
// library (the envelope in-toto and Sigstore bundles use), and verifies
// it with only the public key.
func TestSignAndVerifyOffline(t *testing.T) {
	data, err := attest.Statement(passingRun())
	if err != nil {
		t.Fatal(err)
	}
	env, pub := attesttest.Sign(t, data)
	payload, err := attesttest.Verify(t, env, pub)
	if err != nil {
		t.Fatalf("verifying: %v", err)
	}
	st, _ := attesttest.Validate(t, payload)
	if st.GetSubject()[0].GetDigest()["sha256"] != digest {
		t.Errorf("signed subject %v", st.GetSubject())
	}

	// A statement changed after signing does not verify: the subject
	// swapped for another image.
	forged := *env
	forged.Payload = base64.StdEncoding.EncodeToString(bytes.ReplaceAll(payload, []byte(digest), []byte(strings.Repeat("0", 64))))
	if _, err := attesttest.Verify(t, &forged, pub); err == nil {
		t.Error("a statement whose subject was swapped after signing verified")
	}
	// Nor does one signed by another key.
	other, _ := attesttest.Sign(t, data)
	if _, err := attesttest.Verify(t, other, pub); err == nil {
		t.Error("a statement signed by another key verified")
	}
}

// Each rule of the VSA schema refuses a statement that breaks it: the
// schema check can fail.
func TestSchemaRefusesBrokenStatements(t *testing.T) {
	good, err := attest.Statement(passingRun())
	if err != nil {
		t.Fatal(err)
	}
	_, vsaSchema := attesttest.Schemas(t)
	breaks := map[string]func(m map[string]any){
		"result not PASSED or FAILED": func(m map[string]any) { pred(m)["verificationResult"] = "OK" },
		"no verifiedLevels":           func(m map[string]any) { delete(pred(m), "verifiedLevels") },
		"a custom level named SLSA_":  func(m map[string]any) { pred(m)["verifiedLevels"] = []any{"SLSA_RELEASE_GATE"} },
		"time not in UTC":             func(m map[string]any) { pred(m)["timeVerified"] = "2026-11-27T16:00:00+01:00" },
		"policy without uri":          func(m map[string]any) { delete(pred(m)["policy"].(map[string]any), "uri") },
		"extension field not a URI":   func(m map[string]any) { pred(m)["gates"] = []any{} },
		"resourceUri host upper case": func(m map[string]any) { pred(m)["resourceUri"] = "oci://GHCR.io/octo-org/api" },
		"verifier id not a URI":       func(m map[string]any) { pred(m)["verifier"].(map[string]any)["id"] = "release-gate" },
		"abbreviated subject digest": func(m map[string]any) {
			m["subject"].([]any)[0].(map[string]any)["digest"] = map[string]any{"sha256": digest[:12] + "..."}
		},
		"another predicate type": func(m map[string]any) { m["predicateType"] = "https://slsa.dev/provenance/v1" },
	}
	for name, mutate := range breaks {
		t.Run(name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(good, &m); err != nil {
				t.Fatal(err)
			}
			mutate(m)
			data, _ := json.Marshal(m)
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if err := vsaSchema.Validate(doc); err == nil {
				t.Errorf("the VSA schema accepts %s", data)
			}
		})
	}
}

func pred(m map[string]any) map[string]any { return m["predicate"].(map[string]any) }

// Split returns what actions/attest signs: the subject and the predicate,
// as the statement holds them.
func TestSplit(t *testing.T) {
	data, err := attest.Statement(passingRun())
	if err != nil {
		t.Fatal(err)
	}
	parts, err := attest.Split(data)
	if err != nil {
		t.Fatal(err)
	}
	if parts.SubjectName != "ghcr.io/octo-org/api" || parts.SubjectDigest != "sha256:"+digest {
		t.Errorf("subject %s %s", parts.SubjectName, parts.SubjectDigest)
	}
	var st, alone map[string]any
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(parts.Predicate, &alone); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(alone)
	b, _ := json.Marshal(st["predicate"])
	if string(a) != string(b) {
		t.Errorf("predicate\n%s\nwant\n%s", a, b)
	}
	if _, err := attest.Split([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"x","digest":{"sha256":"` + digest + `"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}`)); err == nil {
		t.Error("Split accepts a statement that is not a verification summary")
	}
}
