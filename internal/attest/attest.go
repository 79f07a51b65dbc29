// Package attest turns a passing run into a verification summary
// attestation: an in-toto Statement (https://in-toto.io/Statement/v1) whose
// subject is the image digest staging-digest pinned and proved, and whose
// predicate is SLSA's Verification Summary
// (https://slsa.dev/verification_summary/v1). Signed by the workflow's
// identity and stored beside the image, it lets a deploy refuse an image
// the gate did not pass.
//
// The package only builds the statement, and refuses to build one for a
// run that did not prove what the statement would claim; it neither signs
// nor writes it.
package attest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ita "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/release-gate/release-gate/gates"
)

// Type URIs and names of the statement.
const (
	// PredicateType is SLSA's Verification Summary, version 1.
	PredicateType = "https://slsa.dev/verification_summary/v1"
	// PayloadType is the DSSE payload type of an in-toto statement.
	PayloadType = "application/vnd.in-toto+json"
	// VerifierID names release-gate as the verifier (predicate.verifier.id).
	VerifierID = "https://github.com/release-gate/release-gate"
	// GatesField is the predicate's extension field holding each gate that
	// ran with its mode and verdict. SLSA lets producers add extension
	// fields whose names are URIs; consumers ignore fields they do not know.
	GatesField = "https://github.com/release-gate/release-gate/gates"
	// PinnedOutput is the staging-digest output holding the image it proved:
	// repository@sha256:digest.
	PinnedOutput = "pinned-image"
	// stagingDigest is the gate whose proof the subject comes from.
	stagingDigest = "staging-digest"
)

// Verdicts of one gate in the predicate.
const (
	VerdictPassed = "PASSED"
	VerdictFailed = "FAILED"
	VerdictError  = "ERROR"
)

// Run is what the statement is made of: a finished run and the policy it
// was checked against.
type Run struct {
	// Version is release-gate's version (predicate.verifier.version).
	Version string
	// Time is when the verification finished (predicate.timeVerified).
	Time time.Time
	// PolicyURI names the configuration file: where a verifier can read it.
	PolicyURI string
	// PolicySHA256 is the hex SHA-256 of the configuration bytes the run
	// read; "" when no file was read (the built-in default).
	PolicySHA256 string
	// PolicyInputs are the action inputs that overrode the configuration
	// (image, staging-image, base, head), recorded beside its digest.
	PolicyInputs map[string]string
	// Deselected names the gates the configuration enables that --gates
	// left out.
	Deselected []string
	// Results are the gates' results, redacted.
	Results []gates.Result
}

// NotAttestableError says why a run gets no statement.
type NotAttestableError struct{ Reason string }

func (e *NotAttestableError) Error() string { return "no attestation: " + e.Reason }

func refuse(format string, args ...any) error {
	return &NotAttestableError{Reason: fmt.Sprintf(format, args...)}
}

// IsNotAttestable reports whether err says the run gets no statement, as
// opposed to a statement that could not be built.
func IsNotAttestable(err error) bool {
	var n *NotAttestableError
	return errors.As(err, &n)
}

// Gate is one gate's entry in the predicate's extension field.
type Gate struct {
	Name    string `json:"name"`
	Mode    string `json:"mode"`
	Verdict string `json:"verdict"`
	// Waived counts the findings a waiver let pass.
	Waived int `json:"waived"`
}

// Level is the custom SlsaResult recorded in predicate.verifiedLevels for a
// gate that passed: RELEASE_GATE_<NAME>_PASSED, the name upper-cased with
// hyphens as underscores. SLSA allows custom values that do not start with
// SLSA_.
func Level(gate string) string {
	return "RELEASE_GATE_" + strings.ToUpper(strings.ReplaceAll(gate, "-", "_")) + "_PASSED"
}

