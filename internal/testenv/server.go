package testenv

import (
	"errors"
	"net"
	"testing"
	"time"
)

// FreeAddr returns a 127.0.0.1 host:port that was free a moment ago:
// nothing listens there, so a connection to it is refused. A program told to
// listen there may find the port taken meanwhile; StartServer retries for
// that.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("freeing port %s: %v", addr, err)
	}
	return addr
}

// Server says how StartServer starts a server program.
type Server struct {
	// Program is the program's name, found with LookPath.
	Program string
	// Args returns the arguments that make the program listen on addr, a
	// 127.0.0.1 host:port. It runs once per attempt.
	Args func(addr string) []string
	// Env is the program's whole environment; nil gives it the test
	// process's environment.
	Env []string
	// Ready is the path polled over HTTP until it answers 200 OK, such as
	// "/-/ready".
	Ready string
}

// readyTimeout is how long a server may take to answer Ready.
const readyTimeout = 30 * time.Second

// startTries is how many ports StartServer tries when the program exits
// before it is ready, as it does when another process took the port.
const startTries = 5

// StartServer starts s.Program listening on a free 127.0.0.1 port and
// returns its host:port once http://host:port+s.Ready answers 200 OK. When
// the program exits before that, it tries again on another port. It skips
// or fails the test as LookPath does when the program is missing, fails it
// when the program does not become ready, and stops the program when the
// test ends.
func StartServer(t testing.TB, s Server) string {
	t.Helper()
	path := LookPath(t, s.Program)
	for try := 1; ; try++ {
		addr := FreeAddr(t)
		p, err := Start(path, s.Args(addr), s.Env)
		if err != nil {
			t.Fatal(err)
		}
		err = p.WaitHTTP("http://"+addr+s.Ready, readyTimeout)
		if err == nil {
			t.Cleanup(p.Stop)
			return addr
		}
		p.Stop()
		if !errors.Is(err, ErrExited) || try == startTries {
			t.Fatalf("starting %s (attempt %d): %v; its output:\n%s", s.Program, try, err, p.Output())
		}
	}
}
