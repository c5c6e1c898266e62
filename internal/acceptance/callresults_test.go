package acceptance

import (
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/testutil"
)

// resultSets reads every result set of rows: per set its columns and its
// rows (values as text, NULL as null), then the error that ended them.
func resultSets(t *testing.T, rows *sql.Rows) (cols [][]string, sets [][][]string, err error) {
	t.Helper()
	defer rows.Close()
	for {
		c, cerr := rows.Columns()
		require.NoError(t, cerr)
		cols = append(cols, c)
		var set [][]string
		for rows.Next() {
			vals := make([]sql.NullString, len(c))
			ptrs := make([]any, len(c))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			row := make([]string, len(c))
			for i, v := range vals {
				row[i] = null
				if v.Valid {
					row[i] = v.String
				}
			}
			set = append(set, row)
		}
		sets = append(sets, set)
		if !rows.NextResultSet() {
			break
		}
	}
	return cols, sets, rows.Err()
}

// A CALL sends one result set per SELECT of its procedure, nested
// procedures included, in order, then its OK; SELECT ... INTO, DO, SET and
// DML send none. In the text protocol and in the binary one (a prepared
// CALL), as MySQL does.
func TestCallResultSets(t *testing.T) {
	addr, db := start(t)
	for _, s := range []string{
		"CREATE DATABASE p",
		"CREATE TABLE p.t (id INT PRIMARY KEY, d DATETIME, f DOUBLE, s VARCHAR(10))",
		"INSERT INTO p.t VALUES (1, '2024-05-06 07:08:09', 1.5, 'one'), (2, NULL, -2.25, NULL)",
		`CREATE PROCEDURE p.inner_sets() BEGIN SELECT 'inner' AS w; END`,
		`CREATE PROCEDURE p.sets(IN k INT)
		BEGIN
			DECLARE n INT;
			DO 1;
			SELECT 1 AS col1, 2 AS col2 UNION SELECT 3, 4;
			SELECT COUNT(*) INTO n FROM p.t;
			SET @seen = n;
			UPDATE p.t SET s = s WHERE id = k;
			SELECT id, d, f, s FROM p.t ORDER BY id;
			CALL p.inner_sets();
			DO 2, 3;
			SELECT n AS n, k AS k;
		END`,
	} {
		mustExec(t, db, s)
	}
	wantCols := [][]string{{"col1", "col2"}, {"id", "d", "f", "s"}, {"w"}, {"n", "k"}}
	wantSets := [][][]string{
		{{"1", "2"}, {"3", "4"}},
		{{"1", "2024-05-06 07:08:09", "1.5", "one"}, {"2", null, "-2.25", null}},
		{{"inner"}},
		{{"2", "7"}},
	}
	c := conn(t, db)
	ctx := context.Background()

	t.Run("text", func(t *testing.T) {
		rows, err := c.QueryContext(ctx, "CALL p.sets(7)")
		require.NoError(t, err)
		cols, sets, err := resultSets(t, rows)
		require.NoError(t, err)
		require.Equal(t, wantCols, cols)
		require.Equal(t, wantSets, sets)
		require.Equal(t, "2", queryValue(t, c, "SELECT @seen"))
	})
	t.Run("prepared", func(t *testing.T) {
		stmt, err := c.PrepareContext(ctx, "CALL p.sets(?)")
		require.NoError(t, err)
		defer stmt.Close()
		for range 2 { // a prepared CALL runs again with its result sets
			rows, err := stmt.QueryContext(ctx, 7)
			require.NoError(t, err)
			cols, sets, err := resultSets(t, rows)
			require.NoError(t, err)
			require.Equal(t, wantCols, cols)
			require.Equal(t, wantSets, sets)
		}
	})
	t.Run("compressed protocol", func(t *testing.T) {
		zdb, err := sql.Open("mysql", testutil.DSN("root", "", addr, "")+"&parseTime=false&compress=true")
		require.NoError(t, err)
		defer zdb.Close()
		for _, query := range []func() (*sql.Rows, error){
			func() (*sql.Rows, error) { return zdb.QueryContext(ctx, "CALL p.sets(7)") },
			func() (*sql.Rows, error) { return zdb.QueryContext(ctx, "CALL p.sets(?)", 7) },
		} {
			rows, err := query()
			require.NoError(t, err)
			cols, sets, err := resultSets(t, rows)
			require.NoError(t, err)
			require.Equal(t, wantCols, cols)
			require.Equal(t, wantSets, sets)
		}
	})
	t.Run("multi-statement", func(t *testing.T) {
		rows, err := c.QueryContext(ctx, "CALL p.inner_sets(); SELECT 9 AS nine")
		require.NoError(t, err)
		cols, sets, err := resultSets(t, rows)
		require.NoError(t, err)
		require.Equal(t, [][]string{{"w"}, {"nine"}}, cols)
		require.Equal(t, [][][]string{{{"inner"}}, {{"9"}}}, sets)
	})
	t.Run("no result set", func(t *testing.T) {
		mustExec(t, db, "CREATE PROCEDURE p.touch() BEGIN UPDATE p.t SET f = f + 1; END")
		res, err := c.ExecContext(ctx, "CALL p.touch()")
		require.NoError(t, err)
		n, err := res.RowsAffected()
		require.NoError(t, err)
		require.EqualValues(t, 2, n)
		mustExec(t, db, "UPDATE p.t SET f = f - 1")
	})
	t.Run("connection stays usable", func(t *testing.T) {
		require.Equal(t, "5", queryValue(t, c, "SELECT 5"))
		requireAlive(t, db)
	})
}

