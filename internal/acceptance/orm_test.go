package acceptance

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// TestLockingClauses covers MySQL 8's locking reads as ORMs write them
// (GORM's clause.Locking): FOR SHARE, OF, NOWAIT and SKIP LOCKED, in text
// queries and prepared statements.
func TestLockingClauses(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE lk")
	mustExec(t, db, "CREATE TABLE lk.t (id INT PRIMARY KEY, v INT)")
	mustExec(t, db, "INSERT INTO lk.t VALUES (1, 10), (2, 20)")

	for _, q := range []string{
		"SELECT v FROM lk.t WHERE id = 2 FOR SHARE",
		"SELECT v FROM lk.t WHERE id = 2 for share nowait",
		"SELECT v FROM lk.t WHERE id = 2 FOR SHARE SKIP LOCKED",
		"SELECT v FROM lk.t WHERE id = 2 FOR SHARE OF t",
		"SELECT v FROM lk.t WHERE id = 2 FOR UPDATE NOWAIT",
		"SELECT v FROM lk.t WHERE id = 2 FOR UPDATE OF t SKIP LOCKED",
		"SELECT v FROM lk.t WHERE id = 2 LOCK IN SHARE MODE",
	} {
		require.Equal(t, [][]string{{"20"}}, queryRows(t, db, q), q)
		// PREPARE ... FROM and EXECUTE in SQL.
		c := conn(t, db)
		mustExec(t, c, "PREPARE s FROM '"+strings.Replace(q, "id = 2", "id = ?", 1)+"'")
		mustExec(t, c, "SET @id = 2")
		require.Equal(t, [][]string{{"20"}}, queryRows(t, c, "EXECUTE s USING @id"), "PREPARE: "+q)
		require.NoError(t, c.Close())
	}

	t.Run("binary protocol prepared statement", func(t *testing.T) {
		knownGap(t, "COM_STMT_PREPARE is parsed by go-mysql-server's wire layer (vitess) before guocedb sees it; FOR SHARE, NOWAIT and OF fail there with 1064")
		require.Equal(t, [][]string{{"20"}}, queryRows(t, db, "SELECT v FROM lk.t WHERE id = ? FOR SHARE", 2))
	})

	t.Run("inside a transaction", func(t *testing.T) {
		c := conn(t, db)
		mustExec(t, c, "BEGIN")
		require.Equal(t, "10", queryValue(t, c, "SELECT v FROM lk.t WHERE id = 1 FOR SHARE"))
		mustExec(t, c, "UPDATE lk.t SET v = v + 1 WHERE id = 1")
		mustExec(t, c, "COMMIT")
		require.Equal(t, "11", queryValue(t, db, "SELECT v FROM lk.t WHERE id = 1"))
	})

	t.Run("text that only looks like a clause is kept", func(t *testing.T) {
		require.Equal(t, "x FOR SHARE", queryValue(t, db, "SELECT 'x FOR SHARE'"))
		requireErrCode(t, queryErr(db, "SELECT v FROM lk.t FOR SHARE OF"), 1064)
	})
}

// TestSQLStates checks that errors carry MySQL's SQLSTATE, not the generic
// HY000: applications and ORMs classify errors by it (23000 is an
// integrity constraint violation, 42S02 a missing table).
func TestSQLStatesForORMs(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE st")
	mustExec(t, db, "CREATE TABLE st.p (id INT PRIMARY KEY)")
	mustExec(t, db, "CREATE TABLE st.c (id INT PRIMARY KEY, p INT NOT NULL, FOREIGN KEY (p) REFERENCES st.p (id))")
	mustExec(t, db, "INSERT INTO st.p VALUES (1)")
	mustExec(t, db, "INSERT INTO st.c VALUES (1, 1)")

	cases := []struct {
		query string
		code  uint16
		state string
	}{
		{"INSERT INTO st.p VALUES (1)", 1062, "23000"},
		{"INSERT INTO st.c VALUES (2, 99)", 1452, "23000"},
		{"DELETE FROM st.p WHERE id = 1", 1451, "23000"},
		{"INSERT INTO st.c VALUES (3, NULL)", 1048, "23000"},
		{"SELECT * FROM st.nosuch", 1146, "42S02"},
		{"SELECT * FROM nosuchdb.t", 1049, "42000"},
		{"SELECT nosuch FROM st.p", 1054, "42S22"},
		{"CREATE TABLE st.p (id INT)", 1050, "42S01"},
		{"SELEC 1", 1064, "42000"},
	}
	for _, tc := range cases {
		err := queryErr(db, tc.query)
		requireErrCode(t, err, tc.code, tc.query)
		var me *mysql.MySQLError
		require.True(t, errors.As(err, &me))
		require.Equal(t, tc.state, string(me.SQLState[:]), tc.query)
	}
}

