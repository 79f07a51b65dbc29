package secretscan

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/gitrepo"
)

// A file a forbid pattern names fails by its name, unless what git stores
// shows it holds no secret: it is empty (or only whitespace: a
// placeholder), or it is PEM holding only certificates, certificate
// requests, revocation lists or public keys. A private key (any
// "-----BEGIN ... PRIVATE KEY-----" block, encrypted and OpenSSH ones
// too) fails it, wherever it is in the file, and so does anything that
// cannot be shown to be public: a block of another type or with headers,
// a certificate block whose content is not shaped as one, text between
// blocks that could be encoded data, a link, a file too large to read.

// maxJudged is the largest forbidden file whose content is read to judge
// it: a certificate bundle is a few hundred kB.
const maxJudged = 1 << 20

// forbidCandidate is a file a forbid pattern names, with the objects git
// stores for it (one, or one per stage of a merge conflict).
type forbidCandidate struct {
	path    string // relative to the workspace
	pattern string
	mode    string // git's mode of the file
	objects []string
	commit  string // the commit that adds it, for the diff scope
}

// judgeForbidden returns the findings for the candidates that hold or may
// hold a secret, reading their content from git (never the work tree: what
// a checkout's filters or links make of it is not what is committed). A
// file that cannot be read is an error.
func judgeForbidden(ctx context.Context, repo *gitrepo.Repo, cands []forbidCandidate) ([]gates.Finding, error) {
	if len(cands) == 0 {
		return nil, nil
	}
	var b *gitrepo.Blobs
	blobs := func() (*gitrepo.Blobs, error) {
		var err error
		if b == nil {
			b, err = repo.Blobs(ctx)
		}
		return b, err
	}
	defer func() {
		if b != nil {
			_ = b.Close()
		}
	}()
	var out []gates.Finding
	for _, c := range cands {
		reason, err := forbidReason(blobs, c)
		if err != nil {
			return nil, fmt.Errorf("reading %s, which forbid-files names, to check what it holds: %w", c.path, err)
		}
		if reason != "" {
			out = append(out, forbiddenFinding(c.path, c.pattern, c.commit, reason))
		}
	}
	return out, nil
}

// forbidReason says why c fails the gate; "" when it holds no secret.
func forbidReason(blobs func() (*gitrepo.Blobs, error), c forbidCandidate) (string, error) {
	switch c.mode {
	case "100644", "100755":
	case "120000":
		return "it is a symbolic link, whose target is not checked", nil
	default:
		return fmt.Sprintf("git mode %s", c.mode), nil
	}
	var reasons []string
	for _, oid := range c.objects {
		b, err := blobs()
		if err != nil {
			return "", err
		}
		var reason string
		err = b.Read(oid, func(size int64, r io.Reader) error {
			if size > maxJudged {
				reason = fmt.Sprintf("it is too large (%d bytes) to be checked", size)
				return nil
			}
			data, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			if int64(len(data)) != size {
				return errors.New("git returned fewer bytes than the object holds")
			}
			reason = contentReason(data)
			return nil
		})
		if err != nil {
			return "", err
		}
		if reason != "" {
			reasons = append(reasons, reason)
		}
	}
	if len(reasons) == 0 {
		return "", nil
	}
	return reasons[0], nil
}

// contentReason says why data may hold a secret; "" when it is empty or
// only public PEM.
func contentReason(data []byte) string {
	if len(bytes.TrimSpace(data)) == 0 {
		return ""
	}
	if privateKeyNamed(data) {
		return "it holds a private key"
	}
	if why := notPublicPEM(data); why != "" {
		return why
	}
	return ""
}

// privateKeyNamed reports whether data names a private key anywhere,
// whatever the case, spacing or NUL bytes (UTF-16): a PEM label, an
// OpenSSH or PGP key block, PuTTY's Private-Lines.
func privateKeyNamed(data []byte) bool {
	flat := strings.ToUpper(strings.Join(strings.Fields(string(bytes.ReplaceAll(data, []byte{0}, nil))), ""))
	return strings.Contains(flat, "PRIVATE")
}

// encodedRun is text that could be encoded data (a key's base64 without
// its PEM lines): 40 or more characters of base64 or hex in a row.
var encodedRun = regexp.MustCompile(`[A-Za-z0-9+/=_-]{40,}`)

// notPublicPEM returns "" when data is PEM blocks shown to be public with
// at most some short text around them, else why not.
func notPublicPEM(data []byte) string {
	const notShown = "its content could not be shown to hold only certificates or public keys"
	rest := data
	blocks := 0
	for {
		block, next := pem.Decode(rest)
		if block == nil {
			break
		}
		// The text pem skipped before the block.
		consumed := rest[:len(rest)-len(next)]
		begin := bytes.Index(consumed, []byte("-----BEGIN"))
		if begin < 0 || !plainText(consumed[:begin]) {
			return notShown
		}
		if len(block.Headers) > 0 || !publicBlock(block) {
			return notShown
		}
		blocks++
		rest = next
	}
	if blocks == 0 || !plainText(rest) {
		return notShown
	}
	return ""
}

// plainText reports whether text between blocks is only words: no PEM
// boundary pem could not read, no run that could be encoded data.
func plainText(text []byte) bool {
	return !bytes.Contains(text, []byte("-----")) && !encodedRun.Match(text) && bytes.IndexByte(text, 0) < 0
}

// publicBlock reports whether a PEM block holds public material, its
// content shaped as its type says: a label is only a word, and a key
// relabelled CERTIFICATE is still a key.
func publicBlock(b *pem.Block) bool {
	switch b.Type {
	case "CERTIFICATE", "X509 CERTIFICATE", "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST", "X509 CRL":
		// Signed data: SEQUENCE { SEQUENCE (to be signed), SEQUENCE
		// (algorithm), BIT STRING (signature) }. A private key starts
		// with an INTEGER, an encrypted one ends with an OCTET STRING.
		var signed struct {
			Data      asn1.RawValue
			Algorithm asn1.RawValue
			Signature asn1.BitString
		}
		rest, err := asn1.Unmarshal(b.Bytes, &signed)
		return err == nil && len(rest) == 0 && isSequence(signed.Data) && isSequence(signed.Algorithm) && !isPrivateKey(b.Bytes)
	case "PUBLIC KEY":
		_, err := x509.ParsePKIXPublicKey(b.Bytes)
		return err == nil
	case "RSA PUBLIC KEY":
		_, err := x509.ParsePKCS1PublicKey(b.Bytes)
		return err == nil
	}
	return false
}

func isSequence(v asn1.RawValue) bool {
	return v.Class == asn1.ClassUniversal && v.Tag == asn1.TagSequence && v.IsCompound
}

// isPrivateKey reports whether der parses as a private key.
func isPrivateKey(der []byte) bool {
	if _, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return true
	}
	if _, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return true
	}
	_, err := x509.ParseECPrivateKey(der)
	return err == nil
}

func forbiddenFinding(file, pattern, commit, reason string) gates.Finding {
	return gates.Finding{
		Rule:     "forbidden-file",
		Severity: gates.SeverityError,
		Pos:      gates.Pos{File: file},
		Commit:   commit,
		Message: fmt.Sprintf("%s is tracked, and files matching %q hold secrets (%s): remove it from git (git rm --cached) and ignore it, or list it under allow-files if it holds none",
			filepath.Base(file), pattern, reason),
	}
}