// An error in the middle of a procedure (SIGNAL, a failing statement)
// ends the CALL: the client gets the result sets before it, then the
// error, as MySQL sends them.
func TestCallResultSetsThenError(t *testing.T) {
	_, db := start(t)
	for _, s := range []string{
		"CREATE DATABASE p",
		"CREATE TABLE p.t (id INT PRIMARY KEY)",
		`CREATE PROCEDURE p.fails(ret INT)
		BEGIN
			SELECT ret;
			INSERT INTO p.t VALUES (ret);
			SELECT ret + 1;
			SIGNAL SQLSTATE '45001' SET MESSAGE_TEXT = 'an error', MYSQL_ERRNO = 45001;
			SELECT 'never';
		END`,
		`CREATE PROCEDURE p.dup()
		BEGIN
			SELECT 'before';
			INSERT INTO p.t VALUES (1), (1);
		END`,
	} {
		mustExec(t, db, s)
	}
	c := conn(t, db)
	ctx := context.Background()
	check := func(t *testing.T, rows *sql.Rows, want [][][]string, code uint16) {
		t.Helper()
		_, sets, err := resultSets(t, rows)
		require.Equal(t, want, sets)
		var me *mysql.MySQLError
		require.True(t, errors.As(err, &me), "want error %d, got %v", code, err)
		require.Equal(t, code, me.Number)
	}
	t.Run("text", func(t *testing.T) {
		rows, err := c.QueryContext(ctx, "CALL p.fails(42)")
		require.NoError(t, err)
		check(t, rows, [][][]string{{{"42"}}, {{"43"}}}, 45001)
	})
	t.Run("prepared", func(t *testing.T) {
		rows, err := c.QueryContext(ctx, "CALL p.fails(?)", 50)
		require.NoError(t, err)
		check(t, rows, [][][]string{{{"50"}}, {{"51"}}}, 45001)
	})
	t.Run("failing statement", func(t *testing.T) {
		rows, err := c.QueryContext(ctx, "CALL p.dup()")
		require.NoError(t, err)
		check(t, rows, [][][]string{{{"before"}}}, 1062)
	})
	// The rows the procedure inserted before the error stay (no
	// transaction around the CALL), and the connection goes on.
	require.Equal(t, [][]string{{"42"}, {"50"}}, queryRows(t, c, "SELECT id FROM p.t ORDER BY id"))
}

