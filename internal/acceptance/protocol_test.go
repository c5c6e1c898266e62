package acceptance

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/testutil"
)

// DO evaluates expressions and returns no result set; drivers and pools
// use "DO 1" as a ping.
func TestDoStatement(t *testing.T) {
	addr, db := start(t)
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, "CREATE TABLE d.t (id INT PRIMARY KEY)")

	res := mustExec(t, db, "DO 1")
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.Zero(t, n)
	mustExec(t, db, "do (1 + 1), SLEEP(0)")
	requireErrCode(t, execErr(db, "DO no_such_column"), 1054)
	requireErrCode(t, execErr(db, "DO (SELECT id FROM d.missing)"), 1146)

	t.Run("multi-statement", func(t *testing.T) {
		c := conn(t, db)
		ctx := context.Background()
		rows, err := c.QueryContext(ctx, "DO 1; SELECT 2; DO 3; SELECT 4")
		require.NoError(t, err)
		defer rows.Close()
		var got []int
		for {
			for rows.Next() {
				var v int
				require.NoError(t, rows.Scan(&v))
				got = append(got, v)
			}
			if !rows.NextResultSet() {
				break
			}
		}
		require.NoError(t, rows.Err())
		require.Equal(t, []int{2, 4}, got)
		_, err = c.ExecContext(ctx, "DO 1; DO 2;")
		require.NoError(t, err)
	})

	t.Run("prepared", func(t *testing.T) {
		raw, err := sql.Open("mysql", testutil.DSN("root", "", addr, "")+"&interpolateParams=false")
		require.NoError(t, err)
		defer raw.Close()
		stmt, err := raw.Prepare("DO ?")
		require.NoError(t, err)
		defer stmt.Close()
		for i := range 3 {
			_, err := stmt.Exec(i)
			require.NoError(t, err)
		}
	})
}

// LOAD DATA LOCAL INFILE: off unless local-infile is set, then the client
// sends its file.
func TestLoadDataLocal(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rows.tsv")
	require.NoError(t, os.WriteFile(file, []byte("1\tone\n2\t\\N\n3\tthree\n"), 0o600))
	mysql.RegisterLocalFile(file)
	t.Cleanup(func() { mysql.DeregisterLocalFile(file) })
	load := "LOAD DATA LOCAL INFILE '" + file + "' INTO TABLE d.t"

	t.Run("off by default", func(t *testing.T) {
		_, db := start(t)
		require.Equal(t, "0", queryValue(t, db, "SELECT @@global.local_infile"))
		mustExec(t, db, "CREATE DATABASE d")
		mustExec(t, db, "CREATE TABLE d.t (id INT PRIMARY KEY, name VARCHAR(10))")
		requireErrCode(t, execErr(db, load), 3948)
		require.Equal(t, "0", queryValue(t, db, "SELECT COUNT(*) FROM d.t"))
	})
	t.Run("local-infile = true", func(t *testing.T) {
		_, db := start(t, testutil.WithConfig(func(c *config.Config) { c.LocalInfile = true }))
		require.Equal(t, "1", queryValue(t, db, "SELECT @@global.local_infile"))
		mustExec(t, db, "CREATE DATABASE d")
		mustExec(t, db, "CREATE TABLE d.t (id INT PRIMARY KEY, name VARCHAR(10))")
		res := mustExec(t, db, load)
		n, err := res.RowsAffected()
		require.NoError(t, err)
		require.EqualValues(t, 3, n)
		require.Equal(t, [][]string{{"1", "one"}, {"2", null}, {"3", "three"}}, queryRows(t, db, "SELECT id, name FROM d.t ORDER BY id"))
		// A file the client did not register is refused by the client.
		require.Error(t, execErr(db, "LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE d.t"))
		require.Equal(t, "3", queryValue(t, db, "SELECT COUNT(*) FROM d.t"))
	})
}