// WaivedLevel is the custom SlsaResult recorded instead of Level for a gate
// that passed only because waivers let some of its findings pass:
// RELEASE_GATE_<NAME>_PASSED_WITH_WAIVERS. A verifier that requires Level
// refuses it; one that accepts waivers names both.
func WaivedLevel(gate string) string {
	return Level(gate) + "_WITH_WAIVERS"
}

// Statement builds the statement for r, as indented JSON. It refuses (a
// *NotAttestableError) a run that did not pass, that --gates cut short, that
// has no configuration digest, or whose staging-digest gate did not pass
// with a pinned image: the statement would claim what nobody proved.
func Statement(r Run) ([]byte, error) {
	st, err := build(r)
	if err != nil {
		return nil, err
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("building the statement: %w", err)
	}
	data, err := protojson.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encoding the statement: %w", err)
	}
	// protojson's spacing varies on purpose; re-indent for a stable file.
	var out bytes.Buffer
	if err := json.Indent(&out, data, "", "  "); err != nil {
		return nil, fmt.Errorf("encoding the statement: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func build(r Run) (*ita.Statement, error) {
	if v := gates.Decide(r.Results); v.Result != "pass" {
		return nil, refuse("the run's verdict is %s", v.Result)
	}
	if len(r.Deselected) > 0 {
		return nil, refuse("--gates left out %s, which the configuration enables: the policy was not run whole", strings.Join(r.Deselected, ", "))
	}
	if r.PolicySHA256 == "" {
		return nil, refuse("no configuration file was read (the built-in default), so there is no policy digest a verifier could require")
	}
	if b, err := hex.DecodeString(r.PolicySHA256); err != nil || len(b) != 32 {
		return nil, fmt.Errorf("building the statement: policy digest %q is not a hex SHA-256", r.PolicySHA256)
	}
	if r.Version == "" || r.PolicyURI == "" || r.Time.IsZero() {
		return nil, errors.New("building the statement: version, policy URI and time are required")
	}

	var ran []Gate
	var levels []string
	var pinned string
	var staged bool
	for _, res := range r.Results {
		waived := 0
		for _, f := range res.Findings {
			if f.Waived != nil {
				waived++
			}
		}
		switch {
		case res.Status == gates.StatusSkipped:
			continue
		case res.Status == gates.StatusPass && waived > 0:
			levels = append(levels, WaivedLevel(res.Name))
		case res.Status == gates.StatusPass:
			levels = append(levels, Level(res.Name))
		}
		ran = append(ran, Gate{Name: res.Name, Mode: string(modeOf(res)), Verdict: verdictOf(res.Status), Waived: waived})
		if res.Name != stagingDigest {
			continue
		}
		staged = true
		if res.Status != gates.StatusPass {
			return nil, refuse("staging-digest did not pass (%s), so no image was proved", res.Status)
		}
		for _, o := range res.Outputs {
			if o.Name == PinnedOutput {
				pinned = o.Value
			}
		}
	}
	if !staged {
		return nil, refuse("staging-digest did not run, so no image was pinned")
	}
	if pinned == "" {
		return nil, refuse("staging-digest passed without a pinned image")
	}
	repo, hexDigest, err := splitPinned(pinned)
	if err != nil {
		return nil, err
	}

	predicate := map[string]any{
		"verifier": map[string]any{
			"id":      VerifierID,
			"version": map[string]any{"release-gate": r.Version},
		},
		"timeVerified": r.Time.UTC().Format(time.RFC3339Nano),
		"resourceUri":  "oci://" + repo + "@sha256:" + hexDigest,
		"policy": map[string]any{
			"uri":         r.PolicyURI,
			"digest":      map[string]any{"sha256": r.PolicySHA256},
			"annotations": policyAnnotations(r, ran),
		},
		"verificationResult": VerdictPassed,
		"verifiedLevels":     toAny(levels),
		GatesField:           gatesAny(ran),
	}
	pred, err := structpb.NewStruct(predicate)
	if err != nil {
		return nil, fmt.Errorf("building the predicate: %w", err)
	}
	return &ita.Statement{
		Type: ita.StatementTypeUri,
		Subject: []*ita.ResourceDescriptor{{
			Name:   repo,
			Digest: map[string]string{"sha256": hexDigest},
		}},
		PredicateType: PredicateType,
		Predicate:     pred,
	}, nil
}

// splitPinned checks the pinned image is repository@sha256:<64 hex> and
// returns both halves. Anything else (a redacted or otherwise damaged
// value) is refused: the subject must be exactly what the gate proved.
func splitPinned(pinned string) (repo, hexDigest string, err error) {
	d, err := name.NewDigest(pinned, name.StrictValidation)
	if err != nil {
		return "", "", refuse("staging-digest's pinned image %q is not repository@sha256:digest: %v", pinned, err)
	}
	alg, hx, ok := strings.Cut(d.DigestStr(), ":")
	if b, derr := hex.DecodeString(hx); !ok || alg != "sha256" || derr != nil || len(b) != 32 || strings.ToLower(hx) != hx {
		return "", "", refuse("staging-digest's pinned image %q is not pinned by a sha256 digest", pinned)
	}
	repo, _, _ = strings.Cut(pinned, "@")
	return repo, hx, nil
}

func policyAnnotations(r Run, ran []Gate) map[string]any {
	names := make([]any, len(ran))
	for i, g := range ran {
		names[i] = g.Name
	}
	a := map[string]any{"gates": names}
	if len(r.PolicyInputs) > 0 {
		in := map[string]any{}
		for k, v := range r.PolicyInputs {
			in[k] = v
		}
		a["inputs"] = in
	}
	return a
}

func modeOf(r gates.Result) gates.Mode {
	if r.Mode == "" {
		return gates.ModeEnforce
	}
	return r.Mode
}

func verdictOf(s gates.Status) string {
	switch s {
	case gates.StatusPass:
		return VerdictPassed
	case gates.StatusFail:
		return VerdictFailed
	}
	return VerdictError
}

func toAny(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

func gatesAny(list []Gate) []any {
	out := make([]any, len(list))
	for i, g := range list {
		out[i] = map[string]any{"name": g.Name, "mode": g.Mode, "verdict": g.Verdict, "waived": g.Waived}
	}
	return out
}

// Parts are what actions/attest needs to sign a statement's content with
// the workflow's identity: it builds the statement itself from a subject
// name and digest, a predicate type and the predicate.
type Parts struct {
	// SubjectName is the image repository; SubjectDigest is sha256:<hex>.
	SubjectName, SubjectDigest string
	// Predicate is the statement's predicate, as indented JSON.
	Predicate []byte
}

// Split reads back a statement Statement wrote and returns its parts, so
// that what is signed is exactly what was written.
func Split(statement []byte) (*Parts, error) {
	var st ita.Statement
	if err := protojson.Unmarshal(statement, &st); err != nil {
		return nil, fmt.Errorf("reading the statement: %w", err)
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("reading the statement: %w", err)
	}
	if len(st.GetSubject()) != 1 || st.GetSubject()[0].GetDigest()["sha256"] == "" || st.GetPredicateType() != PredicateType {
		return nil, errors.New("reading the statement: not a verification summary of one image")
	}
	raw, err := protojson.Marshal(st.GetPredicate())
	if err != nil {
		return nil, fmt.Errorf("encoding the predicate: %w", err)
	}
	var pred bytes.Buffer
	if err := json.Indent(&pred, raw, "", "  "); err != nil {
		return nil, fmt.Errorf("encoding the predicate: %w", err)
	}
	pred.WriteByte('\n')
	sub := st.GetSubject()[0]
	return &Parts{SubjectName: sub.GetName(), SubjectDigest: "sha256:" + sub.GetDigest()["sha256"], Predicate: pred.Bytes()}, nil
}
