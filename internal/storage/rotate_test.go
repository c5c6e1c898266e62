package storage

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/encryption"
	"github.com/guocedb/guocedb/internal/testutil/dirtest"
)

func requireValue(t *testing.T, s *Store, key string, want []byte) {
	t.Helper()
	txn := s.Begin()
	defer txn.Discard()
	v, ok, err := txn.Get([]byte(key))
	require.NoError(t, err)
	require.True(t, ok, "key %s", key)
	require.Equal(t, want, v)
}

// TestRotateKey: after a rotation only the new key opens the directory,
// with every row (a tail the log had not applied included); a wrong old
// key changes nothing; an interrupted rotation refuses every open until
// it is run again, and then finishes.
func TestRotateKey(t *testing.T) {
	dir := t.TempDir()
	k1, k2, k3 := loadKey(t, 0x11), loadKey(t, 0x22), loadKey(t, 0x33)
	s, err := Open(dir, keyOpts(k1), nil)
	require.NoError(t, err)
	for i := range 100 {
		put(t, s, fmt.Sprintf("k%03d", i), fmt.Sprintf("v%03d", i))
	}
	first := s.HighestVersion() + 1
	require.NoError(t, s.Close())
	blob := bytes.Repeat([]byte("x"), 100<<10)
	require.NoError(t, AppendUnapplied(dir, k1, first, []*WriteSet{{Mutations: []Mutation{{Key: []byte("blob"), Value: blob}}}}))

	before := dirtest.ReadDirState(t, dir)
	require.ErrorIs(t, RotateKey(dir, k3, k2, nil), encryption.ErrWrongKey)
	require.Equal(t, before, dirtest.ReadDirState(t, dir))

	require.NoError(t, RotateKey(dir, k1, k2, nil))
	_, err = Open(dir, keyOpts(k1), nil)
	require.ErrorIs(t, err, encryption.ErrWrongKey)
	_, err = OpenReadOnlyKey(dir, k1, nil)
	require.ErrorIs(t, err, encryption.ErrWrongKey)
	s, err = Open(dir, keyOpts(k2), nil)
	require.NoError(t, err)
	requireValue(t, s, "k099", []byte("v099"))
	requireValue(t, s, "blob", blob)
	put(t, s, "after", "rotation")
	require.NoError(t, s.Close())

	// Interrupted after the marker and the key registry (steps 2 and 3).
	_, err = encryption.BeginRotation(dir, k2, k3)
	require.NoError(t, err)
	require.NoError(t, rewrapKeyRegistry(dir, k2, k3))
	for _, k := range []*encryption.Key{k2, k3} {
		_, err = Open(dir, keyOpts(k), nil)
		require.ErrorIs(t, err, encryption.ErrRotationInterrupted)
	}
	require.Error(t, RotateKey(dir, k2, k1, nil), "another new key than the interrupted one")
	require.NoError(t, RotateKey(dir, k2, k3, nil))
	s, err = Open(dir, keyOpts(k3), nil)
	require.NoError(t, err)
	requireValue(t, s, "after", []byte("rotation"))
	requireValue(t, s, "blob", blob)
	require.NoError(t, s.Close())
	_, err = Open(dir, keyOpts(k2), nil)
	require.ErrorIs(t, err, encryption.ErrWrongKey)
}
