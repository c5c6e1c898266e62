package mysqlserver

import (
	"context"
	gosql "database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// explainSetup is the schema the EXPLAIN tests read: t has a primary key,
// a secondary and a unique index and an unindexed column; u joins t.
var explainSetup = []string{
	"CREATE DATABASE d",
	"CREATE TABLE d.t (id INT PRIMARY KEY, a INT, b VARCHAR(20), c INT, KEY ia (a), UNIQUE KEY ub (b))",
	"CREATE TABLE d.u (id INT PRIMARY KEY, tid INT, x INT, KEY itid (tid))",
	"INSERT INTO d.t VALUES (1,1,'x',1), (2,2,'y',2), (3,3,'z',3)",
	"INSERT INTO d.u VALUES (1,1,1), (2,2,2), (3,1,3)",
}

// explained is the part of an EXPLAIN row MySQL users read.
type explained struct {
	ID         any // int64, or nil for a UNION RESULT row
	SelectType string
	Table      any // string or nil
	Type       any
	Key        any
	Extra      any
}

// explainCases are MySQL 8.0's answers for the tables of explainSetup
// (rows and filtered are estimates; the tests check they are numbers).
var explainCases = []struct {
	name, query string
	want        []explained
}{
	{"primary key point lookup", "EXPLAIN SELECT * FROM t WHERE id = 2",
		[]explained{{int64(1), "SIMPLE", "t", "const", "PRIMARY", nil}}},
	{"secondary index lookup", "EXPLAIN SELECT * FROM t WHERE a = 2",
		[]explained{{int64(1), "SIMPLE", "t", "ref", "ia", nil}}},
	{"unique index lookup", "EXPLAIN SELECT * FROM t WHERE b = 'y'",
		[]explained{{int64(1), "SIMPLE", "t", "const", "ub", nil}}},
	{"range", "EXPLAIN SELECT * FROM t WHERE id > 1",
		[]explained{{int64(1), "SIMPLE", "t", "range", "PRIMARY", nil}}},
	{"full scan with where", "EXPLAIN SELECT * FROM t WHERE c > 1",
		[]explained{{int64(1), "SIMPLE", "t", "ALL", nil, "Using where"}}},
	{"join by primary key", "EXPLAIN SELECT * FROM u JOIN t ON t.id = u.x",
		[]explained{{int64(1), "SIMPLE", "u", "ALL", nil, nil}, {int64(1), "SIMPLE", "t", "eq_ref", "PRIMARY", nil}}},
	{"order by without index", "EXPLAIN SELECT * FROM t ORDER BY c",
		[]explained{{int64(1), "SIMPLE", "t", "ALL", nil, "Using filesort"}}},
	{"group by without index", "EXPLAIN SELECT c, COUNT(*) FROM t GROUP BY c",
		[]explained{{int64(1), "SIMPLE", "t", "ALL", nil, "Using temporary"}}},
	{"scalar subquery", "EXPLAIN SELECT a, (SELECT MAX(x) FROM u) FROM t",
		[]explained{{int64(1), "PRIMARY", "t", "ALL", nil, nil}, {int64(2), "SUBQUERY", "u", "ALL", nil, nil}}},
	{"derived table", "EXPLAIN SELECT * FROM (SELECT a FROM t) s",
		[]explained{{int64(1), "PRIMARY", "<derived2>", "ALL", nil, nil}, {int64(2), "DERIVED", "t", "ALL", nil, nil}}},
	{"union", "EXPLAIN SELECT a FROM t UNION SELECT x FROM u",
		[]explained{{int64(1), "PRIMARY", "t", "ALL", nil, nil}, {int64(2), "UNION", "u", "ALL", nil, nil}, {nil, "UNION RESULT", "<union1,2>", "ALL", nil, "Using temporary"}}},
	{"no tables", "EXPLAIN SELECT 1",
		[]explained{{int64(1), "SIMPLE", nil, nil, nil, "No tables used"}}},
	{"impossible where", "EXPLAIN SELECT * FROM t WHERE 1 = 0",
		[]explained{{int64(1), "SIMPLE", nil, nil, nil, "Impossible WHERE"}}},
	{"update", "EXPLAIN UPDATE t SET c = 0 WHERE id = 2",
		[]explained{{int64(1), "UPDATE", "t", "range", "PRIMARY", "Using where"}}},
	{"delete", "EXPLAIN DELETE FROM t WHERE c = 9",
		[]explained{{int64(1), "DELETE", "t", "ALL", nil, "Using where"}}},
	{"insert", "EXPLAIN INSERT INTO t VALUES (9, 9, 'q', 9)",
		[]explained{{int64(1), "INSERT", "t", "ALL", nil, nil}}},
	{"format traditional", "EXPLAIN FORMAT=TRADITIONAL SELECT * FROM t WHERE id = 2",
		[]explained{{int64(1), "SIMPLE", "t", "const", "PRIMARY", nil}}},
	{"describe", "DESCRIBE SELECT * FROM t WHERE a = 2",
		[]explained{{int64(1), "SIMPLE", "t", "ref", "ia", nil}}},
}

// readExplain reads an EXPLAIN result: the columns users read, and that
// rows and filtered are numbers (or NULL together with the table).
func readExplain(t *testing.T, rows *gosql.Rows) []explained {
	t.Helper()
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	require.Equal(t, []string{"id", "select_type", "table", "partitions", "type", "possible_keys", "key", "key_len", "ref", "rows", "filtered", "Extra"}, cols)
	var out []explained
	for rows.Next() {
		var (
			id                                     gosql.NullInt64
			selectType                             string
			table, parts, typ, possible, key, klen gosql.NullString
			ref, extra                             gosql.NullString
			n                                      gosql.NullInt64
			filtered                               gosql.NullFloat64
		)
		require.NoError(t, rows.Scan(&id, &selectType, &table, &parts, &typ, &possible, &key, &klen, &ref, &n, &filtered, &extra))
		require.False(t, parts.Valid, "partitions is NULL")
		if table.Valid && typ.Valid && selectType != "INSERT" && selectType != "UNION RESULT" {
			require.True(t, n.Valid, "rows of %s is a number", table.String)
			require.True(t, filtered.Valid, "filtered of %s is a number", table.String)
		}
		if key.Valid {
			require.True(t, klen.Valid, "key_len with key %s", key.String)
		}
		out = append(out, explained{ID: nullable(id.Int64, id.Valid), SelectType: selectType, Table: nullable(table.String, table.Valid),
			Type: nullable(typ.String, typ.Valid), Key: nullable(key.String, key.Valid), Extra: nullable(extra.String, extra.Valid)})
	}
	require.NoError(t, rows.Err())
	return out
}

func nullable[T any](v T, valid bool) any {
	if !valid {
		return nil
	}
	return v
}

// TestExplainOverTheWire: EXPLAIN answers MySQL's table, through the text
// protocol and through server-side prepared statements.
func TestExplainOverTheWire(t *testing.T) {
	db, stop := startServer(t, t.TempDir())
	defer stop()
	for _, s := range explainSetup {
		_, err := db.Exec(s)
		require.NoError(t, err, s)
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "USE d")
	require.NoError(t, err)
	for _, tc := range explainCases {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := conn.QueryContext(ctx, tc.query)
			require.NoError(t, err)
			require.Equal(t, tc.want, readExplain(t, rows), "text: "+tc.query)

			stmt, err := conn.PrepareContext(ctx, tc.query)
			require.NoError(t, err)
			defer stmt.Close()
			rows, err = stmt.QueryContext(ctx)
			require.NoError(t, err)
			require.Equal(t, tc.want, readExplain(t, rows), "prepared: "+tc.query)
		})
	}

	t.Run("prepared with a parameter", func(t *testing.T) {
		rows, err := conn.QueryContext(ctx, "EXPLAIN SELECT * FROM t WHERE id = ?", 2)
		require.NoError(t, err)
		require.Equal(t, explainCases[0].want, readExplain(t, rows))
	})
	t.Run("row estimates", func(t *testing.T) {
		// The table's row count is counted in the background after a
		// start; it settles on the three rows.
		require.Eventually(t, func() bool {
			var id int64
			var st, tbl, typ string
			var parts, possible, key, klen, ref, extra gosql.NullString
			var n uint64
			var f float64
			err := conn.QueryRowContext(ctx, "EXPLAIN SELECT * FROM t WHERE c > 1").Scan(&id, &st, &tbl, &parts, &typ, &possible, &key, &klen, &ref, &n, &f, &extra)
			return err == nil && n == 3
		}, 10*time.Second, 50*time.Millisecond)
		var n uint64
		var f float64
		var klen, ref string
		require.NoError(t, conn.QueryRowContext(ctx, "SELECT 1").Scan(new(int)))
		require.NoError(t, conn.QueryRowContext(ctx, "EXPLAIN SELECT * FROM t WHERE id = 2").Scan(new(any), new(any), new(any), new(any), new(any), new(any), new(any), &klen, &ref, &n, &f, new(any)))
		require.Equal(t, "4", klen)    // INT NOT NULL
		require.Equal(t, "const", ref) // compared with a constant
		require.Equal(t, uint64(1), n) // one row at most
		require.Equal(t, 100.0, f)     // no condition left

		// Both indexes could serve; go-mysql-server picks one.
		var possible string
		require.NoError(t, conn.QueryRowContext(ctx, "EXPLAIN SELECT * FROM t WHERE a = 1 AND id > 0").Scan(new(any), new(any), new(any), new(any), new(any), &possible, new(any), new(any), new(any), new(any), new(any), new(any)))
		require.Equal(t, "PRIMARY,ia", possible)
		// A column inside an expression cannot use its index.
		var none gosql.NullString
		require.NoError(t, conn.QueryRowContext(ctx, "EXPLAIN SELECT * FROM t WHERE a + 1 > 0").Scan(new(any), new(any), new(any), new(any), new(any), &none, new(any), new(any), new(any), new(any), new(any), new(any)))
		require.False(t, none.Valid, none.String)
	})
	t.Run("plan formats stay go-mysql-server's", func(t *testing.T) {
		// A unique lookup made the one-row fast path refuse the printer's
		// several lines ("max1Row iterator returned more than one row").
		for _, q := range []string{"EXPLAIN PLAN SELECT * FROM t WHERE id = 2", "EXPLAIN FORMAT=TREE SELECT * FROM t WHERE id = 2", "  /* c */ explain plan select * from t where b = 'x'", "prepared"} {
			var rows *gosql.Rows
			var err error
			if q == "prepared" {
				q = "EXPLAIN PLAN SELECT * FROM t WHERE id = ?"
				stmt, perr := conn.PrepareContext(ctx, q)
				require.NoError(t, perr)
				defer stmt.Close()
				rows, err = stmt.QueryContext(ctx, 2)
			} else {
				rows, err = conn.QueryContext(ctx, q)
			}
			require.NoError(t, err, q)
			var lines []string
			for rows.Next() {
				var l string
				require.NoError(t, rows.Scan(&l))
				lines = append(lines, l)
			}
			require.NoError(t, rows.Err())
			require.Greater(t, len(lines), 1, q)
			require.True(t, strings.HasPrefix(lines[0], "IndexedTableAccess"), lines[0])
		}
	})
	t.Run("EXPLAIN changes nothing", func(t *testing.T) {
		var c int
		require.NoError(t, conn.QueryRowContext(ctx, "SELECT c FROM t WHERE id = 2").Scan(&c))
		require.Equal(t, 2, c)
		require.NoError(t, conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM t").Scan(&c))
		require.Equal(t, 3, c)
	})
}

