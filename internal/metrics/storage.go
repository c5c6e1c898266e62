package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/guocedb/guocedb/internal/raftlog"
	"github.com/guocedb/guocedb/internal/storage"
)

// StorageStats returns the open store's statistics, or false while no
// store is open (before start, after stop): the collector then reports
// nothing rather than zeros.
type StorageStats func() (storage.Stats, bool)

// NewStorageCollector returns a collector of the Badger and transaction
// metrics, read from stats at every scrape.
func NewStorageCollector(stats StorageStats) prometheus.Collector {
	return storageCollector{stats: stats}
}

type storageCollector struct{ stats StorageStats }

var (
	descLSMBytes      = desc("badger_lsm_size_bytes", "Size of Badger's LSM tree on disk (refreshed by Badger about once a minute).")
	descVLogBytes     = desc("badger_vlog_size_bytes", "Size of Badger's value log on disk (refreshed by Badger about once a minute).")
	descLevelBytes    = desc("badger_level_size_bytes", "Size of the tables of one LSM level.", "level")
	descLevelTables   = desc("badger_level_tables", "Tables in one LSM level.", "level")
	descCompactions   = desc("badger_compactions_total", "Compactions out of one LSM level finished since the store opened.", "level")
	descBlockHits     = desc("badger_block_cache_hits_total", "Lookups found in Badger's block cache.")
	descBlockMisses   = desc("badger_block_cache_misses_total", "Lookups not found in Badger's block cache.")
	descIndexHits     = desc("badger_index_cache_hits_total", "Lookups found in Badger's table index cache.")
	descIndexMisses   = desc("badger_index_cache_misses_total", "Lookups not found in Badger's table index cache.")
	descTransactions  = desc("transactions_total", "Transactions with writes by outcome: committed, rolled_back, conflicted (commit refused with error 1213).", "outcome")
	descOpenSnapshots = desc("storage_open_transactions", "Storage transactions (snapshots) open now.")

	descLogWrites     = desc("commitlog_writes_total", "Writes to the commit log: one per group of commits (and raft state changes).")
	descLogEntries    = desc("commitlog_entries_total", "Entries written to the commit log.")
	descLogBytes      = desc("commitlog_written_bytes_total", "Bytes written to the commit log.")
	descLogSync       = desc("commitlog_fsync_duration_seconds", "Duration of the commit log's fsyncs, one per group of commits.")
	descLogApply      = desc("commitlog_apply_duration_seconds", "Duration of applying a batch of committed log entries to Badger.")
	descLogCommit     = desc("commitlog_commit_duration_seconds", "Time from proposing a write set to the log until it is durable and applied.")
	descLogLast       = desc("commitlog_last_index", "Index of the last entry written to the commit log.")
	descLogApplied    = desc("commitlog_applied_index", "Index of the last commit log entry applied to Badger.")
	descLogCheckpoint = desc("commitlog_checkpoint_index", "Index of the last durable checkpoint: a crash replays the entries after it.")
	descLogFailed     = desc("commitlog_failed", "1 once the commit log stopped after a failed write, fsync or apply (commits then fail until a restart).")

	descLockWaits    = desc("row_lock_waits_total", "Row lock requests that had to wait (Innodb_row_lock_waits).")
	descLockWaitSecs = desc("row_lock_wait_seconds_total", "Time spent waiting for row locks (Innodb_row_lock_time).")
	descLockWaiting  = desc("row_lock_current_waits", "Row lock requests waiting now.")
	descLockTimeouts = desc("row_lock_wait_timeouts_total", "Row lock waits that ended with error 1205 (innodb_lock_wait_timeout).")
	descDeadlocks    = desc("deadlocks_total", "Deadlocks detected; each victim's transaction got error 1213 and was rolled back.")
	descLockEntries  = desc("row_locks", "Row locks held plus requests waiting now (the lock table's size).")
)

// Describe implements prometheus.Collector.
func (c storageCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLSMBytes, descVLogBytes, descLevelBytes, descLevelTables, descCompactions,
		descBlockHits, descBlockMisses, descIndexHits, descIndexMisses, descTransactions, descOpenSnapshots,
		descLogWrites, descLogEntries, descLogBytes, descLogSync, descLogApply, descLogCommit, descLogLast,
		descLogApplied, descLogCheckpoint, descLogFailed,
		descLockWaits, descLockWaitSecs, descLockWaiting, descLockTimeouts, descDeadlocks, descLockEntries} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c storageCollector) Collect(ch chan<- prometheus.Metric) {
	st, ok := c.stats()
	if !ok {
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(descLSMBytes, float64(st.LSMBytes))
	gauge(descVLogBytes, float64(st.VLogBytes))
	for _, l := range st.Levels {
		level := strconv.Itoa(l.Level)
		gauge(descLevelBytes, float64(l.Bytes), level)
		gauge(descLevelTables, float64(l.Tables), level)
		counter(descCompactions, l.Compactions, level)
	}
	counter(descBlockHits, st.BlockCacheHits)
	counter(descBlockMisses, st.BlockCacheMisses)
	counter(descIndexHits, st.IndexCacheHits)
	counter(descIndexMisses, st.IndexCacheMisses)
	counter(descTransactions, st.TxnCommitted, "committed")
	counter(descTransactions, st.TxnRolledBack, "rolled_back")
	counter(descTransactions, st.TxnConflicted, "conflicted")
	gauge(descOpenSnapshots, float64(st.OpenTransactions))
	counter(descLockWaits, uint64(st.Locks.Waits))
	ch <- prometheus.MustNewConstMetric(descLockWaitSecs, prometheus.CounterValue, st.Locks.WaitTime.Seconds())
	gauge(descLockWaiting, float64(st.Locks.CurrentWaits))
	counter(descLockTimeouts, uint64(st.Locks.Timeouts))
	counter(descDeadlocks, uint64(st.Locks.Deadlocks))
	gauge(descLockEntries, float64(st.LockEntries))
	if lg := st.Log; lg != nil {
		counter(descLogWrites, lg.Writes)
		counter(descLogEntries, lg.Entries)
		counter(descLogBytes, lg.Bytes)
		histogram := func(d *prometheus.Desc, h raftlog.Histogram) {
			buckets := make(map[float64]uint64, len(h.Buckets))
			for i, n := range h.Buckets {
				buckets[raftlog.DurationBuckets[i]] = n
			}
			ch <- prometheus.MustNewConstHistogram(d, h.Count, h.Sum, buckets)
		}
		histogram(descLogSync, lg.Sync)
		histogram(descLogApply, lg.Apply)
		histogram(descLogCommit, lg.Commit)
		gauge(descLogLast, float64(lg.LastIndex))
		gauge(descLogApplied, float64(lg.AppliedIndex))
		gauge(descLogCheckpoint, float64(lg.CheckpointIndex))
		failed := 0.0
		if lg.Failed {
			failed = 1
		}
		gauge(descLogFailed, failed)
	}
}
