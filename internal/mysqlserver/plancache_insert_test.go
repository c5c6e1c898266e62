package mysqlserver

import (
	"context"
	gosql "database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// outcome is what a client sees of one statement: the error code (0 for
// none), rows affected, the insert id, and SHOW WARNINGS.
type outcome struct {
	code     uint16
	affected int64
	insertID int64
	warnings string
}

// runOutcome runs q on conn (with args: a prepared statement) and reads
// what the client sees of it.
func runOutcome(t *testing.T, conn *gosql.Conn, q string, args ...any) outcome {
	t.Helper()
	ctx := context.Background()
	var o outcome
	res, err := conn.ExecContext(ctx, q, args...)
	if err != nil {
		var me *mysql.MySQLError
		require.True(t, errors.As(err, &me), "%s: %v", q, err)
		o.code = me.Number
		return o
	}
	o.affected, err = res.RowsAffected()
	require.NoError(t, err)
	o.insertID, err = res.LastInsertId()
	require.NoError(t, err)
	rows, err := conn.QueryContext(ctx, "SHOW WARNINGS")
	require.NoError(t, err)
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var level, msg string
		var code int
		require.NoError(t, rows.Scan(&level, &code, &msg))
		fmt.Fprintf(&b, "%s %d %s;", level, code, msg)
	}
	require.NoError(t, rows.Err())
	o.warnings = b.String()
	return o
}

// fastInsertPair is two servers, one with spoolInsert and one without,
// and one connection to each.
type fastInsertPair struct {
	fast, slow         *Server
	fastConn, slowConn *gosql.Conn
}

func startFastInsertPair(t *testing.T) *fastInsertPair {
	t.Helper()
	p := &fastInsertPair{}
	var fastDB, slowDB *gosql.DB
	var stop func()
	p.fast, fastDB, stop = startTestServer(t, t.TempDir(), "")
	t.Cleanup(stop)
	p.slow, slowDB, stop = startTestServer(t, t.TempDir(), "")
	t.Cleanup(stop)
	p.slow.h.noFastInsert.Store(true)
	var err error
	p.fastConn, err = fastDB.Conn(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.fastConn.Close() })
	p.slowConn, err = slowDB.Conn(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.slowConn.Close() })
	return p
}

// both runs q on both servers and requires the same outcome; it
// returns it.
func (p *fastInsertPair) both(t *testing.T, q string, args ...any) outcome {
	t.Helper()
	want := runOutcome(t, p.slowConn, q, args...)
	got := runOutcome(t, p.fastConn, q, args...)
	require.Equal(t, want, got, "%s %v", q, args)
	return got
}

