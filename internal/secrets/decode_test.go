package secrets

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/release-gate/release-gate/internal/testenv"
	"github.com/zricethezav/gitleaks/v8/detect/codec"
)

// gitleaksModule is the module whose decoder NeedsDecoding restates.
const gitleaksModule = "github.com/zricethezav/gitleaks/v8"

// decodes reports whether gitleaks' own decoder finds a segment in s.
func decodes(s string) bool {
	_, segments := codec.NewDecoder().Decode(s, nil)
	return len(segments) > 0
}

// checkImplication fails when NeedsDecoding(s) is false while gitleaks'
// decoder finds a segment in s, or when NeedsDecoding and
// needsDecodingByteWalk disagree. It returns NeedsDecoding(s).
func checkImplication(t testing.TB, name, s string) bool {
	t.Helper()
	need := NeedsDecoding(s)
	if walk := needsDecodingByteWalk(s); walk != need {
		t.Errorf("%s: NeedsDecoding is %v but the byte walk says %v on %.200q", name, need, walk, s)
	}
	if !need && decodes(s) {
		decoded, _ := codec.NewDecoder().Decode(s, nil)
		t.Errorf("%s: NeedsDecoding is false but gitleaks decodes %.200q to %.200q", name, s, decoded)
	}
	return need
}

// needsDecodingByteWalk is NeedsDecoding as a single walk over every
// byte, with a switch on the bytes each alternative starts or ends at: the
// same argument, written the plainest way. NeedsDecoding looks for each
// alternative apart, faster; the two must always agree.
func needsDecodingByteWalk(raw string) bool {
	var (
		lineTriples   bool // the current line has a %XX
		linePrintable bool // one of its %XX is printable
		lastPrintable bool // its last %XX is printable
		lineNonASCII  bool // it has a byte of 0x80 or more
	)
	endLine := func() bool {
		found := lineTriples && (lastPrintable || (lineNonASCII && linePrintable))
		lineTriples, linePrintable, lastPrintable, lineNonASCII = false, false, false, false
		return found
	}
	for i := 0; i < len(raw); {
		c := raw[i]
		if byteClass[c]&(clB64|clOther) == 0 {
			i++ // nothing starts or ends here
			continue
		}
		switch {
		case c == '\n':
			if endLine() {
				return true
			}
			i++
		case c >= 0x80:
			lineNonASCII = true
			i++
		case c == '%':
			if isTriple(raw, i) {
				lineTriples = true
				lastPrintable = printable(hexByte(raw, i+1))
				linePrintable = linePrintable || lastPrintable
			}
			i++ // its digits may start a hex or base64 run
		case c == '\\':
			if i+5 < len(raw) && raw[i+1]|0x20 == 'u' && allHex(raw[i+2:i+6]) {
				return true
			}
			i++
		case byteClass[c]&clB64 != 0:
			// A run of [\w/+-]: it holds every hex run inside it, and a
			// "U+XXXX" ('+' is in the class).
			j, likely := i, -1 // likely: the run's last 0-9+/-_
			for ; j < len(raw); j++ {
				cl := byteClass[raw[j]]
				if cl&clB64 == 0 {
					break
				}
				if cl&clLikely != 0 {
					likely = j
				}
			}
			// Without one of 0-9+/-_ nothing in the run decodes: base64
			// needs one, hex a decimal digit, U+XXXX a '+'.
			if likely >= 0 && runMayDecode(raw, i, j, likely) {
				return true
			}
			i = j
		}
	}
	return endLine()
}

// gitleaksDir is where the module cache holds gitleaks' source.
func gitleaksDir(t testing.TB) string {
	t.Helper()
	return testenv.ModuleDir(t, gitleaksModule)
}

// codecTestInputs returns every string literal of gitleaks' decoder tests
// (detect/codec/*_test.go in the module cache): the encoded values its
// authors check it decodes, and the texts around them.
func codecTestInputs(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(gitleaksDir(t), "detect", "codec", "*_test.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no decoder tests in the gitleaks module (%v)", err)
	}
	return stringLiterals(t, files...)
}

// stringLiterals returns the string literals of the Go files named.
func stringLiterals(t testing.TB, files ...string) []string {
	t.Helper()
	var out []string
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					out = append(out, s)
				}
			}
			return true
		})
	}
	return out
}

