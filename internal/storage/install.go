package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
)

// SnapshotKV is one key of a snapshot streamed from a cluster's leader:
// its value and the commit timestamp that wrote it.
type SnapshotKV struct {
	Key, Value []byte
	Version    uint64
}

// ErrSnapshotStale is returned by LoadSnapshot for a snapshot this store
// has already reached.
var ErrSnapshotStale = errors.New("snapshot is not newer than this store")

// LoadSnapshot makes the store hold a leader's snapshot at ts, for a
// cluster member too far behind to catch up from the log: every key next
// returns (in key order; nil at the end) is written at its own version,
// and every key this store holds that the snapshot lacks is deleted at
// ts. Badger is synced before it returns, so that the log may record the
// snapshot as its checkpoint, and ts becomes visible to readers.
//
// Readers see either the old state or the snapshot's: the store is
// behind, so its visible timestamp V is below ts; every local key is
// read at V, the snapshot's versions above V and the deletes at ts are
// invisible until ts is published, and a snapshot version at or below V
// is one this store already holds (it applied every entry up to V, and
// the log is in timestamp order).
func (s *Store) LoadSnapshot(ctx context.Context, ts uint64, next func() ([]SnapshotKV, error)) error {
	vis := s.oracle.visibleTs()
	if ts <= vis {
		return fmt.Errorf("%w: snapshot at %d, this store is visible at %d", ErrSnapshotStale, ts, vis)
	}
	txn := s.db.NewTransactionAt(vis, false)
	defer txn.Discard()
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	it := txn.NewIterator(opts)
	defer it.Close()
	it.Rewind()
	wb := s.db.NewManagedWriteBatch()
	defer wb.Cancel()
	// deleteBelow deletes the local keys before key (all when nil) that
	// the snapshot does not have.
	deleteBelow := func(key []byte) error {
		for ; it.Valid(); it.Next() {
			k := it.Item().Key()
			if key != nil && bytes.Compare(k, key) >= 0 {
				return nil
			}
			if err := wb.DeleteAt(bytes.Clone(k), ts); err != nil {
				return err
			}
		}
		return nil
	}
	var n, bytesIn int
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		recs, err := next()
		if err != nil {
			return err
		}
		if recs == nil {
			break
		}
		for _, r := range recs {
			if err := deleteBelow(r.Key); err != nil {
				return fmt.Errorf("load snapshot: %w", err)
			}
			if it.Valid() && bytes.Equal(it.Item().Key(), r.Key) {
				it.Next()
			}
			if r.Version > ts {
				return fmt.Errorf("load snapshot: key version %d above the snapshot's timestamp %d", r.Version, ts)
			}
			if err := wb.SetEntryAt(badger.NewEntry(r.Key, r.Value), r.Version); err != nil {
				return fmt.Errorf("load snapshot: %w", err)
			}
			n++
			bytesIn += len(r.Key) + len(r.Value)
		}
	}
	if err := deleteBelow(nil); err != nil {
		return fmt.Errorf("load snapshot: %w", err)
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("load snapshot: %w", err)
	}
	if err := s.syncBadger(); err != nil {
		return fmt.Errorf("load snapshot: %w", err)
	}
	s.oracle.observe(ts)
	s.logger.Info("loaded a snapshot from the leader", "ts", ts, "keys", n, "bytes", bytesIn)
	// Every in-memory image (catalog, accounts) reloads.
	s.watchMu.Lock()
	for _, w := range s.watches {
		w.due.Store(true)
	}
	s.watchMu.Unlock()
	select {
	case s.watchCh <- struct{}{}:
	default:
	}
	return nil
}
