package mysqlserver

import (
	"context"
	"strings"

	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/guocedb/guocedb/internal/backend"
)

// The plan cache for text statements (COM_QUERY): statements that differ
// only in their literals share one entry, keyed by their shape (the
// statement's tokens with each integer and string literal taken out), and
// each execution puts its literals into the cached plan as an execute
// puts its parameters (plancache.go, same checks). ORMs that interpolate
// values on the client, sysbench's oltp_insert and --db-ps-mode=disable
// send every statement this way.
//
// A statement is left to go-mysql-server's own text path unless it is one
// statement (nothing after it but semicolons), of a cacheable kind, has
// at most maxTextLiterals literals, all of them integers or
// quoted strings, and no comment, placeholder, variable or other
// literal kind: a decimal, float, hex or bit literal would need a type
// of its own in the key, a comment may carry optimizer hints or version
// code, and a variable's value is not a literal of the text.

// maxTextLiterals bounds the literals of a cached text statement: a
// substitution compares every literal of the plan with every value, so a
// bulk INSERT of thousands of values is left to the analyzer (its rows
// cost more than its plan anyway).
const maxTextLiterals = 64

// textShape returns the shape of a text statement and its literals typed
// as go-mysql-server's planner types them; false when the statement is
// not one the cache takes (see above). ansiQuotes reads "..." as a name.
func textShape(query string, ansiQuotes bool) (string, []boundValue, bool) {
	if strings.Contains(query, "/*") {
		return "", nil, false
	}
	tkn := ast.NewStringTokenizer(query)
	if ansiQuotes {
		tkn = ast.NewStringTokenizerForAnsiQuotes(query)
	}
	var (
		b    strings.Builder
		vals []boundValue
		end  bool
	)
	b.Grow(len(query) + 16)
	for {
		typ, val := tkn.Scan()
		switch typ {
		case 0:
			return b.String(), vals, b.Len() > 0
		case ';':
			end = true
			continue
		case ast.INTEGRAL:
			v, ok := intLiteral(string(val))
			if !ok || len(vals) == maxTextLiterals {
				return "", nil, false
			}
			vals = append(vals, v)
			b.WriteString("\x00?")
			continue
		case ast.STRING:
			if len(vals) == maxTextLiterals {
				return "", nil, false
			}
			vals = append(vals, boundValue{class: 's', v: string(val)})
			b.WriteString("\x00?")
			continue
		case ast.LEX_ERROR, ast.COMMENT, ast.VALUE_ARG, ast.LIST_ARG, ast.FLOAT, ast.DECIMAL,
			ast.HEX, ast.HEXNUM, ast.BIT_LITERAL:
			return "", nil, false
		}
		if end || (len(val) > 0 && val[0] == '@') {
			// A second statement, or a variable.
			return "", nil, false
		}
		// The token's type in three bytes (strconv would allocate per
		// token: the types are above its small-number cache).
		b.Write([]byte{0, byte(typ >> 16), byte(typ >> 8), byte(typ), ' '})
		b.Write(val)
	}
}

// executeText runs one text statement (and returns the rest of a
// multi-statement text), through the plan cache when it allows; then
// shapeOut receives the text's shape (for its digest).
func (h *handler) executeText(ctx context.Context, c *mysql.Conn, query string, multi bool, send mysql.ResultSpoolFn, shapeOut *string) (string, error) {
	full := func() (string, error) {
		if multi {
			return h.Handler.ComMultiQuery(ctx, c, query, send)
		}
		return "", h.Handler.ComQuery(ctx, c, query, send)
	}
	pc := h.plans
	gms, ok := h.Handler.(*server.Handler)
	s := connSession(c)
	if pc == nil || !ok || s == nil || s.HasTempTables() || h.parser == nil {
		return full()
	}
	sctx := sql.NewContext(ctx, sql.WithSession(s))
	mode := loadSQLMode(sctx)
	if mode.ModeEnabled("NO_BACKSLASH_ESCAPES") {
		return full()
	}
	shape, vals, ok := textShape(query, mode.AnsiQuotes())
	if !ok {
		return full()
	}
	// The whole text is one statement of this shape: its digest text is
	// the shape's (digest.Statement.Shape).
	*shapeOut = shape
	// Shapes start with a byte no statement text starts with.
	e, p, ok := pc.lookup(sctx, c.ConnectionID, s, "\x01"+shape, vals)
	if !ok {
		return full()
	}
	if p != nil {
		h.noteStatement(c, s, query, e.stmt)
		return "", h.executeCached(ctx, c, gms, s, query, e, p, vals, send)
	}
	stmt, _, _, err := h.parser.ParseWithOptions(sctx, query, ';', false, mode.ParserOptions())
	if err != nil || !cacheableStatement(stmt) {
		// The text path gives the error, or runs what is not cached.
		e.dead = err == nil
		return full()
	}
	pc.metrics.PlanCacheMiss()
	s.ClearWarnings()
	analyzed, fields, err := gms.ComBind(ctx, c, query, stmt, &mysql.PrepareData{})
	if err != nil {
		return "", sql.CastSQLError(err)
	}
	// Binding ended a command of its own, which ends the statement's
	// database and row locking (backend.Session.CommandEnd).
	h.noteStatement(c, s, query, stmt)
	p = analyzed.(sql.Node)
	h.keepPlan(sctx, e, p, vals, fields)
	e.stmt = stmt
	return "", h.executeBound(ctx, c, gms, s, query, p, send)
}

// noteStatement gives the session the database, table aliases and row
// locking of a statement whose plan comes from the cache (parsing notes
// them otherwise).
func (h *handler) noteStatement(c *mysql.Conn, s *backend.Session, query string, stmt ast.Statement) {
	db, aliases := preparedNames.of(stmt)
	s.SetStatementDatabase(db)
	h.aliases.note(c.ConnectionID, aliases)
	s.SetStatementLock(lockOf(query, stmt))
}
