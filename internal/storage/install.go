package storage

import (
	"bytes"
	"context"
	"encoding/json"
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
// snapshot has been loaded whole. It holds the load's SnapshotProgress
// as JSON (empty when written by a release before resumable streams, or
// before the first record): what a later stream of the same snapshot may
// skip.
const snapshotMarker = "snapshot-loading"

// snapshotCheckpointBytes is how many bytes of records a load writes
// between two progress records: what a crash of the receiver costs the
// next stream at most.
const snapshotCheckpointBytes = 16 << 20

// SnapshotIncomplete reports whether a snapshot load was interrupted (by
// a crash) and none has completed since: the store's contents are then
// a mix of two states.
func (s *Store) SnapshotIncomplete() bool { return s.partial.Load() }

// SnapshotID identifies one snapshot a leader streams: its timestamp and
// the log position it stands for (the index and that entry's term). Two
// streams with the same ID carry the same records in the same order.
type SnapshotID struct {
	Ts    uint64 `json:"ts"`
	Index uint64 `json:"index"`
	Term  uint64 `json:"term"`
}

// SnapshotProgress is what the store durably holds of a snapshot load
// that has not completed: every record up to LastKey is in Badger (Keys
// of them), and so is every delete of a local key below it.
type SnapshotProgress struct {
	SnapshotID
	// Base is the store's visible timestamp before the first of the
	// interrupted loads began. After a crash Open publishes Badger's
	// highest version, which the partial load may have raised; the
	// next load compares snapshots against Base instead.
	Base    uint64 `json:"base"`
	LastKey []byte `json:"last_key"`
	Keys    uint64 `json:"keys"`
}

// SnapshotProgress returns the progress of an interrupted snapshot load;
// false when none is recorded (no load was interrupted, or one by a
// release that did not record progress, or none loaded a record).
func (s *Store) SnapshotProgress() (SnapshotProgress, bool) {
	b, err := os.ReadFile(filepath.Join(s.dir, snapshotMarker))
	if err != nil || len(b) == 0 {
		return SnapshotProgress{}, false
	}
	var p SnapshotProgress
	if err := json.Unmarshal(b, &p); err != nil || p.Ts == 0 {
		// Starting over is always safe: a load reads every local key
		// (see LoadSnapshotFrom).
		s.logger.Warn("unreadable snapshot progress record; the next snapshot starts from its first key", "err", err)
		return SnapshotProgress{}, false
	}
	return p, true
}

// writeSnapshotMarker replaces the marker's content with p durably: the
// new content is written beside it, synced and renamed over it, then
// the directory is synced.
func (s *Store) writeSnapshotMarker(p SnapshotProgress) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	path := filepath.Join(s.dir, snapshotMarker)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil && !s.noSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return err
	}
	return s.syncDir()
}

// removeSnapshotMarker removes the marker durably.
func (s *Store) removeSnapshotMarker() error {
	path := filepath.Join(s.dir, snapshotMarker)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return s.syncDir()
}

