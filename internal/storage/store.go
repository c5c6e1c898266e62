package storage

import (
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
	"sync/atomic"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/google/btree"

	"github.com/guocedb/guocedb/internal/encryption"
	"github.com/guocedb/guocedb/internal/lockmgr"
	"github.com/guocedb/guocedb/internal/raftlog"
)

// FormatVersion is the on-disk format this build writes. A directory with
// a higher version was written by a newer guocedb and is refused.
//
// 2: row count deltas (storage migration 0002-row-count-deltas).
// 3: tables without a primary key keyed by a hidden row id, with a lookup
// index by row hash (backend migration 0003-keyless-row-ids).
// 4: every commit goes through the commit log in LogDir, which holds
// commits not yet in Badger (storage migration 0004-commit-log): an
// older build would ignore them.
const FormatVersion = 4

// LogDir is the commit log's directory inside the data directory.
const LogDir = "raftlog"

// formatKey holds the directory's format version (8 bytes, big-endian).
var formatKey = []byte("\x00meta/format")

// ErrNewerFormat is returned by Open for a directory written by a newer
// guocedb.
var ErrNewerFormat = errors.New("data directory was written by a newer guocedb")

// Options configures a Store. The zero value is not useful; start from
// DefaultOptions.
type Options struct {
	// SyncWrites makes every commit durable in the commit log before it
	// returns (fsync). Concurrent commits share fsyncs. Off (tests only),
	// a crash of the machine can lose commits; a crash of the process
	// cannot.
	SyncWrites bool
	// CheckpointInterval is how often the commit log is checkpointed
	// (Badger synced, the log truncated below what it holds): it bounds
	// the replay after a crash. 0 means the default (5s); negative, only
	// at open and at a clean close.
	CheckpointInterval time.Duration
	// MemTableSize bounds one memtable. It does not bound a transaction:
	// the apply splits a write set over Badger batches (at most 15% of a
	// memtable each), which may span memtables (DESIGN.md, "Memory").
	MemTableSize int64
	// NumMemtables bounds the memtables kept in memory (the active one and
	// those waiting to be flushed): the largest part of the server's memory.
	NumMemtables int
	// BlockCacheSize is Badger's block cache in bytes.
	BlockCacheSize int64
	// IndexCacheSize bounds Badger's table index cache in bytes.
	IndexCacheSize int64
	// MaxLocks bounds the row lock table (held locks plus waiters); 0
	// means lockmgr.DefaultMaxLocks.
	MaxLocks int

	// EncryptionKey, when set, encrypts the directory at rest (Badger's
	// files and the commit log's entries); see encryption.go. An
	// encrypted directory opens only with its key.
	EncryptionKey *encryption.Key

	// Cluster makes the store a member of a raft cluster (nil: a single
	// node). A member writes only while it leads; see DESIGN.md.
	Cluster *raftlog.ClusterOptions
	// Attached, when set, is called with the store once its commit log
	// is open and it can apply, before a cluster member waits for its
	// leader: a member that is far behind gets a snapshot then
	// (LoadSnapshot), before Open returns.
	Attached func(*Store)

	// logFS replaces the commit log's file layer (crash tests).
	logFS raftlog.FS
	// badgerTweak adjusts Badger's options (crash tests: small files).
	badgerTweak func(badger.Options) badger.Options
}

// DefaultOptions returns durable settings sized for a small server
// (config's memtable-size and block-cache-size defaults are the same).
// The memtables are 16 MiB: three of them (active, waiting, flushing) and
// a flush's table are most of Badger's memory; a transaction may be far
// larger, since its apply spans memtables (DESIGN.md, "Memory").
func DefaultOptions() Options {
	return Options{
		SyncWrites:     true,
		MemTableSize:   16 << 20,
		NumMemtables:   2,
		BlockCacheSize: 32 << 20,
		IndexCacheSize: 16 << 20,
	}
}