// A hand-written set around each alternative's edges: what must be true
// (the decoder finds a segment) and what must stay false (else nothing
// is saved).
func TestNeedsDecodingCases(t *testing.T) {
	// Values are built at run time so that no secret-looking text is in
	// the repository.
	b64 := func(s string) string { return strings.TrimRight(encodeStd(s), "=") }
	cases := []struct {
		in   string
		want bool
	}{
		{"", false},
		{"package main\n\nfunc main() {}\n", false},
		{"func TestSomethingLongEnoughToMatch(t *testing.T) {}", false}, // no 0-9+/-_
		{`fmt.Printf("%02x %08b", a, b)`, false},                        // %02, %08: not printable
		{`fmt.Printf("%5d %02x", a, b)`, false},                         // the match runs to %02
		{`fmt.Printf("%02x %5d", a, b)`, true},                          // a match may start at %5d
		{"a%41b", true},
		{"%41\n%02", true}, // another line: the match stops at \n
		{"%41\xff%02", true},
		{"U+0041 ", true},
		{"U+0041", true},
		{"U+0041x", false},
		{`\u0041`, true},
		{`\U0041`, true},
		{`\\u0041`, true},
		{`\u004`, false},
		{strings.Repeat("e3", 16), false},       // 0xe3: not printable
		{strings.Repeat("41", 16), true},        // AAAA...
		{strings.Repeat("41", 15) + "4", false}, // 31 digits
		{strings.Repeat("ab", 16), false},       // 0xab
		{"x" + strings.Repeat("41", 16), true},  // the hex run starts after x
		{strings.Repeat("4", 33), true},         // from the second 4: 0x44...
		{"internal/syscall/unix/at_sysnum", false},
		{b64("user:password123 and more"), true},
		{b64("a printable value that is long"), true},
		{b64("secret 12345"), true},       // 16 characters: the shortest
		{b64("secret 12345")[:15], false}, // 15
		{"aaaaaaaaaaaaaaaa", false},       // no likely character
		{"aaaaaaaaaaaaaaa1", false},       // 0x69 0xa6: not printable
	}
	for _, c := range cases {
		got := checkImplication(t, "case", c.in)
		if got != c.want {
			t.Errorf("NeedsDecoding(%q) = %v, want %v (gitleaks decodes: %v)", c.in, got, c.want, decodes(c.in))
		}
	}
}

// encodeStd is standard base64, written out here so that the test does not
// use the code it checks against.
func encodeStd(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var b strings.Builder
	for i := 0; i < len(s); i += 3 {
		var n uint32
		k := min(3, len(s)-i)
		for j := 0; j < 3; j++ {
			n <<= 8
			if j < k {
				n |= uint32(s[i+j])
			}
		}
		for j := 0; j < 4; j++ {
			if j <= k {
				b.WriteByte(alphabet[n>>(18-6*j)&63])
			} else {
				b.WriteByte('=')
			}
		}
	}
	return b.String()
}

// Gitleaks' own decoder tests: every input its authors decode must need
// decoding.
func TestNeedsDecodingOnGitleaksDecoderTests(t *testing.T) {
	inputs := codecTestInputs(t)
	decoded := 0
	for i, s := range inputs {
		checkImplication(t, "codec test literal "+strconv.Itoa(i), s)
		if decodes(s) {
			decoded++
		}
	}
	// The inputs hold encoded values, or the test proves little.
	if len(inputs) < 50 || decoded < 10 {
		t.Fatalf("%d literals, %d decoded: gitleaks' decoder tests were not read", len(inputs), decoded)
	}
	t.Logf("%d literals of gitleaks' decoder tests, %d of them decoded", len(inputs), decoded)
}

