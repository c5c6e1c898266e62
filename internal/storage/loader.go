package storage

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/guocedb/guocedb/internal/encryption"
	"github.com/guocedb/guocedb/internal/raftlog"
)

// Loader fills a new, empty data directory with keys written at
// timestamps the caller chooses: the restore of a backup, which writes a
// full snapshot at its snapshot timestamp and then each incremental at its
// own. It bypasses the oracle and the Committer on purpose: nothing else
// reads or writes the directory while it is filled (restores go into a
// temporary directory that is renamed into place at the end), and a Store
// opened on the result starts its clock above the highest timestamp
// written, as after any restart.
//
// A Loader is not safe for concurrent use.
type Loader struct {
	dir  string
	db   *badger.DB
	wb   *badger.WriteBatch
	ts   uint64 // timestamp of the layer being written, 0 before the first
	done uint64 // timestamp of the last flushed layer
}

// NewLoader creates a Badger directory in dir, which must exist and be
// empty; encrypted with key unless it is nil (the marker is written
// first, as Open does).
func NewLoader(dir string, key *encryption.Key, logger *slog.Logger) (*Loader, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("load into %q: %w", dir, err)
	}
	if len(ents) > 0 {
		return nil, fmt.Errorf("load into %q: directory is not empty", dir)
	}
	if key != nil {
		if err := encryption.WriteMarker(dir, key); err != nil {
			return nil, fmt.Errorf("load into %q: %w", dir, err)
		}
	}
	o := DefaultOptions()
	bo := badger.DefaultOptions(dir).
		WithSyncWrites(true).
		WithDetectConflicts(false).
		WithMemTableSize(o.MemTableSize).
		WithNumMemtables(o.NumMemtables).
		WithBlockCacheSize(o.BlockCacheSize).
		WithIndexCacheSize(o.IndexCacheSize).
		WithNumVersionsToKeep(1).
		WithLogger(badgerLogger{l: logger.With("component", "badger"), counters: &storeCounters{}})
	bo = withEncryption(bo, key)
	db, err := badger.OpenManaged(bo)
	if err != nil {
		return nil, wrapOpenError(dir, err)
	}
	return &Loader{dir: dir, db: db}, nil
}

// BeginLayer flushes the writes of the current layer and starts a new one
// at ts, which must be above every earlier layer's timestamp (later layers
// win, as later commits do).
func (l *Loader) BeginLayer(ts uint64) error {
	if ts <= l.ts {
		return fmt.Errorf("load: layer timestamp %d is not above the previous layer's %d", ts, l.ts)
	}
	if err := l.flush(); err != nil {
		return err
	}
	l.ts = ts
	l.wb = l.db.NewManagedWriteBatch()
	return nil
}

func (l *Loader) flush() error {
	if l.wb == nil {
		return nil
	}
	err := l.wb.Flush()
	l.wb = nil
	if err != nil {
		return fmt.Errorf("load: write layer at %d: %w", l.ts, err)
	}
	l.done = l.ts
	return nil
}

// Set writes key=value in the current layer. The loader keeps key and
// value until the layer is flushed: do not reuse them.
func (l *Loader) Set(key, value []byte) error {
	if l.wb == nil {
		return fmt.Errorf("load: Set before BeginLayer")
	}
	if err := l.wb.SetEntryAt(badger.NewEntry(key, value), l.ts); err != nil {
		return fmt.Errorf("load: set %q: %w", key, err)
	}
	return nil
}

// Delete deletes key in the current layer.
func (l *Loader) Delete(key []byte) error {
	if l.wb == nil {
		return fmt.Errorf("load: Delete before BeginLayer")
	}
	if err := l.wb.DeleteAt(key, l.ts); err != nil {
		return fmt.Errorf("load: delete %q: %w", key, err)
	}
	return nil
}

// PreviousKeys iterates, in ascending order, the keys as of the last
// flushed layer: what an incremental layer is merged against. The current
// layer's writes are not seen. Close it before Close of the Loader.
func (l *Loader) PreviousKeys() *KeyIterator {
	txn := l.db.NewTransactionAt(l.done, false)
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	it := txn.NewIterator(opts)
	it.Rewind()
	return &KeyIterator{txn: txn, it: it}
}

// Close flushes the current layer, closes the directory (Badger writes
// its memtables out on close) and starts its empty commit log. The
// directory is complete only when Close returns nil.
func (l *Loader) Close() error {
	err := l.flush()
	if cerr := l.db.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("load: close: %w", cerr)
	}
	if err == nil {
		// The directory's commit log starts empty at the loaded state.
		err = raftlog.Create(nil, filepath.Join(l.dir, LogDir))
	}
	return err
}

// Abort drops the current layer's unflushed writes and closes the
// directory; the caller removes it.
func (l *Loader) Abort() {
	if l.wb != nil {
		l.wb.Cancel()
		l.wb = nil
	}
	_ = l.db.Close()
}

// KeyIterator walks keys in ascending order. Not safe for concurrent use.
type KeyIterator struct {
	txn *badger.Txn
	it  *badger.Iterator
}

// Valid reports whether the iterator is on a key.
func (k *KeyIterator) Valid() bool { return k.it.Valid() }

// Key returns the current key, valid until Next.
func (k *KeyIterator) Key() []byte { return k.it.Item().Key() }

// Next moves to the following key.
func (k *KeyIterator) Next() { k.it.Next() }

// Close releases the iterator. Safe to call twice.
func (k *KeyIterator) Close() {
	if k.it != nil {
		k.it.Close()
		k.txn.Discard()
		k.it = nil
	}
}