// TestDecimalDefaultsInInformationSchema checks information_schema.columns
// shows a DECIMAL default with the column's scale, as MySQL does: schema
// migrators (GORM's AutoMigrate) compare it with the model's default.
func TestDecimalDefaultsInInformationSchema(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE dd")
	mustExec(t, db, `CREATE TABLE dd.t (
		id INT PRIMARY KEY,
		a DECIMAL(10,3) DEFAULT 0,
		b DECIMAL(5,2) NOT NULL DEFAULT '1.5',
		c DECIMAL(6,0) DEFAULT 42,
		d DECIMAL(8,4) DEFAULT -0.5,
		e DECIMAL(8,2),
		f DECIMAL(8,2) DEFAULT (1 + 1),
		g DOUBLE DEFAULT 0.5)`)
	require.Equal(t, [][]string{
		{"id", null}, {"a", "0.000"}, {"b", "1.50"}, {"c", "42"}, {"d", "-0.5000"}, {"e", null}, {"f", "(1 + 1)"}, {"g", "0.5"},
	}, queryRows(t, db, "SELECT column_name, column_default FROM information_schema.columns "+
		"WHERE table_schema = 'dd' AND table_name = 't' ORDER BY ordinal_position"))
}

// TestConcurrentAutocommitUpdates checks that autocommit updates of one row
// from many connections all succeed, as they do in MySQL (which serialises
// them on the row lock): guocedb re-runs a statement whose commit lost a
// write-write race.
func TestConcurrentAutocommitUpdates(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE cu")
	mustExec(t, db, "CREATE TABLE cu.t (id INT PRIMARY KEY, n INT NOT NULL)")
	mustExec(t, db, "INSERT INTO cu.t VALUES (1, 0)")
	db.SetMaxOpenConns(8)
	const workers, each = 4, 25
	errs := make(chan error, 2*workers*each)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				// Text protocol, then a prepared statement.
				errs <- execErr(db, "UPDATE cu.t SET n = n + 1 WHERE id = 1")
				errs <- execErr(db, "UPDATE cu.t SET n = n + ? WHERE id = ?", 1, 1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, "200", queryValue(t, db, "SELECT n FROM cu.t WHERE id = 1"))

	t.Run("an autocommit update waits for an explicit transaction", func(t *testing.T) {
		a, b := conn(t, db), conn(t, db)
		mustExec(t, a, "BEGIN")
		mustExec(t, a, "SELECT n FROM cu.t WHERE id = 1")
		mustExec(t, a, "UPDATE cu.t SET n = 0 WHERE id = 1")
		waiting := async(b, "UPDATE cu.t SET n = n + 1 WHERE id = 1")
		requireWaiting(t, db, waiting, 1)
		mustExec(t, a, "COMMIT")
		require.NoError(t, await(t, waiting))
		require.Equal(t, "1", queryValue(t, db, "SELECT n FROM cu.t WHERE id = 1"), "b's increment on top of a's commit")
		mustExec(t, a, "UPDATE cu.t SET n = n + 1 WHERE id = 1")
		require.Equal(t, "2", queryValue(t, b, "SELECT n FROM cu.t WHERE id = 1"))
		require.Equal(t, "1", queryValue(t, a, "SELECT @@autocommit"))
	})
}

