package lockmgr

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var long = Wait{Timeout: 10 * time.Second}

func lockAsync(m *Manager, txn TxnID, key string, mode Mode, w Wait) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- m.Lock(context.Background(), txn, []byte(key), mode, w) }()
	return ch
}

// waitFor blocks until n requests wait in m.
func waitFor(t *testing.T, m *Manager, n int64) {
	t.Helper()
	require.Eventually(t, func() bool { return m.Stats().CurrentWaits == n }, 5*time.Second, time.Millisecond)
}

func TestCompatibility(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name      string
		held, req Mode
		ok        bool
	}{
		{"S+S", Shared, Shared, true},
		{"S+X", Shared, Exclusive, false},
		{"X+S", Exclusive, Shared, false},
		{"X+X", Exclusive, Exclusive, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := New(Options{})
			require.NoError(t, m.Lock(ctx, 1, []byte("k"), c.held, long))
			err := m.Lock(ctx, 2, []byte("k"), c.req, Wait{NoWait: true})
			if c.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, ErrWouldBlock)
			}
			// Other keys are independent.
			require.NoError(t, m.Lock(ctx, 2, []byte("other"), Exclusive, Wait{NoWait: true}))
		})
	}
}

func TestReentrantAndUpgrade(t *testing.T) {
	ctx := context.Background()
	m := New(Options{})
	require.NoError(t, m.Lock(ctx, 1, []byte("k"), Exclusive, long))
	require.NoError(t, m.Lock(ctx, 1, []byte("k"), Shared, long))
	require.NoError(t, m.Lock(ctx, 1, []byte("k"), Exclusive, long))
	require.Equal(t, 1, m.Entries())
	require.Equal(t, Exclusive, m.Holds(1, []byte("k")))
	m.ReleaseAll(1)
	require.Equal(t, 0, m.Entries())

	require.NoError(t, m.Lock(ctx, 1, []byte("k"), Shared, long))
	require.NoError(t, m.Lock(ctx, 1, []byte("k"), Exclusive, long), "sole shared holder upgrades at once")
	require.Equal(t, 1, m.Entries())
}

func TestWaitThenGrantOnRelease(t *testing.T) {
	m := New(Options{})
	require.NoError(t, m.Lock(context.Background(), 1, []byte("k"), Exclusive, long))
	got := lockAsync(m, 2, "k", Exclusive, long)
	waitFor(t, m, 1)
	select {
	case err := <-got:
		t.Fatalf("granted while held: %v", err)
	default:
	}
	m.ReleaseAll(1)
	select {
	case err := <-got:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("waiter not granted after release")
	}
	require.Equal(t, Exclusive, m.Holds(2, []byte("k")))
	st := m.Stats()
	require.EqualValues(t, 1, st.Waits)
	require.Positive(t, st.WaitTime)
}

func TestTimeout(t *testing.T) {
	m := New(Options{})
	require.NoError(t, m.Lock(context.Background(), 1, []byte("k"), Exclusive, long))
	start := time.Now()
	err := m.Lock(context.Background(), 2, []byte("k"), Shared, Wait{Timeout: 50 * time.Millisecond})
	require.ErrorIs(t, err, ErrLockWaitTimeout)
	require.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
	require.EqualValues(t, 1, m.Stats().Timeouts)
	require.Equal(t, 1, m.Entries(), "the timed-out waiter left no entry")
	m.ReleaseAll(1)
	require.Equal(t, 0, m.Entries())
	require.Empty(t, m.Snapshot().Txns)
}

func TestContextCancel(t *testing.T) {
	m := New(Options{})
	require.NoError(t, m.Lock(context.Background(), 1, []byte("k"), Exclusive, long))
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { ch <- m.Lock(ctx, 2, []byte("k"), Exclusive, long) }()
	waitFor(t, m, 1)
	cancel()
	require.ErrorIs(t, <-ch, context.Canceled)
	require.Equal(t, 1, m.Entries())
}

func TestDeadlockVictimIsTheRequesterClosingTheCycle(t *testing.T) {
	ctx := context.Background()
	m := New(Options{})
	require.NoError(t, m.Lock(ctx, 1, []byte("a"), Exclusive, long))
	require.NoError(t, m.Lock(ctx, 2, []byte("b"), Exclusive, long))
	first := lockAsync(m, 1, "b", Exclusive, long)
	waitFor(t, m, 1)
	start := time.Now()
	err := m.Lock(ctx, 2, []byte("a"), Exclusive, long)
	require.ErrorIs(t, err, ErrDeadlock)
	require.Less(t, time.Since(start), time.Second)
	require.EqualValues(t, 1, m.Stats().Deadlocks)
	r := m.LatestDeadlock()
	require.NotNil(t, r)
	require.Equal(t, TxnID(2), r.Victim)
	require.Len(t, r.Waits, 2)
	require.Contains(t, r.String(func(k []byte) string { return string(k) }), "WE ROLL BACK TRANSACTION 2")
	// The victim's caller rolls back: txn 1 proceeds.
	m.ReleaseAll(2)
	require.NoError(t, <-first)
}

