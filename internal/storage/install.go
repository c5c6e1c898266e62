package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	badger "github.com/dgraph-io/badger/v4"
)

// snapshotMarker is a file in the data directory that exists while a
// snapshot is being loaded: after a crash there, Badger may hold part of
// the snapshot beside the old state, a mix no reader may see. A store
// that finds it at Open is not initialized (it does not serve) until a
// snapshot has been loaded whole.
const snapshotMarker = "snapshot-loading"

// SnapshotIncomplete reports whether a snapshot load was interrupted (by
// a crash) and none has completed since: the store's contents are then
// a mix of two states.
func (s *Store) SnapshotIncomplete() bool { return s.partial.Load() }

// setSnapshotMarker creates (on) or removes the marker durably: the file
// and the directory are synced.
func (s *Store) setSnapshotMarker(on bool) error {
	path := filepath.Join(s.dir, snapshotMarker)
	if on {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o640)
		if err != nil {
			return err
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	} else if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if s.noSync {
		return nil
	}
	d, err := os.Open(s.dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

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
// snapshot as its checkpoint, and ts becomes visible to readers. A crash
// in between leaves snapshotMarker behind (see SnapshotIncomplete); a
// crash after it leaves the whole snapshot in Badger, a consistent state
// the log replays its older entries onto, harmlessly.
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
	if err := s.setSnapshotMarker(true); err != nil {
		return fmt.Errorf("load snapshot: %w", err)
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
	if err := s.setSnapshotMarker(false); err != nil {
		return fmt.Errorf("load snapshot: %w", err)
	}
	s.partial.Store(false)
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