// Store is an open data directory. It is safe for concurrent use.
type Store struct {
	db        *badger.DB
	dir       string
	oracle    *oracle
	committer Committer
	// log is the commit log; nil on a read-only store.
	log *raftlog.Log
	// recovery is what opening the log replayed.
	recovery raftlog.Recovery
	// logReport is what OpenReadOnly verified of the log.
	logReport LogReport
	// noSync: Options.SyncWrites is off (tests); checkpoints skip fsyncs.
	noSync bool
	// cpMu serialises checkpoints; discardLimit is the highest timestamp
	// Badger may discard versions below (see checkpoint).
	cpMu         sync.Mutex
	discardLimit atomic.Uint64
	cpInterval   time.Duration
	seed         maphash.Seed
	// locks is the row lock table. It lives with the oracle: the node that
	// assigns commit timestamps owns the locks (lockmgr's DESIGN.md).
	locks  *lockmgr.Manager
	txnIDs atomic.Uint64
	logger *slog.Logger

	migrateMu sync.Mutex
	// counters is shared with Badger's logger (compactions), hence a
	// pointer made before Badger opens.
	counters *storeCounters
	// readOnly is set by OpenReadOnly: nothing may be committed.
	readOnly bool
	// partial: a snapshot load was interrupted (install.go).
	partial atomic.Bool
	// snapCheckpoint is how many bytes of a snapshot's records a load
	// writes between two progress records (snapshotCheckpointBytes;
	// tests lower it).
	snapCheckpoint int
	// key is the master key; nil when the directory is not encrypted.
	key *encryption.Key
	// sealer encrypts the commit log's entries; nil without key.
	sealer raftlog.Sealer

	// seqMu makes timestamp order the log order: a commit takes its
	// timestamp and enqueues its entry under it (see commitLogged).
	seqMu sync.Mutex
	// watches are called after entries this node did not write touched
	// their key prefix (a follower's catalog reloads); see Watch.
	watchMu sync.Mutex
	watches []*watch
	watchCh chan struct{}

	stop    chan struct{}
	wg      sync.WaitGroup
	closeMu sync.Once
}

// Open opens (creating if needed) the data directory dir: Badger's files
// and the commit log (LogDir). It refuses a directory whose format version
// is newer than FormatVersion, and a path that is not a usable directory,
// with an error naming the path. Every commit in the log that Badger may
// not hold yet is applied again before Open returns.
func Open(dir string, opts Options, logger *slog.Logger) (*Store, error) {
	return OpenContext(context.Background(), dir, opts, logger)
}

// OpenContext is Open with a context that bounds, on a cluster member,
// the wait for a leader and for the cluster's initialization (see
// waitClusterReady).
func OpenContext(ctx context.Context, dir string, opts Options, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory %q: %w", dir, err)
	}
	// Before Badger creates or touches a file: a wrong key must leave the
	// directory as it was.
	sealer, err := prepareEncryption(dir, opts.EncryptionKey, false)
	if err != nil {
		return nil, fmt.Errorf("data directory %q: %w", dir, err)
	}
	memTableSize, err := memTableSizeFor(dir, opts.MemTableSize)
	if err != nil {
		return nil, fmt.Errorf("data directory %q: %w", dir, err)
	}
	if memTableSize != opts.MemTableSize {
		logger.Warn("a memtable log was written with a larger memtable size; using it until the next start",
			"memtable_size", memTableSize, "configured", opts.MemTableSize)
	}
	counters := &storeCounters{}
	bo := badger.DefaultOptions(dir).
		// The commit log is the write-ahead log: Badger is made durable at
		// checkpoints only (see checkpoint), never per commit.
		WithSyncWrites(false).
		WithDetectConflicts(false). // the oracle detects conflicts itself
		WithMemTableSize(memTableSize).
		WithNumMemtables(opts.NumMemtables).
		WithBlockCacheSize(opts.BlockCacheSize).
		WithIndexCacheSize(opts.IndexCacheSize).
		WithNumVersionsToKeep(1).
		WithLogger(badgerLogger{l: logger.With("component", "badger"), counters: counters})
	bo = withEncryption(bo, opts.EncryptionKey)
	if opts.badgerTweak != nil {
		bo = opts.badgerTweak(bo)
	}
	db, err := badger.OpenManaged(bo)
	if err != nil {
		return nil, wrapOpenError(dir, err)
	}
	cpInterval := opts.CheckpointInterval
	if cpInterval == 0 {
		cpInterval = defaultCheckpointInterval
	}
	s := &Store{
		db:             db,
		dir:            dir,
		oracle:         newOracle(db.MaxVersion()),
		committer:      readOnlyCommitter{},
		seed:           maphash.MakeSeed(),
		locks:          lockmgr.New(lockmgr.Options{MaxLocks: opts.MaxLocks}),
		logger:         logger,
		counters:       counters,
		stop:           make(chan struct{}),
		watchCh:        make(chan struct{}, 1),
		cpInterval:     cpInterval,
		noSync:         !opts.SyncWrites,
		snapCheckpoint: snapshotCheckpointBytes,
		key:            opts.EncryptionKey,
		sealer:         sealer,
	}
	if _, err := os.Stat(filepath.Join(dir, snapshotMarker)); err == nil {
		s.partial.Store(true)
		logger.Warn("a snapshot load was interrupted: this member serves nothing until the leader sends it a snapshot again")
	}
	// Before the log: a newer build's log may hold entries this build
	// cannot read.
	if err := s.refuseNewerFormat(); err != nil {
		return nil, errors.Join(fmt.Errorf("data directory %q: %w", dir, err), db.Close())
	}
	logDir := filepath.Join(dir, LogDir)
	if err := s.requireLog(logDir, opts.logFS); err != nil {
		return nil, errors.Join(fmt.Errorf("data directory %q: %w", dir, err), db.Close())
	}
	// Replay: every entry after the checkpoint is applied again (Open
	// of the log returns only then), before anything reads the store.
	lg, rec, err := raftlog.Open(raftlog.Options{
		Dir:    logDir,
		FS:     opts.logFS,
		Apply:  s.applyEntries,
		Logger: logger.With("component", "raftlog"),
		NoSync: !opts.SyncWrites,
		// Durable logs on the real file system write over zeros
		// (raftlog.Options.Preallocate); the crash tests' file layer
		// keeps its operations in a fixed order without the filler.
		Preallocate: opts.SyncWrites && opts.logFS == nil,
		Sealer:      sealer,
		Cluster:     opts.Cluster,
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("data directory %q: %w", dir, err), db.Close())
	}
	s.log, s.recovery = lg, *rec
	s.committer = &logCommitter{log: lg}
	// The replay may have written versions above those Badger held.
	s.oracle = newOracle(db.MaxVersion())
	if opts.Attached != nil {
		opts.Attached(s)
	}
	fail := func(err error) (*Store, error) {
		return nil, errors.Join(fmt.Errorf("data directory %q: %w", dir, err), lg.Close(), db.Close())
	}
	// A checkpoint right after the replay: the next crash replays only
	// what is committed from now on, and the discard limit starts here.
	if err := s.checkpoint(); err != nil {
		return fail(err)
	}
	if opts.Cluster != nil {
		writable, err := s.waitClusterReady(ctx)
		if err != nil {
			return fail(err)
		}
		if !writable {
			// A follower: the leader initialized the directory's
			// contents (format, migrations, clock) through the log.
			if err := s.refuseNewerFormat(); err != nil {
				return fail(err)
			}
			s.wg.Add(2)
			go s.maintain()
			go s.watchLoop()
			return s, nil
		}
	}
	if err := s.checkFormat(); err != nil {
		return fail(err)
	}
	if _, err := s.Migrate(context.Background(), Migrations); err != nil {
		return fail(err)
	}
	// Above anything a read-only open (an offline backup) may have
	// recorded as its snapshot timestamp; see clockKey.
	if err := s.persistClock(context.Background()); err != nil {
		return fail(err)
	}
	s.wg.Add(2)
	go s.maintain()
	go s.watchLoop()
	return s, nil
}

