package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"sync"
	"time"
)

// ErrExited is wrapped by WaitHTTP's error when the process exits before it
// answers.
var ErrExited = errors.New("the process exited")

// Process is a program started by Start. Its output is collected for
// failure messages.
type Process struct {
	name string
	cmd  *exec.Cmd
	out  syncBuffer
	done chan struct{} // closed once the process has exited
	err  error         // cmd.Wait's result, set before done is closed
}

// Start starts the program at path with args. env is its whole
// environment; nil gives it the test process's environment.
func Start(path string, args, env []string) (*Process, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = env
	// A child that inherited stdout must not keep Wait, and so Stop, waiting.
	cmd.WaitDelay = time.Second
	p := &Process{name: path, cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", path, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// WaitHTTP polls url every 20ms until it answers 200 OK. It returns an
// error wrapping ErrExited when the process exits first, and an error when
// timeout passes.
func (p *Process) WaitHTTP(url string, timeout time.Duration) error {
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-p.done:
			return fmt.Errorf("%w (%v) before GET %s answered 200 OK", ErrExited, p.err, url)
		default:
		}
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("GET %s did not answer 200 OK within %s", url, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the process, if it still runs, and waits until it has exited.
func (p *Process) Stop() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Output is what the process has written to stdout and stderr so far.
func (p *Process) Output() string { return p.out.String() }

// syncBuffer is a bytes.Buffer the process's output copier can write while
// a test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
