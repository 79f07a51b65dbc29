// Package attesttest checks verification summaries the way their consumers
// do: against the in-toto Statement v1 and SLSA VSA v1 schemas (written
// from the specifications, see schema/), through in-toto's own Go types,
// and signed and verified offline as a DSSE envelope with a key the test
// generates.
package attesttest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"testing"

	ita "github.com/in-toto/attestation/go/v1"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/secure-systems-lab/go-securesystemslib/signerverifier"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/release-gate/release-gate/internal/attest"
)

//go:embed schema/*.schema.json
var schemaFiles embed.FS

const schemaBase = "https://github.com/release-gate/release-gate/internal/attest/attesttest/schema/"

// Schemas compiles the Statement v1 and VSA v1 schemas, asserting formats
// (uri, date-time) too.
func Schemas(t testing.TB) (statement, vsa *jsonschema.Schema) {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, f := range []string{"statement-v1.schema.json", "vsa-v1.schema.json"} {
		data, err := schemaFiles.ReadFile("schema/" + f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := c.AddResource(schemaBase+f, doc); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if statement, err = c.Compile(schemaBase + "statement-v1.schema.json"); err != nil {
		t.Fatal(err)
	}
	if vsa, err = c.Compile(schemaBase + "vsa-v1.schema.json"); err != nil {
		t.Fatal(err)
	}
	return statement, vsa
}

// Validate reports (t.Error) where data is not an in-toto Statement v1
// carrying a SLSA VSA v1, by both schemas and by in-toto's Validate, and
// returns it decoded, as in-toto's type and as plain JSON.
func Validate(t testing.TB, data []byte) (*ita.Statement, map[string]any) {
	t.Helper()
	stSchema, vsaSchema := Schemas(t)
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

// Sign signs the statement as a DSSE envelope (payload type
// application/vnd.in-toto+json) with a new Ed25519 key, and returns the
// envelope and the public key.
func Sign(t testing.TB, statement []byte) (*dsse.Envelope, ed25519.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signerverifier.NewED25519SignerVerifierFromSSLibKey(sslibKey(pub, priv))
	if err != nil {
		t.Fatal(err)
	}
	es, err := dsse.NewEnvelopeSigner(sv)
	if err != nil {
		t.Fatal(err)
	}
	env, err := es.SignPayload(context.Background(), attest.PayloadType, statement)
	if err != nil {
		t.Fatal(err)
	}
	return env, pub
}

// Verify verifies env with only the public key and returns the statement
// it carries, or the reason it does not verify.
func Verify(t testing.TB, env *dsse.Envelope, pub ed25519.PublicKey) ([]byte, error) {
	t.Helper()
	v, err := signerverifier.NewED25519SignerVerifierFromSSLibKey(sslibKey(pub, nil))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := dsse.NewEnvelopeVerifier(v)
	if err != nil {
		t.Fatal(err)
	}
	_, payload, err := ev.VerifyAndDecode(context.Background(), env)
	if err != nil {
		return nil, err
	}
	if env.PayloadType != attest.PayloadType {
		t.Errorf("payload type %q, want %q", env.PayloadType, attest.PayloadType)
	}
	return payload, nil
}

func sslibKey(pub ed25519.PublicKey, priv ed25519.PrivateKey) *signerverifier.SSLibKey {
	k := &signerverifier.SSLibKey{
		KeyType: signerverifier.ED25519KeyType, Scheme: signerverifier.ED25519KeyType,
		KeyIDHashAlgorithms: signerverifier.KeyIDHashAlgorithms,
		KeyVal:              signerverifier.KeyVal{Public: hex.EncodeToString(pub)},
	}
	if priv != nil {
		k.KeyVal.Private = hex.EncodeToString(priv)
	}
	return k
}