// SELECT ... INTO inside a loop assigns on every pass (go-mysql-server's
// interpreter cleared the INTO after the first one).
func TestCallSelectIntoLoop(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE p")
	mustExec(t, db, `CREATE PROCEDURE p.tens(OUT v INT)
	BEGIN
		DECLARE i INT DEFAULT 0;
		WHILE i < 3 DO
			SELECT i * 10 INTO v;
			SET i = i + 1;
		END WHILE;
	END`)
	c := conn(t, db)
	rows, err := c.QueryContext(context.Background(), "CALL p.tens(@v)")
	require.NoError(t, err)
	_, sets, err := resultSets(t, rows)
	require.NoError(t, err)
	require.Equal(t, [][][]string{nil}, sets, "SELECT ... INTO sends no result set")
	require.Equal(t, "20", queryValue(t, c, "SELECT @v"))
}

// Over TLS every result set is sent too, from a connection's first
// command on (guocedb puts TLS under its packet layer; see also
// TestWireCorrectionsOverTLS).
func TestCallResultSetsTLS(t *testing.T) {
	certs := testutil.NewTestCerts(t)
	tlsName := testutil.RegisterClientTLS(t, &tls.Config{RootCAs: certs.Pool, ServerName: "localhost", MinVersion: tls.VersionTLS12})
	addr, db := testutil.StartServer(t,
		testutil.WithConfig(func(c *config.Config) { c.TLSCert, c.TLSKey = certs.CertFile, certs.KeyFile }),
		testutil.WithDSNParams("tls="+tlsName))
	mustExec(t, db, "CREATE DATABASE p")
	mustExec(t, db, "CREATE PROCEDURE p.two() BEGIN SELECT 1 AS a; SELECT 'two' AS b, 2.5 AS c; END")
	c := conn(t, db)
	ctx := context.Background()
	require.Equal(t, "TLS_AES_128_GCM_SHA256", queryRows(t, c, "SHOW STATUS LIKE 'Ssl_cipher'")[0][1][:22])
	want := [][][]string{{{"1"}}, {{"two", "2.5"}}}
	for range 2 {
		rows, err := c.QueryContext(ctx, "CALL p.two()")
		require.NoError(t, err)
		_, sets, err := resultSets(t, rows)
		require.NoError(t, err)
		require.Equal(t, want, sets)

		stmt, err := c.PrepareContext(ctx, "CALL p.two()")
		require.NoError(t, err)
		rows, err = stmt.QueryContext(ctx)
		require.NoError(t, err)
		_, sets, err = resultSets(t, rows)
		require.NoError(t, err)
		require.Equal(t, want, sets)
		require.NoError(t, stmt.Close())

		rows, err = c.QueryContext(ctx, "SELECT 0 AS z; CALL p.two(); SELECT 3 AS d")
		require.NoError(t, err)
		_, sets, err = resultSets(t, rows)
		require.NoError(t, err)
		// The CALL's own OK is an empty result the driver skips.
		require.Equal(t, [][][]string{{{"0"}}, {{"1"}}, {{"two", "2.5"}}, {{"3"}}}, sets)
		require.NoError(t, c.PingContext(ctx))
	}

	// The first command of a login that selects a database.
	withDB, err := sql.Open("mysql", testutil.DSN("root", "", addr, "p")+"&tls="+tlsName)
	require.NoError(t, err)
	defer withDB.Close()
	first, err := withDB.Conn(ctx)
	require.NoError(t, err)
	defer first.Close()
	rows, err := first.QueryContext(ctx, "CALL two()")
	require.NoError(t, err)
	_, sets, err := resultSets(t, rows)
	require.NoError(t, err)
	require.Equal(t, want, sets)
}

