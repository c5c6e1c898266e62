package mysqlserver

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/guocedb/guocedb/internal/backend"
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
//
// A guocedb session keeps its parsed mode until one of its variables
// changes (sessionVars): reading sql_mode converts its bits to text,
// about 19 allocations, at every read.
func loadSQLMode(ctx *sql.Context) *sql.SqlMode {
	if sv := sessionVarsOf(ctx); sv != nil {
		return sv.mode
	}
	return parseSQLMode(ctx)
}

func parseSQLMode(ctx *sql.Context) *sql.SqlMode {
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

// sessionVars is what the SQL layer derives from a session's system
// variables, kept with the session until one of them changes
// (backend.Session.VarsGeneration).
type sessionVars struct {
	// mode is the parsed sql_mode.
	mode *sql.SqlMode
	// planKey is the part of the plan cache's key that comes from the
	// settings in planSessionVars; ok is false if one was unreadable.
	planKey   string
	planKeyOK bool
}

// sessionVarsOf returns the session's derived variables, deriving them
// again after a change; nil for a session that is not guocedb's.
func sessionVarsOf(ctx *sql.Context) *sessionVars {
	s, ok := ctx.Session.(*backend.Session)
	if !ok {
		return nil
	}
	if m, ok := s.VarsMemo(); ok {
		return m.(*sessionVars)
	}
	gen := s.VarsGeneration()
	sv := &sessionVars{mode: parseSQLMode(ctx)}
	sv.planKey, sv.planKeyOK = planVarsKey(ctx)
	s.SetVarsMemo(gen, sv)
	return sv
}

// planVarsKey encodes the values of planSessionVars that the session
// has (some are global only in go-mysql-server; asking a session for
// one of those builds an error with a stack trace, so they are left
// out).
func planVarsKey(ctx *sql.Context) (string, bool) {
	var b strings.Builder
	for _, name := range planSessionVars {
		v, err := ctx.Session.GetSessionVariable(ctx, name)
		if err != nil {
			if sql.ErrUnknownSystemVariable.Is(err) {
				continue
			}
			return "", false
		}
		b.WriteByte(0)
		switch v := v.(type) {
		case string:
			b.WriteString(v)
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		case int8:
			b.WriteString(strconv.Itoa(int(v)))
		default:
			fmt.Fprint(&b, v)
		}
	}
	return b.String(), true
}
