package httpsafe

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestLimitBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := 0
		fmt.Sscan(r.URL.Query().Get("n"), &n)
		io.WriteString(w, strings.Repeat("x", n))
	}))
	defer srv.Close()
	c := &http.Client{Transport: LimitBodies(nil, 100)}
	for _, tc := range []struct {
		n       int
		tooLong bool
	}{{0, false}, {99, false}, {100, false}, {101, true}, {1 << 20, true}} {
		resp, err := c.Get(fmt.Sprintf("%s/list?n=%d", srv.URL, tc.n))
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		var tl *TooLargeError
		switch {
		case tc.tooLong && !errors.As(err, &tl):
			t.Errorf("%d bytes: want TooLargeError, got %v", tc.n, err)
		case tc.tooLong && tl.Error() != "the answer to GET "+srv.URL+"/list is larger than 100 bytes: is this the server the configuration means?":
			t.Errorf("message %q", tl.Error())
		case !tc.tooLong && (err != nil || len(b) != tc.n):
			t.Errorf("%d bytes: read %d, %v", tc.n, len(b), err)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{32 << 20: "32 MiB", 64 << 10: "64 KiB", 100: "100 bytes", 1<<20 + 1: "1048577 bytes"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// Only error answers are capped by LimitErrorBodies.
func TestLimitErrorBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/error" {
			w.WriteHeader(http.StatusInternalServerError)
		}
		io.WriteString(w, strings.Repeat("x", 1000))
	}))
	defer srv.Close()
	c := &http.Client{Transport: LimitErrorBodies(nil, 100)}
	for path, tooLong := range map[string]bool{"/ok": false, "/error": true} {
		resp, err := c.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		var tl *TooLargeError
		if errors.As(err, &tl) != tooLong || (!tooLong && len(b) != 1000) {
			t.Errorf("%s: read %d bytes, err %v", path, len(b), err)
		}
	}
}
