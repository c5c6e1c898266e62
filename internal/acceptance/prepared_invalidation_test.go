package acceptance

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPreparedStatementSeesChanges runs server-side prepared statements
// (COM_STMT_PREPARE, then COM_STMT_EXECUTE) across the changes a plan
// cache must not hide: a new index, a dropped column and a revoked
// privilege, each between two executes of one statement handle.
func TestPreparedStatementSeesChanges(t *testing.T) {
	addr, db := start(t)
	mustExec(t, db, "CREATE DATABASE ps")
	mustExec(t, db, "CREATE TABLE ps.t (id INT PRIMARY KEY, k INT, b VARCHAR(10))")
	mustExec(t, db, "INSERT INTO ps.t VALUES (1, 10, 'x'), (2, 20, 'y'), (3, 10, 'z')")

	// One connection, so that the statement handle stays on it.
	conn, err := db.Conn(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })

	prepared := func(t *testing.T, query string) *sql.Stmt {
		t.Helper()
		st, err := conn.PrepareContext(context.Background(), query)
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	ids := func(t *testing.T, st *sql.Stmt, args ...any) []int {
		t.Helper()
		rows, err := st.Query(args...)
		require.NoError(t, err)
		defer rows.Close()
		var out []int
		for rows.Next() {
			var id int
			require.NoError(t, rows.Scan(&id))
			out = append(out, id)
		}
		require.NoError(t, rows.Err())
		return out
	}

	t.Run("ADD INDEX between executes", func(t *testing.T) {
		st := prepared(t, "SELECT id FROM ps.t WHERE k = ? ORDER BY id")
		require.Equal(t, []int{1, 3}, ids(t, st, 10))
		mustExec(t, db, "ALTER TABLE ps.t ADD INDEX k (k)")
		require.Equal(t, []int{1, 3}, ids(t, st, 10))
		require.Equal(t, []int{2}, ids(t, st, 20))
		// The new index is used by the same statement text.
		plan := queryRows(t, conn, "EXPLAIN SELECT id FROM ps.t WHERE k = 10 ORDER BY id")
		require.NotEmpty(t, plan)
		require.Contains(t, plan[0], "k", "EXPLAIN row %v names the index k", plan[0])
	})

	t.Run("DROP COLUMN between executes fails, never stale", func(t *testing.T) {
		st := prepared(t, "SELECT id, b FROM ps.t WHERE id = ?")
		var id int
		var b string
		require.NoError(t, st.QueryRow(1).Scan(&id, &b))
		require.Equal(t, "x", b)
		mustExec(t, db, "ALTER TABLE ps.t DROP COLUMN b")
		_, err := st.Query(1)
		requireErrCode(t, err, 1054, "a dropped column must fail the execute")
	})

	t.Run("REVOKE between executes", func(t *testing.T) {
		mustExec(t, db, "CREATE USER 'psu'@'%' IDENTIFIED BY 'pw'")
		mustExec(t, db, "GRANT SELECT, INSERT ON ps.* TO 'psu'@'%'")
		udb := openAs(t, "psu", "pw", addr, "ps")
		uconn, err := udb.Conn(context.Background())
		require.NoError(t, err)
		t.Cleanup(func() { _ = uconn.Close() })
		st, err := uconn.PrepareContext(context.Background(), "SELECT id FROM ps.t WHERE id = ?")
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		require.Equal(t, []int{2}, ids(t, st, 2))
		// INSERT stays: the user keeps access to the database, as in MySQL
		// the SELECT alone is refused (1142).
		mustExec(t, db, "REVOKE SELECT ON ps.* FROM 'psu'@'%'")
		_, err = st.Query(2)
		requireErrCode(t, err, 1142, "a revoked privilege must fail the next execute")
	})
}
