package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/google/btree"

	"github.com/guocedb/guocedb/internal/lockmgr"
)

// ErrTxnDone is returned by operations on a committed or discarded Txn.
var ErrTxnDone = errors.New("transaction already finished")

type entry struct {
	key    []byte
	value  []byte
	delete bool
	// based is the timestamp the write was based on: the transaction's
	// read timestamp, or a later current read under a row lock (Txn.Lock).
	// The commit's conflict check starts there.
	based uint64
}

func entryLess(a, b entry) bool { return bytes.Compare(a.key, b.key) < 0 }

// Txn is a snapshot read plus a buffered write set. It is safe for use by
// several goroutines (the engine may read partitions in parallel), but its
// iterators must all be closed before Commit or Discard.
//
// Savepoints are copy-on-write clones of the write buffer, so taking one is
// O(1) whatever the transaction's size.
type Txn struct {
	store  *Store
	id     lockmgr.TxnID
	readTs uint64

	mu     sync.Mutex
	snap   *badger.Txn
	writes *btree.BTreeG[entry]
	iters  map[*Iterator]struct{} // open iterators, closed on finish
	done   bool

	// Current reads (locking.go): checkTs is what new writes are based on,
	// raised to the visible timestamp whenever a row lock is granted;
	// cur is the snapshot current reads use (at or above checkTs and
	// minCurTs), retired older ones that iterators still use.
	checkTs  uint64
	minCurTs uint64
	cur      *curView
	retired  []*curView
	hasLocks bool
}

// ReadTs returns the snapshot timestamp the transaction reads at.
func (t *Txn) ReadTs() uint64 { return t.readTs }

// Get returns the value at key as seen by this transaction: its own
// buffered writes first, then the snapshot. It returns (nil, false, nil)
// when the key does not exist.
func (t *Txn) Get(key []byte) ([]byte, bool, error) {
	return t.get(nil, key)
}

// GetAt is Get as of savepoint sp: the transaction's writes made after sp
// are not seen. Statements read this way, so that a statement never sees
// its own changes (UPDATE ... JOIN must not update a row twice).
func (t *Txn) GetAt(sp *Savepoint, key []byte) ([]byte, bool, error) {
	return t.get(sp, key)
}

func (t *Txn) get(sp *Savepoint, key []byte) ([]byte, bool, error) {
	return t.getFrom(sp, key, false)
}

func (t *Txn) getFrom(sp *Savepoint, key []byte, current bool) ([]byte, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return nil, false, ErrTxnDone
	}
	writes := t.writes
	if sp != nil && sp.writes != nil {
		writes = sp.writes
	}
	if e, ok := writes.Get(entry{key: key}); ok {
		if e.delete {
			return nil, false, nil
		}
		return e.value, true, nil
	}
	snap := t.snap
	if current {
		snap = t.currentLocked().snap
	}
	item, err := snap.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read key: %w", err)
	}
	v, err := item.ValueCopy(nil)
	if err != nil {
		return nil, false, fmt.Errorf("read value: %w", err)
	}
	return v, true, nil
}

// GetBuffered returns the transaction's own buffered write of key, without
// reading the snapshot: for keys only this transaction can have written
// (a per-transaction key), where a snapshot read is a wasted lookup. A
// buffered delete reads as absent.
func (t *Txn) GetBuffered(key []byte) (value []byte, ok bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return nil, false, ErrTxnDone
	}
	e, found := t.writes.Get(entry{key: key})
	if !found || e.delete {
		return nil, false, nil
	}
	return e.value, true, nil
}

// Set buffers a put. key and value must not be modified afterwards.
func (t *Txn) Set(key, value []byte) error {
	return t.put(entry{key: key, value: value})
}

// Delete buffers a delete of key.
func (t *Txn) Delete(key []byte) error {
	return t.put(entry{key: key, delete: true})
}

func (t *Txn) put(e entry) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return ErrTxnDone
	}
	e.based = t.checkTs
	t.writes.ReplaceOrInsert(e)
	return nil
}

// Pending reports whether the transaction has buffered writes.
func (t *Txn) Pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.writes.Len()
}

// Savepoint is an opaque copy of a transaction's buffered writes.
type Savepoint struct{ writes *btree.BTreeG[entry] }

// Savepoint captures the current write buffer.
func (t *Txn) Savepoint() Savepoint {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return Savepoint{}
	}
	return Savepoint{writes: t.writes.Clone()}
}

// RollbackTo restores the write buffer captured by sp. sp stays usable.
func (t *Txn) RollbackTo(sp Savepoint) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done || sp.writes == nil {
		return
	}
	t.writes = sp.writes.Clone()
}