func (s *Store) syncDir() error {
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

// ErrSnapshotResume is returned by LoadSnapshotFrom when asked to
// continue a load this store has no record of.
var ErrSnapshotResume = errors.New("no interrupted load of this snapshot up to that key")

// LoadSnapshot loads a leader's snapshot at ts from its first key: see
// LoadSnapshotFrom.
func (s *Store) LoadSnapshot(ctx context.Context, ts uint64, next func() ([]SnapshotKV, error)) error {
	return s.LoadSnapshotFrom(ctx, SnapshotID{Ts: ts}, nil, next)
}

// LoadSnapshotFrom makes the store hold a leader's snapshot id, for a
// cluster member too far behind to catch up from the log: every key
// next returns (in ascending key order; nil at the end) is written at
// its own version, and every key this store holds that the snapshot
// lacks is deleted at id.Ts. Badger is synced before it returns, so that
// the log may record the snapshot as its checkpoint, and id.Ts becomes
// visible to readers.
//
// With after nil the load starts from the snapshot's first key. A load
// that stops early (next fails, ctx ends, a crash) keeps what it wrote:
// it is flushed and synced, then the marker records id and the last key
// loaded (SnapshotProgress; also every snapshotCheckpointBytes during
// the load, for a crash). A stream of the same snapshot may then pass
// that key as after, and carry only the keys above it.
//
// Readers see either the old state or the snapshot's. Every version a
// load writes is a fact of the cluster's one history: a record's version
// is the commit that wrote its value, and a delete at id.Ts is of a key
// the history holds no value for at id.Ts. The store's visible timestamp
// V is below id.Ts; a record's version at or below V is one this store
// holds already (it applied every entry up to V, in timestamp order),
// everything else is above V and invisible until id.Ts is published at
// the end. That holds for an interrupted load too, whatever comes next:
// the log's later entries write the same facts again, a resumed stream
// finishes the same snapshot, and a newer snapshot id2 reads the local
// keys at id2.Ts, not at V: a key that only the abandoned load wrote (at
// a version in (V, id.Ts]) is seen, and deleted at id2.Ts when id2 lacks
// it; a key the abandoned load deleted at id.Ts <= id2.Ts is seen as
// deleted, and id2's record for it, if any, has a higher version. The
// only state that is not one of the history's is the partial load
// published as a whole: after a crash Open makes Badger's highest
// version visible, hence the marker (SnapshotIncomplete).
func (s *Store) LoadSnapshotFrom(ctx context.Context, id SnapshotID, after []byte, next func() ([]SnapshotKV, error)) error {
	ts := id.Ts
	prev, resumable := s.SnapshotProgress()
	vis := s.oracle.visibleTs()
	if resumable && s.partial.Load() {
		vis = prev.Base // Open published what the partial load wrote
	}
	if ts <= vis {
		return fmt.Errorf("%w: snapshot at %d, this store is visible at %d", ErrSnapshotStale, ts, vis)
	}
	prog := SnapshotProgress{SnapshotID: id, Base: vis}
	if after != nil {
		if !resumable || prev.SnapshotID != id || !bytes.Equal(prev.LastKey, after) {
			return fmt.Errorf("load snapshot: resume after %q: %w", after, ErrSnapshotResume)
		}
		prog = prev
	}
	skipped := prog.Keys
	if err := s.writeSnapshotMarker(prog); err != nil {
		return fmt.Errorf("load snapshot: %w", err)
	}
	txn := s.db.NewTransactionAt(ts, false)
	defer txn.Discard()
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	it := txn.NewIterator(opts)
	defer it.Close()
	if after != nil {
		it.Seek(append(bytes.Clone(after), 0)) // the first key above after
	} else {
		it.Rewind()
	}
	// The batch writes only keys behind the iterator (the deletes below
	// a record's key, then the record once the iterator has passed it),
	// so the iterator never meets the load's own writes.
	wb := s.db.NewManagedWriteBatch()
	defer func() { wb.Cancel() }()
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
	// save makes what the batch holds durable, then records it: the
	// marker never claims a key Badger may not hold after a crash.
	save := func() error {
		if err := wb.Flush(); err != nil {
			return err
		}
		wb = s.db.NewManagedWriteBatch()
		if err := s.syncBadger(); err != nil {
			return err
		}
		return s.writeSnapshotMarker(prog)
	}
	// stopped keeps what was loaded when the stream stops early; err is
	// returned either way.
	stopped := func(err error) error {
		if serr := save(); serr != nil {
			return errors.Join(err, fmt.Errorf("load snapshot: keep the records loaded: %w", serr))
		}
		s.logger.Info("snapshot load interrupted; kept the records loaded for a resumed stream", "ts", ts, "keys", prog.Keys, "err", err)
		return err
	}
	var n, bytesIn, unsaved int
	for {
		if err := ctx.Err(); err != nil {
			return stopped(err)
		}
		recs, err := next()
		if err != nil {
			return stopped(err)
		}
		if recs == nil {
			break
		}
		for _, r := range recs {
			if prog.LastKey != nil && bytes.Compare(r.Key, prog.LastKey) <= 0 {
				return stopped(fmt.Errorf("load snapshot: key %q is not above the previous one", r.Key))
			}
			if r.Version > ts {
				return stopped(fmt.Errorf("load snapshot: key version %d above the snapshot's timestamp %d", r.Version, ts))
			}
			if err := deleteBelow(r.Key); err != nil {
				return fmt.Errorf("load snapshot: %w", err)
			}
			if it.Valid() && bytes.Equal(it.Item().Key(), r.Key) {
				it.Next()
			}
			// Copies: the batch holds them past next's following call.
			k := bytes.Clone(r.Key)
			if err := wb.SetEntryAt(badger.NewEntry(k, bytes.Clone(r.Value)), r.Version); err != nil {
				return fmt.Errorf("load snapshot: %w", err)
			}
			prog.LastKey = k
			prog.Keys++
			n++
			bytesIn += len(r.Key) + len(r.Value)
			unsaved += len(r.Key) + len(r.Value)
		}
		if unsaved >= s.snapCheckpoint {
			if err := save(); err != nil {
				return fmt.Errorf("load snapshot: %w", err)
			}
			unsaved = 0
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
	if err := s.removeSnapshotMarker(); err != nil {
		return fmt.Errorf("load snapshot: %w", err)
	}
	s.partial.Store(false)
	s.oracle.observe(ts)
	s.logger.Info("loaded a snapshot from the leader", "ts", ts, "keys", n, "bytes", bytesIn, "keys_skipped", skipped)
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
