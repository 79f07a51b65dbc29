package secretscan

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/release-gate/release-gate/gates"
)

// pemMaterial is key material made at run time: nothing secret-looking is
// committed here.
type pemMaterial struct {
	cert, pub, csr, crl []byte // PEM, public
	pkcs8, sec1         []byte // PEM, private
	keyDER              []byte // the private key, PKCS #8 DER
}

func newPEMMaterial(t *testing.T) pemMaterial {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "svc"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	crlDER, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: time.Unix(0, 0), NextUpdate: time.Unix(1<<31, 0)}, cert, key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }
	return pemMaterial{
		cert: enc("CERTIFICATE", certDER), pub: enc("PUBLIC KEY", pubDER),
		csr: enc("CERTIFICATE REQUEST", csrDER), crl: enc("X509 CRL", crlDER),
		pkcs8: enc("PRIVATE KEY", pkcs8), sec1: enc("EC "+"PRIVATE KEY", sec1),
		keyDER: pkcs8,
	}
}

func crlf(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) }

func utf16le(b []byte) []byte {
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, c, 0)
	}
	return out
}

func cat(parts ...[]byte) string { return string(bytes.Join(parts, nil)) }

// forbiddenOnes lists the forbidden-file findings as "file:0 rule".
func forbiddenOnes(res gates.Result) []string {
	var out []string
	for _, f := range res.Findings {
		if f.Rule == "forbidden-file" {
			out = append(out, f.Pos.File)
		}
	}
	return out
}

