package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/guocedb/guocedb/internal/encryption"
	"github.com/guocedb/guocedb/internal/lockmgr"
	"github.com/guocedb/guocedb/internal/raftlog"
)

// ErrLocked is returned by Open and OpenReadOnly when another process (a
// running server, a backup, a check) holds the data directory.
var ErrLocked = errors.New("data directory is in use by another process")

// ErrNotCleanlyClosed is returned by OpenReadOnly for a directory whose
// last user did not close it (a crash or kill -9): its write-ahead log
// must be replayed, which needs a read-write open.
var ErrNotCleanlyClosed = errors.New("data directory was not closed cleanly")

// wrapOpenError turns Badger's open failures that a user can act on into
// errors naming the cause. Badger reports them as formatted text only (its
// y.Wrapf drops the chain outside debug builds), hence the text match.
func wrapOpenError(dir string, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Cannot acquire directory lock"):
		return fmt.Errorf("data directory %q: %w (is a server running on it?)", dir, ErrLocked)
	case strings.Contains(msg, badger.ErrTruncateNeeded.Error()):
		return fmt.Errorf("data directory %q: %w: start guocedb on it once and stop it (that replays the log), then retry", dir, ErrNotCleanlyClosed)
	}
	return fmt.Errorf("open data directory %q: %w", dir, err)
}

// OpenReadOnly opens an existing data directory for reading only: for
// offline backups and consistency checks, which must not change what they
// inspect. It takes Badger's shared directory lock, so it fails with
// ErrLocked while a server holds the directory, and a server cannot start
// on it meanwhile. Writes through the returned Store fail. An encrypted
// directory needs OpenReadOnlyKey.
func OpenReadOnly(dir string, logger *slog.Logger) (*Store, error) {
	return OpenReadOnlyKey(dir, nil, logger)
}

// OpenReadOnlyKey is OpenReadOnly with the directory's encryption key
// (nil: not encrypted).
func OpenReadOnlyKey(dir string, key *encryption.Key, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("data directory %q: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("data directory %q: not a directory", dir)
	}
	if _, err := os.Stat(dir + string(os.PathSeparator) + "MANIFEST"); err != nil {
		return nil, fmt.Errorf("data directory %q: not a guocedb data directory (no Badger MANIFEST)", dir)
	}
	sealer, err := prepareEncryption(dir, key, true)
	if err != nil {
		return nil, fmt.Errorf("data directory %q: %w", dir, err)
	}
	o := DefaultOptions()
	if o.MemTableSize, err = memTableSizeFor(dir, o.MemTableSize); err != nil {
		return nil, fmt.Errorf("data directory %q: %w", dir, err)
	}
	counters := &storeCounters{}
	bo := badger.DefaultOptions(dir).
		WithReadOnly(true).
		WithDetectConflicts(false).
		WithMemTableSize(o.MemTableSize).
		WithBlockCacheSize(o.BlockCacheSize).
		WithIndexCacheSize(o.IndexCacheSize).
		WithNumVersionsToKeep(1).
		WithLogger(badgerLogger{l: logger.With("component", "badger"), counters: counters})
	bo = withEncryption(bo, key)
	db, err := badger.OpenManaged(bo)
	if err != nil {
		return nil, wrapOpenError(dir, err)
	}
	s := &Store{
		counters:  counters,
		db:        db,
		oracle:    newOracle(db.MaxVersion()),
		committer: readOnlyCommitter{},
		seed:      maphash.MakeSeed(),
		locks:     lockmgr.New(lockmgr.Options{}),
		logger:    logger,
		stop:      make(chan struct{}),
		readOnly:  true,
		dir:       dir,
		key:       key,
		sealer:    sealer,
	}
	v, err := s.FormatVersionOnDisk()
	if err == nil && v > FormatVersion {
		err = fmt.Errorf("%w: format version %d, this build reads up to %d", ErrNewerFormat, v, FormatVersion)
	}
	if err == nil {
		err = s.verifyLog()
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("data directory %q: %w", dir, err), db.Close())
	}
	return s, nil
}