func TestReadOnlyTransactions(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, "CREATE TABLE d.t (id INT PRIMARY KEY)")
	ctx := context.Background()

	t.Run("START TRANSACTION READ ONLY", func(t *testing.T) {
		c := conn(t, db)
		mustExec(t, c, "START TRANSACTION READ ONLY")
		require.Equal(t, "0", queryValue(t, c, "SELECT COUNT(*) FROM d.t"))
		requireErrCode(t, execErr(c, "INSERT INTO d.t VALUES (1)"), 1792)
		requireErrCode(t, execErr(c, "UPDATE d.t SET id = 2"), 1792)
		mustExec(t, c, "COMMIT")
		mustExec(t, c, "START TRANSACTION READ WRITE")
		mustExec(t, c, "INSERT INTO d.t VALUES (1)")
		mustExec(t, c, "COMMIT")
		require.Equal(t, "1", queryValue(t, c, "SELECT COUNT(*) FROM d.t"))
	})

	t.Run("database/sql ReadOnly", func(t *testing.T) {
		tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		require.NoError(t, err)
		_, err = tx.Exec("DELETE FROM d.t")
		requireErrCode(t, err, 1792)
		require.NoError(t, tx.Rollback())
	})

	t.Run("SET SESSION TRANSACTION READ ONLY", func(t *testing.T) {
		c := conn(t, db)
		mustExec(t, c, "SET SESSION TRANSACTION READ ONLY")
		require.Equal(t, "1", queryValue(t, c, "SELECT @@transaction_read_only"))
		requireErrCode(t, execErr(c, "INSERT INTO d.t VALUES (2)"), 1792)
		requireErrCode(t, execErr(c, "DROP TABLE d.t"), 1792)
		requireErrCode(t, execErr(c, "CREATE TABLE d.u (id INT)"), 1792)
		requireErrCode(t, execErr(c, "CREATE TEMPORARY TABLE d.tmp (id INT)"), 1792)
		// A plain START TRANSACTION takes the session's default...
		mustExec(t, c, "START TRANSACTION")
		requireErrCode(t, execErr(c, "INSERT INTO d.t VALUES (2)"), 1792)
		mustExec(t, c, "ROLLBACK")
		// ...READ WRITE overrides it.
		mustExec(t, c, "START TRANSACTION READ WRITE")
		mustExec(t, c, "INSERT INTO d.t VALUES (2)")
		mustExec(t, c, "COMMIT")
		mustExec(t, c, "SET SESSION TRANSACTION READ WRITE")
		mustExec(t, c, "INSERT INTO d.t VALUES (3)")
		require.Equal(t, "3", queryValue(t, c, "SELECT COUNT(*) FROM d.t"))
	})
}

func TestIsolationLevels(t *testing.T) {
	addr, root := start(t)
	mustExec(t, root, "CREATE DATABASE d")
	mustExec(t, root, "CREATE TABLE d.t (id INT PRIMARY KEY)")
	db := openAs(t, "root", "", addr, "d")
	ctx := context.Background()

	t.Run("variables", func(t *testing.T) {
		c := conn(t, db)
		require.Equal(t, "REPEATABLE-READ", queryValue(t, c, "SELECT @@transaction_isolation"))
		mustExec(t, c, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
		require.Equal(t, "READ-COMMITTED", queryValue(t, c, "SELECT @@transaction_isolation"))
		require.Equal(t, "READ-COMMITTED", queryValue(t, c, "SELECT @@tx_isolation"))
		mustExec(t, c, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
		mustExec(t, c, "SET @@transaction_isolation = 'READ-UNCOMMITTED'")
		require.Equal(t, "READ-UNCOMMITTED", queryValue(t, c, "SELECT @@session.transaction_isolation"))
		mustExec(t, c, "SET GLOBAL TRANSACTION ISOLATION LEVEL REPEATABLE READ")
		require.Equal(t, "REPEATABLE-READ", queryValue(t, c, "SELECT @@global.transaction_isolation"))
		requireErrCode(t, execErr(c, "SET SESSION TRANSACTION ISOLATION LEVEL SOMETIMES"), 1064)
	})

	// A REPEATABLE READ reader keeps its snapshot; a READ COMMITTED one
	// sees commits made after it started, at its next statement.
	for _, tc := range []struct {
		level sql.IsolationLevel
		after string
	}{
		{sql.LevelRepeatableRead, "0"},
		{sql.LevelReadCommitted, "1"},
	} {
		t.Run(tc.level.String(), func(t *testing.T) {
			mustExec(t, db, "DELETE FROM t")
			reader, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: tc.level})
			require.NoError(t, err)
			defer func() { _ = reader.Rollback() }()
			require.Equal(t, "0", queryValue(t, reader, "SELECT COUNT(*) FROM d.t"))
			mustExec(t, db, "INSERT INTO d.t VALUES (1)")
			require.Equal(t, tc.after, queryValue(t, reader, "SELECT COUNT(*) FROM d.t"))
			require.NoError(t, reader.Commit())
		})
	}
}

