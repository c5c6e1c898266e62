package acceptance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// Row locks (issue 10): every concurrent test here is bounded by
// lockTestTimeout; a statement that must not wait is checked to finish
// before another session lets go of the lock.

const lockTestTimeout = 60 * time.Second

// async runs a statement on c in the background.
func async(c *sql.Conn, query string, args ...any) <-chan error {
	ch := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), lockTestTimeout)
		defer cancel()
		_, err := c.ExecContext(ctx, query, args...)
		ch <- err
	}()
	return ch
}

// await returns the result of an async statement, failing the test if it
// does not finish in time.
func await(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(lockTestTimeout):
		t.Fatal("statement did not finish")
		return nil
	}
}

// requireWaiting checks that an async statement is still blocked: it has
// not finished and the server counts a waiting lock request.
func requireWaiting(t *testing.T, db *sql.DB, ch <-chan error, waits int) {
	t.Helper()
	require.Eventually(t, func() bool {
		return globalStatus(t, db, "Innodb_row_lock_current_waits") == fmt.Sprint(waits)
	}, 10*time.Second, 5*time.Millisecond)
	select {
	case err := <-ch:
		t.Fatalf("statement finished while it should wait: %v", err)
	default:
	}
}

func globalStatus(t testing.TB, db *sql.DB, name string) string {
	t.Helper()
	rows := queryRows(t, db, "SHOW GLOBAL STATUS LIKE '"+name+"'")
	require.Len(t, rows, 1, name)
	return rows[0][1]
}

func TestLockingForUpdateCounter(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE lk")
	mustExec(t, db, "CREATE TABLE lk.acct (id INT PRIMARY KEY, bal INT NOT NULL)")
	mustExec(t, db, "INSERT INTO lk.acct VALUES (1, 0)")

	const sessions, rounds = 4, 20
	ctx, cancel := context.WithTimeout(context.Background(), lockTestTimeout)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, sessions*rounds)
	for range sessions {
		c := conn(t, db)
		wg.Go(func() {
			for range rounds {
				errs <- counterRound(ctx, c)
			}
		})
	}
	wg.Wait()
	close(errs)
	committed := 0
	for err := range errs {
		if err != nil {
			t.Errorf("transaction failed: %v", err)
			continue
		}
		committed++
	}
	require.Equal(t, sessions*rounds, committed)
	require.Equal(t, fmt.Sprint(sessions*rounds), queryValue(t, db, "SELECT bal FROM lk.acct WHERE id = 1"))
}

func counterRound(ctx context.Context, c *sql.Conn) error {
	if _, err := c.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	var bal int
	if err := c.QueryRowContext(ctx, "SELECT bal FROM lk.acct WHERE id = 1 FOR UPDATE").Scan(&bal); err != nil {
		_, _ = c.ExecContext(ctx, "ROLLBACK")
		return err
	}
	if _, err := c.ExecContext(ctx, "UPDATE lk.acct SET bal = ? WHERE id = 1", bal+1); err != nil {
		_, _ = c.ExecContext(ctx, "ROLLBACK")
		return err
	}
	_, err := c.ExecContext(ctx, "COMMIT")
	return err
}

