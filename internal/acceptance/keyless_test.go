package acceptance

import (
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"
)

// Tables without a primary key: rows stored by an earlier process must be
// found by UPDATE and DELETE, identical rows included, and a full scan
// returns rows in insertion order, as InnoDB's hidden DB_ROW_ID gives.

// TestKeylessAcrossRestart is the reported bug: after a restart, DELETE
// reported a row it did not remove and UPDATE left the old row beside the
// new one.
func TestKeylessAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	phase(t, dir, "write", func(t *testing.T, _ string, db *sql.DB) {
		mustExec(t, db, "CREATE DATABASE k")
		mustExec(t, db, "CREATE TABLE k.t (a INT, b VARCHAR(10))")
		mustExec(t, db, "INSERT INTO k.t VALUES (1,'x'),(2,'y'),(3,'z')")
		mustExec(t, db, "CREATE TABLE k.d (a INT, b VARCHAR(10), KEY (b))")
		mustExec(t, db, "INSERT INTO k.d VALUES (5,'e'),(1,'a'),(1,'a'),(4,'d'),(1,'a'),(3,'c')")
	})
	phase(t, dir, "update and delete", func(t *testing.T, _ string, db *sql.DB) {
		res := mustExec(t, db, "DELETE FROM k.t WHERE a=2")
		n, err := res.RowsAffected()
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		mustExec(t, db, "UPDATE k.t SET b='w' WHERE a=1")
		require.Equal(t, [][]string{{"1", "w"}, {"3", "z"}}, queryRows(t, db, "SELECT * FROM k.t"))

		// Insertion order survives the restart.
		require.Equal(t, [][]string{{"5", "e"}, {"1", "a"}, {"1", "a"}, {"4", "d"}, {"1", "a"}, {"3", "c"}},
			queryRows(t, db, "SELECT * FROM k.d"))
		// One of three identical rows.
		res = mustExec(t, db, "DELETE FROM k.d WHERE a=1 LIMIT 1")
		n, err = res.RowsAffected()
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		require.Equal(t, "2", queryValue(t, db, "SELECT COUNT(*) FROM k.d WHERE a=1"))
		require.Equal(t, "2", queryValue(t, db, "SELECT COUNT(*) FROM k.d WHERE b='a'"))
		// Both remaining ones, through the secondary index.
		res = mustExec(t, db, "UPDATE k.d SET a=2 WHERE b='a'")
		n, err = res.RowsAffected()
		require.NoError(t, err)
		require.EqualValues(t, 2, n)
		mustExec(t, db, "INSERT INTO k.d VALUES (6,'f')")
	})
	phase(t, dir, "check", func(t *testing.T, _ string, db *sql.DB) {
		require.Equal(t, [][]string{{"1", "w"}, {"3", "z"}}, queryRows(t, db, "SELECT * FROM k.t"))
		// An UPDATE keeps the row's place, as InnoDB keeps DB_ROW_ID.
		require.Equal(t, [][]string{{"5", "e"}, {"2", "a"}, {"4", "d"}, {"2", "a"}, {"3", "c"}, {"6", "f"}},
			queryRows(t, db, "SELECT * FROM k.d"))
		require.Equal(t, [][]string{{"2", "a"}, {"2", "a"}}, queryRows(t, db, "SELECT * FROM k.d WHERE b='a'"))
		mustExec(t, db, "DELETE FROM k.d WHERE a=2")
		require.Equal(t, [][]string{{"5", "e"}, {"4", "d"}, {"3", "c"}, {"6", "f"}}, queryRows(t, db, "SELECT * FROM k.d"))
		require.Equal(t, [][]string{}, queryRows(t, db, "SELECT * FROM k.d WHERE b='a'"))
	})
}

// TestKeylessDuplicates: deleting or updating one of identical rows
// changes exactly one, in one transaction and across statements.
func TestKeylessDuplicates(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE k")
	mustExec(t, db, "CREATE TABLE k.t (a INT, b TEXT)")
	mustExec(t, db, "INSERT INTO k.t VALUES (1,'x'),(1,'x'),(1,'x'),(2,NULL),(2,NULL)")
	res := mustExec(t, db, "UPDATE k.t SET a=9 WHERE a=1 LIMIT 1")
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	require.Equal(t, [][]string{{"9", "x"}, {"1", "x"}, {"1", "x"}, {"2", null}, {"2", null}}, queryRows(t, db, "SELECT * FROM k.t"))

	c := conn(t, db)
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "DELETE FROM k.t WHERE a=2 LIMIT 1")
	require.Equal(t, "1", queryValue(t, c, "SELECT COUNT(*) FROM k.t WHERE a=2"))
	mustExec(t, c, "ROLLBACK")
	require.Equal(t, "2", queryValue(t, db, "SELECT COUNT(*) FROM k.t WHERE a=2"))

	// Each row is updated once and keeps its place, although the first
	// update gives row 1 the values of row 2 before row 2 is updated.
	mustExec(t, db, "CREATE TABLE k.s (a INT)")
	mustExec(t, db, "INSERT INTO k.s VALUES (1),(2),(3)")
	mustExec(t, db, "UPDATE k.s SET a = a + 1")
	require.Equal(t, [][]string{{"2"}, {"3"}, {"4"}}, queryRows(t, db, "SELECT * FROM k.s"))

	res = mustExec(t, db, "DELETE FROM k.t WHERE a=1")
	n, err = res.RowsAffected()
	require.NoError(t, err)
	require.EqualValues(t, 2, n)
	require.Equal(t, [][]string{{"9", "x"}, {"2", null}, {"2", null}}, queryRows(t, db, "SELECT * FROM k.t"))
}