// Column metadata as MySQL sends it: drivers pick scan types and report
// precision from it.
func TestColumnMetadata(t *testing.T) {
	addr, db := start(t)
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, `CREATE TABLE d.m (
		f FLOAT NOT NULL, dbl DOUBLE, y YEAR, b BIT(8), dec1 DECIMAL(10,2) NOT NULL,
		vc VARCHAR(10), vb VARBINARY(10), u INT UNSIGNED NOT NULL, dt DATETIME(3), j JSON)`)
	mustExec(t, db, "INSERT INTO d.m VALUES (1.5, 2.5, 2024, b'101', 3.25, 'x', 'y', 7, '2024-01-02 03:04:05.678', '{}')")

	check := func(t *testing.T, rows *sql.Rows) {
		t.Helper()
		cols, err := rows.ColumnTypes()
		require.NoError(t, err)
		type meta struct {
			name, dbType, scan string
			nullable           bool
			precision, scale   int64
		}
		var got []meta
		for _, c := range cols {
			m := meta{name: c.Name(), dbType: c.DatabaseTypeName(), scan: c.ScanType().String()}
			m.nullable, _ = c.Nullable()
			m.precision, m.scale, _ = c.DecimalSize()
			got = append(got, m)
		}
		const notFixed = int64(^uint64(0) >> 1) // driver's value for MySQL's NOT_FIXED_DEC
		require.Equal(t, []meta{
			{"f", "FLOAT", "float32", false, notFixed, notFixed},
			{"dbl", "DOUBLE", "sql.NullFloat64", true, notFixed, notFixed},
			{"y", "YEAR", "sql.NullInt64", true, 0, 0},
			{"b", "BIT", "[]uint8", true, 0, 0},
			{"dec1", "DECIMAL", "string", false, 10, 2},
			{"vc", "VARCHAR", "sql.NullString", true, 0, 0},
			{"vb", "VARBINARY", "[]uint8", true, 0, 0},
			{"u", "UNSIGNED INT", "uint32", false, 0, 0},
			{"dt", "DATETIME", "sql.NullTime", true, 3, 3},
			{"j", "JSON", "sql.NullString", true, 0, 0},
		}, got)
		for rows.Next() {
		}
		require.NoError(t, rows.Err())
	}
	t.Run("text protocol", func(t *testing.T) {
		rows, err := db.Query("SELECT * FROM d.m")
		require.NoError(t, err)
		defer rows.Close()
		check(t, rows)
	})
	t.Run("table alias keeps its case", func(t *testing.T) {
		aliased, err := sql.Open("mysql", testutil.DSN("root", "", addr, "d")+"&columnsWithAlias=true")
		require.NoError(t, err)
		defer aliased.Close()
		for q, want := range map[string]string{
			"SELECT * FROM (SELECT 1 AS one) AS A": "A.one",
			"SELECT Mx.u FROM m AS Mx":             "Mx.u",
			"SELECT u FROM M":                      "M.u",
		} {
			rows, err := aliased.Query(q)
			require.NoError(t, err)
			cols, err := rows.Columns()
			require.NoError(t, err)
			require.NoError(t, rows.Close())
			require.Equal(t, []string{want}, cols, q)
		}
	})
	t.Run("prepared", func(t *testing.T) {
		rows, err := db.Query("SELECT * FROM d.m WHERE u = ?", 7)
		require.NoError(t, err)
		defer rows.Close()
		check(t, rows)
	})
}

// KILL QUERY cuts a running statement with 1317 and keeps the connection;
// KILL ends the connection. SHOW PROCESSLIST and
// information_schema.PROCESSLIST show the sessions.
func TestKillAndProcessList(t *testing.T) {
	addr, db := start(t)
	ctx := context.Background()
	victim := conn(t, db)
	var id string
	require.NoError(t, victim.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id))

	running := func(t *testing.T, query string) <-chan error {
		t.Helper()
		done := make(chan error, 1)
		go func() {
			_, err := victim.ExecContext(ctx, query)
			done <- err
		}()
		// Wait (bounded) until the statement shows up as running.
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if queryValue(t, db, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = "+id+" AND INFO LIKE 'SELECT SLEEP%'") == "1" {
				return done
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("%s never showed up in the process list", query)
		return nil
	}

	t.Run("SHOW PROCESSLIST", func(t *testing.T) {
		done := running(t, "SELECT SLEEP(30)")
		rows := queryRows(t, db, "SHOW PROCESSLIST")
		mustExec(t, db, "KILL QUERY "+id)
		select {
		case err := <-done:
			requireErrCode(t, err, 1317)
			require.ErrorContains(t, err, "Query execution was interrupted")
		case <-time.After(10 * time.Second):
			t.Fatal("KILL QUERY did not stop SELECT SLEEP(30)")
		}
		var found bool
		for _, r := range rows {
			if r[0] == id {
				found = true
				require.Equal(t, "root", r[1])
				require.Equal(t, "Query", r[4])
				require.Equal(t, "SELECT SLEEP(30)", r[7])
			}
		}
		require.True(t, found, "connection %s not in %v", id, rows)
	})

	t.Run("connection survives KILL QUERY", func(t *testing.T) {
		var again string
		require.NoError(t, victim.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&again))
		require.Equal(t, id, again)
	})

	t.Run("KILL ends the connection", func(t *testing.T) {
		done := running(t, "SELECT SLEEP(30)")
		mustExec(t, db, "KILL "+id)
		select {
		case err := <-done:
			require.Error(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("KILL did not stop SELECT SLEEP(30)")
		}
		deadline := time.Now().Add(10 * time.Second)
		for queryValue(t, db, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = "+id) != "0" {
			require.True(t, time.Now().Before(deadline), "connection %s still listed after KILL", id)
			time.Sleep(20 * time.Millisecond)
		}
	})

	t.Run("KILL of an unknown id", func(t *testing.T) {
		requireErrCode(t, execErr(openAs(t, "root", "", addr, ""), "KILL 999999"), 1094)
	})
}

