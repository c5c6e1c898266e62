package custom_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/exporter/config"
	"github.com/guocedb/guocedb/internal/exporter/custom"
	"github.com/guocedb/guocedb/internal/exporter/datasource"
	"github.com/guocedb/guocedb/internal/exporter/testutil"
)

func TestRunAgainstMariaDB(t *testing.T) {
	m := testutil.StartMariaDB(t)
	spec := m.CreateUser(t, "maria", "exp", "pw", "db1")
	db, err := sql.Open("mysql", datasource.DSN(config.Source{Host: spec.Host, User: spec.User, Password: spec.Password,
		DBName: spec.DBName, QueryTimeout: 5 * time.Second}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()

	t.Run("rows and cap", func(t *testing.T) {
		tests := []struct {
			q         string
			max       int
			rows      int
			truncated bool
		}{
			{"SELECT v, COUNT(*) AS n FROM t GROUP BY v", 100, 2, false},
			{"SELECT seq FROM seq_1_to_500", 100, 100, true},
			{"SELECT seq FROM seq_1_to_5", 5, 5, false},
		}
		for _, tc := range tests {
			res, err := custom.Run(ctx, db, config.FlavorMariaDB, tc.q, 5*time.Second, tc.max)
			require.NoError(t, err, tc.q)
			require.Len(t, res.Rows, tc.rows, tc.q)
			require.Equal(t, tc.truncated, res.Truncated, tc.q)
		}
	})

	t.Run("server stops a slow statement", func(t *testing.T) {
		_, err := custom.Run(ctx, db, config.FlavorMariaDB, "SELECT SLEEP(10) AS s", 2*time.Second, 10)
		require.Error(t, err)
		var me *mysql.MySQLError
		require.True(t, errors.As(err, &me), "want a server error, got %v", err)
		require.Equal(t, uint16(1969), me.Number, "max_statement_time exceeded")
	})

	t.Run("client deadline without server support", func(t *testing.T) {
		start := time.Now()
		// Flavor guocedb: no server-side timeout, the client deadline ends it.
		_, err := custom.Run(ctx, db, config.FlavorGuocedb, "SELECT SLEEP(10) AS s", time.Second, 10)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Less(t, time.Since(start), 5*time.Second)
	})

	t.Run("write rejected before reaching the server", func(t *testing.T) {
		_, err := custom.Run(ctx, db, config.FlavorMariaDB, "DELETE FROM t", time.Second, 10)
		require.ErrorIs(t, err, custom.ErrNotReadOnly)
		var n int
		require.NoError(t, db.QueryRowContext(ctx, "SELECT COUNT(*) FROM t").Scan(&n))
		require.Equal(t, 3, n)
	})

	t.Run("transaction is read only", func(t *testing.T) {
		// The same transaction mode Run uses, as root so that privileges
		// cannot be the reason a write fails.
		tx, err := m.RootDB().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		require.NoError(t, err)
		defer func() { _ = tx.Rollback() }()
		_, err = tx.ExecContext(ctx, "INSERT INTO db1.t VALUES (9, 'z')")
		var me *mysql.MySQLError
		require.True(t, errors.As(err, &me), "want a server error, got %v", err)
		require.Equal(t, uint16(1792), me.Number, "cannot execute statement in a READ ONLY transaction")
	})
}