// sameRows requires q to return the same rows on both servers.
func (p *fastInsertPair) sameRows(t *testing.T, q string) {
	t.Helper()
	read := func(conn *gosql.Conn) []string {
		rows, err := conn.QueryContext(context.Background(), q)
		require.NoError(t, err)
		defer rows.Close()
		cols, err := rows.Columns()
		require.NoError(t, err)
		var out []string
		for rows.Next() {
			vals := make([]gosql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			out = append(out, fmt.Sprint(vals))
		}
		require.NoError(t, rows.Err())
		return out
	}
	require.Equal(t, read(p.slowConn), read(p.fastConn), q)
}

// TestFastInsertAgreesWithExecutor runs the same single-row inserts,
// text and prepared, on a server with spoolInsert and one without:
// every outcome (errors, rows affected, insert ids, warnings) and the
// rows left agree, over auto_increment and LAST_INSERT_ID, duplicate
// keys, out-of-range, too long and wrong values in strict and
// non-strict mode, NULL into NOT NULL, and transactions; and the fast
// server ran most of them through spoolInsert.
func TestFastInsertAgreesWithExecutor(t *testing.T) {
	p := startFastInsertPair(t)
	for _, q := range []string{
		"CREATE DATABASE fi",
		"USE fi",
		"CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, k TINYINT NOT NULL DEFAULT '0', c VARCHAR(5) NOT NULL DEFAULT '', u TINYINT UNSIGNED, UNIQUE KEY uk (c, k))",
	} {
		p.both(t, q)
	}
	lastID := func() {
		t.Helper()
		p.sameRows(t, "SELECT LAST_INSERT_ID(), ROW_COUNT()")
	}
	for _, mode := range []string{"STRICT_TRANS_TABLES", ""} {
		p.both(t, "SET sql_mode = '"+mode+"'")
		for i := 0; i < 6; i++ {
			// Text statements: each literal is a value of the cached shape.
			p.both(t, fmt.Sprintf("INSERT INTO t (id, k, c, u) VALUES (0, %d, 'a%d', %d)", i+1, i, i))
			lastID()
			p.both(t, fmt.Sprintf("INSERT INTO t (id, k, c, u) VALUES (%d, %d, 'b%d', 1)", 1000+i+len(mode), i+1, i))
			lastID()
			p.both(t, fmt.Sprintf("INSERT INTO t (k, c) VALUES (%d, 'c%d')", i+1, i))
			lastID()
		}
		for _, q := range []string{
			"INSERT INTO t (id, k, c, u) VALUES (1, 1, 'dup', 1)",          // 1062 on the primary key
			"INSERT INTO t (id, k, c, u) VALUES (0, 1, 'a0', 1)",           // 1062 on the unique key
			"INSERT INTO t (id, k, c, u) VALUES (0, 3000, 'r', 1)",         // 1264 (or a warning)
			"INSERT INTO t (id, k, c, u) VALUES (0, 5, 'r', 300)",          // unsigned out of range
			"INSERT INTO t (id, k, c, u) VALUES (0, 6, 'toolongvalue', 1)", // 1406 (or 1265)
			"INSERT INTO t (id, k, c, u) VALUES (0, 'abc', 'w', 1)",        // 1366 (or a warning)
			"INSERT INTO t (id, k, c, u) VALUES (0, NULL, 'n', 1)",         // 1048
			"INSERT INTO t (id, k, c, u) VALUES (0, 7, 'n2', NULL)",
			"INSERT INTO t (id, k, c, u) VALUES (0, 8, 'neg', -1)",
		} {
			for i := 0; i < 3; i++ {
				p.both(t, q)
				lastID()
			}
		}
		// Prepared statements (go-sql-driver prepares when given args).
		ins := "INSERT INTO t (id, k, c, u) VALUES (?, ?, ?, ?)"
		for i := 0; i < 6; i++ {
			p.both(t, ins, 0, i+1, fmt.Sprintf("p%d%s", i, mode[:min(len(mode), 1)]), i)
			lastID()
			p.both(t, ins, 2000+i+len(mode), i+1, fmt.Sprintf("q%d%s", i, mode[:min(len(mode), 1)]), 1)
			lastID()
		}
		p.both(t, ins, 2000+len(mode), 1, "qq", 1) // duplicate
		p.both(t, ins, 0, 120, "big", 700)         // out of range
		p.both(t, ins, 0, 9, "toolongvalue", 1)
		lastID()
	}
	// In a transaction: rolled back, then committed.
	p.both(t, "SET sql_mode = 'STRICT_TRANS_TABLES'")
	p.both(t, "BEGIN")
	p.both(t, "INSERT INTO t (id, k, c, u) VALUES (0, 9, 'tx1', 1)")
	p.both(t, "INSERT INTO t (id, k, c, u) VALUES (0, 9, 'tx1', 1)") // duplicate inside
	p.both(t, "ROLLBACK")
	p.both(t, "BEGIN")
	p.both(t, "INSERT INTO t (id, k, c, u) VALUES (0, 9, 'tx2', 1)")
	p.both(t, "COMMIT")
	p.sameRows(t, "SELECT * FROM t ORDER BY id")
	p.sameRows(t, "SELECT COUNT(*) FROM t")
	require.Greater(t, p.fast.h.fastInserts.Load(), uint64(25))
	require.Zero(t, p.slow.h.fastInserts.Load())
}

// TestFastInsertFallsBack: inserts into tables with a trigger, a CHECK
// constraint or a foreign key, INSERT IGNORE, REPLACE and ON DUPLICATE
// KEY UPDATE do not take spoolInsert, and give the executor's results.
func TestFastInsertFallsBack(t *testing.T) {
	p := startFastInsertPair(t)
	for _, q := range []string{
		"CREATE DATABASE fb",
		"USE fb",
		"CREATE TABLE plain (id INT PRIMARY KEY, n INT)",
		"CREATE TABLE logged (id INT PRIMARY KEY, n INT)",
		"CREATE TABLE log (n INT)",
		"CREATE TRIGGER tr AFTER INSERT ON logged FOR EACH ROW INSERT INTO log VALUES (NEW.n)",
		"CREATE TABLE checked (id INT PRIMARY KEY, n INT, CHECK (n < 100))",
		"CREATE TABLE parent (id INT PRIMARY KEY)",
		"INSERT INTO parent VALUES (1), (2)",
		"CREATE TABLE child (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES parent (id))",
	} {
		p.both(t, q)
	}
	before := p.fast.h.fastInserts.Load()
	for i := 1; i <= 5; i++ {
		p.both(t, fmt.Sprintf("INSERT INTO logged VALUES (%d, %d)", i, i*10))
		p.both(t, fmt.Sprintf("INSERT INTO checked VALUES (%d, %d)", i, i*30)) // 3819 from i = 4
		p.both(t, fmt.Sprintf("INSERT INTO child VALUES (%d, %d)", i, i))      // 1452 from i = 3
		p.both(t, fmt.Sprintf("INSERT IGNORE INTO plain VALUES (%d, %d)", i%3, i))
		p.both(t, fmt.Sprintf("REPLACE INTO plain VALUES (%d, %d)", i%2, i))
		p.both(t, fmt.Sprintf("INSERT INTO plain VALUES (%d, %d) ON DUPLICATE KEY UPDATE n = n + 1", i%2, i))
	}
	require.Equal(t, before, p.fast.h.fastInserts.Load(), "no statement above may take spoolInsert")
	for _, q := range []string{"SELECT * FROM logged ORDER BY id", "SELECT * FROM log ORDER BY n", "SELECT * FROM checked ORDER BY id",
		"SELECT * FROM child ORDER BY id", "SELECT * FROM plain ORDER BY id"} {
		p.sameRows(t, q)
	}
}

// TestFastInsertAfterDDL: a definition change between executions of a
// cached insert is seen by the next one: a new column gets its
// default, a dropped column fails the statement (1054), and a new
// unique index is checked (1062).
func TestFastInsertAfterDDL(t *testing.T) {
	p := startFastInsertPair(t)
	for _, q := range []string{"CREATE DATABASE fd", "USE fd", "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT)"} {
		p.both(t, q)
	}
	insert := func(from, to int) {
		t.Helper()
		before := p.fast.h.fastInserts.Load()
		for i := from; i <= to; i++ {
			p.both(t, fmt.Sprintf("INSERT INTO t (id, a, b) VALUES (%d, %d, %d)", i, 100+i, 200+i))
		}
		require.Greater(t, p.fast.h.fastInserts.Load(), before, "the cached insert ran through spoolInsert")
	}
	insert(1, 4)
	p.both(t, "ALTER TABLE t ADD COLUMN d VARCHAR(10) NOT NULL DEFAULT 'dflt'")
	insert(5, 8)
	p.both(t, "CREATE UNIQUE INDEX ua ON t (a)")
	insert(9, 12)
	o := p.both(t, "INSERT INTO t (id, a, b) VALUES (13, 112, 213)")
	require.Equal(t, uint16(1062), o.code)
	p.both(t, "ALTER TABLE t DROP COLUMN b")
	o = p.both(t, "INSERT INTO t (id, a, b) VALUES (14, 114, 214)")
	require.Equal(t, uint16(1054), o.code)
	p.sameRows(t, "SELECT * FROM t ORDER BY id")
}

// TestFastInsertRevoke: REVOKE INSERT between executions of a cached
// insert makes the next one fail with 1142; GRANT lets it run again.
func TestFastInsertRevoke(t *testing.T) {
	srv, db, stop := startTestServer(t, t.TempDir(), "")
	t.Cleanup(stop)
	for _, q := range []string{
		"CREATE DATABASE fr", "CREATE TABLE fr.t (id INT PRIMARY KEY, n INT)",
		"CREATE USER w@'%' IDENTIFIED BY 'pw'", "GRANT INSERT, SELECT ON fr.* TO w@'%'",
	} {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	wdb, err := gosql.Open("mysql", "w:pw@tcp("+srv.Addr().String()+")/fr")
	require.NoError(t, err)
	t.Cleanup(func() { _ = wdb.Close() })
	conn, err := wdb.Conn(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	st, err := conn.PrepareContext(context.Background(), "INSERT INTO t VALUES (?, ?)")
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	for i := 1; i <= 4; i++ {
		_, err := st.Exec(i, i)
		require.NoError(t, err)
		require.Equal(t, outcome{affected: 1}, runOutcome(t, conn, fmt.Sprintf("INSERT INTO t VALUES (%d, %d)", 100+i, i)))
	}
	require.Greater(t, srv.h.fastInserts.Load(), uint64(0))
	_, err = db.Exec("REVOKE INSERT ON fr.* FROM w@'%'")
	require.NoError(t, err)
	_, err = st.Exec(5, 5)
	var me *mysql.MySQLError
	require.True(t, errors.As(err, &me), "%v", err)
	require.Equal(t, uint16(1142), me.Number)
	require.Equal(t, uint16(1142), runOutcome(t, conn, "INSERT INTO t VALUES (105, 5)").code)
	_, err = db.Exec("GRANT INSERT ON fr.* TO w@'%'")
	require.NoError(t, err)
	_, err = st.Exec(6, 6)
	require.NoError(t, err)
	var n int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM fr.t").Scan(&n))
	require.Equal(t, 9, n)
}

// TestPlanCacheAutoIncrementZero: an AUTO_INCREMENT value of 0 generates
// the id and sets LAST_INSERT_ID, an explicit one does neither, whichever
// came first into the plan cache (go-mysql-server plans the two apart
// without a trace in the plan's text, so zero is a value class of its
// own).
func TestPlanCacheAutoIncrementZero(t *testing.T) {
	_, db := startPlanServer(t)
	for _, q := range []string{"CREATE DATABASE az", "CREATE TABLE az.t (id INT PRIMARY KEY AUTO_INCREMENT, n INT)"} {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	conn, err := db.Conn(context.Background())
	require.NoError(t, err)
	defer conn.Close()
	lastID := func() int64 {
		var id int64
		require.NoError(t, conn.QueryRowContext(context.Background(), "SELECT LAST_INSERT_ID()").Scan(&id))
		return id
	}
	next, want := int64(0), int64(0)
	for i := 1; i <= 8; i++ {
		// Explicit ids first, so that the cached plan was made for one.
		explicit := int64(100 * i)
		o := runOutcome(t, conn, fmt.Sprintf("INSERT INTO az.t (id, n) VALUES (%d, %d)", explicit, i+10))
		require.Equal(t, outcome{affected: 1, insertID: explicit}, o)
		require.Equal(t, want, lastID(), "an explicit id leaves LAST_INSERT_ID")
		next = explicit + 1
		o = runOutcome(t, conn, fmt.Sprintf("INSERT INTO az.t (id, n) VALUES (%d, %d)", 0, i+20))
		require.Equal(t, outcome{affected: 1, insertID: next}, o)
		want = next
		require.Equal(t, want, lastID(), "a generated id is LAST_INSERT_ID")
		o = runOutcome(t, conn, "INSERT INTO az.t (id, n) VALUES (?, ?)", 0, i+30)
		require.Equal(t, outcome{affected: 1, insertID: next + 1}, o)
		want = next + 1
		require.Equal(t, want, lastID())
		o = runOutcome(t, conn, "INSERT INTO az.t (id, n) VALUES (?, ?)", explicit+50, i+40)
		require.Equal(t, outcome{affected: 1, insertID: explicit + 50}, o)
		require.Equal(t, want, lastID())
	}
}
