package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"
)

// TestMigrateRunAndFormat: a batched migration (Run) that fails is not
// logged and runs again from the start on the next Migrate; once it
// succeeds it is logged, raises the format version, and never runs again.
func TestMigrateRunAndFormat(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, DefaultOptions(), nil)
	require.NoError(t, err)
	ctx := context.Background()
	// As an older build left it.
	require.NoError(t, s.DirectCommit(ctx, &WriteSet{Mutations: []Mutation{{Key: formatKey, Value: binary.BigEndian.AppendUint64(nil, 1)}}}))

	runs := 0
	fail := true
	m := Migration{
		ID:     "9999-test-batched",
		Format: FormatVersion,
		Run: func(ctx context.Context, s *Store) error {
			runs++
			// One batch commits, then the "crash".
			if err := s.DirectCommit(ctx, &WriteSet{Mutations: []Mutation{{Key: []byte("x/batch1"), Value: []byte("1")}}}); err != nil {
				return err
			}
			if fail {
				return errors.New("interrupted")
			}
			return s.DirectCommit(ctx, &WriteSet{Mutations: []Mutation{{Key: []byte("x/batch2"), Value: []byte("2")}}})
		},
	}
	_, err = s.Migrate(ctx, []Migration{m})
	require.ErrorContains(t, err, "interrupted")
	v, err := s.FormatOf()
	require.NoError(t, err)
	require.EqualValues(t, 1, v, "a failed migration leaves the format alone")
	require.NotContains(t, mustApplied(t, s), m.ID)
	require.NoError(t, s.Close())

	s, err = Open(dir, DefaultOptions(), nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	fail = false
	applied, err := s.Migrate(ctx, []Migration{m})
	require.NoError(t, err)
	require.Equal(t, []string{m.ID}, applied)
	require.Equal(t, 2, runs)
	v, err = s.FormatOf()
	require.NoError(t, err)
	require.EqualValues(t, FormatVersion, v)
	require.Contains(t, mustApplied(t, s), m.ID)
	txn := s.Begin()
	require.Equal(t, []string{"x/batch1=1", "x/batch2=2"}, keys(t, txn, IterOptions{Start: []byte("x/"), End: []byte("x0")}))
	txn.Discard()

	applied, err = s.Migrate(ctx, []Migration{m})
	require.NoError(t, err)
	require.Empty(t, applied)
	require.Equal(t, 2, runs, "a logged migration never runs again")
}

func mustApplied(t *testing.T, s *Store) []string {
	t.Helper()
	ids, err := s.AppliedMigrations()
	require.NoError(t, err)
	return ids
}

// TestFormat3DirectoryMigrates: a directory as the previous release
// (format 3) left it, Badger's files and no commit log, opens: every key
// is kept, the format becomes 4 through migration 0004-commit-log, and
// the log starts there; commits after the migration survive a restart.
func TestFormat3DirectoryMigrates(t *testing.T) {
	dir := t.TempDir()
	db, err := badger.OpenManaged(badger.DefaultOptions(dir).WithLogger(nil).WithSyncWrites(true))
	require.NoError(t, err)
	txn := db.NewTransactionAt(10, true)
	require.NoError(t, txn.Set(formatKey, binary.BigEndian.AppendUint64(nil, 3)))
	for _, id := range []string{"0001-initial-format", "0002-row-count-deltas", "0003-keyless-row-ids"} {
		require.NoError(t, txn.Set([]byte(migrationLogPrefix+id), []byte(`{"id":"`+id+`"}`)))
	}
	for i := range 1000 {
		require.NoError(t, txn.Set([]byte(fmt.Sprintf("t/row/%04d", i)), []byte(fmt.Sprint("v", i))))
	}
	require.NoError(t, txn.CommitAt(10, nil))
	require.NoError(t, db.Close())
	_, err = os.Stat(filepath.Join(dir, LogDir))
	require.ErrorIs(t, err, os.ErrNotExist, "a format-3 directory has no commit log")

	s, err := Open(dir, DefaultOptions(), nil)
	require.NoError(t, err)
	v, err := s.FormatOf()
	require.NoError(t, err)
	require.EqualValues(t, 4, v)
	require.Contains(t, mustApplied(t, s), "0004-commit-log")
	r := s.Begin()
	got := keys(t, r, IterOptions{Start: []byte("t/row/"), End: []byte("t/row0")})
	r.Discard()
	require.Len(t, got, 1000)
	require.Equal(t, "t/row/0999=v999", got[999])
	w := s.Begin()
	require.NoError(t, w.Set([]byte("t/row/new"), []byte("after")))
	require.NoError(t, w.Commit(context.Background()))
	require.NoError(t, s.Close())
	_, err = os.Stat(filepath.Join(dir, LogDir))
	require.NoError(t, err, "the commit log starts with the migration")

	s, err = Open(dir, DefaultOptions(), nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	r = s.Begin()
	defer r.Discard()
	require.Len(t, keys(t, r, IterOptions{Start: []byte("t/row/"), End: []byte("t/row0")}), 1001)
}

// TestRefusesNewerFormatMessage: the refusal names both versions.
func TestRefusesNewerFormatMessage(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, DefaultOptions(), nil)
	require.NoError(t, err)
	require.NoError(t, s.DirectCommit(context.Background(), &WriteSet{Mutations: []Mutation{{Key: formatKey, Value: binary.BigEndian.AppendUint64(nil, FormatVersion+1)}}}))
	require.NoError(t, s.Close())
	_, err = Open(dir, DefaultOptions(), nil)
	require.ErrorIs(t, err, ErrNewerFormat)
	require.ErrorContains(t, err, fmt.Sprintf("data directory %q: data directory was written by a newer guocedb: format version 5, this build reads up to 4", dir))
	_, err = OpenReadOnly(dir, nil)
	require.ErrorIs(t, err, ErrNewerFormat)
}
