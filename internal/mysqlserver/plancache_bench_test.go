package mysqlserver

import (
	"context"
	gosql "database/sql"
	"fmt"
	"sync/atomic"
	"syscall"
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
	return benchServerWith(b, planCacheSize, nil)
}

// benchServerWith is benchServer with set, when not nil, run on the
// server before it serves.
func benchServerWith(b *testing.B, planCacheSize int, set func(*Server)) *gosql.DB {
	b.Helper()
	opts := storage.DefaultOptions()
	opts.SyncWrites = false
	store, err := storage.Open(b.TempDir(), opts, nil)
	require.NoError(b, err)
	srv, err := New(Config{Addr: "127.0.0.1:0", Version: "test", PlanCacheSize: planCacheSize}, store, nil)
	require.NoError(b, err)
	if set != nil {
		set(srv)
	}
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

// BenchmarkInsertWireParallel is sysbench's oltp_insert over the wire: 8
// connections, each sending text INSERTs of an auto_increment id (0)
// and random values into a sysbench table with a secondary index,
// commits without fsync so that the statement's CPU shows. Run with
// -cpuprofile to see where an insert's time goes.
func BenchmarkInsertWireParallel(b *testing.B) {
	for _, fast := range []bool{true, false} {
		name := "spoolInsert"
		if !fast {
			name = "executor"
		}
		b.Run(name, func(b *testing.B) { benchInsertWire(b, fast) })
	}
}

func benchInsertWire(b *testing.B, fast bool) {
	var srv *Server
	db := benchServerWith(b, 0, func(s *Server) { srv = s; s.h.noFastInsert.Store(!fast) })
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	_, err := db.Exec("CREATE DATABASE sb")
	require.NoError(b, err)
	_, err = db.Exec("CREATE TABLE sb.sbtest1 (id INTEGER NOT NULL AUTO_INCREMENT, k INTEGER DEFAULT '0' NOT NULL, " +
		"c CHAR(120) DEFAULT '' NOT NULL, pad CHAR(60) DEFAULT '' NOT NULL, PRIMARY KEY (id), KEY k_1 (k))")
	require.NoError(b, err)
	const c = "68487932199-96439406143-93774651418-41631865787-96406072701-20604855487-25459966574-28203206787-41238978918-19503783441"
	const pad = "22195207048-70116052123-74140395089-76317954521-98694025897"
	var seq atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(4) // 8 connections on 2 cores, as sysbench --threads 8
	cpu0 := processCPU(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := seq.Add(1)
			_, err := db.Exec(fmt.Sprintf("INSERT INTO sb.sbtest1 (id, k, c, pad) VALUES (%d, %d, '%s', '%s')", 0, k%50000, c, pad))
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(srv.h.fastInserts.Load())/float64(b.N), "spooled/op")
	// CPU time (server and client, this process) is steadier than
	// wall time on a shared machine.
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// processCPU is the user and system CPU time this process used so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
