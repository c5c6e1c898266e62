package acceptance

import (
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStoredFunctions: CREATE FUNCTION with a RETURN body and with a
// BEGIN ... END body (DECLARE, SET, IF, a loop, a SELECT ... INTO of a
// table), calls in the select list, WHERE, INSERT values, UPDATE SET,
// in the text and the binary protocol (placeholders as arguments), a
// function calling another, the body reading the caller's transaction,
// SHOW CREATE FUNCTION, SHOW FUNCTION STATUS, information_schema.ROUTINES,
// DROP FUNCTION [IF EXISTS], and MySQL's error codes.
func TestStoredFunctions(t *testing.T) {
	_, db := start(t)
	c := conn(t, db)
	mustExec(t, c, "CREATE DATABASE fdb")
	mustExec(t, c, "USE fdb")
	mustExec(t, c, "CREATE TABLE t (id INT PRIMARY KEY, v INT)")
	mustExec(t, c, "INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)")

	mustExec(t, c, "CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2")
	mustExec(t, c, `CREATE FUNCTION grade(x INT) RETURNS VARCHAR(10) DETERMINISTIC
BEGIN
  DECLARE r VARCHAR(10);
  IF x >= 20 THEN SET r = 'high'; ELSE SET r = 'low'; END IF;
  RETURN r;
END`)
	mustExec(t, c, `CREATE FUNCTION fact(n INT) RETURNS BIGINT DETERMINISTIC
BEGIN
  DECLARE acc BIGINT DEFAULT 1;
  DECLARE i INT DEFAULT 1;
  WHILE i <= n DO
    SET acc = acc * i;
    SET i = i + 1;
  END WHILE;
  RETURN acc;
END`)
	mustExec(t, c, `CREATE FUNCTION total() RETURNS INT READS SQL DATA
BEGIN
  DECLARE s INT;
  SELECT SUM(v) INTO s FROM t;
  RETURN s;
END`)
	// Variables of every kind of type hold their declared type's values.
	mustExec(t, c, `CREATE FUNCTION discounted(amount DECIMAL(12,2)) RETURNS DECIMAL(12,2) DETERMINISTIC
BEGIN
  DECLARE d DECIMAL(12,2) DEFAULT 0;
  DECLARE f FLOAT;
  DECLARE s VARCHAR(20);
  IF amount > 10 THEN SET d = amount / 10; END IF;
  SET f = 1.5;
  SET s = CONCAT('x', f);
  RETURN amount - d + f - 1.5 + LENGTH(s) - 4;
END`)
	// RETURN expr bodies of every kind (built once into an expression,
	// or, with a subquery, run by the interpreter).
	mustExec(t, c, "CREATE FUNCTION hello(s VARCHAR(20)) RETURNS VARCHAR(40) DETERMINISTIC RETURN CONCAT('hello ', s)")
	mustExec(t, c, "CREATE FUNCTION nextday(d DATE) RETURNS DATE DETERMINISTIC RETURN DATE_ADD(d, INTERVAL 1 DAY)")
	mustExec(t, c, "CREATE FUNCTION dbname() RETURNS VARCHAR(64) RETURN DATABASE()")
	mustExec(t, c, "CREATE FUNCTION rnd(x DOUBLE) RETURNS DECIMAL(10,2) DETERMINISTIC RETURN ROUND(x, 2)")
	mustExec(t, c, "CREATE FUNCTION withvar(x INT) RETURNS INT RETURN x + @fv")
	mustExec(t, c, "CREATE FUNCTION cnt(lo INT) RETURNS INT READS SQL DATA RETURN (SELECT COUNT(*) FROM t WHERE v >= lo)")
	mustExec(t, c, "CREATE FUNCTION `case`(`x` INT) RETURNS VARCHAR(5) DETERMINISTIC RETURN CASE WHEN `x` > 0 THEN 'pos' WHEN x < 0 THEN 'neg' ELSE 'zero' END")
	mustExec(t, c, "CREATE FUNCTION quad(x INT) RETURNS INT DETERMINISTIC RETURN twice(twice(x))")
	mustExec(t, c, "CREATE FUNCTION early(x INT) RETURNS INT DETERMINISTIC BEGIN IF x > 0 THEN RETURN 1; END IF; RETURN -1; END")
	mustExec(t, c, "CREATE FUNCTION noreturn(x INT) RETURNS INT DETERMINISTIC BEGIN IF x > 0 THEN RETURN 1; END IF; END")

	for _, binary := range []bool{false, true} {
		name := map[bool]string{false: "text", true: "binary"}[binary]
		t.Run(name, func(t *testing.T) {
			q := func(query string, args ...any) [][]string {
				t.Helper()
				if binary {
					args = append(args, 0)
					query += " LIMIT 1000 OFFSET ?"
				}
				return queryRows(t, c, query, args...)
			}
			require.Equal(t, [][]string{{"42"}}, q("SELECT twice(21)"))
			require.Equal(t, [][]string{{"high", "low"}}, q("SELECT grade(25), grade(5)"))
			require.Equal(t, [][]string{{"120"}}, q("SELECT fact(5)"))
			require.Equal(t, [][]string{{"18.00", "5.00"}}, q("SELECT discounted(20), discounted(5)"))
			mustExec(t, c, "SET @fv = 100")
			require.Equal(t, [][]string{{"hello you", "2024-03-01", "fdb", "1.24", "101"}},
				q("SELECT hello('you'), nextday('2024-02-29'), dbname(), rnd(1.235), withvar(1)"))
			require.Equal(t, [][]string{{"2", "pos", "neg", "zero"}}, q("SELECT cnt(20), `case`(3), `case`(-3), `case`(0)"))
			require.Equal(t, [][]string{{"60"}}, q("SELECT total()"))
			require.Equal(t, [][]string{{"12"}}, q("SELECT quad(3)"))
			require.Equal(t, [][]string{{"1", "-1"}}, q("SELECT early(5), early(-5)"))
			require.Equal(t, [][]string{{"2", "40"}}, q("SELECT id, twice(v) FROM t WHERE twice(v) = 40"))
			require.Equal(t, [][]string{{"1", "low"}, {"2", "high"}, {"3", "high"}}, q("SELECT id, grade(v) FROM t ORDER BY id"))
			require.Equal(t, [][]string{{"<NULL>"}}, q("SELECT twice(NULL)"))
			if binary {
				require.Equal(t, [][]string{{"14"}}, queryRows(t, c, "SELECT twice(?)", 7))
			}
		})
	}

	mustExec(t, c, "INSERT INTO t VALUES (4, twice(20))")
	mustExec(t, c, "UPDATE t SET v = twice(v) WHERE id = 1")
	require.Equal(t, "40", queryValue(t, c, "SELECT v FROM t WHERE id = 4"))
	require.Equal(t, "20", queryValue(t, c, "SELECT v FROM t WHERE id = 1"))

	// The body reads the caller's transaction.
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "INSERT INTO t VALUES (5, 1000)")
	require.Equal(t, "1110", queryValue(t, c, "SELECT total()"))
	mustExec(t, c, "ROLLBACK")
	require.Equal(t, "110", queryValue(t, c, "SELECT total()"))

	// Called from another database, the body runs in its own.
	mustExec(t, c, "CREATE DATABASE other")
	mustExec(t, c, "CREATE TABLE other.t (id INT PRIMARY KEY, v INT)")
	mustExec(t, c, "USE other")
	require.Equal(t, "110", queryValue(t, c, "SELECT fdb.total()"))
	require.Equal(t, "fdb", queryValue(t, c, "SELECT fdb.dbname()"))
	require.Equal(t, "other", queryValue(t, c, "SELECT DATABASE()"))
	requireErrCode(t, queryErr(c, "SELECT total()"), 1305)
	mustExec(t, c, "USE fdb")

	// Errors as MySQL's.
	requireErrCode(t, execErr(c, "CREATE FUNCTION twice(x INT) RETURNS INT RETURN x"), 1304)
	mustExec(t, c, "CREATE FUNCTION IF NOT EXISTS twice(x INT) RETURNS INT RETURN x")
	requireErrCode(t, queryErr(c, "SELECT twice(1, 2)"), 1318)
	requireErrCode(t, queryErr(c, "SELECT nosuch(1)"), 1305)
	requireErrCode(t, queryErr(c, "SELECT noreturn(-1)"), 1321)
	require.Equal(t, "1", queryValue(t, c, "SELECT noreturn(1)"))
	requireErrCode(t, execErr(c, "CREATE FUNCTION rs() RETURNS INT BEGIN SELECT 1; RETURN 1; END"), 1415)
	err := execErr(c, "CREATE FUNCTION nr() RETURNS INT BEGIN DECLARE x INT; END")
	requireErrCode(t, err, 1320)
	require.Contains(t, err.Error(), "FUNCTION fdb.nr")
	requireErrCode(t, execErr(c, "CREATE FUNCTION bad( RETURNS INT RETURN 1"), 1064)
	mustExec(t, c, "CREATE FUNCTION rec(n INT) RETURNS INT DETERMINISTIC RETURN IF(n <= 0, 0, rec(n - 1))")
	requireErrCode(t, queryErr(c, "SELECT rec(2)"), 1424)
	// Prepared, as in MySQL: not in the prepared statement protocol.
	requireErrCode(t, execErr(c, "CREATE FUNCTION p1(x INT) RETURNS INT RETURN x + ?", 1), 1295)

	// Metadata.
	rows := queryRows(t, c, "SHOW CREATE FUNCTION twice")
	require.Len(t, rows, 1)
	require.Equal(t, "twice", rows[0][0])
	require.Equal(t, "CREATE DEFINER=`root`@`localhost` FUNCTION `twice`(x INT) RETURNS INT\n    DETERMINISTIC\nRETURN x * 2", rows[0][2])
	var names []string
	for _, r := range queryRows(t, c, "SHOW FUNCTION STATUS WHERE Db = 'fdb'") {
		require.Equal(t, "FUNCTION", r[2])
		names = append(names, r[1])
	}
	require.Equal(t, []string{"case", "cnt", "dbname", "discounted", "early", "fact", "grade", "hello", "nextday", "noreturn", "quad", "rec", "rnd", "total", "twice", "withvar"}, names)
	require.Equal(t, [][]string{{"twice", "FUNCTION", "int", "YES"}},
		queryRows(t, c, "SELECT ROUTINE_NAME, ROUTINE_TYPE, DATA_TYPE, IS_DETERMINISTIC FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = 'fdb' AND ROUTINE_NAME = 'twice'"))

	require.Equal(t, [][]string{{"fdb", "quad", "FUNCTION"}},
		queryRows(t, c, "SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_NAME LIKE 'qua%'"))
	require.Len(t, queryRows(t, c, "SHOW FUNCTION STATUS LIKE 'tw%'"), 1)

	mustExec(t, c, "DROP FUNCTION twice")
	requireErrCode(t, execErr(c, "DROP FUNCTION twice"), 1305)
	mustExec(t, c, "DROP FUNCTION IF EXISTS twice")
	requireErrCode(t, queryErr(c, "SELECT twice(1)"), 1305)
	requireErrCode(t, queryErr(c, "SHOW CREATE FUNCTION twice"), 1305)
	require.Equal(t, "1", queryValue(t, c, "SELECT 1"))

	// A database's functions go with it.
	mustExec(t, c, "DROP DATABASE fdb")
	mustExec(t, c, "CREATE DATABASE fdb")
	mustExec(t, c, "USE fdb")
	requireErrCode(t, queryErr(c, "SELECT quad(1)"), 1305)
	require.Empty(t, queryRows(t, c, "SHOW FUNCTION STATUS WHERE Db = 'fdb'"))
}

