package acceptance

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// TestReadingAViewKeepsTheTransaction reads a view inside a transaction:
// go-mysql-server v0.20.0 flagged such a statement as DDL (it parses the
// view's CREATE VIEW) and committed the transaction after it, so ROLLBACK
// kept the writes and savepoints vanished (mariadb-dump
// --single-transaction failed with 1305 at the first view). DDL itself
// still commits implicitly, as in MySQL.
func TestReadingAViewKeepsTheTransaction(t *testing.T) {
	_, db := testutil.StartServer(t)
	mustExec(t, db, "CREATE DATABASE vt")
	mustExec(t, db, "CREATE TABLE vt.t (id INT PRIMARY KEY)")
	mustExec(t, db, "INSERT INTO vt.t VALUES (1)")
	mustExec(t, db, "CREATE VIEW vt.v AS SELECT id FROM vt.t")

	ctx := context.Background()
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	mustExec(t, conn, "USE vt")

	for _, read := range []string{
		"SELECT * FROM v",
		"SELECT COUNT(*) FROM (SELECT id FROM v) s",
		"SHOW CREATE TABLE v",
		"SHOW FIELDS FROM v",
		"DESCRIBE v",
	} {
		t.Run(read, func(t *testing.T) {
			mustExec(t, conn, "START TRANSACTION")
			mustExec(t, conn, "INSERT INTO t VALUES (2)")
			mustExec(t, conn, "SAVEPOINT sp")
			queryRows(t, conn, read)
			mustExec(t, conn, "ROLLBACK TO SAVEPOINT sp")
			mustExec(t, conn, "ROLLBACK")
			require.Equal(t, [][]string{{"1"}}, queryRows(t, conn, "SELECT id FROM t ORDER BY id"))
		})
	}

	t.Run("DDL still commits", func(t *testing.T) {
		mustExec(t, conn, "START TRANSACTION")
		mustExec(t, conn, "INSERT INTO t VALUES (3)")
		mustExec(t, conn, "CREATE VIEW v2 AS SELECT id FROM v")
		mustExec(t, conn, "ROLLBACK")
		require.Equal(t, [][]string{{"1"}, {"3"}}, queryRows(t, conn, "SELECT id FROM v2 ORDER BY id"))
	})
}
