package attest_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	vsa "github.com/in-toto/attestation/go/predicates/vsa/v1"
	ita "github.com/in-toto/attestation/go/v1"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/secure-systems-lab/go-securesystemslib/signerverifier"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/attest"
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

// schemas compiles the in-toto Statement v1 and SLSA VSA v1 schemas
// written from the specifications (testdata/*.schema.json), asserting
// formats (uri, date-time) as well.
func schemas(t *testing.T) (statement, vsaSchema *jsonschema.Schema) {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, f := range []string{"statement-v1.schema.json", "vsa-v1.schema.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := c.AddResource("https://github.com/release-gate/release-gate/internal/attest/testdata/"+f, doc); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if statement, err = c.Compile("https://github.com/release-gate/release-gate/internal/attest/testdata/statement-v1.schema.json"); err != nil {
		t.Fatal(err)
	}
	if vsaSchema, err = c.Compile("https://github.com/release-gate/release-gate/internal/attest/testdata/vsa-v1.schema.json"); err != nil {
		t.Fatal(err)
	}
	return statement, vsaSchema
}

// ValidateStatement checks data against both schemas and the in-toto
// library's own Validate, and returns the decoded statement.
func validateStatement(t *testing.T, data []byte) (*ita.Statement, map[string]any) {
	t.Helper()
	stSchema, vsaSchema := schemas(t)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := stSchema.Validate(doc); err != nil {
		t.Errorf("not an in-toto Statement v1: %v", err)
	}
	if err := vsaSchema.Validate(doc); err != nil {
		t.Errorf("not a SLSA VSA v1: %v", err)
	}
	var st ita.Statement
	if err := protojson.Unmarshal(data, &st); err != nil {
		t.Fatalf("in-toto's Statement type refuses it: %v", err)
	}
	if err := st.Validate(); err != nil {
		t.Errorf("in-toto's Validate: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return &st, m
}

func TestStatementOfAPassingRun(t *testing.T) {
	data, err := attest.Statement(passingRun())
	if err != nil {
		t.Fatal(err)
	}
	st, m := validateStatement(t, data)
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
	wantGates := `[{"mode":"enforce","name":"secret-scan","verdict":"PASSED"},{"mode":"enforce","name":"staging-digest","verdict":"PASSED"},{"mode":"warn","name":"alert-presence","verdict":"FAILED"}]`
	if string(gotGates) != wantGates {
		t.Errorf("gates\n got %s\nwant %s", gotGates, wantGates)
	}
	ann, _ := json.Marshal(pred["policy"].(map[string]any)["annotations"])
	if string(ann) != `{"gates":["secret-scan","staging-digest","alert-presence"]}` {
		t.Errorf("policy annotations %s", ann)
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
	env, pub := sign(t, data)
	verifier, err := signerverifier.NewED25519SignerVerifierFromSSLibKey(&signerverifier.SSLibKey{
		KeyType: signerverifier.ED25519KeyType, Scheme: signerverifier.ED25519KeyType, KeyIDHashAlgorithms: signerverifier.KeyIDHashAlgorithms,
		KeyVal: signerverifier.KeyVal{Public: hex.EncodeToString(pub)},
	})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := dsse.NewEnvelopeVerifier(verifier)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ev.Verify(context.Background(), env); err != nil {
		t.Fatalf("verifying: %v", err)
	}
	if env.PayloadType != attest.PayloadType {
		t.Errorf("payload type %q", env.PayloadType)
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		t.Fatal(err)
	}
	st, _ := validateStatement(t, payload)
	if st.GetSubject()[0].GetDigest()["sha256"] != digest {
		t.Errorf("signed subject %v", st.GetSubject())
	}

	// A statement changed after signing does not verify: the subject
	// swapped for another image.
	forged := *env
	forged.Payload = encodeB64(bytes.ReplaceAll(payload, []byte(digest), []byte(strings.Repeat("0", 64))))
	if _, err := ev.Verify(context.Background(), &forged); err == nil {
		t.Error("a statement whose subject was swapped after signing verified")
	}
	// Nor does one signed by another key.
	other, _ := sign(t, data)
	if _, err := ev.Verify(context.Background(), other); err == nil {
		t.Error("a statement signed by another key verified")
	}
}

func sign(t *testing.T, payload []byte) (*dsse.Envelope, ed25519.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signerverifier.NewED25519SignerVerifierFromSSLibKey(&signerverifier.SSLibKey{
		KeyType: signerverifier.ED25519KeyType, Scheme: signerverifier.ED25519KeyType, KeyIDHashAlgorithms: signerverifier.KeyIDHashAlgorithms,
		KeyVal: signerverifier.KeyVal{Public: hex.EncodeToString(pub), Private: hex.EncodeToString(priv)},
	})
	if err != nil {
		t.Fatal(err)
	}
	es, err := dsse.NewEnvelopeSigner(sv)
	if err != nil {
		t.Fatal(err)
	}
	env, err := es.SignPayload(context.Background(), attest.PayloadType, payload)
	if err != nil {
		t.Fatal(err)
	}
	return env, pub
}

func encodeB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