func TestDeadlockOnUpgrade(t *testing.T) {
	ctx := context.Background()
	m := New(Options{})
	require.NoError(t, m.Lock(ctx, 1, []byte("k"), Shared, long))
	require.NoError(t, m.Lock(ctx, 2, []byte("k"), Shared, long))
	first := lockAsync(m, 1, "k", Exclusive, long)
	waitFor(t, m, 1)
	require.ErrorIs(t, m.Lock(ctx, 2, []byte("k"), Exclusive, long), ErrDeadlock)
	m.ReleaseAll(2)
	require.NoError(t, <-first)
	require.Equal(t, Exclusive, m.Holds(1, []byte("k")))
}

func TestThreeWayDeadlock(t *testing.T) {
	ctx := context.Background()
	m := New(Options{})
	for i, k := range []string{"a", "b", "c"} {
		require.NoError(t, m.Lock(ctx, TxnID(i+1), []byte(k), Exclusive, long))
	}
	w1 := lockAsync(m, 1, "b", Exclusive, long)
	waitFor(t, m, 1)
	w2 := lockAsync(m, 2, "c", Exclusive, long)
	waitFor(t, m, 2)
	require.ErrorIs(t, m.Lock(ctx, 3, []byte("a"), Exclusive, long), ErrDeadlock)
	m.ReleaseAll(3)
	require.NoError(t, <-w2)
	m.ReleaseAll(2)
	require.NoError(t, <-w1)
}

func TestFIFONoStarvation(t *testing.T) {
	ctx := context.Background()
	m := New(Options{})
	require.NoError(t, m.Lock(ctx, 1, []byte("k"), Shared, long))
	writer := lockAsync(m, 2, "k", Exclusive, long)
	waitFor(t, m, 1)
	// A new shared request queues behind the waiting writer.
	require.ErrorIs(t, m.Lock(ctx, 3, []byte("k"), Shared, Wait{NoWait: true}), ErrWouldBlock)
	m.ReleaseAll(1)
	require.NoError(t, <-writer)
}

func TestSharedWaitersGrantedTogether(t *testing.T) {
	ctx := context.Background()
	m := New(Options{})
	require.NoError(t, m.Lock(ctx, 1, []byte("k"), Exclusive, long))
	a := lockAsync(m, 2, "k", Shared, long)
	waitFor(t, m, 1)
	b := lockAsync(m, 3, "k", Shared, long)
	waitFor(t, m, 2)
	snap := m.Snapshot()
	require.Len(t, snap.Locks, 3)
	require.Len(t, snap.Waits, 2)
	m.ReleaseAll(1)
	require.NoError(t, <-a)
	require.NoError(t, <-b)
}

func TestBoundedEntries(t *testing.T) {
	ctx := context.Background()
	m := New(Options{MaxLocks: 3})
	for i := range 3 {
		require.NoError(t, m.Lock(ctx, 1, fmt.Appendf(nil, "k%d", i), Exclusive, long))
	}
	require.ErrorIs(t, m.Lock(ctx, 1, []byte("k3"), Exclusive, long), ErrTooManyLocks)
	require.NoError(t, m.Lock(ctx, 1, []byte("k0"), Exclusive, long), "a held key costs nothing")
	require.ErrorIs(t, m.Lock(ctx, 2, []byte("k0"), Exclusive, long), ErrTooManyLocks, "a waiter is an entry too")
	m.ReleaseAll(1)
	require.Equal(t, 0, m.Entries())
	require.NoError(t, m.Lock(ctx, 2, []byte("k3"), Exclusive, long))
}

// TestCounterUnderContention is the lock-protected read-modify-write of
// the FOR UPDATE counter: every increment lands.
func TestCounterUnderContention(t *testing.T) {
	m := New(Options{})
	var counter, next atomic.Int64
	var wg sync.WaitGroup
	const workers, rounds = 8, 200
	for range workers {
		wg.Go(func() {
			for range rounds {
				id := TxnID(next.Add(1))
				if err := m.Lock(context.Background(), id, []byte("row"), Exclusive, long); err != nil {
					t.Error(err)
					return
				}
				v := counter.Load()
				counter.Store(v + 1)
				m.ReleaseAll(id)
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, workers*rounds, counter.Load())
	require.Equal(t, 0, m.Entries())
}

// TestRandomDeadlocksResolve runs transactions locking random keys in
// random order: every one either finishes or is a deadlock victim, none
// hangs, and the table is empty afterwards.
func TestRandomDeadlocksResolve(t *testing.T) {
	m := New(Options{})
	var next atomic.Int64
	var wg sync.WaitGroup
	var victims atomic.Int64
	for w := range 6 {
		wg.Go(func() {
			for r := range 100 {
				id := TxnID(next.Add(1))
				for i := range 3 {
					k := fmt.Appendf(nil, "k%d", (w*7+r*3+i*5)%5)
					mode := Exclusive
					if (r+i)%3 == 0 {
						mode = Shared
					}
					err := m.Lock(context.Background(), id, k, mode, long)
					if errors.Is(err, ErrDeadlock) {
						victims.Add(1)
						break
					}
					if err != nil {
						t.Error(err)
						break
					}
				}
				m.ReleaseAll(id)
			}
		})
	}
	wg.Wait()
	require.Equal(t, 0, m.Entries())
	require.Equal(t, victims.Load(), m.Stats().Deadlocks)
	require.Empty(t, m.Snapshot().Txns)
}
