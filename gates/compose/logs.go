package compose

import (
	"io"
	"sync"

	"github.com/sirupsen/logrus"
)

// compose-go reports what it tolerates (an obsolete version: key, an
// unknown attribute it ignores) through logrus' global logger, which would
// print raw log lines into the middle of the report. While a run loads
// projects, those messages become the gate's notes instead.

// logRouter hands logrus warnings and errors to every run in progress.
type logRouter struct {
	mu     sync.Mutex
	active map[*logSink]bool
}

// logSink collects one run's messages.
type logSink struct {
	mu   sync.Mutex
	msgs []string
}

var (
	logs        = &logRouter{active: map[*logSink]bool{}}
	installLogs sync.Once
)

// captureLogs routes compose-go's log messages into sink until stop is called.
func captureLogs(sink *logSink) (stop func()) {
	installLogs.Do(func() {
		logrus.SetOutput(io.Discard)
		logrus.AddHook(logs)
	})
	logs.mu.Lock()
	logs.active[sink] = true
	logs.mu.Unlock()
	return func() {
		logs.mu.Lock()
		delete(logs.active, sink)
		logs.mu.Unlock()
	}
}

// Levels implements logrus.Hook.
func (r *logRouter) Levels() []logrus.Level {
	return []logrus.Level{logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel, logrus.WarnLevel}
}

// Fire implements logrus.Hook.
func (r *logRouter) Fire(e *logrus.Entry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for s := range r.active {
		s.mu.Lock()
		s.msgs = append(s.msgs, e.Message)
		s.mu.Unlock()
	}
	return nil
}

func (s *logSink) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}
