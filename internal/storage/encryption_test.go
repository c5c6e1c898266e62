package storage

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/encryption"
	"github.com/guocedb/guocedb/internal/testutil/dirtest"
)

func loadKey(t *testing.T, b byte) *encryption.Key {
	t.Helper()
	k, err := encryption.LoadKeyFile(dirtest.WriteKeyFile(t, b))
	require.NoError(t, err)
	return k
}

func keyOpts(k *encryption.Key) Options {
	o := DefaultOptions()
	o.EncryptionKey = k
	return o
}

// TestEncryptedStore: an encrypted directory holds no user data in the
// clear (Badger's files and the commit log, also with a replayed tail),
// opens with its key, and is refused without it or with another key
// without any file changing; a plaintext directory refuses a key.
func TestEncryptedStore(t *testing.T) {
	dir := t.TempDir()
	key := loadKey(t, 0xa1)
	canary := []byte("guocedb-canary-7f3a")
	s, err := Open(dir, keyOpts(key), nil)
	require.NoError(t, err)
	for i := range 200 {
		put(t, s, fmt.Sprintf("k%03d", i), fmt.Sprintf("%s-%03d", canary, i))
	}
	require.NoError(t, s.Close())
	// A tail in the log that Badger never got, as after kill -9.
	first := func() uint64 {
		s, err := OpenReadOnlyKey(dir, key, nil)
		require.NoError(t, err)
		defer s.Close()
		return s.HighestVersion() + 1
	}()
	big := bytes.Repeat(canary, 100<<10/len(canary))
	require.NoError(t, AppendUnapplied(dir, key, first, []*WriteSet{{Mutations: []Mutation{{Key: []byte("blob"), Value: big}}}}))
	require.Empty(t, dirtest.FilesContaining(t, canary, dir), "a file of the encrypted directory holds the canary")

	before := dirtest.ReadDirState(t, dir)
	_, err = Open(dir, DefaultOptions(), nil)
	require.ErrorIs(t, err, encryption.ErrKeyRequired)
	_, err = Open(dir, keyOpts(loadKey(t, 0xb2)), nil)
	require.ErrorIs(t, err, encryption.ErrWrongKey)
	_, err = OpenReadOnly(dir, nil)
	require.ErrorIs(t, err, encryption.ErrKeyRequired)
	_, err = OpenReadOnlyKey(dir, loadKey(t, 0xb2), nil)
	require.ErrorIs(t, err, encryption.ErrWrongKey)
	require.Equal(t, before, dirtest.ReadDirState(t, dir), "a refused open changed the directory")

	s, err = Open(dir, keyOpts(key), nil)
	require.NoError(t, err)
	require.Equal(t, 1, s.Recovery().Replayed)
	txn := s.Begin()
	v, ok, err := txn.Get([]byte("k199"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, fmt.Sprintf("%s-199", canary), string(v))
	v, ok, err = txn.Get([]byte("blob"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, big, v)
	txn.Discard()
	require.NoError(t, s.Compact())
	require.NoError(t, s.Close())
	require.Empty(t, dirtest.FilesContaining(t, canary, dir))
	fi, err := os.Stat(filepath.Join(dir, encryption.MarkerName))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	plain := t.TempDir()
	s, err = Open(plain, DefaultOptions(), nil)
	require.NoError(t, err)
	put(t, s, "k", "v")
	require.NoError(t, s.Close())
	before = dirtest.ReadDirState(t, plain)
	_, err = Open(plain, keyOpts(key), nil)
	require.ErrorIs(t, err, encryption.ErrNotEncrypted)
	require.ErrorContains(t, err, "guocedb restore")
	require.Equal(t, before, dirtest.ReadDirState(t, plain))
}

// TestEncryptedLoader: a directory built by the Loader with a key (a
// restore) is encrypted and opens only with that key.
func TestEncryptedLoader(t *testing.T) {
	dir := t.TempDir()
	key := loadKey(t, 0xa1)
	l, err := NewLoader(dir, key, nil)
	require.NoError(t, err)
	require.NoError(t, l.BeginLayer(10))
	require.NoError(t, l.Set([]byte("secret-key"), []byte("guocedb-canary-loader")))
	require.NoError(t, l.Close())
	require.Empty(t, dirtest.FilesContaining(t, []byte("guocedb-canary-loader"), dir))
	_, err = OpenReadOnly(dir, nil)
	require.ErrorIs(t, err, encryption.ErrKeyRequired)
	s, err := Open(dir, keyOpts(key), nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	txn := s.Begin()
	defer txn.Discard()
	v, ok, err := txn.Get([]byte("secret-key"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "guocedb-canary-loader", string(v))
}
