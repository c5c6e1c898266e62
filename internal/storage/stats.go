package storage

import (
	"errors"
	"sync/atomic"

	"github.com/guocedb/guocedb/internal/lockmgr"
	"github.com/guocedb/guocedb/internal/raftlog"
)

// maxStatLevels bounds the LSM levels whose compactions are counted; Badger
// keeps 7 by default and guocedb does not change it.
const maxStatLevels = 16

// Stats is a point-in-time view of the store for metrics and status pages.
// Counters (the _total-like fields) only grow while the Store is open.
type Stats struct {
	// LSMBytes and VLogBytes are Badger's LSM tree and value log sizes on
	// disk (Badger refreshes them about once a minute).
	LSMBytes, VLogBytes int64
	// Levels describes each LSM level, level 0 first.
	Levels []LevelStats
	// BlockCacheHits and BlockCacheMisses count lookups in Badger's block
	// cache; IndexCache* the same for its table index cache.
	BlockCacheHits, BlockCacheMisses uint64
	IndexCacheHits, IndexCacheMisses uint64
	// TxnCommitted counts transactions with writes that committed;
	// TxnConflicted those whose commit lost a write-write conflict
	// (ErrConflict); TxnRolledBack those with writes that were discarded or
	// failed to commit for another reason. Transactions that wrote nothing
	// and DirectCommit are not counted.
	TxnCommitted, TxnConflicted, TxnRolledBack uint64
	// OpenTransactions is the number of open snapshots.
	OpenTransactions int
	// Locks are the row lock table's counters; LockEntries its held locks
	// plus waiters now.
	Locks       lockmgr.Stats
	LockEntries int
	// Log is the commit log's view; nil for a store opened read-only
	// (no log).
	Log *raftlog.Stats
}

// LevelStats is one LSM level.
type LevelStats struct {
	Level  int
	Tables int
	Bytes  int64
	// Compactions counts finished compactions out of this level since the
	// store opened.
	Compactions uint64
}

// storeCounters are the store's own counters, updated with atomics on the
// commit path (no lock shared by all transactions).
type storeCounters struct {
	committed, conflicted, rolledBack atomic.Uint64
	compactions                       [maxStatLevels]atomic.Uint64
}

// countCommit records the outcome of committing a transaction with writes.
func (c *storeCounters) countCommit(err error) {
	switch {
	case err == nil:
		c.committed.Add(1)
	case errors.Is(err, ErrConflict):
		c.conflicted.Add(1)
	default:
		c.rolledBack.Add(1)
	}
}

// compactionDoneFormat is the format string of the debug line Badger logs
// through Options.Logger after each compaction ("[Compactor: id]
// Compaction for level: L DONE"). Badger exposes compaction counts only
// as process-wide expvars, summed over every open DB; the log line belongs
// to this DB. TestStatsCountCompactions catches a Badger upgrade that
// changes the line.
const compactionDoneFormat = "[Compactor: %d] Compaction for level: %d DONE"

// observeLog counts the compaction a Badger debug line reports, if any.
func (c *storeCounters) observeLog(format string, args []any) {
	if format != compactionDoneFormat || len(args) != 2 {
		return
	}
	if level, ok := args[1].(int); ok && level >= 0 && level < maxStatLevels {
		c.compactions[level].Add(1)
	}
}

// Stats returns the store's current statistics. It is safe to call
// concurrently with everything but Close.
func (s *Store) Stats() Stats {
	st := Stats{
		TxnCommitted:     s.counters.committed.Load(),
		TxnConflicted:    s.counters.conflicted.Load(),
		TxnRolledBack:    s.counters.rolledBack.Load(),
		OpenTransactions: s.OpenTransactions(),
		Locks:            s.locks.Stats(),
		LockEntries:      s.locks.Entries(),
	}
	if s.log != nil {
		ls := s.log.Stats()
		st.Log = &ls
	}
	st.LSMBytes, st.VLogBytes = s.db.Size()
	for _, l := range s.db.Levels() {
		ls := LevelStats{Level: l.Level, Tables: l.NumTables, Bytes: l.Size}
		if l.Level >= 0 && l.Level < maxStatLevels {
			ls.Compactions = s.counters.compactions[l.Level].Load()
		}
		st.Levels = append(st.Levels, ls)
	}
	// ristretto's Metrics methods are nil-safe (a store without a cache).
	bc, ic := s.db.BlockCacheMetrics(), s.db.IndexCacheMetrics()
	st.BlockCacheHits, st.BlockCacheMisses = bc.Hits(), bc.Misses()
	st.IndexCacheHits, st.IndexCacheMisses = ic.Hits(), ic.Misses()
	return st
}
