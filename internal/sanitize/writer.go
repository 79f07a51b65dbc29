package sanitize

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
)

// Writer guards a stream the CI runner reads commands from (the process's
// stdout or stderr). Every line written through Write that the runner could
// read as a workflow command is rewritten with Text first; Command is the
// only way to write a command on purpose. It is the last line of defence:
// reporters sanitise what they print, and Writer makes sure that a
// forgotten case cannot become a command.
//
// Write holds back a trailing partial line until its end arrives (or Flush),
// so a line is always checked whole. A Writer is safe for concurrent use.
type Writer struct {
	mu      sync.Mutex
	w       io.Writer
	pending []byte
	// commands counts the commands written on purpose (for tests).
	commands int
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write writes p, rewriting every complete line that could be read as a
// workflow command. It reports len(p) written when the underlying writer
// took everything it was given.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = append(w.pending, p...)
	end := bytes.LastIndexByte(w.pending, '\n')
	if end < 0 {
		return len(p), nil
	}
	complete := w.pending[:end+1]
	var out bytes.Buffer
	out.Grow(len(complete))
	for len(complete) > 0 {
		i := bytes.IndexByte(complete, '\n')
		out.WriteString(guardLine(string(complete[:i])))
		out.WriteByte('\n')
		complete = complete[i+1:]
	}
	w.pending = append(w.pending[:0], w.pending[end+1:]...)
	if _, err := w.w.Write(out.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// guardLine returns line as it is unless the runner could read it, or a
// part of it between carriage returns (which the runner takes for line
// ends too), as a command; then it returns it through Text.
func guardLine(line string) string {
	body := strings.TrimSuffix(line, "\r")
	for _, seg := range strings.Split(body, "\r") {
		if IsCommand(seg) {
			return Text(body)
		}
	}
	return line
}

// Flush writes a held-back partial line, checked like any other, with a
// line end.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

func (w *Writer) flushLocked() error {
	if len(w.pending) == 0 {
		return nil
	}
	line := guardLine(string(w.pending)) + "\n"
	w.pending = w.pending[:0]
	_, err := io.WriteString(w.w, line)
	return err
}

// ErrMultiLine is returned by Command for a command that is not one line.
var ErrMultiLine = errors.New("a workflow command must be one line")

// Command writes one workflow command (such as "::error file=a.go::text")
// as its own line. Its data and properties must already be escaped as the
// runner unescapes them (go-githubactions does).
func (w *Writer) Command(line string) error {
	if strings.ContainsAny(line, "\r\n") {
		return ErrMultiLine
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.flushLocked(); err != nil {
		return err
	}
	w.commands++
	_, err := io.WriteString(w.w, line+"\n")
	return err
}

// Commands returns how many commands were written with Command.
func (w *Writer) Commands() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.commands
}