// defaultCheckpointInterval bounds the replay after a crash to a few
// seconds of commits.
const defaultCheckpointInterval = 5 * time.Second

// Recovery returns what Open found in the commit log and replayed.
func (s *Store) Recovery() raftlog.Recovery { return s.recovery }

// ErrLogMissing is returned by Open for a directory of format 4 or later
// without its commit log: commits may exist only there, so starting a
// new log would lose them silently.
var ErrLogMissing = errors.New("the commit log is missing")

// requireLog fails when a directory that has a commit log (format 4 and
// later; Open creates the log before it records the format) has lost it.
// A directory without a log and of an older format (3, before the log) or
// without a format (new) is complete in Badger: its log starts empty.
func (s *Store) requireLog(logDir string, fsys raftlog.FS) error {
	v, err := s.FormatVersionOnDisk()
	if err != nil || v < 4 {
		return err
	}
	ok, err := raftlog.Exists(fsys, logDir)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: %s holds no segment; restore from a backup (a restore starts a new log)", ErrLogMissing, logDir)
	}
	return nil
}

// refuseNewerFormat fails for a directory written by a newer build.
func (s *Store) refuseNewerFormat() error {
	v, err := s.FormatVersionOnDisk()
	if err != nil {
		return fmt.Errorf("read format version: %w", err)
	}
	if v > FormatVersion {
		return fmt.Errorf("%w: format version %d, this build reads up to %d", ErrNewerFormat, v, FormatVersion)
	}
	return nil
}

// checkFormat records the format version of a new directory.
func (s *Store) checkFormat() error {
	v, err := s.FormatVersionOnDisk()
	if err != nil {
		return err
	}
	if v == 0 {
		return s.DirectCommit(context.Background(), &WriteSet{Mutations: []Mutation{{Key: formatKey, Value: binary.BigEndian.AppendUint64(nil, FormatVersion)}}})
	}
	return s.refuseNewerFormat()
}

// Locks returns the row lock table (observability; transactions lock
// through Txn.Lock).
func (s *Store) Locks() *lockmgr.Manager { return s.locks }

