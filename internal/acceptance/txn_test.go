package acceptance

import (
	"database/sql/driver"
	"errors"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// TestTransactions covers autocommit, BEGIN/COMMIT/ROLLBACK, savepoints,
// read-your-own-writes, snapshot isolation and statement atomicity.
func TestTransactions(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE tx")
	mustExec(t, db, "CREATE TABLE tx.t (id INT PRIMARY KEY, v INT, KEY (v))")

	count := func(t *testing.T, q querier, where string) string {
		t.Helper()
		return queryValue(t, q, "SELECT COUNT(*) FROM tx.t WHERE "+where)
	}

	t.Run("autocommit is visible to others at once", func(t *testing.T) {
		a, b := conn(t, db), conn(t, db)
		require.Equal(t, "1", queryValue(t, a, "SELECT @@autocommit"))
		mustExec(t, a, "INSERT INTO tx.t VALUES (1, 1)")
		require.Equal(t, "1", count(t, b, "id = 1"))
	})

	t.Run("commit", func(t *testing.T) {
		a, b := conn(t, db), conn(t, db)
		mustExec(t, a, "BEGIN")
		mustExec(t, a, "INSERT INTO tx.t VALUES (2, 2)")
		require.Equal(t, "1", count(t, a, "id = 2"), "read your own writes")
		require.Equal(t, "1", count(t, a, "v = 2"), "read your own writes through an index")
		require.Equal(t, "0", count(t, b, "id = 2"), "uncommitted write is invisible")
		mustExec(t, a, "COMMIT")
		require.Equal(t, "1", count(t, b, "id = 2"))
	})

	t.Run("rollback", func(t *testing.T) {
		a := conn(t, db)
		mustExec(t, a, "START TRANSACTION")
		mustExec(t, a, "INSERT INTO tx.t VALUES (3, 3)")
		mustExec(t, a, "UPDATE tx.t SET v = 100 WHERE id = 1")
		mustExec(t, a, "DELETE FROM tx.t WHERE id = 2")
		mustExec(t, a, "ROLLBACK")
		require.Equal(t, [][]string{{"1", "1"}, {"2", "2"}}, queryRows(t, db, "SELECT id, v FROM tx.t ORDER BY id"))
	})

	t.Run("autocommit off", func(t *testing.T) {
		a, b := conn(t, db), conn(t, db)
		mustExec(t, a, "SET autocommit = 0")
		mustExec(t, a, "INSERT INTO tx.t VALUES (4, 4)")
		require.Equal(t, "0", count(t, b, "id = 4"))
		mustExec(t, a, "COMMIT")
		require.Equal(t, "1", count(t, b, "id = 4"))
		mustExec(t, a, "DELETE FROM tx.t WHERE id = 4")
		mustExec(t, a, "ROLLBACK")
		mustExec(t, a, "SET autocommit = 1")
		require.Equal(t, "1", count(t, b, "id = 4"))
	})

	t.Run("savepoints", func(t *testing.T) {
		a := conn(t, db)
		mustExec(t, a, "BEGIN")
		mustExec(t, a, "INSERT INTO tx.t VALUES (10, 10)")
		mustExec(t, a, "SAVEPOINT s1")
		mustExec(t, a, "INSERT INTO tx.t VALUES (11, 11)")
		mustExec(t, a, "SAVEPOINT s2")
		mustExec(t, a, "INSERT INTO tx.t VALUES (12, 12)")
		mustExec(t, a, "ROLLBACK TO SAVEPOINT s2")
		require.Equal(t, "2", count(t, a, "id BETWEEN 10 AND 12"))
		mustExec(t, a, "ROLLBACK TO s1")
		require.Equal(t, "1", count(t, a, "id BETWEEN 10 AND 12"))
		require.Equal(t, "0", count(t, a, "v = 11"), "index entries are rolled back too")
		mustExec(t, a, "SAVEPOINT s3")
		mustExec(t, a, "INSERT INTO tx.t VALUES (13, 13)")
		mustExec(t, a, "RELEASE SAVEPOINT s3")
		requireErrCode(t, execErr(a, "ROLLBACK TO s3"), 1305)
		mustExec(t, a, "COMMIT")
		require.Equal(t, [][]string{{"10"}, {"13"}}, queryRows(t, db, "SELECT id FROM tx.t WHERE id BETWEEN 10 AND 13 ORDER BY id"))
	})

	t.Run("repeatable read snapshot", func(t *testing.T) {
		a, b := conn(t, db), conn(t, db)
		require.Equal(t, "REPEATABLE-READ", queryValue(t, a, "SELECT @@transaction_isolation"))
		mustExec(t, a, "BEGIN")
		before := count(t, a, "id >= 20")
		require.Equal(t, "0", before)
		mustExec(t, b, "INSERT INTO tx.t VALUES (20, 20)")
		mustExec(t, b, "UPDATE tx.t SET v = 111 WHERE id = 1")
		require.Equal(t, "0", count(t, a, "id >= 20"), "a committed insert leaked into the snapshot")
		require.Equal(t, "0", count(t, a, "v = 20"), "a committed insert leaked into the snapshot through an index")
		require.Equal(t, "1", queryValue(t, a, "SELECT v FROM tx.t WHERE id = 1"), "a committed update leaked into the snapshot")
		mustExec(t, a, "COMMIT")
		require.Equal(t, "1", count(t, a, "id >= 20"))
		require.Equal(t, "111", queryValue(t, a, "SELECT v FROM tx.t WHERE id = 1"))
	})

	t.Run("statement atomicity autocommit", func(t *testing.T) {
		requireErrCode(t, execErr(db, "INSERT INTO tx.t VALUES (30, 30), (31, 31), (1, 0), (32, 32)"), 1062)
		require.Equal(t, "0", count(t, db, "id BETWEEN 30 AND 32"))
		require.Equal(t, "0", count(t, db, "v BETWEEN 30 AND 32"))
	})

	t.Run("statement atomicity in a transaction", func(t *testing.T) {
		a := conn(t, db)
		mustExec(t, a, "BEGIN")
		mustExec(t, a, "INSERT INTO tx.t VALUES (40, 40)")
		requireErrCode(t, execErr(a, "INSERT INTO tx.t VALUES (41, 41), (42, 42), (40, 0)"), 1062)
		require.Equal(t, "1", count(t, a, "id BETWEEN 40 AND 42"), "the failed statement is undone, the earlier one kept")
		requireErrCode(t, execErr(a, "UPDATE tx.t SET id = id + 1 WHERE id IN (40, 1) ORDER BY id DESC"), 1062)
		require.Equal(t, [][]string{{"1"}, {"40"}}, queryRows(t, a, "SELECT id FROM tx.t WHERE id IN (1, 2, 40, 41) AND id <> 2 ORDER BY id"))
		mustExec(t, a, "COMMIT")
		require.Equal(t, [][]string{{"40", "40"}}, queryRows(t, db, "SELECT id, v FROM tx.t WHERE id BETWEEN 40 AND 42"))
	})

	t.Run("conflicting writers", func(t *testing.T) {
		a, b := conn(t, db), conn(t, db)
		mustExec(t, db, "INSERT INTO tx.t VALUES (50, 0)")
		mustExec(t, a, "BEGIN")
		mustExec(t, b, "BEGIN")
		mustExec(t, a, "UPDATE tx.t SET v = v + 1 WHERE id = 50")
		// b's update waits for a's row lock, then updates a's row.
		bErr := make(chan error, 1)
		go func() { bErr <- execErr(b, "UPDATE tx.t SET v = v + 10 WHERE id = 50") }()
		time.Sleep(200 * time.Millisecond)
		mustExec(t, a, "COMMIT")
		var err error
		select {
		case err = <-bErr:
		case <-time.After(stmtTimeout):
			t.Fatal("second writer did not finish")
		}
		if err == nil {
			err = execErr(b, "COMMIT")
		}
		if err == nil {
			require.Equal(t, "11", queryValue(t, db, "SELECT v FROM tx.t WHERE id = 50"), "an update was lost")
			return
		}
		requireErrCode(t, err, 1213)
		var me *mysql.MySQLError
		require.True(t, errors.As(err, &me))
		require.Equal(t, "40001", string(me.SQLState[:]))
		_ = execErr(b, "ROLLBACK")
		require.Equal(t, "1", queryValue(t, db, "SELECT v FROM tx.t WHERE id = 50"), "the first commit must win")
		// The retry succeeds.
		mustExec(t, b, "BEGIN")
		mustExec(t, b, "UPDATE tx.t SET v = v + 10 WHERE id = 50")
		mustExec(t, b, "COMMIT")
		require.Equal(t, "11", queryValue(t, db, "SELECT v FROM tx.t WHERE id = 50"))
	})

	t.Run("conflicting inserts of one key", func(t *testing.T) {
		a, b := conn(t, db), conn(t, db)
		mustExec(t, a, "BEGIN")
		mustExec(t, b, "BEGIN")
		mustExec(t, a, "INSERT INTO tx.t VALUES (60, 1)")
		// b waits for a's lock on the key, then finds a's row (InnoDB).
		bErr := make(chan error, 1)
		go func() { bErr <- execErr(b, "INSERT INTO tx.t VALUES (60, 2)") }()
		time.Sleep(100 * time.Millisecond)
		mustExec(t, a, "COMMIT")
		var err error
		select {
		case err = <-bErr:
		case <-time.After(stmtTimeout):
			t.Fatal("second insert did not finish")
		}
		requireErrCode(t, err, 1062)
		_ = execErr(b, "ROLLBACK")
		require.Equal(t, [][]string{{"60", "1"}}, queryRows(t, db, "SELECT id, v FROM tx.t WHERE id = 60"))
	})

	t.Run("dropped connection rolls back", func(t *testing.T) {
		a := conn(t, db)
		mustExec(t, a, "BEGIN")
		mustExec(t, a, "INSERT INTO tx.t VALUES (70, 70)")
		// Close the socket under the driver: the server sees the client go.
		require.NoError(t, a.Raw(func(dc any) error {
			return dc.(driver.Conn).Close()
		}))
		_ = a.Close()
		require.Equal(t, "0", count(t, db, "id = 70"))
		// The key is free: nothing holds it.
		mustExec(t, db, "INSERT INTO tx.t VALUES (70, 71)")
		require.Equal(t, "71", queryValue(t, db, "SELECT v FROM tx.t WHERE id = 70"))
	})

	t.Run("ddl commits the open transaction", func(t *testing.T) {
		a := conn(t, db)
		mustExec(t, a, "BEGIN")
		mustExec(t, a, "INSERT INTO tx.t VALUES (80, 80)")
		mustExec(t, a, "CREATE TABLE tx.other (id INT PRIMARY KEY)")
		mustExec(t, a, "ROLLBACK")
		require.Equal(t, "1", count(t, db, "id = 80"), "CREATE TABLE implicitly commits in MySQL")
	})

}

// TestDeleteAllRollsBack checks that DELETE without WHERE, which
// go-mysql-server runs as TRUNCATE, stays a transactional DELETE: other
// sessions do not see it before COMMIT, and ROLLBACK restores the rows.
func TestDeleteAllRollsBack(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE da")
	mustExec(t, db, "CREATE TABLE da.t (id INT PRIMARY KEY, v VARCHAR(10), KEY (v))")
	mustExec(t, db, "INSERT INTO da.t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
	a, b := conn(t, db), conn(t, db)
	mustExec(t, a, "USE da")
	mustExec(t, a, "BEGIN")
	res := mustExec(t, a, "DELETE FROM t")
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.Equal(t, int64(3), n)
	require.Equal(t, "0", queryValue(t, a, "SELECT COUNT(*) FROM t"))
	require.Equal(t, "3", queryValue(t, b, "SELECT COUNT(*) FROM da.t"), "uncommitted DELETE is invisible")
	mustExec(t, a, "ROLLBACK")
	require.Equal(t, [][]string{{"1", "a"}, {"2", "b"}, {"3", "c"}}, queryRows(t, a, "SELECT id, v FROM t ORDER BY id"))
	require.Equal(t, "2", queryValue(t, a, "SELECT id FROM t WHERE v = 'b'"), "index entries are back too")

	mustExec(t, a, "DELETE FROM t")
	require.Equal(t, "0", queryValue(t, b, "SELECT COUNT(*) FROM da.t"), "autocommit DELETE is committed")
	mustExec(t, a, "INSERT INTO t VALUES (4, 'd')")
	mustExec(t, a, "TRUNCATE TABLE t")
	require.Equal(t, "0", queryValue(t, b, "SELECT COUNT(*) FROM da.t"))
}
