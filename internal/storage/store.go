package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"os"
	"sync"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/google/btree"
)

// FormatVersion is the on-disk format this build writes. A directory with
// a higher version was written by a newer guocedb and is refused.
//
// 2: row count deltas (storage migration 0002-row-count-deltas).
// 3: tables without a primary key keyed by a hidden row id, with a lookup
// index by row hash (backend migration 0003-keyless-row-ids).
const FormatVersion = 3

// formatKey holds the directory's format version (8 bytes, big-endian).
var formatKey = []byte("\x00meta/format")

// ErrNewerFormat is returned by Open for a directory written by a newer
// guocedb.
var ErrNewerFormat = errors.New("data directory was written by a newer guocedb")

// Options configures a Store. The zero value is not useful; start from
// DefaultOptions.
type Options struct {
	// SyncWrites makes every commit durable before it returns (fsync).
	// Concurrent commits share fsyncs.
	SyncWrites bool
	// MemTableSize bounds one memtable; the largest atomic transaction is
	// about 15% of it.
	MemTableSize int64
	// NumMemtables bounds the memtables kept in memory (the active one and
	// those waiting to be flushed): the largest part of the server's memory.
	NumMemtables int
	// BlockCacheSize is Badger's block cache in bytes.
	BlockCacheSize int64
	// IndexCacheSize bounds Badger's table index cache in bytes.
	IndexCacheSize int64
}

// DefaultOptions returns durable settings sized for a small server.
func DefaultOptions() Options {
	return Options{
		SyncWrites:     true,
		MemTableSize:   64 << 20,
		NumMemtables:   2,
		BlockCacheSize: 64 << 20,
		IndexCacheSize: 16 << 20,
	}
}

// Store is an open data directory. It is safe for concurrent use.
type Store struct {
	db        *badger.DB
	oracle    *oracle
	committer Committer
	seed      maphash.Seed
	logger    *slog.Logger

	migrateMu sync.Mutex
	// counters is shared with Badger's logger (compactions), hence a
	// pointer made before Badger opens.
	counters *storeCounters
	// readOnly is set by OpenReadOnly: nothing may be committed.
	readOnly bool

	stop    chan struct{}
	wg      sync.WaitGroup
	closeMu sync.Once
}

// Open opens (creating if needed) the Badger directory dir. It refuses a
// directory whose format version is newer than FormatVersion, and a path
// that is not a usable directory, with an error naming the path.
func Open(dir string, opts Options, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory %q: %w", dir, err)
	}
	counters := &storeCounters{}
	bo := badger.DefaultOptions(dir).
		WithSyncWrites(opts.SyncWrites).
		WithDetectConflicts(false). // the oracle detects conflicts itself
		WithMemTableSize(opts.MemTableSize).
		WithNumMemtables(opts.NumMemtables).
		WithBlockCacheSize(opts.BlockCacheSize).
		WithIndexCacheSize(opts.IndexCacheSize).
		WithNumVersionsToKeep(1).
		WithLogger(badgerLogger{l: logger.With("component", "badger"), counters: counters})
	db, err := badger.OpenManaged(bo)
	if err != nil {
		return nil, wrapOpenError(dir, err)
	}
	s := &Store{
		db:        db,
		oracle:    newOracle(db.MaxVersion()),
		committer: &badgerCommitter{db: db},
		seed:      maphash.MakeSeed(),
		logger:    logger,
		counters:  counters,
		stop:      make(chan struct{}),
	}
	if err := s.checkFormat(); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	if _, err := s.Migrate(context.Background(), Migrations); err != nil {
		return nil, errors.Join(fmt.Errorf("data directory %q: %w", dir, err), db.Close())
	}
	// Above anything a read-only open (an offline backup) may have
	// recorded as its snapshot timestamp; see clockKey.
	if err := s.persistClock(context.Background()); err != nil {
		return nil, errors.Join(fmt.Errorf("data directory %q: %w", dir, err), db.Close())
	}
	s.wg.Add(1)
	go s.maintain()
	return s, nil
}

