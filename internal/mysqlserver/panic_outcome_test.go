package mysqlserver

import (
	"context"
	gosql "database/sql"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/storage"
)

// panicsWhenTyped is a function whose Type panics, as a bug inside
// go-mysql-server's planning would: the panic passes go-mysql-server's
// own recovery (which covers reading rows only) and reaches the handler.
type panicsWhenTyped struct{}

func (panicsWhenTyped) Resolved() bool                                           { return true }
func (panicsWhenTyped) Children() []sql.Expression                               { return nil }
func (panicsWhenTyped) Eval(*sql.Context, sql.Row) (any, error)                  { return nil, nil }
func (panicsWhenTyped) Type() sql.Type                                           { panic("planted panic") }
func (panicsWhenTyped) String() string                                           { return "guocedb_test_panic()" }
func (panicsWhenTyped) IsNullable() bool                                         { return true }
func (panicsWhenTyped) FunctionName() string                                     { return "guocedb_test_panic" }
func (panicsWhenTyped) Description() string                                      { return "panics (tests only)" }
func (p panicsWhenTyped) WithChildren(...sql.Expression) (sql.Expression, error) { return p, nil }

// TestPanicCountsAsFailedStatement: a statement that panics inside
// go-mysql-server answers 1105 and is counted as failed, in the digest
// summary (performance_schema, read over the wire) like any failed
// statement, in the text protocol and in a multi-statement query.
func TestPanicCountsAsFailedStatement(t *testing.T) {
	store, err := storage.Open(t.TempDir(), storage.DefaultOptions(), nil)
	require.NoError(t, err)
	// The panic is planted: this test's logger does not fail it.
	srv, err := New(Config{Addr: "127.0.0.1:0", Version: "test"}, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	srv.Engine().Analyzer.Catalog.RegisterFunction(sql.NewEmptyContext(), sql.Function0{
		Name: "guocedb_test_panic",
		Fn:   func() sql.Expression { return panicsWhenTyped{} },
	})
	go func() { _ = srv.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, srv.Shutdown(ctx))
		require.NoError(t, store.Close())
	})
	db, err := gosql.Open("mysql", "root:@tcp("+srv.Addr().String()+")/?multiStatements=true")
	require.NoError(t, err)
	defer db.Close()

	for _, q := range []string{"SELECT guocedb_test_panic()", "SELECT guocedb_test_panic(); SELECT 1"} {
		_, err = db.Exec(q)
		var me *mysql.MySQLError
		require.True(t, errors.As(err, &me), "%v", err)
		require.EqualValues(t, 1105, me.Number)
		require.Contains(t, me.Message, "internal error")
	}
	var calls, failed int
	require.NoError(t, db.QueryRow(`SELECT SUM(COUNT_STAR), SUM(SUM_ERRORS) FROM performance_schema.events_statements_summary_by_digest
		WHERE DIGEST_TEXT LIKE '%GUOCEDB_TEST_PANIC%'`).Scan(&calls, &failed))
	require.Equal(t, 2, calls)
	require.Equal(t, 2, failed, "a panicking statement is a failed statement")
	require.NoError(t, db.Ping())
}
