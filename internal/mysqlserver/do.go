package mysqlserver

import (
	"context"
	"strings"
	"unicode"

	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/guocedb/guocedb/internal/sqltext"
)

// go-mysql-server v0.20.0 does not parse DO expr[, expr]... (drivers and
// connection pools use "DO 1" as a ping). guocedb runs a text DO as the
// SELECT of the same expressions, drops the rows, and answers OK, as MySQL
// does. vitess parses COM_STMT_PREPARE itself before any handler sees it,
// so a prepared DO is rewritten below vitess (packetConn) into the SELECT
// marked with doMarker; the handler prepares it without result columns
// and executes it as a DO, over TLS as without (packetConn sits above
// TLS). Inside a procedure body the parser
// rewrites DO the same way (parser.go, callresults.go).

// doMarker starts the SELECT a DO statement becomes. The comment is kept
// by the parser in the SELECT's comments, which is how the procedure
// interpreter's statements are recognised (callresults.go).
const (
	doComment = "/*guocedb:do*/"
	doMarker  = "SELECT " + doComment + " "
)

// isPreparedDo reports whether a prepared statement's text is a DO
// rewritten by rewriteClientCommand.
func isPreparedDo(stmt string) bool { return strings.HasPrefix(stmt, doMarker) }

// asDoSelect returns the SELECT that evaluates a DO statement's
// expressions, and whether stmt is a DO statement.
func asDoSelect(stmt string) (string, bool) {
	s := strings.TrimLeftFunc(stmt, unicode.IsSpace)
	if len(s) < 3 || !strings.EqualFold(s[:2], "do") {
		return "", false
	}
	if r := rune(s[2]); !unicode.IsSpace(r) && r != '(' {
		return "", false
	}
	return "SELECT " + s[2:], true
}

// discardRows is a result callback that keeps nothing.
func discardRows(*sqltypes.Result, bool) error { return nil }

// sendOK answers a statement without a result set.
func sendOK(callback mysql.ResultSpoolFn, more bool) error {
	return callback(&sqltypes.Result{}, more)
}

// doQuery runs the DO statement first of query (single or multi) and
// returns the rest of a multi-statement query.
func (h *handler) doQuery(ctx context.Context, c *mysql.Conn, query string, st *sqltext.Statement, multi bool, callback mysql.ResultSpoolFn) (string, bool, error) {
	// The first statement starts where query does: a query that does not
	// start with DO is not split (this runs for every query of a client
	// with multi-statements on). The classification's first word gates
	// the check of the text (which admits no comment before DO).
	if !strings.EqualFold(st.Word(0), "do") {
		return "", false, nil
	}
	if _, ok := asDoSelect(query); !ok {
		return "", false, nil
	}
	first, rest := query, ""
	if multi {
		var err error
		if first, rest, err = sqlparser.SplitStatement(query); err != nil {
			return "", false, nil // let go-mysql-server report the syntax error
		}
		rest = strings.TrimSpace(rest)
	}
	sel, ok := asDoSelect(first)
	if !ok {
		return "", false, nil
	}
	if err := h.Handler.ComQuery(ctx, c, sel, discardRows); err != nil {
		return "", true, err
	}
	return rest, true, sendOK(callback, rest != "")
}

// execPreparedDo executes a prepared DO: its SELECT's rows are dropped and
// the client gets an OK. Like a text DO it makes an open transaction
// unreplayable (replay.go).
func (h *handler) execPreparedDo(ctx context.Context, c *mysql.Conn, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) error {
	h.untracked(c)
	if err := h.Handler.ComStmtExecute(ctx, c, prepare, func(*sqltypes.Result) error { return nil }); err != nil {
		return err
	}
	return callback(&sqltypes.Result{})
}