func TestLockingUpdateWaitsAndAppliesOnTop(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE lk")
	mustExec(t, db, "CREATE TABLE lk.t (id INT PRIMARY KEY, v INT, u INT, UNIQUE KEY (u))")
	mustExec(t, db, "INSERT INTO lk.t VALUES (1, 1, 1), (2, 2, 2)")

	a, b := conn(t, db), conn(t, db)
	mustExec(t, a, "BEGIN")
	mustExec(t, b, "BEGIN")
	require.Equal(t, "1", queryValue(t, b, "SELECT v FROM lk.t WHERE id = 1"), "b's snapshot")
	mustExec(t, a, "UPDATE lk.t SET v = v + 1 WHERE id = 1")
	blocked := async(b, "UPDATE lk.t SET v = v + 10 WHERE id = 1")
	requireWaiting(t, db, blocked, 1)
	mustExec(t, a, "COMMIT")
	require.NoError(t, await(t, blocked))
	require.Equal(t, "12", queryValue(t, b, "SELECT v FROM lk.t WHERE id = 1"), "applied on top of a's commit")
	mustExec(t, b, "COMMIT")
	require.Equal(t, "12", queryValue(t, db, "SELECT v FROM lk.t WHERE id = 1"))

	t.Run("insert of a held unique value waits, then fails with 1062", func(t *testing.T) {
		mustExec(t, a, "BEGIN")
		mustExec(t, a, "INSERT INTO lk.t VALUES (3, 3, 30)")
		dup := async(b, "INSERT INTO lk.t VALUES (4, 4, 30)")
		requireWaiting(t, db, dup, 1)
		mustExec(t, a, "COMMIT")
		requireErrCode(t, await(t, dup), 1062)
	})

	t.Run("insert of a held primary key goes ahead after a rollback", func(t *testing.T) {
		mustExec(t, a, "BEGIN")
		mustExec(t, a, "INSERT INTO lk.t VALUES (5, 5, 50)")
		ins := async(b, "INSERT INTO lk.t VALUES (5, 6, 60)")
		requireWaiting(t, db, ins, 1)
		mustExec(t, a, "ROLLBACK")
		require.NoError(t, await(t, ins))
		require.Equal(t, [][]string{{"5", "6", "60"}}, queryRows(t, db, "SELECT * FROM lk.t WHERE id = 5"))
	})

	t.Run("update finds a row committed after its snapshot", func(t *testing.T) {
		mustExec(t, b, "BEGIN")
		require.Equal(t, "0", queryValue(t, b, "SELECT COUNT(*) FROM lk.t WHERE id = 7"))
		mustExec(t, db, "INSERT INTO lk.t VALUES (7, 7, 70)")
		res := mustExec(t, b, "UPDATE lk.t SET v = 77 WHERE id >= 7")
		n, err := res.RowsAffected()
		require.NoError(t, err)
		require.EqualValues(t, 1, n, "a current read sees the new row")
		mustExec(t, b, "COMMIT")
		require.Equal(t, "77", queryValue(t, db, "SELECT v FROM lk.t WHERE id = 7"))
	})
}

func TestLockingWaitTimeout(t *testing.T) {
	addr, db := start(t)
	mustExec(t, db, "CREATE DATABASE lk")
	mustExec(t, db, "CREATE TABLE lk.t (id INT PRIMARY KEY, v INT)")
	mustExec(t, db, "INSERT INTO lk.t VALUES (1, 1), (2, 2), (3, 3), (4, 4)")

	a, b := conn(t, db), conn(t, db)
	require.Equal(t, "50", queryValue(t, b, "SELECT @@innodb_lock_wait_timeout"), "InnoDB's default")
	require.Equal(t, "50", queryValue(t, b, "SELECT @@global.innodb_lock_wait_timeout"))
	mustExec(t, b, "SET innodb_lock_wait_timeout = 1")
	require.Equal(t, "1", queryValue(t, b, "SELECT @@session.innodb_lock_wait_timeout"))
	require.Equal(t, "50", queryValue(t, a, "SELECT @@innodb_lock_wait_timeout"), "a session setting")

	mustExec(t, a, "BEGIN")
	mustExec(t, a, "UPDATE lk.t SET v = 30 WHERE id = 3")
	mustExec(t, b, "BEGIN")
	mustExec(t, b, "UPDATE lk.t SET v = 44 WHERE id = 4")
	began := time.Now()
	err := await(t, async(b, "UPDATE lk.t SET v = v + 100 WHERE id IN (2, 3)"))
	elapsed := time.Since(began)
	t.Logf("1205 after %v", elapsed)
	requireErrCode(t, err, 1205)
	require.GreaterOrEqual(t, elapsed, 900*time.Millisecond)
	require.Less(t, elapsed, 20*time.Second)
	var me *mysql.MySQLError
	require.True(t, errors.As(err, &me))
	require.Equal(t, "Lock wait timeout exceeded; try restarting transaction", me.Message)

	// The statement is rolled back (row 2, updated before the wait, is
	// back), the transaction is not (row 4).
	require.Equal(t, [][]string{{"1", "1"}, {"2", "2"}, {"3", "3"}, {"4", "44"}}, queryRows(t, b, "SELECT id, v FROM lk.t ORDER BY id"))
	mustExec(t, b, "UPDATE lk.t SET v = 11 WHERE id = 1")
	mustExec(t, b, "COMMIT")
	mustExec(t, a, "COMMIT")
	require.Equal(t, [][]string{{"1", "11"}, {"2", "2"}, {"3", "30"}, {"4", "44"}}, queryRows(t, db, "SELECT id, v FROM lk.t ORDER BY id"))

	mustExec(t, db, "SET GLOBAL innodb_lock_wait_timeout = 7")
	fresh := openAs(t, "root", "", addr, "")
	require.Equal(t, "7", queryValue(t, fresh, "SELECT @@innodb_lock_wait_timeout"), "new sessions take the global value")
	mustExec(t, db, "SET GLOBAL innodb_lock_wait_timeout = 50")
}

