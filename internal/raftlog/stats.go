package raftlog

import (
	"sync/atomic"
	"time"
)

// DurationBuckets are the upper bounds, in seconds, of the histograms in
// Stats: from a fast disk's fsync (tens of microseconds) to a stalled one.
var DurationBuckets = []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// Histogram is a cumulative-bucket snapshot, in Prometheus' form: Buckets[i]
// counts the observations at or below DurationBuckets[i].
type Histogram struct {
	Count   uint64
	Sum     float64 // seconds
	Buckets []uint64
}

// Stats is a point-in-time view of the log for metrics. The counters only
// grow while the Log is open.
type Stats struct {
	// Writes counts the log's writes (one per raft Ready with something
	// to persist); Entries and Bytes what they carried.
	Writes, Entries, Bytes uint64
	// Sync is the duration of the fsyncs: one per group of commits, so
	// Entries / Sync.Count is the group commit's batch size.
	Sync Histogram
	// Apply is the duration of each Apply call (a batch of entries).
	Apply Histogram
	// Commit is the time from Propose to its answer: the log's share of a
	// transaction's commit latency.
	Commit Histogram
	// LastIndex is the highest index written, AppliedIndex the highest
	// applied, CheckpointIndex the last checkpoint: LastIndex -
	// CheckpointIndex is what a crash now would replay.
	LastIndex, AppliedIndex, CheckpointIndex uint64
	// Failed is true once the log stopped (ErrFailed).
	Failed bool
}

// histogram records durations into DurationBuckets with atomics: no lock
// on the commit path.
type histogram struct {
	count   atomic.Uint64
	sumNs   atomic.Uint64
	buckets [16]atomic.Uint64 // len(DurationBuckets)+1, the last is +Inf
}

func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(DurationBuckets) && s > DurationBuckets[i] {
		i++
	}
	h.buckets[i].Add(1)
	h.sumNs.Add(uint64(d))
	h.count.Add(1)
}

func (h *histogram) snapshot() Histogram {
	out := Histogram{Buckets: make([]uint64, len(DurationBuckets))}
	var cum uint64
	for i := range DurationBuckets {
		cum += h.buckets[i].Load()
		out.Buckets[i] = cum
	}
	out.Count = h.count.Load()
	out.Sum = time.Duration(h.sumNs.Load()).Seconds()
	return out
}

type logCounters struct {
	writes, entries, bytes atomic.Uint64
	sync, apply, commit    histogram
}

// Stats returns the log's current statistics; safe to call concurrently
// with everything.
func (l *Log) Stats() Stats {
	c := l.w.counters
	st := Stats{
		Writes:          c.writes.Load(),
		Entries:         c.entries.Load(),
		Bytes:           c.bytes.Load(),
		Sync:            c.sync.snapshot(),
		Apply:           c.apply.snapshot(),
		Commit:          c.commit.snapshot(),
		AppliedIndex:    l.Applied(),
		CheckpointIndex: l.CheckpointIndex(),
		Failed:          l.err() != nil,
	}
	l.w.mu.Lock()
	st.LastIndex = l.w.lastIndex
	l.w.mu.Unlock()
	return st
}