// TestStoredFunctionsSurviveRestart: a function is in the catalog.
func TestStoredFunctionsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	phase(t, dir, "create", func(t *testing.T, _ string, db *sql.DB) {
		c := conn(t, db)
		mustExec(t, c, "CREATE DATABASE fdb")
		mustExec(t, c, "CREATE FUNCTION fdb.plus1(x INT) RETURNS INT DETERMINISTIC RETURN x + 1")
	})
	phase(t, dir, "after restart", func(t *testing.T, _ string, db *sql.DB) {
		c := conn(t, db)
		// Qualified, without a current database.
		require.Equal(t, "6", queryValue(t, c, "SELECT fdb.plus1(5)"))
		require.Equal(t, "7", queryValue(t, c, "SELECT `fdb`.`plus1`(?)", 6))
		requireErrCode(t, queryErr(c, "SELECT plus1(5)"), 1305)
		mustExec(t, c, "USE fdb")
		require.Equal(t, "8", queryValue(t, c, "SELECT plus1(7)"))
	})
}

// TestStoredFunctionPrivileges: CREATE FUNCTION needs CREATE ROUTINE on
// the database, DROP FUNCTION ALTER ROUTINE, a call EXECUTE (on the
// database), as in MySQL. go-mysql-server v0.20.0 refuses grants on one
// function ("fine grain function permissions currently unsupported").
func TestStoredFunctionPrivileges(t *testing.T) {
	addr, db := start(t)
	c := conn(t, db)
	mustExec(t, c, "CREATE DATABASE fdb")
	mustExec(t, c, "CREATE FUNCTION fdb.one() RETURNS INT DETERMINISTIC RETURN 1")
	mustExec(t, c, "CREATE USER 'fu'@'%' IDENTIFIED BY 'pw'")
	mustExec(t, c, "GRANT SELECT ON fdb.* TO 'fu'@'%'")
	u := conn(t, openAs(t, "fu", "pw", addr, "fdb"))

	requireErrCode(t, queryErr(u, "SELECT one()"), 1370)
	requireErrCode(t, execErr(u, "CREATE FUNCTION two() RETURNS INT RETURN 2"), 1044)
	requireErrCode(t, execErr(u, "DROP FUNCTION one"), 1370)

	mustExec(t, c, "GRANT EXECUTE ON fdb.* TO 'fu'@'%'")
	require.Equal(t, "1", queryValue(t, u, "SELECT one()"))
	requireErrCode(t, execErr(u, "CREATE FUNCTION two() RETURNS INT RETURN 2"), 1044)
	mustExec(t, c, "GRANT CREATE ROUTINE, ALTER ROUTINE ON fdb.* TO 'fu'@'%'")
	mustExec(t, u, "CREATE FUNCTION two() RETURNS INT RETURN 2")
	require.Equal(t, "2", queryValue(t, u, "SELECT two()"))
	mustExec(t, u, "DROP FUNCTION two")
}

