package mysqlserver

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"

	"github.com/guocedb/guocedb/internal/sqltext"
)

// checksumTableQuery answers CHECKSUM TABLE t [, t2 ...] [QUICK |
// EXTENDED], which go-mysql-server's grammar lacks: one row per table,
// (Table, Checksum), as MySQL. The checksum is the sum (mod 2^64) of a
// CRC-32 of each row's values as the text protocol sends them, so it does
// not depend on row order, and two tables with the same rows and column
// types have the same checksum on any server or cluster member (the
// number differs from MySQL's, whose CRC covers its own row format). The
// rows are read by a SELECT in the connection's session: its privileges
// and its transaction's snapshot apply. A table that does not exist gets
// a NULL checksum and a warning (1146), as in MySQL. It reports whether
// query was that statement.
func (h *handler) checksumTableQuery(ctx context.Context, c *mysql.Conn, query string, st *sqltext.Statement, multi bool, callback mysql.ResultSpoolFn) (string, bool, error) {
	if !st.Is("checksum") {
		return "", false, nil
	}
	first, rest := query, ""
	if multi {
		if i := strings.IndexByte(query, ';'); i >= 0 {
			first, rest = query[:i], strings.TrimSpace(query[i+1:])
		}
	}
	tables, ok := checksumTables(first)
	if !ok {
		return "", false, nil
	}
	res := &sqltypes.Result{Fields: []*querypb.Field{
		{Name: "Table", Type: querypb.Type_VARCHAR, Charset: uint32(sql.CharacterSet_utf8mb4), ColumnLength: 256},
		{Name: "Checksum", Type: querypb.Type_UINT64, Charset: uint32(sql.Collation_binary), ColumnLength: 21},
	}}
	for _, t := range tables {
		db := t.db
		if db == "" {
			if s := connSession(c); s != nil {
				db = s.GetCurrentDatabase()
			}
		}
		if db == "" {
			return rest, true, mysql.NewSQLError(mysql.ERNoDb, "3D000", "No database selected")
		}
		sum, err := h.tableChecksum(ctx, c, db, t.table)
		name := sqltypes.NewVarChar(db + "." + t.table)
		switch {
		case err == nil:
			res.Rows = append(res.Rows, []sqltypes.Value{name, sqltypes.NewUint64(sum)})
		case isNoSuchTable(err):
			res.Rows = append(res.Rows, []sqltypes.Value{name, sqltypes.NULL})
			if s := connSession(c); s != nil {
				s.Warn(&sql.Warning{Level: "Error", Code: mysql.ERNoSuchTable, Message: fmt.Sprintf("Table '%s.%s' doesn't exist", db, t.table)})
			}
		default:
			return rest, true, err
		}
	}
	return rest, true, callback(res, rest != "")
}

type checksumTarget struct{ db, table string }

// checksumTables parses CHECKSUM TABLE's list of tables; ok is false for
// any other statement or a malformed list (go-mysql-server then answers
// with its syntax error).
func checksumTables(q string) ([]checksumTarget, bool) {
	toks := lexSQL(q)
	if len(toks) < 3 || !toks[0].is("CHECKSUM") || !(toks[1].is("TABLE") || toks[1].is("TABLES")) {
		return nil, false
	}
	toks = toks[2:]
	if n := len(toks); n > 0 && toks[n-1].text == ";" {
		toks = toks[:n-1]
	}
	if n := len(toks); n > 0 && (toks[n-1].is("QUICK") || toks[n-1].is("EXTENDED")) {
		toks = toks[:n-1]
	}
	var out []checksumTarget
	for len(toks) > 0 {
		var t checksumTarget
		if !toks[0].name() {
			return nil, false
		}
		t.table = unquoteIdent(toks[0])
		toks = toks[1:]
		if len(toks) >= 2 && toks[0].text == "." && toks[1].name() {
			t.db, t.table = t.table, unquoteIdent(toks[1])
			toks = toks[2:]
		}
		out = append(out, t)
		if len(toks) == 0 {
			break
		}
		if toks[0].text != "," {
			return nil, false
		}
		toks = toks[1:]
	}
	return out, len(out) > 0
}

func unquoteIdent(t sqlToken) string {
	if t.quoted && strings.HasPrefix(t.text, "`") && len(t.text) >= 2 {
		return strings.ReplaceAll(t.text[1:len(t.text)-1], "``", "`")
	}
	return t.text
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// tableChecksum reads every row of db.table through the connection's
// session and sums a CRC-32 of each.
func (h *handler) tableChecksum(ctx context.Context, c *mysql.Conn, db, table string) (uint64, error) {
	var sum uint64
	q := "SELECT * FROM " + quoteIdent(db) + "." + quoteIdent(table)
	err := h.Handler.ComQuery(ctx, c, q, func(res *sqltypes.Result, _ bool) error {
		for _, row := range res.Rows {
			crc := crc32.NewIEEE()
			for _, v := range row {
				if v.IsNull() {
					_, _ = crc.Write([]byte{0})
					continue
				}
				b := v.Raw()
				_, _ = crc.Write([]byte{1, byte(len(b)), byte(len(b) >> 8), byte(len(b) >> 16), byte(len(b) >> 24)})
				_, _ = crc.Write(b)
			}
			sum += uint64(crc.Sum32())
		}
		return nil
	})
	return sum, err
}

// isNoSuchTable reports whether err is MySQL's 1146.
func isNoSuchTable(err error) bool {
	var se *mysql.SQLError
	return sql.ErrTableNotFound.Is(err) || errors.As(mapError(err, ""), &se) && se.Number() == mysql.ERNoSuchTable
}