func TestLockingDeadlock(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE lk")
	mustExec(t, db, "CREATE TABLE lk.t (id INT PRIMARY KEY, v INT)")
	mustExec(t, db, "INSERT INTO lk.t VALUES (1, 0), (2, 0)")

	a, b := conn(t, db), conn(t, db)
	mustExec(t, a, "BEGIN")
	mustExec(t, b, "BEGIN")
	mustExec(t, a, "UPDATE lk.t SET v = 1 WHERE id = 1")
	mustExec(t, b, "UPDATE lk.t SET v = 2 WHERE id = 2")
	first := async(a, "UPDATE lk.t SET v = 1 WHERE id = 2")
	requireWaiting(t, db, first, 1)
	began := time.Now()
	err := await(t, async(b, "UPDATE lk.t SET v = 2 WHERE id = 1"))
	t.Logf("1213 after %v", time.Since(began))
	requireErrCode(t, err, 1213)
	require.Less(t, time.Since(began), time.Second, "the statement closing the cycle fails at once")
	var me *mysql.MySQLError
	require.True(t, errors.As(err, &me))
	require.Equal(t, "40001", string(me.SQLState[:]))

	// The victim's transaction is rolled back: a proceeds and commits.
	require.NoError(t, await(t, first))
	mustExec(t, a, "COMMIT")
	_ = execErr(b, "ROLLBACK")
	require.Equal(t, [][]string{{"1", "1"}, {"2", "1"}}, queryRows(t, db, "SELECT id, v FROM lk.t ORDER BY id"))
	require.Equal(t, "1", globalStatus(t, db, "Innodb_deadlocks"))
	// The victim's session goes on.
	mustExec(t, b, "UPDATE lk.t SET v = 5 WHERE id = 2")
	require.Equal(t, "5", queryValue(t, db, "SELECT v FROM lk.t WHERE id = 2"))
}

func TestLockingNowaitSkipLockedShare(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE lk")
	// No index on state: the queue is read in primary key order, so a
	// LIMIT stops the scan (a sort would read, and lock, every row first,
	// in InnoDB as here).
	mustExec(t, db, "CREATE TABLE lk.jobs (id INT PRIMARY KEY, state VARCHAR(10))")
	for i := 1; i <= 10; i++ {
		mustExec(t, db, "INSERT INTO lk.jobs VALUES (?, 'new')", i)
	}
	a, b, c := conn(t, db), conn(t, db), conn(t, db)

	t.Run("NOWAIT", func(t *testing.T) {
		mustExec(t, a, "BEGIN")
		require.Equal(t, "1", queryValue(t, a, "SELECT id FROM lk.jobs WHERE id = 1 FOR UPDATE"))
		began := time.Now()
		err := queryErr(b, "SELECT id FROM lk.jobs WHERE id = 1 FOR UPDATE NOWAIT")
		requireErrCode(t, err, 3572)
		require.Less(t, time.Since(began), 5*time.Second)
		requireErrCode(t, queryErr(b, "SELECT id FROM lk.jobs WHERE id = 1 FOR SHARE NOWAIT"), 3572)
		require.Equal(t, "2", queryValue(t, b, "SELECT id FROM lk.jobs WHERE id = 2 FOR UPDATE NOWAIT"), "other rows are free")
		mustExec(t, a, "ROLLBACK")
	})

	t.Run("SKIP LOCKED workers take disjoint rows", func(t *testing.T) {
		mustExec(t, a, "BEGIN")
		mustExec(t, b, "BEGIN")
		gotA := queryRows(t, a, "SELECT id FROM lk.jobs WHERE state = 'new' ORDER BY id LIMIT 2 FOR UPDATE SKIP LOCKED")
		gotB := queryRows(t, b, "SELECT id FROM lk.jobs WHERE state = 'new' ORDER BY id LIMIT 2 FOR UPDATE SKIP LOCKED")
		require.Len(t, gotA, 2)
		require.Len(t, gotB, 2)
		for _, r := range gotA {
			require.NotContains(t, gotB, r, "both workers took job %s", r[0])
		}
		for _, r := range gotA {
			mustExec(t, a, "UPDATE lk.jobs SET state = 'done' WHERE id = ?", r[0])
		}
		mustExec(t, a, "COMMIT")
		mustExec(t, b, "COMMIT")
		require.Equal(t, "2", queryValue(t, db, "SELECT COUNT(*) FROM lk.jobs WHERE state = 'done'"))
	})

	t.Run("FOR SHARE is shared and blocks writers", func(t *testing.T) {
		mustExec(t, a, "BEGIN")
		mustExec(t, b, "BEGIN")
		require.Equal(t, "5", queryValue(t, a, "SELECT id FROM lk.jobs WHERE id = 5 FOR SHARE"))
		require.Equal(t, "5", queryValue(t, b, "SELECT id FROM lk.jobs WHERE id = 5 LOCK IN SHARE MODE"), "shared with shared")
		mustExec(t, c, "SET innodb_lock_wait_timeout = 1")
		requireErrCode(t, await(t, async(c, "UPDATE lk.jobs SET state = 'x' WHERE id = 5")), 1205)
		requireErrCode(t, queryErr(c, "SELECT id FROM lk.jobs WHERE id = 5 FOR UPDATE NOWAIT"), 3572)
		mustExec(t, a, "COMMIT")
		mustExec(t, b, "COMMIT")
		mustExec(t, c, "UPDATE lk.jobs SET state = 'x' WHERE id = 5")
	})
}

