package testutil

import (
	"fmt"
	"sync"
	"testing"

	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"
)

// recordingTB records Errorf calls instead of failing the test.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recordingTB) Helper() {}

func TestCaughtPanicsFailTheTest(t *testing.T) {
	t.Run("vitess through logrus", func(t *testing.T) {
		rec := &recordingTB{TB: t}
		check := watchPanics(rec)
		logrus.StandardLogger().Debug("ordinary line")
		check()
		require.Empty(t, rec.errors)

		check = watchPanics(rec)
		// What vitess' connection handler logs after recovering.
		logrus.StandardLogger().Errorf("mysql_server caught panic:\n%v\n%s", "startEphemeralPacket cannot be used", "stack")
		check()
		require.Len(t, rec.errors, 1)
		require.Contains(t, rec.errors[0], "startEphemeralPacket")
	})
	t.Run("guocedb's handler through slog", func(t *testing.T) {
		rec := &recordingTB{TB: t}
		w := &testLogWriter{t: rec}
		_, _ = w.Write([]byte("level=INFO msg=\"statement\"\n"))
		_, _ = w.Write([]byte("level=ERROR msg=\"caught panic\" conn_id=3 panic=\"nil pointer\"\n"))
		w.checkPanics()
		require.Len(t, rec.errors, 1)
		require.Contains(t, rec.errors[0], "nil pointer")
	})
	t.Run("process output", func(t *testing.T) {
		rec := &recordingTB{TB: t}
		FailOnPanicOutput(rec, "level=INFO msg=ready\nlevel=ERROR msg=\"mysql_server caught panic:\\nboom\"\n")
		require.Len(t, rec.errors, 1)
	})
}