// explainPyMySQL is the PyMySQL client's part: it printed ValueError on
// go-mysql-server's placeholder (the string "NULL" in BIGINT `rows`).
const explainPyMySQL = `
import json, os, pymysql
c = pymysql.connect(host="127.0.0.1", port=int(os.environ["PORT"]), user="root", database="d")
out = []
with c.cursor() as cur:
    for q in ["EXPLAIN SELECT * FROM t WHERE id = %s", "EXPLAIN SELECT * FROM t WHERE c > %s", "EXPLAIN SELECT * FROM u JOIN t ON t.id = u.x WHERE u.id > %s"]:
        cur.execute(q, (1,))
        out.append([[r[2], r[4], r[6], isinstance(r[9], int), r[11]] for r in cur.fetchall()])
print(json.dumps(out))
`

// TestExplainPyMySQL: PyMySQL decodes EXPLAIN's rows (integers in `rows`,
// NULL as None).
func TestExplainPyMySQL(t *testing.T) {
	const python = "/usr/bin/python3" // the Debian one has python3-pymysql
	if _, err := os.Stat(python); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required under CI=true: %v", python, err)
		}
		t.Skipf("%s not installed: %v", python, err)
	}
	db, addr, stop := startServerAddr(t, t.TempDir())
	defer stop()
	for _, s := range explainSetup {
		_, err := db.Exec(s)
		require.NoError(t, err, s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-c", explainPyMySQL)
	cmd.Env = append(os.Environ(), "PORT="+addr[strings.LastIndexByte(addr, ':')+1:])
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	var got [][][]any
	require.NoError(t, json.Unmarshal(out, &got), string(out))
	require.Equal(t, [][][]any{
		{{"t", "const", "PRIMARY", true, nil}},
		{{"t", "ALL", nil, true, "Using where"}},
		{{"u", "range", "PRIMARY", true, nil}, {"t", "eq_ref", "PRIMARY", true, nil}},
	}, got)
}

func TestIsExplain(t *testing.T) {
	for q, want := range map[string]bool{
		"EXPLAIN SELECT 1":                 true,
		"  desc select 1":                  true,
		"/* x */ Describe select 1":        true,
		"-- c\n# d\nexplain plan select 1": true,
		"SELECT 1":                         false,
		"DESCRIPTION":                      false,
		"explained":                        false,
		"/* unterminated":                  false,
		"":                                 false,
	} {
		require.Equal(t, want, isExplain(q), q)
	}
}