// A prepared CALL executed with a cursor (COM_STMT_EXECUTE's cursor flag)
// gets every result set with the execute, as from MariaDB and MySQL,
// which open no cursor for CALL (vitess opens none for a statement whose
// last result has no columns, the CALL's OK); the connection stays in
// step. Raw packets: go-sql-driver opens no cursors. compat's TestCAPI
// runs the same with libmariadb.
func TestCallWithCursor(t *testing.T) {
	addr, db := start(t)
	mustExec(t, db, "CREATE DATABASE p")
	mustExec(t, db, "CREATE PROCEDURE p.two() BEGIN SELECT 1 AS a; SELECT 2 AS b; END")
	nc := rawLogin(t, addr)
	send := func(payload ...byte) {
		hdr := binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))
		_, err := nc.Write(append(hdr[:3], append([]byte{0}, payload...)...))
		require.NoError(t, err)
	}
	isEOF := func(p []byte) bool { return len(p) < 9 && p[0] == 0xfe }
	send(append([]byte{0x16}, "CALL p.two()"...)...)
	ok := readPacket(t, nc)
	require.Equal(t, byte(0), ok[0], "prepare: %q", ok)
	id := ok[1:5]
	for n := binary.LittleEndian.Uint16(ok[5:7]); n > 0; n-- { // column definitions
		readPacket(t, nc)
	}
	if binary.LittleEndian.Uint16(ok[5:7]) > 0 {
		require.True(t, isEOF(readPacket(t, nc)))
	}

	send(append(append([]byte{0x17}, id...), 1, 1, 0, 0, 0)...) // read-only cursor
	for _, want := range []byte{1, 2} {
		require.Equal(t, []byte{1}, readPacket(t, nc), "one column")
		readPacket(t, nc) // its definition
		eof := readPacket(t, nc)
		require.True(t, isEOF(eof), "%q", eof)
		require.Zero(t, binary.LittleEndian.Uint16(eof[3:5])&0x40, "no cursor opened")
		// libmariadb reads the rows at once when no cursor was opened,
		// and only while the columns' EOF says more results follow
		// (else "Commands out of sync"), as MariaDB sends it.
		require.NotZero(t, binary.LittleEndian.Uint16(eof[3:5])&0x08, "SERVER_MORE_RESULTS_EXISTS after the columns")
		require.Equal(t, []byte{0, 0, want}, readPacket(t, nc), "the row of SELECT %d (TINYINT)", want)
		end := readPacket(t, nc)
		require.True(t, isEOF(end), "%q", end)
		require.NotZero(t, binary.LittleEndian.Uint16(end[3:5])&0x08, "SERVER_MORE_RESULTS_EXISTS")
	}
	require.Equal(t, byte(0), readPacket(t, nc)[0], "the CALL's OK")

	send(append([]byte{0x03}, "SELECT 7"...)...)
	require.Equal(t, []byte{1}, readPacket(t, nc))
	readPacket(t, nc)
	require.True(t, isEOF(readPacket(t, nc)))
	require.Equal(t, []byte{1, '7'}, readPacket(t, nc))
}

// TestPreparedCallOutParams: a prepared CALL with placeholders for OUT
// and INOUT parameters sends, after the procedure's result sets, one
// more with the parameters' values named after them (MySQL flags it
// SERVER_PS_OUT_PARAMS; compat's TestCAPI checks the flag with
// libmariadb); a text CALL writes them into user variables as before.
func TestPreparedCallOutParams(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE p")
	mustExec(t, db, "CREATE PROCEDURE p.io(IN a INT, OUT b INT, INOUT c VARCHAR(20)) BEGIN SELECT a AS first; SET b = a * 2; SET c = CONCAT(c, '!'); END")
	c := conn(t, db)
	ctx := context.Background()
	for range 2 { // the statement cached once, executed twice
		rows, err := c.QueryContext(ctx, "CALL p.io(?, ?, ?)", 20, nil, "hi")
		require.NoError(t, err)
		cols, sets, err := resultSets(t, rows)
		require.NoError(t, err)
		require.Equal(t, [][][]string{{{"20"}}, {{"40", "hi!"}}}, sets)
		require.Equal(t, [][]string{{"first"}, {"b", "c"}}, cols)
	}
	_, err := c.ExecContext(ctx, "SET @c = 'x'")
	require.NoError(t, err)
	_, err = c.ExecContext(ctx, "CALL p.io(1, @b, @c)")
	require.NoError(t, err)
	require.Equal(t, [][]string{{"2", "x!"}}, queryRows(t, c, "SELECT @b, @c"))
	requireAlive(t, db)
}
