package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// Bounds of one cycle of the commit log crash test.
const (
	clWorkers      = 8
	clMaxTxns      = 3000            // transactions attempted per cycle, over all workers
	clMaxTime      = 3 * time.Second // writing time per cycle at the latest
	clDefaultCycle = 10
)

// clSoakEnv sets the number of cycles (make soak runs 100).
const clSoakEnv = "GUOCEDB_SOAK_CYCLES"

// TestCommitLogKill9 is issue 9's acceptance 1: concurrent transactions
// that each write one row in table a and two in table b, kill -9 of the
// server in the middle, restart, for 10 cycles (GUOCEDB_SOAK_CYCLES
// overrides: make soak). After every restart each acknowledged
// transaction is present and every transaction is all or nothing (its
// row in a exactly when its two rows in b), and nothing appears that was
// never attempted.
func TestCommitLogKill9(t *testing.T) {
	cycles := clDefaultCycle
	if v := os.Getenv(clSoakEnv); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, clSoakEnv)
		cycles = n
	}
	bin := testutil.BuildBinary(t)
	dataDir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))

	p := testutil.StartProcess(t, bin, dataDir)
	db := testutil.Connect(t, p.MySQLAddr)
	_, err := db.Exec("CREATE DATABASE cl; CREATE TABLE cl.a (id BIGINT PRIMARY KEY, w INT NOT NULL, v VARCHAR(64) NOT NULL); CREATE TABLE cl.b (a_id BIGINT NOT NULL, n INT NOT NULL, v VARCHAR(64) NOT NULL, PRIMARY KEY (a_id, n))")
	require.NoError(t, err)

	var totalAcked, totalPresent, totalUnacked int
	for c := range cycles {
		attempted, acked := clLoad(t, db, p, c, rng)
		_ = db.Close()
		p = testutil.StartProcess(t, bin, dataDir)
		db = testutil.Connect(t, p.MySQLAddr)
		lo, hi := clID(c, 0, 0), clID(c+1, 0, 0)
		present := clVerify(t, db, lo, hi, c)
		for id := range acked {
			require.True(t, present[id], "cycle %d: acknowledged transaction %d lost after kill -9", c, id)
		}
		for id := range present {
			require.True(t, attempted[id], "cycle %d: transaction %d present but never attempted", c, id)
			if !acked[id] {
				totalUnacked++
			}
		}
		totalAcked += len(acked)
		totalPresent += len(present)
	}
	// Everything, every cycle's rows together, once more at the end.
	all := clVerify(t, db, 0, clID(cycles, 0, 0), -1)
	require.Equal(t, totalPresent, len(all))
	var na, nb int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM cl.a").Scan(&na))
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM cl.b").Scan(&nb))
	require.Equal(t, len(all), na, "COUNT(*) of a")
	require.Equal(t, 2*len(all), nb, "COUNT(*) of b")
	_ = db.Close()
	p.Stop()
	t.Logf("%d kill -9 cycles: %d transactions acknowledged, 0 lost, 0 partial; %d present in all (%d committed but not acknowledged before the kill)",
		cycles, totalAcked, totalPresent, totalUnacked)
}

func clID(cycle, worker, i int) int64 {
	return int64(cycle)*10_000_000 + int64(worker)*1_000_000 + int64(i)
}

// clLoad runs the transactions of one cycle and kills the server in the
// middle: after a random 300-1500ms, or once half the cycle's
// transactions are attempted.
func clLoad(t *testing.T, db *sql.DB, p *testutil.Process, cycle int, rng *rand.Rand) (attempted, acked map[int64]bool) {
	t.Helper()
	db.SetMaxOpenConns(clWorkers)
	db.SetMaxIdleConns(clWorkers)
	attempted, acked = map[int64]bool{}, map[int64]bool{}
	var (
		mu        sync.Mutex
		errsEarly []error
		attempts  atomic.Int64
		killed    atomic.Bool
		wg        sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(context.Background(), clMaxTime+20*time.Second)
	defer cancel()
	deadline := time.Now().Add(clMaxTime)
	for w := range clWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := db.Conn(ctx)
			if err != nil {
				mu.Lock()
				errsEarly = append(errsEarly, err)
				mu.Unlock()
				return
			}
			defer func() { _ = conn.Close() }()
			for i := 0; time.Now().Before(deadline) && attempts.Add(1) <= clMaxTxns; i++ {
				id := clID(cycle, w, i)
				v := fmt.Sprintf("c%d-w%d-%d", cycle, w, i)
				mu.Lock()
				attempted[id] = true
				mu.Unlock()
				err := clTxn(ctx, conn, id, w, v)
				mu.Lock()
				if err == nil {
					acked[id] = true
				} else if !killed.Load() {
					errsEarly = append(errsEarly, err)
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	killAt := time.Now().Add(300*time.Millisecond + time.Duration(rng.IntN(1200))*time.Millisecond)
	for time.Now().Before(killAt) && attempts.Load() < clMaxTxns/2 {
		time.Sleep(5 * time.Millisecond)
	}
	killed.Store(true)
	p.Kill9()
	wg.Wait()
	require.Empty(t, errsEarly, "cycle %d: statements failed before the kill", cycle)
	require.NotEmpty(t, acked, "cycle %d: nothing acknowledged before the kill", cycle)
	return attempted, acked
}

// clTxn writes one transaction: a row in a, two in b.
func clTxn(ctx context.Context, conn *sql.Conn, id int64, w int, v string) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO cl.a (id, w, v) VALUES (?, ?, ?)", id, w, v); err != nil {
		_ = tx.Rollback()
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO cl.b (a_id, n, v) VALUES (?, 0, ?), (?, 1, ?)", id, v, id, v); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// clVerify reads the transactions with ids in [lo, hi) and requires each
// to be whole: its row in a exactly when both its rows in b, with the
// same value. It returns the ids present.
func clVerify(t *testing.T, db *sql.DB, lo, hi int64, cycle int) map[int64]bool {
	t.Helper()
	aRows := map[int64]string{}
	rows, err := db.Query("SELECT id, v FROM cl.a WHERE id >= ? AND id < ?", lo, hi)
	require.NoError(t, err)
	for rows.Next() {
		var id int64
		var v string
		require.NoError(t, rows.Scan(&id, &v))
		aRows[id] = v
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	bRows := map[int64][]string{}
	rows, err = db.Query("SELECT a_id, n, v FROM cl.b WHERE a_id >= ? AND a_id < ? ORDER BY a_id, n", lo, hi)
	require.NoError(t, err)
	for rows.Next() {
		var id int64
		var n int
		var v string
		require.NoError(t, rows.Scan(&id, &n, &v))
		bRows[id] = append(bRows[id], v)
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	present := map[int64]bool{}
	for id, v := range aRows {
		require.Equal(t, []string{v, v}, bRows[id], "cycle %d: transaction %d torn: its row in a without both rows in b", cycle, id)
		present[id] = true
	}
	for id := range bRows {
		require.Contains(t, aRows, id, "cycle %d: transaction %d torn: rows in b without its row in a", cycle, id)
	}
	return present
}
