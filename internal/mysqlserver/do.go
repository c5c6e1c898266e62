package mysqlserver

import (
	"context"
	"strings"
	"unicode"

	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/dolthub/vitess/go/vt/sqlparser"
)

// go-mysql-server v0.20.0 does not parse DO expr[, expr]... (drivers and
// connection pools use "DO 1" as a ping). guocedb runs a text DO as the
// SELECT of the same expressions, drops the rows, and answers OK, as MySQL
// does. A prepared DO cannot be helped here: vitess parses COM_STMT_PREPARE
// itself before any handler sees it (see docs/compatibility.md).

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
func (h *handler) doQuery(ctx context.Context, c *mysql.Conn, query string, multi bool, callback mysql.ResultSpoolFn) (string, bool, error) {
	// The first statement starts where query does: a query that does not
	// start with DO is not split (this runs for every query of a client
	// with multi-statements on).
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
