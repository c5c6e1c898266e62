package backend_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/backend"
	"github.com/guocedb/guocedb/internal/mysqlserver"
	"github.com/guocedb/guocedb/internal/storage"
)

// exec runs q in ctx (with its text, as the server does) and returns the
// rows.
func exec(t *testing.T, e *sqle.Engine, ctx *sql.Context, q string) []sql.Row {
	t.Helper()
	ctx = ctx.WithQuery(q)
	_, it, _, err := e.Query(ctx, q)
	require.NoError(t, err, q)
	rows, err := sql.RowIterToRows(ctx, it)
	require.NoError(t, err, q)
	return rows
}

// countState returns COUNT(*) of table, whether it came from the exact
// row count (table_count), and the number of rows by scan.
func countState(t *testing.T, e *sqle.Engine, ctx *sql.Context, table string) (count int64, exact bool, scanned int64) {
	t.Helper()
	var plan strings.Builder
	for _, r := range exec(t, e, ctx, "EXPLAIN PLAN SELECT * FROM (SELECT COUNT(*) FROM "+table+") d") {
		fmt.Fprintln(&plan, r[0])
	}
	count = exec(t, e, ctx, "SELECT COUNT(*) FROM "+table)[0][0].(int64)
	s := exec(t, e, ctx, "SELECT SUM(1) FROM "+table)[0][0]
	if s != nil {
		_, err := fmt.Sscan(fmt.Sprint(s), &scanned)
		require.NoError(t, err)
	}
	return count, strings.Contains(plan.String(), "table_count("), scanned
}

// countKeys lists the row count keys of every table ('t' <id> 'n' ...).
func countKeys(t *testing.T, store *storage.Store) [][]byte {
	t.Helper()
	txn := store.Begin()
	defer txn.Discard()
	it, err := txn.NewIterator(storage.IterOptions{Start: []byte{'t'}, End: []byte{'u'}, KeysOnly: true})
	require.NoError(t, err)
	defer it.Close()
	var out [][]byte
	for ; it.Valid(); it.Next() {
		if k := it.Key(); len(k) == 1+8+1+16 && k[9] == 'n' {
			out = append(out, append([]byte(nil), k...))
		}
	}
	require.NoError(t, it.Err())
	return out
}

// waitFor polls cond for at most 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRowCountFoldAndInitialise checks the background work behind exact
// row counts: many commits are folded into the base while writers keep
// going, and a table without a base (as an older guocedb leaves it) gets
// one from a scan, with deltas written before and during it.
func TestRowCountFoldAndInitialise(t *testing.T) {
	dir := t.TempDir()
	store, err := storage.Open(dir, storage.DefaultOptions(), nil)
	require.NoError(t, err)
	engine, newCtx, closeAll := openTestEngine(t, store)
	defer closeAll()
	ctx := newCtx()
	exec(t, engine, ctx, "CREATE DATABASE bench")
	exec(t, engine, ctx, "CREATE TABLE t (id INT PRIMARY KEY, w INT)")

	// Concurrent writers, each commit with a delta: more than enough
	// commits for several folds while they run.
	const workers, perWorker = 4, 150
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := newCtx()
			for i := 0; i < perWorker; i++ {
				exec(t, engine, c, fmt.Sprintf("INSERT INTO t VALUES (%d, %d)", w*1000+i, w))
				if i%5 == 0 {
					exec(t, engine, c, fmt.Sprintf("DELETE FROM t WHERE id = %d", w*1000+i))
				}
			}
		}(w)
	}
	wg.Wait()
	want := int64(workers * (perWorker - perWorker/5))
	// 720 commits with deltas: folds after every 256 leave fewer than
	// 256 (plus those committed while a fold ran) unfolded.
	waitFor(t, "the folds", func() bool { return len(countKeys(t, store)) <= 256+workers })
	n, exact, scanned := countState(t, engine, ctx, "t")
	require.True(t, exact, "COUNT(*) answered from the row count")
	require.Equal(t, want, n)
	require.Equal(t, want, scanned)

	// Drop the base, as a table written by an older guocedb has none.
	keys := countKeys(t, store)
	require.NotEmpty(t, keys)
	require.True(t, bytes.Equal(keys[0][10:], make([]byte, 16)), "the base sorts first")
	require.NoError(t, store.DirectCommit(context.Background(), &storage.WriteSet{Mutations: []storage.Mutation{{Key: keys[0], Delete: true}}}))
	exec(t, engine, ctx, "INSERT INTO t VALUES (-1, 0), (-2, 0)")
	want += 2
	n, exact, _ = countState(t, engine, ctx, "t")
	require.False(t, exact, "no exact count without a base")
	require.Equal(t, want, n)
	waitFor(t, "the base", func() bool {
		_, exact, _ := countState(t, engine, ctx, "t")
		return exact
	})
	exec(t, engine, ctx, "DELETE FROM t WHERE id = -1")
	want--
	n, exact, scanned = countState(t, engine, ctx, "t")
	require.True(t, exact)
	require.Equal(t, want, n)
	require.Equal(t, want, scanned)
}

// openTestEngine is an engine over store with current database bench.
func openTestEngine(t *testing.T, store *storage.Store) (*sqle.Engine, func() *sql.Context, func()) {
	t.Helper()
	engine, provider, err := mysqlserver.NewEngine(context.Background(), store, "", "bench", nil)
	require.NoError(t, err)
	closeAll := func() {
		require.NoError(t, provider.Close())
		require.NoError(t, store.Close())
	}
	newCtx := func() *sql.Context {
		base := sql.NewBaseSessionWithClientServer("test", sql.Client{Address: "localhost", User: "root"}, 1)
		ctx := sql.NewContext(context.Background(), sql.WithSession(backend.NewSession(base, provider)))
		ctx.SetCurrentDatabase("bench")
		return ctx
	}
	return engine, newCtx, closeAll
}