// Commit checks for conflicts, assigns a commit timestamp and hands the
// write set to the store's Committer. It returns ErrConflict when a
// concurrent transaction committed a write to the same key first. The Txn is
// finished afterwards, whatever the outcome.
func (t *Txn) Commit(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return ErrTxnDone
	}
	// Locks go after the commit is visible (deferred calls run last in
	// first): the next holder's current read must see this commit.
	defer t.finishLocked()
	if t.writes.Len() == 0 {
		return nil
	}
	ws := &WriteSet{Mutations: make([]Mutation, 0, t.writes.Len())}
	keys := make(map[uint64]uint64, t.writes.Len())
	t.writes.Ascend(func(e entry) bool {
		ws.Mutations = append(ws.Mutations, Mutation{Key: e.key, Value: e.value, Delete: e.delete})
		keys[maphash.Bytes(t.store.seed, e.key)] = e.based
		return true
	})
	err := t.store.commit(ctx, t.readTs, ws, keys)
	t.store.counters.countCommit(err)
	return err
}

// Done reports whether the transaction has committed or been discarded;
// its iterators are then closed.
func (t *Txn) Done() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.done
}

// Refresh moves a transaction that has written nothing and has no open
// iterator to a new snapshot of the latest commits, for READ COMMITTED
// reads between statements. It reports whether it did; a transaction with
// writes keeps its snapshot (its conflict check is against that one).
func (t *Txn) Refresh() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done || t.writes.Len() > 0 || len(t.iters) > 0 {
		return false
	}
	ts := t.store.oracle.begin()
	if ts == t.readTs {
		t.store.oracle.end(ts)
		return false
	}
	t.snap.Discard()
	t.store.oracle.end(t.readTs)
	t.readTs = ts
	t.snap = t.store.db.NewTransactionAt(ts, false)
	t.checkTs = max(t.checkTs, ts)
	return true
}

// Finished reports whether the Txn was committed (whatever the outcome) or
// discarded.
func (t *Txn) Finished() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.done
}

// Discard drops the buffered writes. It is safe to call more than once and
// after Commit.
func (t *Txn) Discard() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.done {
		if t.writes.Len() > 0 {
			t.store.counters.rolledBack.Add(1)
		}
		t.finishLocked()
	}
}

func (t *Txn) finishLocked() {
	t.done = true
	// Badger panics when a transaction is discarded with open iterators; a
	// statement abandoned half way may leave some behind.
	for it := range t.iters {
		it.closeLocked()
	}
	t.snap.Discard()
	t.writes = nil
	t.store.oracle.end(t.readTs)
	t.dropCurrentLocked()
	if t.hasLocks {
		t.store.locks.ReleaseAll(t.id)
	}
}

// Iterator walks keys in [start, end) in ascending byte order (or
// descending with Reverse), merging the transaction's own writes over the
// snapshot. It is not safe for concurrent use.
type Iterator struct {
	txn      *Txn
	it       *badger.Iterator
	start    []byte
	end      []byte
	reverse  bool
	pending  []entry // buffered writes inside the range, in iteration order
	pi       int
	keysOnly bool
	reuse    bool
	view     *curView // the current-read snapshot it reads, nil for the transaction's
	// keyBuf and valBuf hold the snapshot's current key and value under
	// IterOptions.Reuse.
	keyBuf, valBuf []byte

	key, value []byte
	valid      bool
	err        error
}

// IterOptions selects the range and direction of an Iterator.
type IterOptions struct {
	Start, End []byte // End nil means unbounded
	Reverse    bool
	// KeysOnly skips loading values: for existence checks and counts.
	KeysOnly bool
	// Current reads the latest commits (a current read, as locking reads
	// and DML do) instead of the transaction's snapshot; the
	// transaction's own writes still come first.
	Current bool
	// Reuse copies each key and value read from the snapshot into the
	// iterator's own buffers instead of new slices: Key and Value are
	// then valid only until the next Next (a scan that decodes each row
	// before moving on allocates nothing per entry).
	Reuse bool
}

// NewIterator opens an iterator positioned on the first key of the range.
func (t *Txn) NewIterator(opts IterOptions) (*Iterator, error) {
	return t.newIterator(nil, opts)
}

// NewIteratorAt is NewIterator as of savepoint sp (see GetAt).
func (t *Txn) NewIteratorAt(sp *Savepoint, opts IterOptions) (*Iterator, error) {
	return t.newIterator(sp, opts)
}