// LogReport describes the commit log of a read-only store, as verified by
// OpenReadOnly.
type LogReport struct {
	// Checkpoint is the log index up to which Badger durably holds every
	// entry.
	Checkpoint uint64
	// Segments and Bytes are the log's files and their size.
	Segments int
	Bytes    int64
	// Tail is the number of entries after the checkpoint; each was found
	// applied in Badger.
	Tail int
	// LastIndex is the log's last index.
	LastIndex uint64
}

// LogReport returns what OpenReadOnly found in the commit log.
func (s *Store) LogReport() LogReport { return s.logReport }

// verifyLog reads the commit log without changing it (every record's
// checksum, the continuity of entries and terms after the checkpoint)
// and checks the entries after the checkpoint against Badger: each write
// must be there at its commit timestamp. A log that Badger does not fully
// hold (a crash before the replay) makes the directory unclean: only a
// read-write Open can replay it.
func (s *Store) verifyLog() error {
	info, err := raftlog.Inspect(nil, filepath.Join(s.dir, LogDir), s.sealer)
	if err != nil {
		return err
	}
	// A cluster member's log keeps entries for its peers below what
	// Badger durably holds (Checkpoint.Applied): those are not checked,
	// Badger may have discarded their versions since.
	held := max(info.Checkpoint.Index, info.Checkpoint.Applied)
	tail := info.Entries
	for len(tail) > 0 && tail[0].Index <= held {
		tail = tail[1:]
	}
	s.logReport = LogReport{Checkpoint: held, Segments: info.Segments, Bytes: info.Bytes, Tail: len(tail), LastIndex: info.LastIndex}
	if info.TornBytes > 0 {
		return fmt.Errorf("%w: the commit log ends in an unfinished write; start guocedb on it once and stop it (that replays the log), then retry", ErrNotCleanlyClosed)
	}
	for _, e := range tail {
		ok, err := s.entryApplied(e)
		if err != nil {
			return fmt.Errorf("commit log entry %d: %w", e.Index, err)
		}
		if !ok {
			return fmt.Errorf("%w: commit log entry %d is not applied; start guocedb on it once and stop it (that replays the log), then retry", ErrNotCleanlyClosed, e.Index)
		}
	}
	return nil
}

