package testutil

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/sirupsen/logrus"
)

// panicText is in every log line of a caught panic: guocedb's handler
// logs "caught panic" (mysqlserver.PanicMessage), vitess' connection
// handler "mysql_server caught panic", go-mysql-server "handler caught
// panic". A panic caught by a connection handler is a bug even though the
// server keeps running, so tests fail on it.
const panicText = "caught panic"

// panicLog collects the caught panics logged through logrus, where vitess
// and go-mysql-server log: it is process-wide, so the hook is too.
var panicLog = struct {
	once sync.Once
	mu   sync.Mutex
	seen []string
}{}

// panicHook records logrus entries that report a caught panic.
type panicHook struct{}

func (panicHook) Levels() []logrus.Level { return logrus.AllLevels }

func (panicHook) Fire(e *logrus.Entry) error {
	text := e.Message
	for _, v := range e.Data {
		text += " " + fmt.Sprint(v)
	}
	if strings.Contains(text, panicText) {
		notePanic(text)
	}
	return nil
}

// notePanic records a caught panic seen in a server's log.
func notePanic(line string) {
	panicLog.mu.Lock()
	panicLog.seen = append(panicLog.seen, line)
	panicLog.mu.Unlock()
}

// CaughtPanics returns how many caught panics servers of this process
// have logged so far, and the last one: fuzz targets check it after each
// input (a server keeps running after a caught panic).
func CaughtPanics() (int, string) {
	panicLog.once.Do(func() { logrus.StandardLogger().AddHook(panicHook{}) })
	panicLog.mu.Lock()
	defer panicLog.mu.Unlock()
	if len(panicLog.seen) == 0 {
		return 0, ""
	}
	return len(panicLog.seen), panicLog.seen[len(panicLog.seen)-1]
}

// watchPanics starts recording caught panics and returns a function that
// fails t with every panic logged since (by any server of the process:
// tests running in parallel may see each other's, which is still a bug to
// fix).
func watchPanics(t testing.TB) func() {
	panicLog.once.Do(func() { logrus.StandardLogger().AddHook(panicHook{}) })
	panicLog.mu.Lock()
	from := len(panicLog.seen)
	panicLog.mu.Unlock()
	return func() {
		panicLog.mu.Lock()
		defer panicLog.mu.Unlock()
		for _, p := range panicLog.seen[from:] {
			t.Errorf("the server logged a caught panic (a bug):\n%s", p)
		}
	}
}

// FailOnPanicOutput fails t when a guocedb process' output holds a
// caught panic.
func FailOnPanicOutput(t testing.TB, output string) {
	t.Helper()
	for _, line := range strings.Split(output, "\n") {
		if strings.Contains(line, panicText) {
			t.Errorf("guocedb logged a caught panic (a bug):\n%s", line)
		}
	}
}