func (t *Txn) newIterator(sp *Savepoint, opts IterOptions) (*Iterator, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return nil, ErrTxnDone
	}
	writes := t.writes
	if sp != nil && sp.writes != nil {
		writes = sp.writes
	}
	bo := badger.DefaultIteratorOptions
	bo.Reverse = opts.Reverse
	bo.PrefetchValues = false
	bo.Prefix = commonPrefix(opts.Start, opts.End)
	snap := t.snap
	var view *curView
	if opts.Current {
		view = t.currentLocked()
		view.iters++
		snap = view.snap
	}
	it := &Iterator{txn: t, it: snap.NewIterator(bo), start: opts.Start, end: opts.End, reverse: opts.Reverse, keysOnly: opts.KeysOnly, reuse: opts.Reuse, view: view}
	// The write buffer is copied into the iterator so that writes made while
	// iterating (UPDATE of the scanned table) do not disturb the scan.
	collect := func(e entry) bool { it.pending = append(it.pending, e); return true }
	switch {
	case opts.Reverse && opts.End == nil:
		writes.DescendGreaterThan(entry{key: opts.Start}, collect)
		if e, ok := writes.Get(entry{key: opts.Start}); ok {
			it.pending = append(it.pending, e)
		}
	case opts.Reverse:
		writes.DescendRange(entry{key: opts.End}, entry{key: opts.Start}, collect)
		if e, ok := writes.Get(entry{key: opts.Start}); ok {
			it.pending = append(it.pending, e)
		}
		if len(it.pending) > 0 && bytes.Equal(it.pending[0].key, opts.End) {
			it.pending = it.pending[1:]
		}
	case opts.End == nil:
		writes.AscendGreaterOrEqual(entry{key: opts.Start}, collect)
	default:
		writes.AscendRange(entry{key: opts.Start}, entry{key: opts.End}, collect)
	}
	if opts.Reverse {
		if opts.End == nil {
			it.it.Rewind()
		} else {
			it.it.Seek(opts.End)
			if it.it.Valid() && bytes.Equal(it.it.Item().Key(), opts.End) {
				it.it.Next()
			}
		}
	} else {
		it.it.Seek(opts.Start)
	}
	t.iters[it] = struct{}{}
	it.advance()
	return it, nil
}

func commonPrefix(a, b []byte) []byte {
	if b == nil {
		return nil
	}
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n]
}

func (it *Iterator) inRange(k []byte) bool {
	if bytes.Compare(k, it.start) < 0 {
		return false
	}
	return it.end == nil || bytes.Compare(k, it.end) < 0
}

// before reports whether a comes before b in iteration order.
func (it *Iterator) before(a, b []byte) bool {
	c := bytes.Compare(a, b)
	if it.reverse {
		return c > 0
	}
	return c < 0
}

// advance moves to the next visible key, merging buffered writes (which win
// on equal keys) with the snapshot and skipping deletes.
func (it *Iterator) advance() {
	if it.it == nil {
		it.valid = false
		return
	}
	for {
		var snapKey []byte
		if it.it.Valid() {
			snapKey = it.it.Item().Key()
			if !it.inRange(snapKey) {
				snapKey = nil
			}
		}
		var buf *entry
		if it.pi < len(it.pending) {
			buf = &it.pending[it.pi]
		}
		switch {
		case snapKey == nil && buf == nil:
			it.valid = false
			return
		case buf != nil && (snapKey == nil || !it.before(snapKey, buf.key)):
			if snapKey != nil && bytes.Equal(snapKey, buf.key) {
				it.it.Next()
			}
			it.pi++
			if buf.delete {
				continue
			}
			it.key, it.value, it.valid = buf.key, buf.value, true
			return
		default:
			item := it.it.Item()
			var v []byte
			var err error
			if it.reuse {
				it.keyBuf = item.KeyCopy(it.keyBuf[:0])
				it.key = it.keyBuf
				if !it.keysOnly {
					v, err = item.ValueCopy(it.valBuf[:0])
					it.valBuf = v
				}
			} else {
				it.key = item.KeyCopy(nil)
				if !it.keysOnly {
					v, err = item.ValueCopy(nil)
				}
			}
			it.it.Next()
			if err != nil {
				it.err, it.valid = fmt.Errorf("read value: %w", err), false
				return
			}
			it.value, it.valid = v, true
			return
		}
	}
}

// Valid reports whether the iterator is positioned on a key.
func (it *Iterator) Valid() bool { return it.valid }

// Key returns the current key; it stays valid after Next, unless the
// iterator was opened with Reuse.
func (it *Iterator) Key() []byte { return it.key }

// Value returns the current value; it stays valid after Next, unless
// the iterator was opened with Reuse.
func (it *Iterator) Value() []byte { return it.value }

// Next moves to the following key.
func (it *Iterator) Next() { it.advance() }

// Err returns the first error met while iterating.
func (it *Iterator) Err() error { return it.err }

// Close releases the snapshot iterator. It is safe to call twice and after
// the transaction finished.
func (it *Iterator) Close() {
	it.txn.mu.Lock()
	defer it.txn.mu.Unlock()
	it.closeLocked()
}

func (it *Iterator) closeLocked() {
	if it.it != nil {
		it.it.Close()
		it.it = nil
		delete(it.txn.iters, it)
		it.valid = false
		if it.view != nil {
			it.txn.viewClosedLocked(it.view)
			it.view = nil
		}
	}
}