// TestKeylessUniqueKey: UPDATE, DELETE, REPLACE and INSERT ... ON DUPLICATE
// KEY UPDATE on a keyless table with a UNIQUE key, across a restart.
func TestKeylessUniqueKey(t *testing.T) {
	dir := t.TempDir()
	phase(t, dir, "write", func(t *testing.T, _ string, db *sql.DB) {
		mustExec(t, db, "CREATE DATABASE k")
		mustExec(t, db, "CREATE TABLE k.u (id INT NOT NULL, v VARCHAR(10), n INT DEFAULT 0, UNIQUE KEY (id))")
		mustExec(t, db, "INSERT INTO k.u (id, v) VALUES (3,'c'),(1,'a'),(2,'b')")
	})
	phase(t, dir, "change", func(t *testing.T, _ string, db *sql.DB) {
		requireErrCode(t, execErr(db, "INSERT INTO k.u (id, v) VALUES (1,'dup')"), 1062)
		mustExec(t, db, "INSERT INTO k.u (id, v) VALUES (1,'z') ON DUPLICATE KEY UPDATE n=n+1, v=VALUES(v)")
		mustExec(t, db, "REPLACE INTO k.u (id, v) VALUES (2,'r')")
		mustExec(t, db, "INSERT INTO k.u (id, v) VALUES (4,'d') ON DUPLICATE KEY UPDATE n=n+1")
		mustExec(t, db, "UPDATE k.u SET v='cc' WHERE id=3")
		requireErrCode(t, execErr(db, "UPDATE k.u SET id=4 WHERE id=3"), 1062)
		// go-mysql-server runs REPLACE as delete and insert, so (2,'r') is
		// a new row at the end; MySQL updates in place when the conflict is
		// on the last unique key. Hence ORDER BY.
		require.Equal(t, [][]string{{"1", "z", "1"}, {"2", "r", "0"}, {"3", "cc", "0"}, {"4", "d", "0"}},
			queryRows(t, db, "SELECT * FROM k.u ORDER BY id"))
	})
	phase(t, dir, "check", func(t *testing.T, _ string, db *sql.DB) {
		// go-mysql-server runs REPLACE as delete and insert, so (2,'r') is
		// a new row at the end; MySQL updates in place when the conflict is
		// on the last unique key. Hence ORDER BY.
		require.Equal(t, [][]string{{"1", "z", "1"}, {"2", "r", "0"}, {"3", "cc", "0"}, {"4", "d", "0"}},
			queryRows(t, db, "SELECT * FROM k.u ORDER BY id"))
		mustExec(t, db, "DELETE FROM k.u WHERE id=1")
		mustExec(t, db, "INSERT INTO k.u (id, v) VALUES (1,'again')")
		require.Equal(t, [][]string{{"1", "again"}, {"2", "r"}, {"3", "cc"}, {"4", "d"}},
			queryRows(t, db, "SELECT id, v FROM k.u ORDER BY id"))
		require.Equal(t, "4", queryValue(t, db, "SELECT COUNT(*) FROM k.u"))
	})
}

