package acceptance

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"

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
		knownGap(t, "vitess parses COM_STMT_PREPARE itself and does not know DO")
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
