package backend_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/backend"
	"github.com/guocedb/guocedb/internal/mysqlserver"
	"github.com/guocedb/guocedb/internal/storage"
)

// benchEngine opens an engine over a fresh directory with table
// bench.t(id BIGINT PRIMARY KEY, k INT, c VARCHAR(120), KEY(k)) of n rows.
func benchEngine(b *testing.B, n int) (*sqle.Engine, func() *sql.Context) {
	b.Helper()
	dir := b.TempDir()
	engine, newCtx, closeAll := openBenchEngine(b, dir)
	load(b, engine, newCtx(), n)
	// Reopen (flushing the memtables) and compact, so that the load's
	// background compactions do not run inside the timed loop.
	closeAll()
	engine, newCtx, closeAll = openBenchEngine(b, dir)
	b.Cleanup(closeAll)
	return engine, newCtx
}

func openBenchEngine(b *testing.B, dir string) (*sqle.Engine, func() *sql.Context, func()) {
	b.Helper()
	store, err := storage.Open(dir, storage.DefaultOptions(), nil)
	require.NoError(b, err)
	require.NoError(b, store.Compact())
	engine, provider, err := mysqlserver.NewEngine(context.Background(), store, "", "bench", nil)
	require.NoError(b, err)
	closeAll := func() {
		require.NoError(b, provider.Close())
		require.NoError(b, store.Close())
	}
	newCtx := func() *sql.Context {
		base := sql.NewBaseSessionWithClientServer("bench", sql.Client{Address: "localhost", User: "root"}, 1)
		ctx := sql.NewContext(context.Background(), sql.WithSession(backend.NewSession(base, provider)))
		ctx.SetCurrentDatabase("bench")
		return ctx
	}
	return engine, newCtx, closeAll
}

func load(b *testing.B, engine *sqle.Engine, ctx *sql.Context, n int) {
	b.Helper()
	run(b, engine, ctx, "CREATE DATABASE bench")
	run(b, engine, ctx, "CREATE TABLE t (id BIGINT PRIMARY KEY, k INT NOT NULL, c VARCHAR(120) NOT NULL, KEY k (k))")
	const batch = 2000
	for lo := 0; lo < n; lo += batch {
		var sb strings.Builder
		sb.WriteString("INSERT INTO t VALUES ")
		for i := lo; i < min(lo+batch, n); i++ {
			if i > lo {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, "(%d,%d,'%064d')", i, i%1000, i)
		}
		run(b, engine, ctx, sb.String())
	}
}

// run executes q with its text in the context, as the server's handler
// gives it (the backend looks at it: rowcount.go).
func run(b *testing.B, e *sqle.Engine, ctx *sql.Context, q string) []sql.Row {
	b.Helper()
	ctx = ctx.WithQuery(q)
	_, it, _, err := e.Query(ctx, q)
	require.NoError(b, err)
	rows, err := sql.RowIterToRows(ctx, it)
	require.NoError(b, err)
	return rows
}

// BenchmarkPointSelect shows that a primary key lookup is a key-range scan:
// its cost must not grow with the table (compare rows=1000 with
// rows=1000000).
func BenchmarkPointSelect(b *testing.B) {
	for _, n := range []int{1_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			e, newCtx := benchEngine(b, n)
			ctx := newCtx()
			run(b, e, ctx, "SELECT c FROM t WHERE id = 0") // warm up the plan caches
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rows := run(b, e, ctx, fmt.Sprintf("SELECT c FROM t WHERE id = %d", (i*7919)%n))
				if len(rows) != 1 {
					b.Fatalf("got %d rows", len(rows))
				}
			}
		})
	}
}

// BenchmarkSecondaryRange reads 100 rows through the secondary index k.
func BenchmarkSecondaryRange(b *testing.B) {
	e, newCtx := benchEngine(b, 100_000)
	ctx := newCtx()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rows := run(b, e, ctx, fmt.Sprintf("SELECT id FROM t WHERE k = %d", i%1000))
		if len(rows) != 100 {
			b.Fatalf("got %d rows", len(rows))
		}
	}
}

// BenchmarkInsert commits one row per statement (autocommit, durable).
func BenchmarkInsert(b *testing.B) {
	e, newCtx := benchEngine(b, 0)
	ctx := newCtx()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run(b, e, ctx, fmt.Sprintf("INSERT INTO t VALUES (%d, %d, 'x')", i, i%1000))
	}
}
