package lockmgr

import (
	"sort"
	"sync/atomic"
	"time"
)

type counters struct {
	waits, deadlocks, timeouts atomic.Int64
	current                    atomic.Int64
	waitNanos, maxWaitNanos    atomic.Int64
}

func (c *counters) observeWait(d time.Duration) {
	c.waitNanos.Add(int64(d))
	for {
		m := c.maxWaitNanos.Load()
		if int64(d) <= m || c.maxWaitNanos.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// Stats are the lock table's counters since start: what SHOW GLOBAL
// STATUS (Innodb_row_lock_*, Innodb_deadlocks) and the metrics report.
type Stats struct {
	// Waits counts requests that had to wait; CurrentWaits those waiting
	// now.
	Waits, CurrentWaits int64
	// WaitTime is the total time spent waiting, MaxWait the longest wait.
	WaitTime, MaxWait time.Duration
	// Deadlocks counts requests refused because they closed a cycle,
	// Timeouts waits that ran out of time.
	Deadlocks, Timeouts int64
}

// Stats returns the counters.
func (m *Manager) Stats() Stats {
	return Stats{
		Waits:        m.stats.waits.Load(),
		CurrentWaits: m.stats.current.Load(),
		WaitTime:     time.Duration(m.stats.waitNanos.Load()),
		MaxWait:      time.Duration(m.stats.maxWaitNanos.Load()),
		Deadlocks:    m.stats.deadlocks.Load(),
		Timeouts:     m.stats.timeouts.Load(),
	}
}

// LockInfo is one row of performance_schema.data_locks: a lock held or
// asked for by a transaction.
type LockInfo struct {
	Txn     TxnID
	Info    any
	Key     []byte
	Mode    Mode
	Granted bool
}

// WaitEdge is one row of performance_schema.data_lock_waits: Waiter's
// request for Key is blocked by Blocker's lock on it.
type WaitEdge struct {
	Key                     []byte
	Waiter, Blocker         TxnID
	WaiterMode, BlockerMode Mode
	WaiterInfo, BlockerInfo any
	WaitingSince            time.Time
	// BlockerGranted is false when the blocker is a waiter queued ahead.
	BlockerGranted bool
}

// TxnInfo describes a transaction known to the lock table
// (information_schema.INNODB_TRX).
type TxnInfo struct {
	Txn TxnID
	// Info is what SetInfo attached.
	Info any
	// Started is when it first asked for a lock.
	Started time.Time
	// LocksHeld counts its locks; WaitingFor is the key it waits for (nil
	// if running) since WaitStarted.
	LocksHeld   int
	WaitingFor  []byte
	WaitMode    Mode
	WaitStarted time.Time
}

// Snapshot is a consistent copy of the lock table for observability.
type Snapshot struct {
	Locks []LockInfo
	Waits []WaitEdge
	Txns  []TxnInfo
}

// Snapshot copies the lock table. Its cost is linear in the number of
// locks; it is meant for monitoring queries, not for every statement.
func (m *Manager) Snapshot() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	var s Snapshot
	info := func(id TxnID) any {
		if o := m.owners[id]; o != nil {
			return o.info
		}
		return nil
	}
	for _, l := range m.locks {
		for h, hm := range l.holders {
			s.Locks = append(s.Locks, LockInfo{Txn: h, Info: info(h), Key: []byte(l.key), Mode: hm, Granted: true})
		}
		for _, w := range l.waiters {
			s.Locks = append(s.Locks, LockInfo{Txn: w.txn, Info: info(w.txn), Key: []byte(l.key), Mode: w.mode})
			for _, b := range blockersLocked(w) {
				bm, granted := l.holders[b]
				if !granted {
					for _, x := range l.waiters {
						if x.txn == b {
							bm = x.mode
							break
						}
					}
				}
				s.Waits = append(s.Waits, WaitEdge{Key: []byte(l.key), Waiter: w.txn, Blocker: b, WaiterMode: w.mode, BlockerMode: bm,
					WaiterInfo: info(w.txn), BlockerInfo: info(b), WaitingSince: w.since, BlockerGranted: granted})
			}
		}
	}
	for _, o := range m.owners {
		ti := TxnInfo{Txn: o.id, Info: o.info, Started: o.started, LocksHeld: len(o.held)}
		if o.waiting != nil {
			ti.WaitingFor = []byte(o.waiting.lock.key)
			ti.WaitMode = o.waiting.mode
			ti.WaitStarted = o.waiting.since
		}
		s.Txns = append(s.Txns, ti)
	}
	sort.Slice(s.Locks, func(i, j int) bool {
		if s.Locks[i].Txn != s.Locks[j].Txn {
			return s.Locks[i].Txn < s.Locks[j].Txn
		}
		return s.Locks[i].Granted && !s.Locks[j].Granted
	})
	sort.Slice(s.Txns, func(i, j int) bool { return s.Txns[i].Txn < s.Txns[j].Txn })
	return s
}