// entryApplied reports whether every write of a log entry is in Badger at
// the entry's commit timestamp.
func (s *Store) entryApplied(e raftlog.Entry) (bool, error) {
	var ts uint64
	var muts []Mutation
	if _, err := decodeEntry(e.Data, func(t uint64, m Mutation) error {
		ts = t
		muts = append(muts, m)
		return nil
	}); err != nil {
		return false, err
	}
	txn := s.db.NewTransactionAt(ts, false)
	defer txn.Discard()
	for _, m := range muts {
		item, err := txn.Get(m.Key)
		if errors.Is(err, badger.ErrKeyNotFound) {
			if m.Delete {
				continue
			}
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if m.Delete || item.Version() != ts {
			return false, nil
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return false, err
		}
		if !bytes.Equal(v, m.Value) {
			return false, nil
		}
	}
	return true, nil
}

// FormatVersionOnDisk returns the format version recorded in the directory,
// 0 when none is (a directory Open has not initialised).
func (s *Store) FormatVersionOnDisk() (uint64, error) {
	txn := s.Begin()
	defer txn.Discard()
	v, ok, err := txn.Get(formatKey)
	if err != nil || !ok {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("format version record is corrupt (%d bytes)", len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// Snapshot is a read-only view of the whole store at one timestamp. It is
// registered with the oracle like a transaction's snapshot, so the versions
// it reads are not discarded by garbage collection until Close, however
// long it is held (a backup streams for as long as the output takes).
// Commits go on meanwhile; the snapshot does not see them. Safe for use by
// one goroutine at a time.
type Snapshot struct {
	store    *Store
	ts       uint64
	logIndex uint64
	txn      *badger.Txn
	once     sync.Once
}

// Snapshot pins the latest fully committed state: every commit at or below
// Ts() is in it, none above.
//
// A snapshot's timestamp outlives the process (a backup records it, an
// incremental compares versions against it), so on a writable store the
// clock is first made durable above it (see persistClock): after any
// restart, every new commit gets a higher timestamp.
func (s *Store) Snapshot(ctx context.Context) (*Snapshot, error) {
	var logIndex uint64
	if s.log != nil {
		// Every entry up to the applied index got its commit timestamp
		// before lastTs is read; once lastTs is visible, the snapshot
		// holds all of them.
		logIndex = s.log.Applied()
		s.oracle.waitVisible(s.oracle.lastTsSnapshot())
	} else {
		// Read-only: OpenReadOnly found every entry applied.
		logIndex = s.logReport.LastIndex
	}
	ts := s.oracle.begin()
	sn := &Snapshot{store: s, ts: ts, logIndex: logIndex, txn: s.db.NewTransactionAt(ts, false)}
	if !s.readOnly {
		if err := s.persistClock(ctx); err != nil {
			sn.Close()
			return nil, fmt.Errorf("snapshot: %w", err)
		}
	}
	return sn, nil
}

// LogIndex returns the commit log position the snapshot corresponds to:
// it holds every log entry up to this index (and possibly some after it,
// which are idempotent to apply again). A node catching up from this
// snapshot replays the log from the next index.
func (sn *Snapshot) LogIndex() uint64 { return sn.logIndex }

// clockKey's version is a durable floor for the store's clock. The clock
// restarts at Badger's highest stored version, which can be lower than a
// timestamp handed out before: a commit that failed or wrote nothing
// leaves no version, and compaction drops a newest version that is a
// delete. Timestamps that a snapshot exposed must never be reissued, so
// this key is written (a put, which compaction keeps as the newest
// version) on every Open and under every Snapshot.
var clockKey = []byte("\x00meta/clock")

// persistClock durably writes clockKey at a fresh timestamp, above every
// timestamp handed out so far.
func (s *Store) persistClock(ctx context.Context) error {
	v := binary.BigEndian.AppendUint64(nil, s.oracle.lastTsSnapshot()+1)
	return s.DirectCommit(ctx, &WriteSet{Mutations: []Mutation{{Key: clockKey, Value: v}}})
}

// Ts returns the snapshot's timestamp: the commit timestamp of the last
// transaction it contains.
func (sn *Snapshot) Ts() uint64 { return sn.ts }

// Close releases the snapshot; garbage collection may then drop the
// versions only it could see. Safe to call twice.
func (sn *Snapshot) Close() {
	sn.once.Do(func() {
		sn.txn.Discard()
		sn.store.oracle.end(sn.ts)
	})
}

// SnapshotEntry is the key under a Snapshot's cursor. It is valid only
// inside the Scan callback that received it.
type SnapshotEntry struct{ item *badger.Item }

// Key returns the key; copy it to keep it past the callback.
func (e SnapshotEntry) Key() []byte { return e.item.Key() }

// Version returns the commit timestamp that wrote the key's current value.
func (e SnapshotEntry) Version() uint64 { return e.item.Version() }

// ValueSize returns the value's approximate size without reading it.
func (e SnapshotEntry) ValueSize() int64 { return e.item.ValueSize() }

// Value reads the value (from the value log when it is stored there) into
// a new slice.
func (e SnapshotEntry) Value() ([]byte, error) {
	v, err := e.item.ValueCopy(nil)
	if err != nil {
		return nil, fmt.Errorf("read value of %q: %w", e.item.Key(), err)
	}
	return v, nil
}

// Scan calls fn for every live key of the snapshot in ascending byte
// order, without loading values (fn decides, through Value). It stops at
// the first error from fn and when ctx is cancelled.
func (sn *Snapshot) Scan(ctx context.Context, fn func(SnapshotEntry) error) error {
	return sn.ScanAfter(ctx, nil, fn)
}

// ScanAfter is Scan over the keys above after (all keys when after is
// nil): the cursor seeks there, so a resumed snapshot stream costs
// nothing for the keys it skips.
func (sn *Snapshot) ScanAfter(ctx context.Context, after []byte, fn func(SnapshotEntry) error) error {
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	it := sn.txn.NewIterator(opts)
	defer it.Close()
	if after != nil {
		it.Seek(append(bytes.Clone(after), 0)) // the first key above after
	} else {
		it.Rewind()
	}
	n := 0
	for ; it.Valid(); it.Next() {
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(SnapshotEntry{item: it.Item()}); err != nil {
			return err
		}
	}
	return ctx.Err()
}
