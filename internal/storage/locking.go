package storage

import (
	"context"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/guocedb/guocedb/internal/lockmgr"
)

// Row locks and current reads.
//
// A transaction reads its snapshot, except for locking reads and DML,
// which read the latest commits (InnoDB's "current read") and lock the
// rows they touch. The order that makes this safe:
//
//  1. Lock the key (Txn.Lock). A holder releases its locks only after its
//     commit is visible (Txn.Commit), so once the lock is granted every
//     commit of that key is visible.
//  2. Raise checkTs to the visible timestamp, and read through a current
//     snapshot at or above it (GetCurrent, IterOptions.Current).
//  3. Writes made from now on are based on checkTs: the commit's
//     write-write check skips commits at or below it. Without that, every
//     transaction that waited for a row would fail at COMMIT with 1213 for
//     the holder's (visible, already read) commit.
//
// The check still catches writes not covered by a lock (those of an
// optimistic path), against commits after the read they were based on.

// TxnID returns the transaction's lock owner id.
func (t *Txn) TxnID() lockmgr.TxnID { return t.id }

// Lock takes a row lock on key for the transaction, waiting as w says,
// and makes later current reads and writes start from the latest commit.
// Locks are held until Commit or Discard.
func (t *Txn) Lock(ctx context.Context, key []byte, mode lockmgr.Mode, w lockmgr.Wait) error {
	t.mu.Lock()
	if t.done {
		t.mu.Unlock()
		return ErrTxnDone
	}
	t.hasLocks = true
	t.mu.Unlock()
	// Not under t.mu: the wait may be long, and the engine may read other
	// partitions of the transaction meanwhile.
	if err := t.store.locks.Lock(ctx, t.id, key, mode, w); err != nil {
		return err
	}
	ts := t.store.oracle.visibleTs()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		// Finished while waiting (a connection closed): drop what was
		// granted after the release.
		t.store.locks.ReleaseAll(t.id)
		return ErrTxnDone
	}
	t.checkTs = max(t.checkTs, ts)
	return nil
}

// StartCurrentRead makes the next current reads see every commit visible
// now: a locking statement begins with it, so that it finds rows
// committed after the transaction's snapshot.
func (t *Txn) StartCurrentRead() {
	ts := t.store.oracle.visibleTs()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.minCurTs = max(t.minCurTs, ts)
}

// GetCurrent is GetAt reading the latest commits under the transaction's
// writes as of sp (a current read).
func (t *Txn) GetCurrent(sp *Savepoint, key []byte) ([]byte, bool, error) {
	return t.getFrom(sp, key, true)
}

// curView is a snapshot for current reads, registered with the oracle so
// that its versions are kept while it is in use.
type curView struct {
	ts    uint64
	snap  *badger.Txn
	iters int
}

// currentLocked returns a snapshot at or above checkTs and minCurTs,
// replacing an older one. An older one with open iterators is retired
// until they close.
func (t *Txn) currentLocked() *curView {
	need := max(t.checkTs, t.minCurTs, t.readTs)
	if t.cur != nil && t.cur.ts >= need {
		return t.cur
	}
	if need == t.readTs && t.cur == nil {
		// Nothing newer is needed: share the transaction's snapshot.
		return &curView{ts: t.readTs, snap: t.snap, iters: -1 << 30}
	}
	ts := t.store.oracle.begin()
	v := &curView{ts: ts, snap: t.store.db.NewTransactionAt(ts, false)}
	if old := t.cur; old != nil {
		if old.iters == 0 {
			t.closeViewLocked(old)
		} else {
			t.retired = append(t.retired, old)
		}
	}
	t.cur = v
	return v
}

func (t *Txn) closeViewLocked(v *curView) {
	v.snap.Discard()
	t.store.oracle.end(v.ts)
}

// viewClosedLocked is called when an iterator of v closes.
func (t *Txn) viewClosedLocked(v *curView) {
	v.iters--
	if v.iters != 0 {
		return
	}
	for i, r := range t.retired {
		if r == v {
			t.retired = append(t.retired[:i], t.retired[i+1:]...)
			t.closeViewLocked(v)
			return
		}
	}
}

// dropCurrentLocked closes every current snapshot (the transaction's
// iterators are already closed).
func (t *Txn) dropCurrentLocked() {
	if t.cur != nil {
		t.closeViewLocked(t.cur)
		t.cur = nil
	}
	for _, r := range t.retired {
		t.closeViewLocked(r)
	}
	t.retired = nil
}

// Holds reports whether the transaction holds a lock on key.
func (t *Txn) Holds(key []byte) bool {
	t.mu.Lock()
	has := t.hasLocks
	t.mu.Unlock()
	return has && t.store.locks.Holds(t.id, key) != 0
}

// Fresh reports whether it reads a snapshot that already shows every
// commit the transaction's locks require (a lock granted since the
// iterator opened may need a newer one): the value it returned for a key
// locked after reading it is then the current one, and a locking scan
// need not read the key again.
func (it *Iterator) Fresh() bool {
	it.txn.mu.Lock()
	defer it.txn.mu.Unlock()
	return it.view != nil && it.view.ts >= it.txn.checkTs
}
