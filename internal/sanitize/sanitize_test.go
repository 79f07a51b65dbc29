package sanitize

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain text: a.go:3", "plain text: a.go:3"},
		{`C:\path\with\backslashes`, `C:\path\with\backslashes`},
		{"IPv6 [::1]:9090 and std::string", "IPv6 [::1]:9090 and std::string"},
		// The runner's two command forms.
		{"::error::forged", `\::error::forged`},
		{"   ::warning file=x::y", `   \::warning file=x::y`},
		{"##[error]x.txt", `##\[error]x.txt`},
		{"a ##[set-output name=result;]pass", `a ##\[set-output name=result;]pass`},
		{"###[x] ##[[y", `###\[x] ##\[[y`},
		// A line break that would start a new line, in every form the
		// runner or a terminal honours.
		{"db-1\n::error title=X::y.sql.gz", `db-1\n::error title=X::y.sql.gz`},
		{"a\r::error::b", `a\r::error::b`},
		{"a\r\n##[error]b", `a\r\n##\[error]b`},
		{"tab\there", "tab here"},
		{"nel\u0085::x", `nel\u0085::x`},
		{"ls\u2028::x", "ls ::x"},
		// Invisible characters a culture-sensitive comparison skips.
		{"\u200b::error::x", `\u200b::error::x`},
		{"\u00ad::error::x", `\u00ad::error::x`},
		{"\x00::error::x", `\x00::error::x`},
		{"#\u200b#[error]x", `#\u200b#[error]x`},
		{"\ufeff##[error]", `\ufeff##\[error]`},
		{"\u3000::error::x", ` \::error::x`},
		{"\u00a0::error::x", ` \::error::x`},
		{"bidi \u202egnp.exe", `bidi \u202egnp.exe`},
		{"vs \ufe0f", `vs \ufe0f`},
		{"filler \u3164x", `filler \u3164x`},
		{"private \ue000", `private \ue000`},
		{"esc \x1b[31mred", `esc \x1b[31mred`},
		{"del \x7f", `del \x7f`},
		{"bad \xff\xfe utf8", `bad \xff\xfe utf8`},
		{"emoji 🚀 and ünïcode", "emoji 🚀 and ünïcode"},
		{"", ""},
	} {
		got := Text(c.in)
		if got != c.want {
			t.Errorf("Text(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
		checkText(t, c.in, got)
	}
}

// checkText asserts what Text promises for any input.
func checkText(t *testing.T, in, got string) {
	t.Helper()
	if strings.ContainsAny(got, "\r\n") {
		t.Errorf("Text(%q) = %q holds a line break", in, got)
	}
	if IsCommand(got) {
		t.Errorf("Text(%q) = %q can be read as a workflow command", in, got)
	}
	if again := Text(got); again != got {
		t.Errorf("Text is not idempotent on %q: %q, then %q", in, got, again)
	}
	if !utf8.ValidString(got) {
		t.Errorf("Text(%q) = %q is not valid UTF-8", in, got)
	}
}

func TestIsCommand(t *testing.T) {
	for _, c := range []struct {
		line string
		want bool
	}{
		{"::error::x", true},
		{" \t ::add-mask::x", true},
		{"\u2003::error::x", true},
		{"\u200b::error::x", true},
		{"\x00::error::x", true},
		{"text ##[error]x", true},
		{"#\u00ad#[error]x", true},
		{"#\x01#[error]x", true},
		{"#\t#[error]x", true}, // conservative: tabs may weigh nothing
		{"ok :: not at the start", false},
		{`\::error::x`, false},
		{`##\[error]`, false},
		{"# #[x]", false},
		{"plain", false},
	} {
		if got := IsCommand(c.line); got != c.want {
			t.Errorf("IsCommand(%q) = %v, want %v", c.line, got, c.want)
		}
	}
}

func TestWriterRewritesOnlyCommandLines(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	// Written in pieces that split lines, as fmt calls and libraries do.
	for _, piece := range []string{
		"release-gate: checking\n  ordinary line\n        ::err",
		"or title=X::forged\nfile ##[error]x.txt\nred \x1b[31mcolour\x1b[0m stays\n",
		"cr line\r::warning::x\n",
		"no end",
	} {
		if _, err := w.Write([]byte(piece)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Command("::error file=a.go,line=1::meant"); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "release-gate: checking\n" +
		"  ordinary line\n" +
		`        \::error title=X::forged` + "\n" +
		`file ##\[error]x.txt` + "\n" +
		"red \x1b[31mcolour\x1b[0m stays\n" +
		`cr line\r::warning::x` + "\n" +
		"no end\n" +
		"::error file=a.go,line=1::meant\n"
	if out.String() != want {
		t.Errorf("got\n%q\nwant\n%q", out.String(), want)
	}
	if w.Commands() != 1 {
		t.Errorf("Commands() = %d", w.Commands())
	}
}

func TestCommandMustBeOneLine(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	if err := w.Command("::error::a\n::warning::b"); err != ErrMultiLine {
		t.Errorf("got %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("wrote %q", out.String())
	}
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"::error::x", "a\n##[error]b", "\u200b::x", "#\u00ad#[", "\xff::", " \u3000::", "plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkText(t, s, Text(s))
	})
}

// FuzzWriter writes arbitrary text in arbitrary pieces, with commands in
// between, and checks that the only lines the runner could execute are the
// commands written on purpose, and that lines that could not be commands
// pass unchanged.
func FuzzWriter(f *testing.F) {
	f.Add("line\n::error::x\npartial", uint8(3), "::notice::meant")
	f.Add("a\r##[error]b\n", uint8(1), "")
	f.Add("\u200b::add-mask::x\n\x00##[", uint8(7), "::warning file=f::w")
	f.Fuzz(func(t *testing.T, text string, cut uint8, command string) {
		var out bytes.Buffer
		w := NewWriter(&out)
		k := int(cut) % (len(text) + 1)
		meant := !strings.ContainsAny(command, "\r\n") && command != ""
		if _, err := w.Write([]byte(text[:k])); err != nil {
			t.Fatal(err)
		}
		if meant {
			if err := w.Command(command); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Write([]byte(text[k:])); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		commands := 0
		for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			if meant && line == command {
				commands++
				continue
			}
			for _, seg := range strings.Split(line, "\r") {
				if IsCommand(seg) {
					t.Fatalf("output line %q can be read as a command (input %q)", line, text)
				}
			}
		}
		if meant && commands == 0 {
			t.Errorf("the command %q was not written", command)
		}
		if meant && IsCommand(command) && commands != 1 {
			t.Errorf("%d lines read as the command %q; only the one written on purpose may", commands, command)
		}
		// Lines that were never commands pass byte for byte.
		if !meant {
			for _, line := range strings.Split(text, "\n") {
				safe := true
				for _, seg := range strings.Split(line, "\r") {
					safe = safe && !IsCommand(seg)
				}
				if safe && !strings.Contains(out.String(), line) {
					t.Errorf("harmless line %q was changed", line)
				}
			}
		}
	})
}

func TestClip(t *testing.T) {
	for _, c := range []struct {
		s    string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"a longer text", 8, "a longer…"},
		{"ééé", 5, "éé…"}, // never half a character
		{"bad \xff byte", 20, "bad ? byte"},
		{"", 0, ""},
	} {
		if got := Clip(c.s, c.max); got != c.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", c.s, c.max, got, c.want)
		}
	}
}
