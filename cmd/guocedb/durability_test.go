package main

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// Bounds of the durability workload.
const (
	durWorkers   = 8
	durMaxRows   = 5000            // attempts over all workers
	durMaxTime   = 3 * time.Second // writing time before the kill at the latest
	durKillAfter = 1500 * time.Millisecond
)

// TestDurabilityKill9 is acceptance item 8: every INSERT acknowledged to a
// client survives kill -9, and nothing appears that was never attempted.
func TestDurabilityKill9(t *testing.T) {
	bin := testutil.BuildBinary(t)
	dataDir := t.TempDir()

	p := testutil.StartProcess(t, bin, dataDir)
	db := testutil.Connect(t, p.MySQLAddr)
	_, err := db.Exec("CREATE DATABASE dur; CREATE TABLE dur.t (id BIGINT PRIMARY KEY, worker INT NOT NULL, v VARCHAR(64) NOT NULL)")
	require.NoError(t, err)
	db.SetMaxOpenConns(durWorkers)
	db.SetMaxIdleConns(durWorkers)

	var (
		mu        sync.Mutex
		attempted = make(map[int64]string) // id -> value, before Exec
		acked     = make(map[int64]string) // Exec returned nil
		errsEarly []error                  // failures before the kill
		attempts  atomic.Int64
		killed    atomic.Bool
		wg        sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(context.Background(), durMaxTime+10*time.Second)
	defer cancel()
	deadline := time.Now().Add(durMaxTime)
	for w := 0; w < durWorkers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			conn, err := db.Conn(ctx)
			if err != nil {
				mu.Lock()
				errsEarly = append(errsEarly, err)
				mu.Unlock()
				return
			}
			defer func() { _ = conn.Close() }()
			for i := 0; time.Now().Before(deadline) && attempts.Add(1) <= durMaxRows; i++ {
				id := int64(w)*1_000_000 + int64(i)
				v := fmt.Sprintf("w%d-%d", w, i)
				mu.Lock()
				attempted[id] = v
				mu.Unlock()
				_, err := conn.ExecContext(ctx, "INSERT INTO dur.t (id, worker, v) VALUES (?, ?, ?)", id, w, v)
				mu.Lock()
				if err == nil {
					acked[id] = v
				} else if !killed.Load() {
					errsEarly = append(errsEarly, err)
				}
				mu.Unlock()
				if err != nil {
					return // after the kill every statement fails
				}
			}
		}(w)
	}

	// Kill in the middle of the workload: after durKillAfter, or earlier
	// if half the rows are already attempted.
	killAt := time.Now().Add(durKillAfter)
	for time.Now().Before(killAt) && attempts.Load() < durMaxRows/2 {
		time.Sleep(10 * time.Millisecond)
	}
	killed.Store(true)
	p.Kill9()
	wg.Wait()
	_ = db.Close()

	mu.Lock()
	defer mu.Unlock()
	require.Empty(t, errsEarly, "statements failed before the kill")
	require.NotEmpty(t, acked, "no INSERT was acknowledged before the kill")
	t.Logf("attempted %d, acknowledged %d before kill -9", len(attempted), len(acked))

	p2 := testutil.StartProcess(t, bin, dataDir)
	db2 := testutil.Connect(t, p2.MySQLAddr)
	got := readRows(t, db2)
	for id, v := range acked {
		gv, ok := got[id]
		require.True(t, ok, "acknowledged row %d lost after kill -9", id)
		require.Equal(t, v, gv, "row %d", id)
	}
	for id, v := range got {
		av, ok := attempted[id]
		require.True(t, ok, "row %d present but never attempted", id)
		require.Equal(t, av, v, "row %d", id)
	}
	// The exact row count (COUNT(*) without a scan) recovers with the
	// rows: each commit's count delta is in the same write as its rows.
	var plan, line string
	planRows, err := db2.Query("EXPLAIN PLAN SELECT * FROM (SELECT COUNT(*) FROM dur.t) d")
	require.NoError(t, err)
	for planRows.Next() {
		require.NoError(t, planRows.Scan(&line))
		plan += line + "\n"
	}
	require.NoError(t, planRows.Err())
	require.Contains(t, plan, "table_count(", "COUNT(*) after kill -9 is not answered from the row count")
	var n int
	require.NoError(t, db2.QueryRow("SELECT COUNT(*) FROM dur.t").Scan(&n))
	require.Equal(t, len(got), n, "COUNT(*) after kill -9")
	require.NoError(t, db2.Close())
	p2.Stop()
}

func readRows(t *testing.T, db *sql.DB) map[int64]string {
	t.Helper()
	rows, err := db.Query("SELECT id, v FROM dur.t")
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	got := make(map[int64]string)
	for rows.Next() {
		var id int64
		var v string
		require.NoError(t, rows.Scan(&id, &v))
		got[id] = v
	}
	require.NoError(t, rows.Err())
	return got
}
