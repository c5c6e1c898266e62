package mysqlserver

import (
	"context"
	gosql "database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/storage"
)

// BenchmarkPlanCacheWire runs sysbench's statements over the wire, one
// connection, with the plan cache on and off (plan-cache-size 0): text
// and prepared point lookups, and text inserts (commits without fsync,
// so that the statement's own cost shows).
func BenchmarkPlanCacheWire(b *testing.B) {
	for _, cache := range []struct {
		name string
		size int
	}{{"cache", 0}, {"nocache", -1}} {
		b.Run(cache.name, func(b *testing.B) {
			db := benchServer(b, cache.size)
			exec := func(q string) {
				_, err := db.Exec(q)
				require.NoError(b, err)
			}
			exec("CREATE DATABASE sb")
			exec("CREATE TABLE sb.t (id INT PRIMARY KEY, k INT NOT NULL, c CHAR(120) NOT NULL, pad CHAR(60) NOT NULL, KEY k (k))")
			for i := 1; i <= 1000; i++ {
				exec(fmt.Sprintf("INSERT INTO sb.t VALUES (%d, %d, 'c%d', 'p%d')", i, i, i, i))
			}
			b.Run("point_select_text", func(b *testing.B) {
				b.ReportAllocs()
				var c string
				for i := 0; i < b.N; i++ {
					require.NoError(b, db.QueryRow(fmt.Sprintf("SELECT c FROM sb.t WHERE id = %d", 1+i%1000)).Scan(&c))
				}
			})
			b.Run("point_select_prepared", func(b *testing.B) {
				st, err := db.Prepare("SELECT c FROM sb.t WHERE id = ?")
				require.NoError(b, err)
				defer st.Close()
				b.ReportAllocs()
				b.ResetTimer()
				var c string
				for i := 0; i < b.N; i++ {
					require.NoError(b, st.QueryRow(1+i%1000).Scan(&c))
				}
			})
			next := 100000 // ids go on across the benchmark's runs
			b.Run("insert_text", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					next++
					exec(fmt.Sprintf("INSERT INTO sb.t (id, k, c, pad) VALUES (%d, %d, 'aaaaaaaaaa-%d', 'bbbbbbbb-%d')", next, i, i, i))
				}
			})
		})
	}
}

// benchServer runs a server without fsync on a temporary directory and
// returns a pool of one connection to it; planCacheSize as Config's.
func benchServer(b *testing.B, planCacheSize int) *gosql.DB {
	b.Helper()
	opts := storage.DefaultOptions()
	opts.SyncWrites = false
	store, err := storage.Open(b.TempDir(), opts, nil)
	require.NoError(b, err)
	srv, err := New(Config{Addr: "127.0.0.1:0", Version: "test", PlanCacheSize: planCacheSize}, store, nil)
	require.NoError(b, err)
	go func() { _ = srv.Serve() }()
	db, err := gosql.Open("mysql", "root:@tcp("+srv.Addr().String()+")/")
	require.NoError(b, err)
	db.SetMaxOpenConns(1)
	b.Cleanup(func() {
		_ = db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = store.Close()
	})
	return db
}