func (s *Store) checkFormat() error {
	txn := s.Begin()
	v, ok, err := txn.Get(formatKey)
	txn.Discard()
	if err != nil {
		return fmt.Errorf("read format version: %w", err)
	}
	if !ok {
		return s.DirectCommit(context.Background(), &WriteSet{Mutations: []Mutation{{Key: formatKey, Value: binary.BigEndian.AppendUint64(nil, FormatVersion)}}})
	}
	if len(v) != 8 {
		return fmt.Errorf("format version record is corrupt (%d bytes)", len(v))
	}
	if got := binary.BigEndian.Uint64(v); got > FormatVersion {
		return fmt.Errorf("%w: format version %d, this build reads up to %d", ErrNewerFormat, got, FormatVersion)
	}
	return nil
}

// Begin starts a transaction reading the latest committed snapshot.
func (s *Store) Begin() *Txn {
	ts := s.oracle.begin()
	return &Txn{
		store:  s,
		readTs: ts,
		snap:   s.db.NewTransactionAt(ts, false),
		writes: btree.NewG(32, entryLess),
		iters:  make(map[*Iterator]struct{}),
	}
}

// commit runs the commit protocol: conflict check and timestamp, then the
// Committer, then publication of the timestamp to new readers.
func (s *Store) commit(ctx context.Context, readTs uint64, ws *WriteSet, keys map[uint64]struct{}) error {
	ts, err := s.oracle.prepare(readTs, keys)
	if err != nil {
		return err
	}
	err = s.committer.Commit(ctx, ws, ts)
	s.oracle.done(ts)
	if err != nil {
		return err
	}
	s.oracle.waitVisible(ts)
	return nil
}

// DirectCommit applies ws at a fresh timestamp without a snapshot: for
// catalog changes and bulk work that must not conflict with anything (DDL
// commits implicitly in MySQL). It still records the keys for conflict
// detection, so a transaction that wrote the same keys concurrently fails.
func (s *Store) DirectCommit(ctx context.Context, ws *WriteSet) error {
	keys := make(map[uint64]struct{}, len(ws.Mutations))
	for _, m := range ws.Mutations {
		keys[maphash.Bytes(s.seed, m.Key)] = struct{}{}
	}
	readTs := s.oracle.begin()
	defer s.oracle.end(readTs)
	// No snapshot was read, so a conflict with a commit after readTs is
	// harmless; use the newest timestamp to skip the check.
	return s.commit(ctx, s.oracle.lastTsSnapshot(), ws, keys)
}

// maintain lets Badger drop versions no snapshot can see and reclaims value
// log space.
func (s *Store) maintain() {
	defer s.wg.Done()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	gc := 0
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			s.db.SetDiscardTs(s.oracle.minActive())
			if gc++; gc%30 == 0 {
				for s.db.RunValueLogGC(0.5) == nil {
				}
			}
		}
	}
}

// OpenTransactions returns how many transactions (snapshots) are open.
func (s *Store) OpenTransactions() int {
	s.oracle.mu.Lock()
	defer s.oracle.mu.Unlock()
	n := 0
	for _, c := range s.oracle.active {
		n += c
	}
	return n
}

// Size returns the LSM and value log sizes in bytes.
func (s *Store) Size() (lsm, vlog int64) { return s.db.Size() }

// Close stops background work and closes Badger, flushing memtables.
func (s *Store) Close() error {
	var err error
	s.closeMu.Do(func() {
		close(s.stop)
		s.wg.Wait()
		err = s.db.Close()
	})
	return err
}

// badgerLogger routes Badger's printf logging into slog; Badger is chatty
// at info level, so that goes to debug. It also counts the compactions
// Badger reports in its debug lines (see compactionDoneFormat).
type badgerLogger struct {
	l        *slog.Logger
	counters *storeCounters
}

func (b badgerLogger) Errorf(f string, a ...any)   { b.l.Error(fmt.Sprintf(f, a...)) }
func (b badgerLogger) Warningf(f string, a ...any) { b.l.Warn(fmt.Sprintf(f, a...)) }
func (b badgerLogger) Infof(f string, a ...any)    { b.l.Debug(fmt.Sprintf(f, a...)) }
func (b badgerLogger) Debugf(f string, a ...any) {
	b.counters.observeLog(f, a)
	b.l.Debug(fmt.Sprintf(f, a...))
}

// Compact merges the LSM tree into its last level and waits for it to
// finish: for maintenance and for benchmarks that must not measure
// background compaction.
func (s *Store) Compact() error {
	if err := s.db.Flatten(2); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	return nil
}