func TestLockingPlainSelectNeverWaits(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE lk")
	mustExec(t, db, "CREATE TABLE lk.t (id INT PRIMARY KEY, v INT)")
	mustExec(t, db, "INSERT INTO lk.t VALUES (1, 1)")
	a, b := conn(t, db), conn(t, db)
	mustExec(t, a, "BEGIN")
	mustExec(t, a, "UPDATE lk.t SET v = 2 WHERE id = 1")
	require.Equal(t, "1", queryValue(t, a, "SELECT COUNT(*) FROM lk.t WHERE id = 1 FOR UPDATE"))

	mustExec(t, b, "SET innodb_lock_wait_timeout = 1")
	began := time.Now()
	require.Equal(t, "1", queryValue(t, b, "SELECT v FROM lk.t WHERE id = 1"), "the committed value, without waiting")
	mustExec(t, b, "BEGIN")
	require.Equal(t, [][]string{{"1", "1"}}, queryRows(t, b, "SELECT * FROM lk.t"))
	mustExec(t, b, "COMMIT")
	require.Less(t, time.Since(began), time.Second)
	mustExec(t, a, "COMMIT")
}

func TestLockingObservability(t *testing.T) {
	var httpAddr string
	_, db := start(t, testutil.WithHTTPAddr(&httpAddr))
	mustExec(t, db, "CREATE DATABASE lk")
	mustExec(t, db, "CREATE TABLE lk.t (id INT PRIMARY KEY, v INT)")
	mustExec(t, db, "INSERT INTO lk.t VALUES (1, 0), (2, 0)")
	a, b := conn(t, db), conn(t, db)
	aID, bID := queryValue(t, a, "SELECT CONNECTION_ID()"), queryValue(t, b, "SELECT CONNECTION_ID()")

	mustExec(t, a, "BEGIN")
	mustExec(t, a, "UPDATE lk.t SET v = 1 WHERE id = 1")
	mustExec(t, b, "BEGIN")
	blocked := async(b, "UPDATE lk.t SET v = 2 WHERE id = 1")
	requireWaiting(t, db, blocked, 1)

	require.Equal(t, [][]string{
		{aID, "lk", "t", "PRIMARY", "RECORD", "X,REC_NOT_GAP", "GRANTED", "1"},
		{bID, "lk", "t", "PRIMARY", "RECORD", "X,REC_NOT_GAP", "WAITING", "1"},
	}, queryRows(t, db, "SELECT THREAD_ID, OBJECT_SCHEMA, OBJECT_NAME, INDEX_NAME, LOCK_TYPE, LOCK_MODE, LOCK_STATUS, LOCK_DATA "+
		"FROM performance_schema.data_locks ORDER BY LOCK_STATUS"))
	require.Equal(t, [][]string{{bID, aID}}, queryRows(t, db,
		"SELECT REQUESTING_THREAD_ID, BLOCKING_THREAD_ID FROM performance_schema.data_lock_waits"))
	require.Equal(t, [][]string{{aID, "RUNNING"}, {bID, "LOCK WAIT"}}, queryRows(t, db,
		"SELECT trx_mysql_thread_id, trx_state FROM information_schema.INNODB_TRX ORDER BY trx_mysql_thread_id"))

	mustExec(t, a, "COMMIT")
	require.NoError(t, await(t, blocked))
	mustExec(t, b, "COMMIT")
	require.Equal(t, "1", globalStatus(t, db, "Innodb_row_lock_waits"))
	require.Empty(t, queryRows(t, db, "SELECT * FROM performance_schema.data_locks"))

	// A deadlock shows in SHOW ENGINE INNODB STATUS and the metrics.
	mustExec(t, a, "BEGIN")
	mustExec(t, b, "BEGIN")
	mustExec(t, a, "UPDATE lk.t SET v = 3 WHERE id = 1")
	mustExec(t, b, "UPDATE lk.t SET v = 3 WHERE id = 2")
	first := async(a, "UPDATE lk.t SET v = 3 WHERE id = 2")
	requireWaiting(t, db, first, 1)
	requireErrCode(t, await(t, async(b, "UPDATE lk.t SET v = 3 WHERE id = 1")), 1213)
	require.NoError(t, await(t, first))
	mustExec(t, a, "COMMIT")
	rows := queryRows(t, db, "SHOW ENGINE INNODB STATUS")
	require.Len(t, rows, 1)
	require.Equal(t, "InnoDB", rows[0][0])
	require.Contains(t, rows[0][2], "LATEST DETECTED DEADLOCK")
	require.Contains(t, rows[0][2], "MySQL thread id "+bID)
	require.Contains(t, rows[0][2], "index PRIMARY of table `lk`.`t`")

	resp, err := http.Get("http://" + httpAddr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Contains(t, string(body), "guocedb_deadlocks_total 1\n")
	require.Contains(t, string(body), "guocedb_row_lock_waits_total 2\n")
}

// TestLockingPreparedClauses: the locking clauses MySQL 8 added (FOR
// SHARE, NOWAIT, SKIP LOCKED after FOR SHARE) work in server-side
// prepared statements too, which go-sql-driver uses for every query with
// arguments: vitess' parser, which reads COM_STMT_PREPARE first, does not
// know them.
func TestLockingPreparedClauses(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE lk")
	mustExec(t, db, "CREATE TABLE lk.jobs (id INT PRIMARY KEY, state VARCHAR(10))")
	for i := 1; i <= 3; i++ {
		mustExec(t, db, "INSERT INTO lk.jobs VALUES (?, 'new')", i)
	}
	a, b := conn(t, db), conn(t, db)
	mustExec(t, a, "BEGIN")
	require.Equal(t, "1", queryValue(t, a, "SELECT id FROM lk.jobs WHERE id = ? FOR UPDATE", 1))

	var n int
	err := b.QueryRowContext(context.Background(), "SELECT id FROM lk.jobs WHERE id = ? FOR UPDATE NOWAIT", 1).Scan(&n)
	requireErrCode(t, err, 3572)
	err = b.QueryRowContext(context.Background(), "SELECT id FROM lk.jobs WHERE id = ? FOR SHARE NOWAIT", 1).Scan(&n)
	requireErrCode(t, err, 3572)
	mustExec(t, b, "BEGIN")
	require.Equal(t, "2", queryValue(t, b, "SELECT id FROM lk.jobs WHERE id = ? FOR SHARE", 2))
	require.Equal(t, [][]string{{"2"}, {"3"}}, queryRows(t, b, "SELECT id FROM lk.jobs WHERE id IN (?, ?, ?) ORDER BY id FOR SHARE SKIP LOCKED", 1, 2, 3))
	require.Equal(t, [][]string{{"2"}}, queryRows(t, b, "SELECT id FROM lk.jobs WHERE id BETWEEN ? AND ? ORDER BY id FOR UPDATE OF jobs SKIP LOCKED", 1, 2))
	mustExec(t, b, "COMMIT")

	// FOR SHARE is shared: a's FOR SHARE of row 3 does not block b's.
	require.Equal(t, "3", queryValue(t, a, "SELECT id FROM lk.jobs WHERE id = ? FOR SHARE", 3))
	mustExec(t, b, "BEGIN")
	require.Equal(t, "3", queryValue(t, b, "SELECT id FROM lk.jobs WHERE id = ? LOCK IN SHARE MODE", 3))
	mustExec(t, b, "COMMIT")
	mustExec(t, a, "COMMIT")
}