// A PEM file fails when it holds a private key, not when it holds only
// certificates or public keys (Go's own source tree tracks 29 such .pem
// files, and two private keys, which the content scan reports); a
// placeholder holds nothing. Every way of hiding a key among certificates
// must still fail.
func TestForbiddenFilesJudgedByContent(t *testing.T) {
	m := newPEMMaterial(t)
	relabelled := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: m.keyDER})
	b64Key := []byte(base64.StdEncoding.EncodeToString(m.keyDER) + "\n")
	withHeaders := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: m.keyDER})
	openssh := pem.EncodeToMemory(&pem.Block{Type: "OPENSSH " + "PRIVATE KEY", Bytes: append([]byte("openssh-key-v1\x00"), m.keyDER...)})
	encrypted := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED " + "PRIVATE KEY", Bytes: m.keyDER[8:]})
	pass := map[string]string{
		"certs/ca.pem":        string(m.cert),
		"certs/bundle.pem":    cat([]byte("# Issuer: CN=test CA\n# Subject: CN=test CA\n"), m.cert, []byte("\nsubject=/CN=next\n"), m.cert),
		"certs/crlf.pem":      string(crlf(m.cert)),
		"certs/pub.pem":       string(m.pub),
		"certs/req.pem":       string(m.csr),
		"certs/revoked.pem":   string(m.crl),
		"certs/empty.key":     " ",
		"certs/blank.pem":     "\n \t\r\n",
		"deploy/.env":         "\n",
		"certs/chain.pem":     cat(m.cert, m.pub),
		"certs/zero-byte.key": "",
	}
	fail := map[string]string{
		"keys/pkcs8.pem":          string(m.pkcs8),
		"keys/sec1.key":           string(m.sec1),
		"keys/after-cert.pem":     cat(m.cert, m.pkcs8),
		"keys/crlf.pem":           string(crlf([]byte(cat(m.cert, m.sec1)))),
		"keys/garbage.pem":        cat([]byte("garbage\x01\x02 before it\n"), m.pkcs8),
		"keys/openssh.key":        string(openssh),
		"keys/encrypted.pem":      string(encrypted),
		"keys/relabelled.pem":     string(relabelled),
		"keys/headers.pem":        string(withHeaders),
		"keys/bare-base64.pem":    cat(m.cert, b64Key),
		"keys/utf16.pem":          string(utf16le(m.pkcs8)),
		"keys/lowercase.pem":      strings.ToLower(string(m.pkcs8)),
		"keys/not-pem.key":        "not really a key\n",
		"keys/too-large.pem":      cat(m.cert, bytes.Repeat([]byte("\n"), maxJudged)),
		"keys/.env":               "TOKEN=x\n",
		"keys/broken-cert.pem":    strings.Replace(string(m.cert), "\n", "\n!!\n", 2),
		"keys/working-tree.pem":   string(utf16le(m.pkcs8)), // stored as UTF-8
		"keys/truncated-cert.pem": string(m.cert[:len(m.cert)/2]),
	}
	r := newRepo(t)
	files := map[string]string{
		// What the work tree holds is not what is judged: git's copy is.
		".gitattributes": "keys/working-tree.pem working-tree-encoding=UTF-16LE\n",
	}
	for name, content := range pass {
		files[name] = content
	}
	for name, content := range fail {
		files[name] = content
	}
	// Committed with git add, which writes the blobs as given (empty files
	// included: commit's helper treats "" as a removal).
	for name, content := range files {
		r.write(name, content)
	}
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "pem files")
	// A link named like a key is judged by its name.
	if err := os.Symlink("../certs/ca.pem", filepath.Join(r.dir, "keys", "link.pem")); err != nil {
		t.Fatal(err)
	}
	r.git("add", "keys/link.pem")
	r.git("commit", "-q", "-m", "link")

	var want []string
	for name := range fail {
		want = append(want, name)
	}
	want = append(want, "keys/link.pem")
	slices.Sort(want)
	res := scan(t, r.dir, "scope: tree", gates.Event{})
	if res.Status == gates.StatusError {
		t.Fatalf("error: %v", res.Err)
	}
	if got := forbiddenOnes(res); !slices.Equal(got, want) {
		t.Errorf("forbidden\n got %v\nwant %v", got, want)
	}
	for _, f := range res.Findings {
		switch {
		case f.Rule != "forbidden-file":
		case f.Pos.File == "keys/too-large.pem" && !strings.Contains(f.Message, "too large"),
			f.Pos.File == "keys/pkcs8.pem" && !strings.Contains(f.Message, "private key"),
			f.Pos.File == "keys/link.pem" && !strings.Contains(f.Message, "link"):
			t.Errorf("%s: message %q", f.Pos.File, f.Message)
		}
	}

	// The diff scope alone judges the files the change adds the same way
	// (the files of its base are not the change's).
	base := r.git("rev-parse", "HEAD")
	add := map[string]string{"new/ca.pem": string(m.cert), "new/key.pem": cat(m.cert, m.sec1)}
	head := r.commit("add two", add)
	res = scan(t, r.dir, "scope: diff", gates.Event{Base: base, Head: head})
	if got := forbiddenOnes(res); !slices.Equal(got, []string{"new/key.pem"}) {
		t.Errorf("diff scope: forbidden %v, want [new/key.pem] (status %s, err %v)", got, res.Status, res.Err)
	}
	for _, f := range res.Findings {
		if f.Rule == "forbidden-file" && f.Commit != head {
			t.Errorf("diff scope: %s at commit %q, want %s", f.Pos.File, f.Commit, head)
		}
	}
}

// A forbidden file whose content git cannot give is an error, never a
// pass.
func TestForbiddenFileUnreadableFailsClosed(t *testing.T) {
	m := newPEMMaterial(t)
	r := newRepo(t)
	r.commit("cert", map[string]string{"ca.pem": string(m.cert)})
	oid := r.git("rev-parse", "HEAD:ca.pem")
	// The object is gone from the repository, as in a damaged clone.
	if err := os.Remove(filepath.Join(r.dir, ".git", "objects", oid[:2], oid[2:])); err != nil {
		t.Fatal(err)
	}
	res := scan(t, r.dir, "scope: tree", gates.Event{})
	wantStatus(t, res, gates.StatusError)
}
