package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"

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
