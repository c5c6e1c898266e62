package acceptance

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// TestStrictMode: values INSERT and UPDATE write, in strict mode (MySQL
// 8's default) and without it; TestBadInput has the strict errors.
func TestStrictMode(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE sm")
	mustExec(t, db, "CREATE TABLE sm.t (id INT PRIMARY KEY, v TINYINT, s VARCHAR(3), u TINYINT UNSIGNED)")
	mustExec(t, db, "INSERT INTO sm.t VALUES (1, 1, 'a', 1)")
	c := conn(t, db)

	t.Run("strict", func(t *testing.T) {
		requireErrCode(t, execErr(c, "UPDATE sm.t SET v = 128 WHERE id = 1"), 1264)
		requireErrCode(t, execErr(c, "UPDATE sm.t SET u = -1 WHERE id = 1"), 1264)
		requireErrCode(t, execErr(c, "UPDATE sm.t SET v = v + 200 WHERE id = 1"), 1264)
		requireErrCode(t, execErr(c, "UPDATE sm.t SET s = 'abcd' WHERE id = 1"), 1406)
		requireErrCode(t, execErr(c, "INSERT INTO sm.t VALUES (2, 5 % 0, 'b', 1)"), 1365)
		requireErrCode(t, execErr(c, "UPDATE sm.t SET v = 1 / ? WHERE id = 1", 0), 1365)
		require.Equal(t, [][]string{{"1", "1", "a", "1"}}, queryRows(t, c, "SELECT * FROM sm.t"))
		// A NULL operand is no division by zero; IGNORE keeps warnings.
		mustExec(t, c, "UPDATE sm.t SET v = 1 / NULL WHERE id = 1")
		mustExec(t, c, "INSERT IGNORE INTO sm.t VALUES (3, 1/0, 'c', 1)")
		require.Equal(t, [][]string{{"1", null}, {"3", null}}, queryRows(t, c, "SELECT id, v FROM sm.t ORDER BY id"))
		// Prepared: each execution checks again.
		mustExec(t, c, "UPDATE sm.t SET v = ? WHERE id = 1", 127)
		requireErrCode(t, execErr(c, "UPDATE sm.t SET v = ? WHERE id = 1", 300), 1264)
	})
	t.Run("not strict", func(t *testing.T) {
		mustExec(t, c, "SET SESSION sql_mode = ''")
		mustExec(t, c, "UPDATE sm.t SET v = -129, s = 'abcdef' WHERE id = 1")
		require.Equal(t, [][]string{{"Warning", "1265", "Data truncated for column 's' at row 1"},
			{"Warning", "1264", "Out of range value for column 'v' at row 1"}}, queryRows(t, c, "SHOW WARNINGS"))
		require.Equal(t, [][]string{{"-128", "abc"}}, queryRows(t, c, "SELECT v, s FROM sm.t WHERE id = 1"))
		mustExec(t, c, "INSERT INTO sm.t VALUES (4, 1/0, 'wxyz', 1)")
		require.Equal(t, [][]string{{null, "wxy"}}, queryRows(t, c, "SELECT v, s FROM sm.t WHERE id = 4"))
		mustExec(t, c, "INSERT INTO sm.t (id, s) VALUES (5, '日本語です')")
		require.Equal(t, "日本語", queryValue(t, c, "SELECT s FROM sm.t WHERE id = 5"))
	})
}

// TestNoBackslashEscapes: under NO_BACKSLASH_ESCAPES a backslash in a
// string literal is a plain character, in single and multi-statement
// queries; clients learn the mode from the server status flag and escape
// accordingly (go-sql-driver's interpolateParams does).
func TestNoBackslashEscapes(t *testing.T) {
	addr, db := start(t)
	c := conn(t, db)
	mustExec(t, c, "SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'")
	require.Equal(t, `C:\dir\`, queryValue(t, c, `SELECT 'C:\dir\'`))
	require.Equal(t, `it's \n`, queryValue(t, c, `SELECT 'it''s \n'`))
	mustExec(t, c, `CREATE DATABASE nbe; CREATE TABLE nbe.t (s VARCHAR(20)); INSERT INTO nbe.t VALUES ('a\'), ('b\\')`)
	require.Equal(t, [][]string{{`a\`}, {`b\\`}}, queryRows(t, c, "SELECT s FROM nbe.t ORDER BY s"))
	mustExec(t, c, "SET SESSION sql_mode = DEFAULT")
	require.Equal(t, "a\nb", queryValue(t, c, `SELECT 'a\nb'`))

	// go-sql-driver interpolating parameters reads the status flag.
	idb, err := sql.Open("mysql", strings.Replace(testutil.DSN("root", "", addr, "nbe"), "interpolateParams=false", "interpolateParams=true", 1))
	require.NoError(t, err)
	t.Cleanup(func() { _ = idb.Close() })
	ic := conn(t, idb)
	mustExec(t, ic, "SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'")
	for _, v := range []string{`x\`, `''"`, `\n`} {
		mustExec(t, ic, "INSERT INTO t VALUES (?)", v)
		require.Equal(t, v, queryValue(t, ic, "SELECT s FROM t WHERE s = ?", v))
	}
}
