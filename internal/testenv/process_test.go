package testenv

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestWaitHTTP(t *testing.T) {
	sh := LookPath(t, "sh")

	t.Run("answers", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		defer srv.Close()
		p, err := Start(sh, []string{"-c", "exec sleep 30"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Stop()
		if err := p.WaitHTTP(srv.URL, 10*time.Second); err != nil {
			t.Errorf("want ready: %v", err)
		}
	})

	t.Run("exits first", func(t *testing.T) {
		p, err := Start(sh, []string{"-c", "echo port taken; exit 3"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Stop()
		err = p.WaitHTTP("http://"+FreeAddr(t)+"/", 10*time.Second)
		if !errors.Is(err, ErrExited) || !strings.Contains(err.Error(), "exit status 3") {
			t.Errorf("want ErrExited with the exit status: %v", err)
		}
		if p.Output() != "port taken\n" {
			t.Errorf("output %q", p.Output())
		}
	})

	t.Run("never ready", func(t *testing.T) {
		p, err := Start(sh, []string{"-c", "exec sleep 30"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Stop()
		err = p.WaitHTTP("http://"+FreeAddr(t)+"/", 50*time.Millisecond)
		if err == nil || errors.Is(err, ErrExited) || !strings.Contains(err.Error(), "did not answer 200 OK within 50ms") {
			t.Errorf("want a timeout: %v", err)
		}
	})
}

func TestStartEnv(t *testing.T) {
	sh := LookPath(t, "sh")
	p, err := Start(sh, []string{"-c", `echo "[$RG_TESTENV_PROBE]"`}, []string{"RG_TESTENV_PROBE=set"})
	if err != nil {
		t.Fatal(err)
	}
	<-p.done
	if p.Output() != "[set]\n" {
		t.Errorf("output %q", p.Output())
	}
}
