package backup_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/backup"
	"github.com/guocedb/guocedb/internal/encryption"
	"github.com/guocedb/guocedb/internal/storage"
	"github.com/guocedb/guocedb/internal/testutil/dirtest"
)

func testKey(t *testing.T, b byte) *encryption.Key {
	t.Helper()
	k, err := encryption.LoadKeyFile(dirtest.WriteKeyFile(t, b))
	require.NoError(t, err)
	return k
}

func openEncrypted(t *testing.T, dir string, key *encryption.Key) *storage.Store {
	t.Helper()
	o := storage.DefaultOptions()
	o.EncryptionKey = key
	s, err := storage.Open(dir, o, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func encryptedContents(t *testing.T, dir string, key *encryption.Key) map[string]string {
	t.Helper()
	s, err := storage.OpenReadOnlyKey(dir, key, nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	return contents(t, s)
}

// TestEncryptedBackup: the backup of an encrypted store is encrypted
// (no canary in the file, the key id in its header), restores with the
// key into an encrypted directory, and is refused without the key, with
// another key and with a changed byte, before anything is written.
func TestEncryptedBackup(t *testing.T) {
	files := t.TempDir()
	key := testKey(t, 0x4d)
	canary := "guocedb-canary-backup"
	s := openEncrypted(t, t.TempDir(), key)
	commit(t, s, "a="+canary, "blob="+strings.Repeat(canary, 5000))
	full, fm := backupFile(t, s, files, "full", backup.Options{})
	commit(t, s, "b="+canary+"-2", "-a")
	inc, im := backupFile(t, s, files, "inc", backup.SinceOptions(fm, backup.Options{}))
	want := contents(t, s)

	for _, m := range []backup.Manifest{fm, im} {
		require.Equal(t, 2, m.FormatVersion)
		require.NotNil(t, m.Encryption)
		require.Equal(t, "AES-256-GCM", m.Encryption.Cipher)
		require.Equal(t, key.ID(), m.Encryption.KeyID)
	}
	require.Empty(t, dirtest.FilesContaining(t, []byte(canary), files))
	hm, err := backup.ReadManifestFile(inc)
	require.NoError(t, err, "the header needs no key")
	require.Equal(t, fm.ID, hm.BaseID)
	_, err = backup.VerifyKey(context.Background(), full, key)
	require.NoError(t, err)

	target := filepath.Join(t.TempDir(), "restored")
	_, err = backup.Restore(context.Background(), target, []string{full, inc}, backup.RestoreOptions{Key: key})
	require.NoError(t, err)
	require.Equal(t, want, encryptedContents(t, target, key))
	require.Empty(t, dirtest.FilesContaining(t, []byte(canary), target))
	_, err = storage.OpenReadOnly(target, nil)
	require.ErrorIs(t, err, encryption.ErrKeyRequired)

	good, err := os.ReadFile(full)
	require.NoError(t, err)
	write := func(name string, b []byte) string {
		p := filepath.Join(files, name)
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}
	flipped := bytes.Clone(good)
	// A byte of the last chunk (the trailer is 80 bytes).
	flipped[len(flipped)-80-5] ^= 0x08
	// The same flip with the checksum recomputed: only the cipher's
	// authentication can tell.
	resummed := bytes.Clone(flipped)
	sum := sha256.Sum256(resummed[:len(resummed)-sha256.Size])
	copy(resummed[len(resummed)-sha256.Size:], sum[:])

	for _, tt := range []struct {
		name  string
		files []string
		key   *encryption.Key
		err   error
		msg   string
	}{
		{"no key", []string{full}, nil, backup.ErrKeyRequired, "--encryption-key-file"},
		{"wrong key", []string{full}, testKey(t, 0x5e), backup.ErrWrongKey, key.ID()},
		{"wrong key for the incremental", []string{full, inc}, nil, backup.ErrKeyRequired, "encrypted"},
		{"flipped byte", []string{write("flipped", flipped)}, key, backup.ErrChecksum, "checksum"},
		{"flipped byte, checksum recomputed", []string{write("resummed", resummed)}, key, backup.ErrCorrupt, "decryption failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			_, err := backup.Restore(context.Background(), filepath.Join(parent, "r"), tt.files, backup.RestoreOptions{Key: tt.key})
			require.ErrorIs(t, err, tt.err)
			require.ErrorContains(t, err, tt.msg)
			ents, err := os.ReadDir(parent)
			require.NoError(t, err)
			require.Empty(t, ents, "nothing written")
		})
	}
}

// TestRestorePlaintextWithKey: the way to encrypt a plaintext server is a
// backup restored with a key; the result opens only with the key.
func TestRestorePlaintextWithKey(t *testing.T) {
	files := t.TempDir()
	s := openStore(t, t.TempDir())
	commit(t, s, "a=guocedb-canary-plain")
	full, fm := backupFile(t, s, files, "full", backup.Options{})
	require.Nil(t, fm.Encryption)
	require.Equal(t, 1, fm.FormatVersion)
	key := testKey(t, 0x4d)
	target := filepath.Join(t.TempDir(), "restored")
	_, err := backup.Restore(context.Background(), target, []string{full}, backup.RestoreOptions{Key: key})
	require.NoError(t, err)
	require.Equal(t, contents(t, s), encryptedContents(t, target, key))
	require.Empty(t, dirtest.FilesContaining(t, []byte("guocedb-canary-plain"), target))
	_, err = storage.OpenReadOnly(target, nil)
	require.ErrorIs(t, err, encryption.ErrKeyRequired)
}
