package mysqlserver

import (
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
)

// sqlModeMemo is the last sql_mode text parsed and its result.
type sqlModeMemo struct {
	text string
	mode *sql.SqlMode
}

var lastSQLMode atomic.Pointer[sqlModeMemo]

// loadSQLMode is sql.LoadSqlMode without parsing the same text again:
// go-mysql-server only skips that for its own default mode, which is not
// ours (MySQL 8's), so every statement split, sorted and joined the
// session's sql_mode several times (about 7% of an INSERT's CPU).
// Sessions nearly always share one mode: the last one parsed is kept.
func loadSQLMode(ctx *sql.Context) *sql.SqlMode {
	v, err := ctx.Session.GetSessionVariable(ctx, "sql_mode")
	text, ok := v.(string)
	if err != nil || !ok {
		return sql.LoadSqlMode(ctx)
	}
	if m := lastSQLMode.Load(); m != nil && m.text == text {
		return m.mode
	}
	m := sql.NewSqlModeFromString(text)
	lastSQLMode.Store(&sqlModeMemo{text: text, mode: m})
	return m
}
