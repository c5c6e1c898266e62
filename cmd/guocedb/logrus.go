package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/sirupsen/logrus"

	"github.com/guocedb/guocedb/internal/redact"
)

// routeLogrus sends go-mysql-server's logging, which goes through logrus'
// process-wide standard logger, into the server's slog logger, so that one
// format (text or JSON) and one level apply. go-mysql-server logs every
// connection at info level; that chatter becomes debug.
func routeLogrus(logger *slog.Logger) {
	std := logrus.StandardLogger()
	std.SetOutput(io.Discard)
	// logrus builds every entry it lets through, even for a hook that drops
	// it, and go-mysql-server logs each query at debug: only pay for that
	// when debug logging is on.
	std.SetLevel(logrus.WarnLevel)
	if logger.Enabled(context.Background(), slog.LevelDebug) {
		std.SetLevel(logrus.DebugLevel)
	}
	std.AddHook(logrusHook{logger.With("component", "sql")})
}

type logrusHook struct{ l *slog.Logger }

func (logrusHook) Levels() []logrus.Level { return logrus.AllLevels }

func (h logrusHook) Fire(e *logrus.Entry) error {
	lvl := slog.LevelDebug
	switch {
	case e.Level <= logrus.ErrorLevel:
		lvl = slog.LevelError
	case e.Level == logrus.WarnLevel:
		lvl = slog.LevelWarn
	}
	// A client's failing statement is the client's business (it got the
	// error); MySQL does not log it either.
	if e.Message == "error running query" {
		lvl = slog.LevelDebug
	}
	if !h.l.Enabled(context.Background(), lvl) {
		return nil
	}
	attrs := make([]any, 0, 2*len(e.Data))
	for k, v := range e.Data {
		if err, ok := v.(error); ok {
			k, v = "err", err.Error() // the message, not a stack trace
		}
		if q, ok := v.(string); ok && (k == "query" || k == "err") {
			v = redact.Query(q) // go-mysql-server logs statements as received
		}
		attrs = append(attrs, k, v)
	}
	// vitess and go-mysql-server put statement text in some messages too.
	h.l.Log(context.Background(), lvl, redact.Query(e.Message), attrs...)
	return nil
}