// TestKeylessAlterAndTruncate: ADD PRIMARY KEY and DROP PRIMARY KEY move
// the rows between the layouts; TRUNCATE starts over; order and lookups
// survive a restart after each.
func TestKeylessAlterAndTruncate(t *testing.T) {
	dir := t.TempDir()
	phase(t, dir, "alter", func(t *testing.T, _ string, db *sql.DB) {
		mustExec(t, db, "CREATE DATABASE k")
		mustExec(t, db, "CREATE TABLE k.p (a INT NOT NULL, b VARCHAR(10), KEY (b))")
		mustExec(t, db, "INSERT INTO k.p VALUES (3,'c'),(1,'a'),(2,'b')")
		mustExec(t, db, "ALTER TABLE k.p ADD PRIMARY KEY (a)")
		require.Equal(t, [][]string{{"1", "a"}, {"2", "b"}, {"3", "c"}}, queryRows(t, db, "SELECT * FROM k.p"))
		mustExec(t, db, "ALTER TABLE k.p DROP PRIMARY KEY")
		mustExec(t, db, "INSERT INTO k.p VALUES (0,'z'),(1,'a')")
		require.Equal(t, [][]string{{"1", "a"}, {"2", "b"}, {"3", "c"}, {"0", "z"}, {"1", "a"}}, queryRows(t, db, "SELECT * FROM k.p"))

		mustExec(t, db, "CREATE TABLE k.tr (a INT)")
		mustExec(t, db, "INSERT INTO k.tr VALUES (1),(2)")
		mustExec(t, db, "TRUNCATE TABLE k.tr")
		mustExec(t, db, "INSERT INTO k.tr VALUES (7),(5)")
	})
	phase(t, dir, "check", func(t *testing.T, _ string, db *sql.DB) {
		require.Equal(t, [][]string{{"1", "a"}, {"2", "b"}, {"3", "c"}, {"0", "z"}, {"1", "a"}}, queryRows(t, db, "SELECT * FROM k.p"))
		mustExec(t, db, "DELETE FROM k.p WHERE a=1 LIMIT 1")
		mustExec(t, db, "UPDATE k.p SET b='bb' WHERE a=2")
		require.Equal(t, [][]string{{"2", "bb"}, {"3", "c"}, {"0", "z"}, {"1", "a"}}, queryRows(t, db, "SELECT * FROM k.p"))
		mustExec(t, db, "ALTER TABLE k.p ADD PRIMARY KEY (b)")
		require.Equal(t, [][]string{{"0", "z"}, {"1", "a"}, {"2", "bb"}, {"3", "c"}}, queryRows(t, db, "SELECT * FROM k.p ORDER BY a"))

		require.Equal(t, [][]string{{"7"}, {"5"}}, queryRows(t, db, "SELECT * FROM k.tr"))
		mustExec(t, db, "DELETE FROM k.tr WHERE a=7")
		mustExec(t, db, "TRUNCATE TABLE k.tr")
		mustExec(t, db, "INSERT INTO k.tr VALUES (9),(8)")
		require.Equal(t, [][]string{{"9"}, {"8"}}, queryRows(t, db, "SELECT * FROM k.tr"))
	})
}

// TestKeylessCascadesAndTriggers: foreign key cascades and trigger bodies
// change rows of keyless tables that an earlier process stored.
func TestKeylessCascadesAndTriggers(t *testing.T) {
	dir := t.TempDir()
	phase(t, dir, "write", func(t *testing.T, addr string, _ *sql.DB) {
		db := openAs(t, "root", "", addr, "")
		mustExec(t, db, "CREATE DATABASE k")
		db = openAs(t, "root", "", addr, "k")
		mustExec(t, db, "CREATE TABLE parent (id INT PRIMARY KEY)")
		mustExec(t, db, "CREATE TABLE child (pid INT, v VARCHAR(10), FOREIGN KEY (pid) REFERENCES parent (id) ON DELETE CASCADE ON UPDATE CASCADE)")
		mustExec(t, db, "CREATE TABLE log (msg VARCHAR(20))")
		mustExec(t, db, "CREATE TRIGGER child_del AFTER DELETE ON child FOR EACH ROW INSERT INTO log VALUES (CONCAT('del ', OLD.v))")
		mustExec(t, db, "CREATE TRIGGER log_trim BEFORE INSERT ON parent FOR EACH ROW DELETE FROM log WHERE msg = 'old'")
		mustExec(t, db, "INSERT INTO parent VALUES (1),(2)")
		mustExec(t, db, "INSERT INTO child VALUES (1,'a'),(2,'b'),(1,'a')")
		mustExec(t, db, "INSERT INTO log VALUES ('old'),('keep'),('old')")
	})
	phase(t, dir, "cascade", func(t *testing.T, addr string, _ *sql.DB) {
		db := openAs(t, "root", "", addr, "k")
		mustExec(t, db, "DELETE FROM parent WHERE id = 1")
		mustExec(t, db, "UPDATE parent SET id = 3 WHERE id = 2")
		require.Equal(t, [][]string{{"3", "b"}}, queryRows(t, db, "SELECT * FROM child"))
		// Cascaded actions fire no triggers, as in MySQL.
		require.Equal(t, [][]string{{"old"}, {"keep"}, {"old"}}, queryRows(t, db, "SELECT * FROM log"))
		mustExec(t, db, "INSERT INTO parent VALUES (4)")
		require.Equal(t, [][]string{{"keep"}}, queryRows(t, db, "SELECT * FROM log"))
		mustExec(t, db, "INSERT INTO child VALUES (4,'d'),(4,'d')")
	})
	phase(t, dir, "check", func(t *testing.T, addr string, _ *sql.DB) {
		db := openAs(t, "root", "", addr, "k")
		require.Equal(t, [][]string{{"3", "b"}, {"4", "d"}, {"4", "d"}}, queryRows(t, db, "SELECT * FROM child"))
		require.Equal(t, [][]string{{"keep"}}, queryRows(t, db, "SELECT * FROM log"))
		mustExec(t, db, "DELETE FROM child WHERE v = 'd' LIMIT 1")
		require.Equal(t, [][]string{{"keep"}, {"del d"}}, queryRows(t, db, "SELECT * FROM log"))
		mustExec(t, db, "DELETE FROM parent WHERE id = 3")
		require.Equal(t, [][]string{{"4", "d"}}, queryRows(t, db, "SELECT * FROM child"))
	})
}
