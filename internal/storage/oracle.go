package storage

import (
	"errors"
	"sync"
)

// ErrConflict is returned by Commit when another transaction committed a
// write to one of this transaction's keys after its snapshot was taken.
// The SQL layer maps it to MySQL error 1213 so that clients retry.
var ErrConflict = errors.New("transaction conflict: a concurrent transaction wrote the same key")

// committedTxn remembers which keys a committed transaction wrote, for as
// long as an active transaction might have started before it.
type committedTxn struct {
	ts   uint64
	keys map[uint64]uint64
}

// oracle hands out read and commit timestamps and detects write-write
// conflicts (first committer wins), which gives snapshot isolation.
//
// Invariants: lastTs is the highest timestamp ever assigned; readTs() is
// the highest timestamp at and below which every commit has finished, so a
// snapshot never sees a later commit without an earlier one.
type oracle struct {
	mu        sync.Mutex
	visible   *sync.Cond // signalled when doneUntil advances
	lastTs    uint64
	pending   map[uint64]struct{} // commit timestamps assigned but not yet applied
	doneUntil uint64
	active    map[uint64]int // read timestamps of open transactions -> count
	committed []committedTxn
}

func newOracle(maxTs uint64) *oracle {
	o := &oracle{
		lastTs:    maxTs,
		doneUntil: maxTs,
		pending:   make(map[uint64]struct{}),
		active:    make(map[uint64]int),
	}
	o.visible = sync.NewCond(&o.mu)
	return o
}

// begin registers a new reader and returns its snapshot timestamp.
func (o *oracle) begin() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	ts := o.doneUntil
	o.active[ts]++
	return ts
}

// end unregisters a reader started by begin.
func (o *oracle) end(readTs uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.active[readTs]--; o.active[readTs] <= 0 {
		delete(o.active, readTs)
	}
	o.trimLocked()
}

// prepare checks keys against commits newer than readTs and, if there is no
// conflict, assigns and returns a commit timestamp that must later be passed
// to done. keys maps each key's hash to the timestamp its write was based
// on (at least readTs): a write made after a current read under a row lock
// conflicts only with commits after that read (Txn.Lock).
func (o *oracle) prepare(readTs uint64, keys map[uint64]uint64) (uint64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.committed) - 1; i >= 0; i-- {
		c := o.committed[i]
		if c.ts <= readTs {
			break
		}
		for k, based := range keys {
			if c.ts <= based {
				continue
			}
			if _, ok := c.keys[k]; ok {
				return 0, ErrConflict
			}
		}
	}
	o.lastTs++
	ts := o.lastTs
	o.pending[ts] = struct{}{}
	if len(o.active) > 0 && len(keys) > 0 {
		o.committed = append(o.committed, committedTxn{ts: ts, keys: keys})
	}
	return ts, nil
}

// done publishes commitTs once its write set is applied (or failed).
func (o *oracle) done(commitTs uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.pending, commitTs)
	advanced := false
	for o.doneUntil < o.lastTs {
		if _, busy := o.pending[o.doneUntil+1]; busy {
			break
		}
		o.doneUntil++
		advanced = true
	}
	if advanced {
		o.visible.Broadcast()
	}
}

// waitVisible blocks until snapshots taken from now on include commitTs:
// a commit is acknowledged only then, so a client always reads what it
// committed, even while an earlier, slower commit is still being written.
func (o *oracle) waitVisible(commitTs uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for o.doneUntil < commitTs {
		o.visible.Wait()
	}
}

// minActive returns the oldest snapshot still in use, or doneUntil.
func (o *oracle) minActive() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.minActiveLocked()
}

func (o *oracle) minActiveLocked() uint64 {
	m := o.doneUntil
	for ts := range o.active {
		if ts < m {
			m = ts
		}
	}
	return m
}

// trimLocked forgets committed write sets that no open transaction can
// conflict with any more.
func (o *oracle) trimLocked() {
	if len(o.committed) == 0 {
		return
	}
	if len(o.active) == 0 {
		o.committed = o.committed[:0]
		return
	}
	m := o.minActiveLocked()
	i := 0
	for i < len(o.committed) && o.committed[i].ts <= m {
		i++
	}
	if i > 0 {
		o.committed = append(o.committed[:0], o.committed[i:]...)
	}
}

// observe publishes ts, a commit this node applied from the log without
// committing it itself (a follower's, or the previous leader's): the
// clock moves above it, and readers see it once no commit of this node
// below it is still pending.
func (o *oracle) observe(ts uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.lastTs = max(o.lastTs, ts)
	for p := range o.pending {
		if p <= ts {
			return
		}
	}
	if ts > o.doneUntil {
		o.doneUntil = ts
		o.visible.Broadcast()
	}
}

// lastTsSnapshot returns the highest timestamp assigned so far.
func (o *oracle) lastTsSnapshot() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.lastTs
}

// visibleTs returns the timestamp new snapshots read at: every commit at
// or below it has finished.
func (o *oracle) visibleTs() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.doneUntil
}