// walkCorpus calls check on the content of the regular files under root
// of at most 1 MiB, every step-th one.
func walkCorpus(t *testing.T, root string, step int, check func(rel, content string)) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		n++
		if n%step != 0 {
			return nil
		}
		if info, err := d.Info(); err != nil || info.Size() > 1<<20 {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		check(rel, string(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Gitleaks' test data (repositories, archives, configurations, reports)
// and a sample of Go's source tree: on each file, false must mean the
// decoder finds nothing, and on ordinary Go files false must be common.
func TestNeedsDecodingOnRealFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("reads thousands of files")
	}
	var files, needed, decoded int
	walkCorpus(t, filepath.Join(gitleaksDir(t), "testdata"), 1, func(rel, content string) {
		files++
		if checkImplication(t, "gitleaks testdata/"+rel, content) {
			needed++
		}
		if decodes(content) {
			decoded++
		}
	})
	if files < 100 || decoded == 0 {
		t.Fatalf("gitleaks testdata: %d files, %d decoded: not read", files, decoded)
	}
	t.Logf("gitleaks testdata: %d files, NeedsDecoding true on %d, decoder finds segments in %d", files, needed, decoded)

	var goFiles, goFalse, all, allDecoded, allNeeded int
	walkCorpus(t, filepath.Join(testenv.GOROOT(t), "src"), 7, func(rel, content string) {
		all++
		need := checkImplication(t, "GOROOT/src/"+rel, content)
		if need {
			allNeeded++
		}
		if decodes(content) {
			allDecoded++
		}
		if strings.HasSuffix(rel, ".go") && !strings.Contains(rel, "testdata") {
			goFiles++
			if !need {
				goFalse++
			}
		}
	})
	t.Logf("GOROOT/src sample: %d files, NeedsDecoding true on %d, decoder finds segments in %d; %d of %d Go files need no decoding", all, allNeeded, allDecoded, goFalse, goFiles)
	if goFiles < 500 {
		t.Fatalf("only %d Go files in the sample of %s", goFiles, testenv.GOROOT(t))
	}
	if goFalse*2 < goFiles {
		t.Errorf("NeedsDecoding is false on only %d of %d ordinary Go files: it saves little", goFalse, goFiles)
	}
}

// FuzzNeedsDecoding checks, on any input, that NeedsDecoding false means
// gitleaks' decoder finds no segment.
func FuzzNeedsDecoding(f *testing.F) {
	for _, s := range codecTestInputs(f) {
		f.Add(s)
	}
	for _, s := range []string{
		`fmt.Printf("%5d %02x", a, b)`, "U+0041 U+0042", `\\U0041\u0042`,
		strings.Repeat("4a", 17), "ab+/cd-_" + strings.Repeat("Q", 20) + "==",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkImplication(t, "input", s)
	})
}

// The predicate against the decoder it saves, on a sample of Go's
// source: compare ns/op of the two (their ratio is the saving on a file
// that needs no decoding).
func benchCorpus(b *testing.B) []string {
	var corpus []string
	err := filepath.WalkDir(filepath.Join(testenv.GOROOT(b), "src", "net", "http"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || !strings.HasSuffix(path, ".go") {
			return err
		}
		data, err := os.ReadFile(path)
		corpus = append(corpus, string(data))
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return corpus
}

func BenchmarkNeedsDecoding(b *testing.B) {
	corpus := benchCorpus(b)
	b.ResetTimer()
	for b.Loop() {
		for _, s := range corpus {
			NeedsDecoding(s)
		}
	}
}

func BenchmarkGitleaksDecoder(b *testing.B) {
	corpus := benchCorpus(b)
	b.ResetTimer()
	for b.Loop() {
		for _, s := range corpus {
			codec.NewDecoder().Decode(s, nil)
		}
	}
}

func BenchmarkNeedsDecodingByteWalk(b *testing.B) {
	corpus := benchCorpus(b)
	b.ResetTimer()
	for b.Loop() {
		for _, s := range corpus {
			needsDecodingByteWalk(s)
		}
	}
}

// Random texts drawn from the bytes the alternatives start, end and turn
// on (runs of hex and base64 characters of every length around 16 and 32,
// %XX, \u, U+, newlines, bytes of 0x80 and more): NeedsDecoding and the
// byte walk agree on each.
func TestNeedsDecodingAgreesWithByteWalk(t *testing.T) {
	pieces := []string{
		"4", "1", "a", "Q", "z", "_", "-", "+", "/", "=", " ", "\n", "\t", ".", "\"",
		"%", "%4", "%41", "%02", "%e3", "\\", "\\u", "\\U", "\\u0041", "U", "U+", "U+0041", "\xff", "\xc3\xa9",
		"41414141", "e3e3e3e3", "QUJD", "YWJj", "aaaaaaaa", "0123456789abcdef",
	}
	trues := drawTexts(1, pieces, 40, 200_000, func(n int, s string) bool {
		need, walk := NeedsDecoding(s), needsDecodingByteWalk(s)
		if need != walk {
			t.Fatalf("text %d: NeedsDecoding %v, byte walk %v on %q", n, need, walk, s)
		}
		return need
	})
	// Both answers must be common, or the draw tests one side only.
	if trues < 20_000 || trues > 180_000 {
		t.Errorf("%d of 200000 texts need decoding: the draw is lopsided", trues)
	}
}

// drawTexts calls check on n texts, each of up to maxPieces pieces drawn
// at random (from a fixed seed), and returns how many it answered true for.
func drawTexts(seed uint64, pieces []string, maxPieces, n int, check func(i int, s string) bool) int {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	trues := 0
	for i := range n {
		var b strings.Builder
		for k := rng.IntN(maxPieces); k > 0; k-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		if check(i, b.String()) {
			trues++
		}
	}
	return trues
}
