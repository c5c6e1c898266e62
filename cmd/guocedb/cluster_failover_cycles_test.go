package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// Cycles of TestClusterFailover: kill -9 of the leader, then graceful
// stops, each under write load. make soak runs more
// (GUOCEDB_CLUSTER_SOAK_CYCLES, CLUSTER_SOAK_CYCLES in the Makefile).
const (
	foDefaultCycles = 10
	foSoakEnv       = "GUOCEDB_CLUSTER_SOAK_CYCLES"
	foWorkers       = 4
	foFirstID       = 1000
	foMaxWrites     = 1_000_000 // transactions attempted at most, over all workers and cycles
	foCycleWrites   = 20        // acknowledged transactions before each fault
)

// foCycles returns the number of cycles of each kind.
func foCycles(t *testing.T) int {
	t.Helper()
	if v := os.Getenv(foSoakEnv); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, foSoakEnv)
		return n
	}
	return foDefaultCycles
}

// foLoad is a write load on a cluster: each transaction inserts a row
// into cf.t and two into cf.u, sent to the member the worker last
// succeeded on; on any failure the worker tries the next member (as a
// client with a list of servers and no leader discovery would). Every
// transaction's outcome and every acknowledgement's time are recorded.
type foLoad struct {
	mu       sync.Mutex
	addrs    []string // members' MySQL addresses (a restart changes them)
	outcomes map[int64]outcome
	acks     []foAck
	next     atomic.Int64
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// foAck is one acknowledged transaction as the client saw it.
type foAck struct{ start, end time.Time }

// startFoLoad starts the load on the members' current addresses, for
// maxTime at most. The tables cf.t and cf.u must exist.
func startFoLoad(nodes []*testutil.ClusterNode, maxTime time.Duration) *foLoad {
	l := &foLoad{outcomes: map[int64]outcome{}}
	for _, nd := range nodes {
		l.addrs = append(l.addrs, nd.P.MySQLAddr)
	}
	l.next.Store(foFirstID)
	ctx, cancel := context.WithTimeout(context.Background(), maxTime)
	l.cancel = cancel
	for w := range foWorkers {
		l.wg.Add(1)
		go l.work(ctx, w)
	}
	return l
}

// setAddr records member i's address after a restart.
func (l *foLoad) setAddr(i int, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.addrs[i] = addr
}

func (l *foLoad) work(ctx context.Context, w int) {
	defer l.wg.Done()
	pools := map[string]*sql.DB{}
	defer func() {
		for _, db := range pools {
			_ = db.Close()
		}
	}()
	at := w
	for ctx.Err() == nil && l.next.Load() < foFirstID+foMaxWrites {
		l.mu.Lock()
		at %= len(l.addrs)
		addr := l.addrs[at]
		l.mu.Unlock()
		db := pools[addr]
		if db == nil {
			db, _ = sql.Open("mysql", testutil.DSN("root", "", addr, "")+"&timeout=1s&readTimeout=10s&writeTimeout=10s")
			db.SetMaxOpenConns(1)
			pools[addr] = db
		}
		id := l.next.Add(1)
		start := time.Now()
		o := l.txn(ctx, db, id, w)
		end := time.Now()
		l.mu.Lock()
		l.outcomes[id] = o
		if o == acked {
			l.acks = append(l.acks, foAck{start, end})
		}
		l.mu.Unlock()
		if o != acked {
			at++ // another member, at once: the client's view of a failover
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// txn runs one transaction and classifies its outcome: only a broken
// connection at COMMIT leaves it unknown.
func (l *foLoad) txn(ctx context.Context, db *sql.DB, id int64, w int) outcome {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return refused
	}
	_, err = tx.Exec("INSERT INTO cf.t VALUES (?, ?, ?)", id, w, fmt.Sprintf("load-%d", id))
	if err == nil {
		_, err = tx.Exec("INSERT INTO cf.u VALUES (?, 1), (?, 2)", id, id)
	}
	if err != nil {
		_ = tx.Rollback()
		return refused // nothing was committed
	}
	err = tx.Commit()
	var me *mysql.MySQLError
	switch {
	case err == nil:
		return acked
	case errors.As(err, &me):
		return refused
	default:
		return unknown
	}
}

// ackCount returns how many transactions were acknowledged so far.
func (l *foLoad) ackCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acks)
}

// gapAround returns the client's write unavailability around a fault at
// at: the longest time between two consecutive acknowledgements from the
// last one before at to the first one of a transaction started after
// at; ok is false while there is none such yet.
func (l *foLoad) gapAround(at time.Time) (time.Duration, bool) {
	l.mu.Lock()
	ends := make([]time.Time, 0, len(l.acks))
	var firstAfter time.Time
	for _, a := range l.acks {
		ends = append(ends, a.end)
		if a.start.After(at) && (firstAfter.IsZero() || a.end.Before(firstAfter)) {
			firstAfter = a.end
		}
	}
	l.mu.Unlock()
	if firstAfter.IsZero() {
		return 0, false
	}
	slices.SortFunc(ends, func(a, b time.Time) int { return a.Compare(b) })
	var gap time.Duration
	prev := time.Time{}
	for _, e := range ends {
		if e.After(firstAfter) {
			break
		}
		if !e.After(at) {
			prev = e
			continue
		}
		if !prev.IsZero() {
			gap = max(gap, e.Sub(prev))
		}
		prev = e
	}
	return gap, true
}

// stop ends the load and waits for its workers.
func (l *foLoad) stop() {
	l.cancel()
	l.wg.Wait()
}

// failoverCycles stops the leader cycles times under l (kill -9, or
// SIGTERM when graceful), restarting it at once each time, and returns the
// write gap of each cycle.
func failoverCycles(t *testing.T, nodes []*testutil.ClusterNode, l *foLoad, cycles int, graceful bool) []time.Duration {
	t.Helper()
	kind := "kill -9"
	if graceful {
		kind = "SIGTERM"
	}
	var gaps []time.Duration
	for c := range cycles {
		cycleStart := time.Now()
		before := l.ackCount()
		require.Eventually(t, func() bool { return l.ackCount() >= before+foCycleWrites }, 60*time.Second, 10*time.Millisecond,
			"cycle %d: writes do not flow", c)
		li := testutil.FindLeader(nodes, nil, 30*time.Second)
		require.GreaterOrEqual(t, li, 0, "cycle %d: no leader", c)
		at := time.Now()
		t.Logf("%s cycle %d: writes flowed and leader found after %s", kind, c, at.Sub(cycleStart).Round(time.Millisecond))
		if graceful {
			nodes[li].P.Stop()
		} else {
			nodes[li].P.Kill9()
		}
		// Started again at once, as a supervisor would: its start-up
		// (seconds, more under the race detector) overlaps the
		// measurement; it must be ready before the next cycle, whose
		// quorum needs it.
		restart := time.Now()
		nodes[li].RestartNoWait(t)
		var gap time.Duration
		require.Eventually(t, func() bool {
			g, ok := l.gapAround(at)
			gap = g
			return ok
		}, 60*time.Second, 10*time.Millisecond, "cycle %d: no write acknowledged after the %s of the leader %s", c, kind, nodes[li].ID)
		gaps = append(gaps, gap)
		t.Logf("%s cycle %d: leader %s stopped; write gap %s", kind, c, nodes[li].ID, gap.Round(time.Millisecond))
		nodes[li].P.WaitReady()
		l.setAddr(li, nodes[li].P.MySQLAddr)
		t.Logf("%s cycle %d: %s ready again after %s", kind, c, nodes[li].ID, time.Since(restart).Round(time.Millisecond))
	}
	return gaps
}

// logGaps logs the p50 and p99 of gaps (nearest rank) and returns p99.
func logGaps(t *testing.T, kind string, gaps []time.Duration) time.Duration {
	t.Helper()
	s := slices.Clone(gaps)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	p50, p99 := rank(0.50), rank(0.99)
	race := ""
	if testutil.RaceEnabled() {
		race = " (under the race detector)"
	}
	t.Logf("%s of the leader under write load, %d cycles%s: write gap p50 %s, p99 %s, max %s",
		kind, len(s), race, p50.Round(time.Millisecond), p99.Round(time.Millisecond), s[len(s)-1].Round(time.Millisecond))
	return p99
}

// verifyFoLoad checks l's outcomes against the table on db: every
// acknowledged transaction is present whole, every refused one absent,
// and an unknown one is all or nothing.
func verifyFoLoad(t *testing.T, db *sql.DB, l *foLoad) {
	t.Helper()
	inT := map[int64]bool{}
	rows, err := db.Query("SELECT id FROM cf.t WHERE id > ?", foFirstID)
	require.NoError(t, err)
	for rows.Next() {
		var id int64
		require.NoError(t, rows.Scan(&id))
		inT[id] = true
	}
	require.NoError(t, rows.Err())
	_ = rows.Close()
	inU := map[int64]int{}
	rows, err = db.Query("SELECT t_id FROM cf.u")
	require.NoError(t, err)
	for rows.Next() {
		var id int64
		require.NoError(t, rows.Scan(&id))
		inU[id]++
	}
	require.NoError(t, rows.Err())
	_ = rows.Close()
	var n [3]int
	for id, o := range l.outcomes {
		n[o]++
		whole := inT[id] && inU[id] == 2
		none := !inT[id] && inU[id] == 0
		require.True(t, whole || none, "transaction %d is partial: row in cf.t %v, rows in cf.u %d", id, inT[id], inU[id])
		switch o {
		case acked:
			require.True(t, whole, "acknowledged transaction %d lost", id)
		case refused:
			require.True(t, none, "transaction %d was answered with an error but is present", id)
		}
	}
	for id := range inT {
		_, ok := l.outcomes[id]
		require.True(t, ok, "transaction %d present but never attempted", id)
	}
	t.Logf("transactions acknowledged %d, refused %d, unknown %d: none lost, none partial", n[acked], n[refused], n[unknown])
}