// TestWriteTransactionsQueueOnRowLocks checks the transaction shape ORMs
// give every write (BEGIN, INSERT/UPDATE/DELETE, COMMIT) against a
// concurrent writer of the same row: the second waits for the first's row
// lock and applies its change on top of the first's commit, whatever the
// first read or wrote (before row locks, guocedb replayed the first at a
// failed COMMIT, or failed it with 1213).
func TestWriteTransactionsQueueOnRowLocks(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE rp")
	mustExec(t, db, "CREATE TABLE rp.t (id INT PRIMARY KEY, n INT NOT NULL)")
	mustExec(t, db, "CREATE TABLE rp.log (id INT PRIMARY KEY AUTO_INCREMENT, msg VARCHAR(20))")
	mustExec(t, db, "INSERT INTO rp.t VALUES (1, 0)")
	value := func() string { return queryValue(t, db, "SELECT n FROM rp.t WHERE id = 1") }

	t.Run("prepared and text updates", func(t *testing.T) {
		a, b := conn(t, db), conn(t, db)
		mustExec(t, a, "START TRANSACTION")
		res := mustExec(t, a, "UPDATE rp.t SET n = n + ? WHERE id = ?", 10, 1) // prepared
		n, err := res.RowsAffected()
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		mustExec(t, a, "UPDATE rp.t SET n = n + 1 WHERE id = 1") // text
		waiting := async(b, "UPDATE rp.t SET n = n + 100 WHERE id = 1")
		requireWaiting(t, db, waiting, 1)
		mustExec(t, a, "COMMIT")
		require.NoError(t, await(t, waiting))
		require.Equal(t, "111", value(), "both transactions' increments")
	})

	t.Run("a conditional update sees the waiter's row after the commit", func(t *testing.T) {
		a, b := conn(t, db), conn(t, db)
		mustExec(t, a, "BEGIN")
		mustExec(t, a, "UPDATE rp.t SET n = 5 WHERE id = 1 AND n = 111")
		waiting := async(b, "UPDATE rp.t SET n = 7 WHERE id = 1 AND n = 5")
		requireWaiting(t, db, waiting, 1)
		mustExec(t, a, "COMMIT")
		require.NoError(t, await(t, waiting))
		require.Equal(t, "7", value(), "b's WHERE is evaluated on a's committed row")
	})

	t.Run("inserts with auto-increment ids do not wait", func(t *testing.T) {
		a, b := conn(t, db), conn(t, db)
		mustExec(t, a, "BEGIN")
		mustExec(t, a, "INSERT INTO rp.log (msg) VALUES ('a')")
		mustExec(t, a, "UPDATE rp.t SET n = n + 1 WHERE id = 1")
		mustExec(t, b, "BEGIN")
		mustExec(t, b, "INSERT INTO rp.log (msg) VALUES ('b')")
		waiting := async(b, "UPDATE rp.t SET n = n + 1 WHERE id = 1")
		requireWaiting(t, db, waiting, 1)
		mustExec(t, a, "COMMIT")
		require.NoError(t, await(t, waiting))
		mustExec(t, b, "COMMIT")
		require.Equal(t, "9", value())
		require.Equal(t, [][]string{{"a"}, {"b"}}, queryRows(t, db, "SELECT msg FROM rp.log ORDER BY id"))
	})

	t.Run("a read in the transaction does not lose the other's update", func(t *testing.T) {
		a, b := conn(t, db), conn(t, db)
		mustExec(t, a, "BEGIN")
		require.Equal(t, "9", queryValue(t, a, "SELECT n FROM rp.t WHERE id = 1"))
		mustExec(t, b, "UPDATE rp.t SET n = n + 1 WHERE id = 1")
		mustExec(t, a, "UPDATE rp.t SET n = n + 1 WHERE id = 1")
		require.Equal(t, "11", queryValue(t, a, "SELECT n FROM rp.t WHERE id = 1"), "a's update read b's commit (current read); a sees its own write")
		mustExec(t, a, "COMMIT")
		require.Equal(t, "11", value(), "a's update applied on top of b's")
	})
}

// TestDropConstraintOfUniqueKey checks ALTER TABLE ... DROP CONSTRAINT on a
// UNIQUE key drops it, as in MySQL 8.0.19+ (GORM's AutoMigrate does this
// when a `unique` tag goes away); foreign keys and checks still drop the
// same way, and an unknown name is still an error.
func TestDropConstraintOfUniqueKey(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE dc")
	mustExec(t, db, "CREATE TABLE dc.p (id INT PRIMARY KEY)")
	mustExec(t, db, `CREATE TABLE dc.t (id INT PRIMARY KEY, a INT, p INT,
		CONSTRAINT uq_a UNIQUE (a), CONSTRAINT ck_a CHECK (a > 0), CONSTRAINT fk_p FOREIGN KEY (p) REFERENCES dc.p (id))`)
	mustExec(t, db, "INSERT INTO dc.t VALUES (1, 5, NULL)")
	requireErrCode(t, execErr(db, "INSERT INTO dc.t VALUES (2, 5, NULL)"), 1062)

	mustExec(t, db, "ALTER TABLE dc.t DROP CONSTRAINT uq_a")
	mustExec(t, db, "INSERT INTO dc.t VALUES (2, 5, NULL)")
	require.Equal(t, [][]string{{"PRIMARY"}, {"fk_p"}}, queryRows(t, db,
		"SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema = 'dc' AND table_name = 't' ORDER BY index_name = 'PRIMARY' DESC, index_name"))

	mustExec(t, db, "ALTER TABLE dc.t DROP CONSTRAINT ck_a")
	mustExec(t, db, "INSERT INTO dc.t VALUES (3, -1, NULL)")
	mustExec(t, db, "ALTER TABLE dc.t DROP CONSTRAINT fk_p")
	mustExec(t, db, "INSERT INTO dc.t VALUES (4, 1, 99)")
	require.Error(t, execErr(db, "ALTER TABLE dc.t DROP CONSTRAINT nosuch"))
	require.Error(t, execErr(db, "ALTER TABLE dc.t DROP CONSTRAINT `PRIMARY`"))
	require.Equal(t, "4", queryValue(t, db, "SELECT COUNT(*) FROM dc.t"))
}