// Begin starts a transaction reading the latest committed snapshot.
func (s *Store) Begin() *Txn {
	ts := s.oracle.begin()
	return &Txn{
		store:   s,
		id:      lockmgr.TxnID(s.txnIDs.Add(1)),
		readTs:  ts,
		checkTs: ts,
		snap:    s.db.NewTransactionAt(ts, false),
		writes:  btree.NewG(32, entryLess),
		iters:   make(map[*Iterator]struct{}),
	}
}

// commit runs the commit protocol: conflict check and timestamp, then the
// Committer, then publication of the timestamp to new readers.
func (s *Store) commit(ctx context.Context, readTs uint64, ws *WriteSet, keys map[uint64]uint64) error {
	if _, ok := s.committer.(*logCommitter); ok {
		return s.commitLogged(readTs, ws, keys)
	}
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
	// No snapshot was read, so a conflict with a commit after readTs is
	// harmless; use the newest timestamp to skip the check.
	last := s.oracle.lastTsSnapshot()
	keys := make(map[uint64]uint64, len(ws.Mutations))
	for _, m := range ws.Mutations {
		keys[maphash.Bytes(s.seed, m.Key)] = last
	}
	readTs := s.oracle.begin()
	defer s.oracle.end(readTs)
	return s.commit(ctx, last, ws, keys)
}

// maintain checkpoints the commit log, lets Badger drop versions no
// snapshot can see, and reclaims value log space.
func (s *Store) maintain() {
	defer s.wg.Done()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastCp := time.Now()
	n := 0
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			if s.cpInterval > 0 && time.Since(lastCp) >= s.cpInterval {
				lastCp = time.Now()
				if err := s.checkpoint(); err != nil {
					s.logger.Error("commit log checkpoint", "err", err)
				}
			}
			// Never past the checkpoint's limit: an entry replayed after
			// a crash writes versions above it, and a newer version of the
			// same key (a later delete) must still be there to win.
			s.db.SetDiscardTs(min(s.oracle.minActive(), s.discardLimit.Load()))
			if n++; n%60 == 0 {
				for s.db.RunValueLogGC(0.5) == nil {
				}
			}
		}
	}
}

// checkpoint makes Badger durable up to the log's applied index and
// records that index in the log, which then deletes the segments below it.
//
// Ordering: (1) the oracle's visible timestamp D is read before (2) the
// applied index I. Every commit at or below D was applied before D was
// published, so its entry is at or below I; an entry above I is
// therefore above D. (3) Badger is synced: every write of an entry up to
// I, which Badger received before this call, is on disk. (4) Only then is
// I recorded. After a crash, replay starts above I and writes versions
// above D only, so D bounds what Badger may discard (maintain).
func (s *Store) checkpoint() error {
	s.cpMu.Lock()
	defer s.cpMu.Unlock()
	d := s.oracle.visibleTs()
	i := s.log.Applied()
	if i > s.log.CheckpointApplied() {
		if err := s.syncBadger(); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		if err := s.log.Checkpoint(i); err != nil {
			return err
		}
	}
	if d > s.discardLimit.Load() {
		s.discardLimit.Store(d)
	}
	return nil
}

// syncBadger makes every write Badger has accepted durable. Badger's
// Sync covers the active memtable's log and value log file; without
// SyncWrites it never syncs a memtable log it rotated away from (it is
// durable only once flushed to a table) nor an older value log file. So
// every memtable log (*.mem) and value log (*.vlog) is fsynced as well:
// cheap for files without dirty pages. A file that disappears meanwhile
// was flushed or collected, and its data is in a synced table.
func (s *Store) syncBadger() error {
	if s.noSync {
		return nil
	}
	if err := s.db.Sync(); err != nil {
		return fmt.Errorf("sync badger: %w", err)
	}
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, ".mem") && !strings.HasSuffix(name, ".vlog") {
			continue
		}
		f, err := os.Open(filepath.Join(s.dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("sync %s: %w", name, err)
		}
	}
	return nil
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

// Close stops background work, takes a last checkpoint (so a clean
// restart replays nothing) and closes the log and Badger.
func (s *Store) Close() error {
	var err error
	s.closeMu.Do(func() {
		close(s.stop)
		s.wg.Wait()
		if s.log != nil {
			// The log first: no apply may run while Badger syncs for
			// the last checkpoint.
			err = s.log.Close()
			if err == nil {
				err = s.checkpoint()
			}
		}
		err = errors.Join(err, s.db.Close())
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
func (b badgerLogger) Infof(f string, a ...any)    { b.debug(f, a) }

// Debugf is called several times per write (Badger's write loop logs
// each request); the text is built only when debug logging is on.
func (b badgerLogger) Debugf(f string, a ...any) {
	b.counters.observeLog(f, a)
	b.debug(f, a)
}

func (b badgerLogger) debug(f string, a []any) {
	if b.l.Enabled(context.Background(), slog.LevelDebug) {
		b.l.Debug(fmt.Sprintf(f, a...))
	}
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