// Zero dates: stored and read back without NO_ZERO_DATE; refused with
// 1292 under strict NO_ZERO_DATE, as in MySQL.
func TestZeroDates(t *testing.T) {
	addr, root := start(t)
	mustExec(t, root, "CREATE DATABASE z")
	mustExec(t, root, "CREATE TABLE z.t (id INT PRIMARY KEY, d DATE, dt DATETIME, ts TIMESTAMP NULL)")

	t.Run("allowed without NO_ZERO_DATE", func(t *testing.T) {
		c := conn(t, openAs(t, "root", "", addr, "z"))
		mustExec(t, c, "SET sql_mode = ''")
		mustExec(t, c, "INSERT INTO t VALUES (1, '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00')")
		require.Equal(t, [][]string{{"0000-00-00", "0000-00-00 00:00:00", "0000-00-00 00:00:00"}},
			queryRows(t, c, "SELECT d, dt, ts FROM t WHERE id = 1"))
		// The binary protocol and a parseTime client see them too.
		var d, dt string
		require.NoError(t, c.QueryRowContext(context.Background(), "SELECT d, dt FROM t WHERE id = ?", 1).Scan(&d, &dt))
		require.Equal(t, "0000-00-00", d)
		require.Equal(t, "0000-00-00 00:00:00", dt)
		parsed := testutil.Connect(t, addr) // parseTime=true
		var zt time.Time
		require.NoError(t, parsed.QueryRow("SELECT d FROM z.t WHERE id = 1").Scan(&zt))
		require.True(t, zt.IsZero(), "zero date as time.Time{}, got %v", zt)
	})

	t.Run("refused under strict NO_ZERO_DATE", func(t *testing.T) {
		c := conn(t, openAs(t, "root", "", addr, "z"))
		mustExec(t, c, "SET sql_mode = 'STRICT_TRANS_TABLES,NO_ZERO_DATE'")
		err := execErr(c, "INSERT INTO t VALUES (2, '0000-00-00', NULL, NULL)")
		requireErrCode(t, err, 1292)
		require.Contains(t, err.Error(), "Incorrect date value: '0000-00-00' for column 'd'")
		mustExec(t, c, "INSERT INTO t VALUES (3, '2024-02-29', NULL, NULL)")
		requireErrCode(t, execErr(c, "UPDATE t SET dt = '0000-00-00 00:00:00' WHERE id = 3"), 1292)
		// Non-strict NO_ZERO_DATE stores it (MySQL warns).
		mustExec(t, c, "SET sql_mode = 'NO_ZERO_DATE'")
		mustExec(t, c, "INSERT INTO t VALUES (4, '0000-00-00', NULL, NULL)")
		require.Equal(t, "3", queryValue(t, c, "SELECT COUNT(*) FROM t"))
	})
}

// A prepared statement with more placeholders than guocedb's wire layer
// can execute fails at PREPARE with MySQL's 1390 instead of dropping the
// connection at EXECUTE.
func TestManyPlaceholders(t *testing.T) {
	_, db := start(t)
	c := conn(t, db)
	ctx := context.Background()
	ok := 65528
	stmt, err := c.PrepareContext(ctx, "SELECT ?"+strings.Repeat(",?", ok-1))
	require.NoError(t, err)
	rows, err := stmt.QueryContext(ctx, make([]any, ok)...)
	require.NoError(t, err)
	require.NoError(t, rows.Close())
	require.NoError(t, stmt.Close())

	_, err = c.PrepareContext(ctx, "SELECT ?"+strings.Repeat(",?", 65534))
	requireErrCode(t, err, 1390)
	require.Equal(t, "1", queryValue(t, c, "SELECT 1"), "the connection survives")
}
