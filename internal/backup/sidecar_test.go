package backup

import (
	"encoding/hex"
	"strings"
	"testing"
)

func TestParseSidecar(t *testing.T) {
	h1 := strings.Repeat("ab", 32)
	h2 := strings.Repeat("0c", 32)
	for _, tt := range []struct{ name, data, want string }{
		{"sha256sum text mode", h1 + "  db.sql.gz\n", h1},
		{"sha256sum binary mode", h1 + " *db.sql.gz\n", h1},
		{"one space", h1 + " db.sql.gz", h1},
		{"bare hash", h1 + "\n", h1},
		{"upper case, CRLF", strings.ToUpper(h1) + "  db.sql.gz\r\n", h1},
		{"BSD tag", "SHA256 (db.sql.gz) = " + h1 + "\n", h1},
		{"openssl dgst", "SHA2-256(db.sql.gz)= " + h1 + "\n", h1},
		{"path in the name", h1 + "  /var/backups/db.sql.gz\n", h1},
		{"renamed on upload", h1 + "  dump.tmp\n", h1},
		{"several entries", h2 + "  other.sql.gz\n" + h1 + "  ./db.sql.gz\n", h1},
		{"escaped name", `\` + h1 + `  db\\x.sql.gz` + "\n" + h2 + "  other\n", ""},
	} {
		got, err := ParseSidecar([]byte(tt.data), "backups/db.sql.gz")
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s: no error for %q", tt.name, tt.data)
			}
			continue
		}
		if err != nil || hex.EncodeToString(got) != tt.want {
			t.Errorf("%s: got %x, %v; want %s", tt.name, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "\n\n", "not a hash\n", h1[:60] + "  db.sql.gz\n",
		h1 + "  a.gz\n" + h2 + "  b.gz\n", h1 + "  db.sql.gz\n" + h2 + "  db.sql.gz\n"} {
		if got, err := ParseSidecar([]byte(bad), "db.sql.gz"); err == nil {
			t.Errorf("%q: got %x, want an error", bad, got)
		}
	}
}
