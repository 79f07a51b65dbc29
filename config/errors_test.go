package config

import (
	"strings"
	"testing"
)

func TestErrorsAreOneLine(t *testing.T) {
	f, err := Parse("dir/\nrg.yml", []byte("gates:\n  secret-scan:\n    \"a\\x1bb\\u2028\": 1\n"), Options{Gates: testGates})
	if err != nil {
		t.Fatal(err)
	}
	s := f.Section("secret-scan")
	var c sampleConfig
	errs := []error{
		s.Decode(&c),
		s.Errorf("", "line one\r\nline two\n\n\x1b[31mred\u2028next\u0085end\tx"),
		&Error{File: "a\nb", Line: 1, Msg: "c\rd"},
	}
	want := []string{
		`dir/; rg.yml:3:5: gates.secret-scan: unknown key "a\x1bb\u2028"`,
		`dir/; rg.yml:2:3: gates.secret-scan: line one; line two; \x1b[31mred; next; end x`,
		`a; b:1: c; d`,
	}
	for i, err := range errs {
		got := err.Error()
		if strings.ContainsAny(got, "\r\n\x1b\u2028\u0085") {
			t.Errorf("error %d is not one clean line: %q", i, got)
		}
		if !strings.HasPrefix(got, want[i]) {
			t.Errorf("error %d:\n got  %q\n want %q...", i, got, want[i])
		}
	}
	long := s.Errorf("", "%s", strings.Repeat("é", 2000)).(*Error)
	if len(long.Msg) > maxMsgLen || !strings.HasSuffix(long.Msg, "é…") {
		t.Errorf("a long message is %d bytes, ending %q", len(long.Msg), long.Msg[len(long.Msg)-8:])
	}
}
