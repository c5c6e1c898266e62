package backend_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/backend"
	"github.com/guocedb/guocedb/internal/mysqlserver"
	"github.com/guocedb/guocedb/internal/storage"
)

// TestLockTableFull: past the lock table's bound a locking statement fails
// with InnoDB's 1206 instead of growing the table, and the statement's
// locks go with its transaction.
func TestLockTableFull(t *testing.T) {
	opts := storage.DefaultOptions()
	opts.SyncWrites = false
	opts.MaxLocks = 5
	store, err := storage.Open(t.TempDir(), opts, nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, store.Close()) })
	engine, provider, err := mysqlserver.NewEngine(context.Background(), store, "", "test", nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, provider.Close()) })
	base := sql.NewBaseSessionWithClientServer("test", sql.Client{Address: "localhost", User: "root"}, 1)
	ctx := sql.NewContext(context.Background(), sql.WithSession(backend.NewSession(base, provider)))
	query := func(q string) error {
		qctx := ctx.WithQuery(q)
		_, it, _, err := engine.Query(qctx, q)
		if err != nil {
			return err
		}
		_, err = sql.RowIterToRows(qctx, it)
		return err
	}
	require.NoError(t, query("CREATE DATABASE d"))
	require.NoError(t, query("CREATE TABLE d.t (id INT PRIMARY KEY)"))
	require.NoError(t, query("INSERT INTO d.t VALUES (1), (2), (3), (4)"))
	require.NoError(t, query("INSERT INTO d.t VALUES (5), (6), (7), (8)"))
	var se *mysql.SQLError
	err = query("INSERT INTO d.t VALUES (9), (10), (11), (12), (13), (14)")
	require.True(t, errors.As(sql.CastSQLError(err), &se), "%v", err)
	require.EqualValues(t, mysql.ERLockTableFull, se.Num, "an insert locks its keys too")

	err = query("SELECT * FROM d.t FOR UPDATE")
	require.True(t, errors.As(sql.CastSQLError(err), &se), "%v", err)
	require.EqualValues(t, mysql.ERLockTableFull, se.Num, "%v", err)
	require.NoError(t, query("SELECT * FROM d.t WHERE id <= 3 FOR UPDATE"), "the failed statement's locks are gone")
	require.LessOrEqual(t, store.Locks().Entries(), 5)
}