// TestStoredFunctionBadInput: malformed function statements are syntax
// errors (1064) and the connection goes on.
func TestStoredFunctionBadInput(t *testing.T) {
	_, db := start(t)
	c := conn(t, db)
	mustExec(t, c, "CREATE DATABASE fdb")
	mustExec(t, c, "USE fdb")
	for _, q := range []string{
		"CREATE FUNCTION", "CREATE FUNCTION f", "CREATE FUNCTION f(", "CREATE FUNCTION f(x INT",
		"CREATE FUNCTION f() RETURNS", "CREATE FUNCTION f() RETURNS INT", "CREATE FUNCTION f() RETURNS INT RETURN",
		"CREATE FUNCTION f() RETURNS INT BEGIN RETURN 1;", "CREATE FUNCTION f() RETURNS INT RETURN 'x",
		"CREATE FUNCTION f(IN x INT) RETURNS INT RETURN x", "CREATE FUNCTION f() RETURNS NOSUCHTYPE RETURN 1",
		"DROP FUNCTION", "DROP FUNCTION f g", "SHOW CREATE FUNCTION", "SHOW CREATE FUNCTION a.b.c",
	} {
		err := execErr(c, q)
		require.Error(t, err, q)
		requireErrCode(t, err, 1064, q)
	}
	requireErrCode(t, execErr(c, "CREATE FUNCTION nodb.f() RETURNS INT RETURN 1"), 1049)
	requireErrCode(t, execErr(c, "CREATE AGGREGATE FUNCTION f() RETURNS INT RETURN 1"), 1235)
	require.Equal(t, "1", queryValue(t, c, "SELECT 1"))
}
