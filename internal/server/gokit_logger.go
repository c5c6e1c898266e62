package server

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/go-kit/log/level"
)

// gokitLogger adapts slog to the go-kit log.Logger interface that dskit's
// module manager logs through. dskit's "msg" becomes the slog message and
// its level maps onto slog's; every other pair becomes an attribute.
type gokitLogger struct{ l *slog.Logger }

// Log implements go-kit's log.Logger.
func (g gokitLogger) Log(keyvals ...any) error {
	lvl := slog.LevelInfo
	msg := ""
	attrs := make([]any, 0, len(keyvals))
	for i := 0; i+1 < len(keyvals); i += 2 {
		k := fmt.Sprint(keyvals[i])
		v := keyvals[i+1]
		switch {
		case k == "msg":
			msg = fmt.Sprint(v)
		case k == fmt.Sprint(level.Key()):
			lvl = slogLevel(v)
		default:
			attrs = append(attrs, k, v)
		}
	}
	g.l.Log(context.Background(), lvl, msg, attrs...)
	return nil
}

func slogLevel(v any) slog.Level {
	switch fmt.Sprint(v) {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}
