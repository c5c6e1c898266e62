package storage

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// Migration is one ordered, idempotent-by-record change of the on-disk
// data: it runs once per data directory, in registry order, and is
// recorded in the migration log with the same commit as its writes.
type Migration struct {
	// ID names the migration in the log; never rename a released one.
	ID string
	// Apply makes the change through txn (the store's commit path).
	Apply func(ctx context.Context, txn *Txn) error
	// Run, when set, makes a change too large for one transaction before
	// Apply: it commits in batches of its own, and must leave the data
	// correct and restartable after a crash between any two of them (the
	// migration is not logged until Run and Apply both succeeded, so it
	// runs again from the start).
	Run func(ctx context.Context, s *Store) error
	// Format, when set, is the format version the directory has once this
	// migration is applied; it is written with the log record.
	Format uint64
}

// migrationLogPrefix holds one record per applied migration.
const migrationLogPrefix = "\x00meta/migration/"

// migrationRecord is the log entry of an applied migration.
type migrationRecord struct {
	ID        string    `json:"id"`
	AppliedAt time.Time `json:"applied_at"`
}

// Migrations is the registry of this build, in the order they apply. A
// migration that changes the layout also raises FormatVersion.
var Migrations = []Migration{
	{
		// The first migration only records that the directory was created
		// at format 1, so that every directory has a non-empty log.
		ID:    "0001-initial-format",
		Apply: func(context.Context, *Txn) error { return nil },
	},
	{
		// Format 2: the backend keeps row count deltas beside the rows
		// (docs/storage.md). A format-1 build would write rows without
		// them and so make exact counts wrong: it must refuse the
		// directory. Nothing is rewritten; counts of older tables are
		// established by a scan when first needed.
		ID: "0002-row-count-deltas",
		// raiseFormat: a directory created by a later build already
		// has a higher version, which must not go back.
		Apply: func(_ context.Context, txn *Txn) error { return raiseFormat(txn, 2) },
	},
	{
		// Format 4: commits go through the commit log (LogDir), and
		// Badger may lag behind it after a crash. A format-3 build would
		// open Badger without replaying the log, missing or tearing
		// commits: it must refuse the directory. Nothing is rewritten: a
		// directory without a log is a complete state, and the log starts
		// there (empty, checkpoint 0).
		ID:     "0004-commit-log",
		Format: 4,
	},
}

// Migrate applies the migrations of list that the directory's log does
// not record yet, in order, each atomically with its log record, and
// returns the IDs it applied.
func (s *Store) Migrate(ctx context.Context, list []Migration) ([]string, error) {
	// Migrations run under the store's migration lock; Badger's directory
	// lock already keeps other processes out.
	s.migrateMu.Lock()
	defer s.migrateMu.Unlock()
	var applied []string
	for _, m := range list {
		key := []byte(migrationLogPrefix + m.ID)
		txn := s.Begin()
		_, done, err := txn.Get(key)
		if err != nil {
			txn.Discard()
			return applied, err
		}
		if done {
			txn.Discard()
			continue
		}
		if m.Run != nil {
			txn.Discard()
			if err := m.Run(ctx, s); err != nil {
				return applied, fmt.Errorf("migration %s: %w", m.ID, err)
			}
			txn = s.Begin()
		}
		if m.Apply != nil {
			if err := m.Apply(ctx, txn); err != nil {
				txn.Discard()
				return applied, fmt.Errorf("migration %s: %w", m.ID, err)
			}
		}
		if m.Format > 0 {
			if err := raiseFormat(txn, m.Format); err != nil {
				txn.Discard()
				return applied, fmt.Errorf("migration %s: %w", m.ID, err)
			}
		}
		rec, err := json.Marshal(migrationRecord{ID: m.ID, AppliedAt: time.Now().UTC()})
		if err != nil {
			txn.Discard()
			return applied, err
		}
		if err := txn.Set(key, rec); err != nil {
			txn.Discard()
			return applied, err
		}
		if err := txn.Commit(ctx); err != nil {
			return applied, fmt.Errorf("migration %s: commit: %w", m.ID, err)
		}
		s.logger.Info("applied migration", "id", m.ID)
		applied = append(applied, m.ID)
	}
	return applied, nil
}

// raiseFormat sets the directory's format version to v unless it is
// already at least v.
func raiseFormat(txn *Txn, v uint64) error {
	cur, ok, err := txn.Get(formatKey)
	if err != nil {
		return err
	}
	if ok && len(cur) == 8 && binary.BigEndian.Uint64(cur) >= v {
		return nil
	}
	return txn.Set(formatKey, binary.BigEndian.AppendUint64(nil, v))
}

// FormatOf returns the format version recorded in the directory (0 when
// none is recorded yet).
func (s *Store) FormatOf() (uint64, error) {
	txn := s.Begin()
	defer txn.Discard()
	v, ok, err := txn.Get(formatKey)
	if err != nil || !ok || len(v) != 8 {
		return 0, err
	}
	return binary.BigEndian.Uint64(v), nil
}

// AppliedMigrations returns the IDs recorded in the migration log, in key
// order.
func (s *Store) AppliedMigrations() ([]string, error) {
	txn := s.Begin()
	defer txn.Discard()
	p := []byte(migrationLogPrefix)
	end := append([]byte(migrationLogPrefix[:len(migrationLogPrefix)-1]), '/'+1)
	it, err := txn.NewIterator(IterOptions{Start: p, End: end})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var ids []string
	for ; it.Valid(); it.Next() {
		ids = append(ids, string(it.Key()[len(p):]))
	}
	return ids, it.Err()
}
