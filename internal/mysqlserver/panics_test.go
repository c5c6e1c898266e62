package mysqlserver

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/sirupsen/logrus"
)

// This package's tests start servers without internal/testutil (which
// imports this package): panicWatch gives them the same rule, a caught
// panic fails the test. vitess logs its recoveries through logrus.

var testPanics = struct {
	once sync.Once
	mu   sync.Mutex
	seen []string
}{}

type testPanicHook struct{}

func (testPanicHook) Levels() []logrus.Level { return logrus.AllLevels }

func (testPanicHook) Fire(e *logrus.Entry) error {
	if strings.Contains(e.Message, PanicMessage) {
		testPanics.mu.Lock()
		testPanics.seen = append(testPanics.seen, e.Message)
		testPanics.mu.Unlock()
	}
	return nil
}

// panicWatch returns a logger for a server under test and a check that
// fails t for every panic caught since (in the server's log or vitess').
func panicWatch(t testing.TB) (*slog.Logger, func()) {
	testPanics.once.Do(func() { logrus.StandardLogger().AddHook(testPanicHook{}) })
	testPanics.mu.Lock()
	from := len(testPanics.seen)
	testPanics.mu.Unlock()
	var mu sync.Mutex
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&lockedWriter{mu: &mu, w: &buf}, &slog.HandlerOptions{Level: slog.LevelError}))
	return logger, func() {
		t.Helper()
		mu.Lock()
		out := buf.String()
		mu.Unlock()
		if strings.Contains(out, PanicMessage) {
			t.Errorf("the server logged a caught panic (a bug):\n%s", out)
		}
		testPanics.mu.Lock()
		defer testPanics.mu.Unlock()
		for _, p := range testPanics.seen[from:] {
			t.Errorf("vitess logged a caught panic (a bug):\n%s", p)
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
