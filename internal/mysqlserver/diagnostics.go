package mysqlserver

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/guocedb/guocedb/internal/sqltext"
)

// MySQL's diagnostics area: a failed statement leaves its error there, and
// SHOW ERRORS, SHOW COUNT(*) ERRORS and SHOW COUNT(*) WARNINGS read it
// without clearing it (C programs call them after mysql_warning_count or
// a failed call). go-mysql-server v0.20.0 refuses the three statements
// ("unsupported feature") and keeps no error of a failed statement. The
// handler records the error of a failed statement as the session's only
// diagnostic (Level "Error", so SHOW WARNINGS lists it too, as in MySQL)
// and answers the three statements itself from the session, as it runs a
// text DO (do.go). Prepared, they still fail with "unsupported feature".

// noteError makes the error err of a statement of c the session's
// diagnostics area.
func noteError(c *mysql.Conn, err error) {
	var se *mysql.SQLError
	if err == nil || !errors.As(err, &se) {
		return
	}
	s := connSession(c)
	if s == nil {
		return
	}
	s.ClearWarnings()
	s.Warn(&sql.Warning{Level: "Error", Code: se.Num, Message: se.Message})
}

// diagnosticsQuery answers the SHOW ERRORS / SHOW COUNT(*) statement first
// of query, and returns the rest of a multi-statement query. ok is false
// when query does not start with one.
func (h *handler) diagnosticsQuery(_ context.Context, c *mysql.Conn, query string, st *sqltext.Statement, multi bool, callback mysql.ResultSpoolFn) (string, bool, error) {
	// Only SHOW statements are parsed here, and only the first of them.
	if !st.Is("show") {
		return "", false, nil
	}
	first, rest := query, ""
	if multi {
		var err error
		if first, rest, err = ast.SplitStatement(query); err != nil {
			return "", false, nil
		}
		rest = strings.TrimSpace(rest)
	}
	stmt, err := ast.Parse(first)
	show, ok := stmt.(*ast.Show)
	if err != nil || !ok {
		return "", false, nil
	}
	kind := strings.ToLower(show.Type)
	if !(kind == "errors" || kind == "warnings" && show.CountStar) {
		return "", false, nil
	}
	s := connSession(c)
	if s == nil {
		return "", false, nil
	}
	var diags []*sql.Warning
	for _, w := range s.Warnings() {
		if kind == "warnings" || w.Level == "Error" {
			diags = append(diags, w)
		}
	}
	var res *sqltypes.Result
	if show.CountStar {
		name := "@@session.warning_count"
		if kind == "errors" {
			name = "@@session.error_count"
		}
		res = &sqltypes.Result{
			Fields: []*querypb.Field{{Name: name, Type: querypb.Type_INT64, Charset: 63, ColumnLength: 21, Flags: uint32(querypb.MySqlFlag_NOT_NULL_FLAG | querypb.MySqlFlag_BINARY_FLAG | querypb.MySqlFlag_NUM_FLAG)}},
			Rows:   [][]sqltypes.Value{{sqltypes.NewInt64(int64(len(diags)))}},
		}
	} else {
		diags = limitDiagnostics(diags, show.Limit)
		res = &sqltypes.Result{Fields: []*querypb.Field{
			{Name: "Level", Type: querypb.Type_VARCHAR, Charset: uint32(sql.CharacterSet_utf8mb4), ColumnLength: 28},
			{Name: "Code", Type: querypb.Type_UINT32, Charset: 63, ColumnLength: 4, Flags: uint32(querypb.MySqlFlag_NOT_NULL_FLAG | querypb.MySqlFlag_UNSIGNED_FLAG | querypb.MySqlFlag_NUM_FLAG)},
			{Name: "Message", Type: querypb.Type_VARCHAR, Charset: uint32(sql.CharacterSet_utf8mb4), ColumnLength: 2048},
		}}
		for _, w := range diags {
			res.Rows = append(res.Rows, []sqltypes.Value{
				sqltypes.NewVarChar(w.Level), sqltypes.NewUint32(uint32(w.Code)), sqltypes.NewVarChar(w.Message),
			})
		}
	}
	return rest, true, callback(res, rest != "")
}

// limitDiagnostics applies SHOW ERRORS' LIMIT [offset,] count of literal
// numbers.
func limitDiagnostics(d []*sql.Warning, l *ast.Limit) []*sql.Warning {
	if l == nil {
		return d
	}
	num := func(e ast.Expr) (int, bool) {
		v, ok := e.(*ast.SQLVal)
		if !ok || v.Type != ast.IntVal {
			return 0, false
		}
		n, err := strconv.Atoi(string(v.Val))
		return n, err == nil && n >= 0
	}
	if off, ok := num(l.Offset); ok {
		d = d[min(off, len(d)):]
	}
	if n, ok := num(l.Rowcount); ok {
		d = d[:min(n, len(d))]
	}
	return d
}
