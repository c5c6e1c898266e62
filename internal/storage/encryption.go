package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/guocedb/guocedb/internal/encryption"
	"github.com/guocedb/guocedb/internal/raftlog"
)

// Labels of the subkeys derived from the master key, one per use: Badger's
// key-registry key and the commit log's entry keys never equal each other
// or the backup keys (internal/backup).
const (
	badgerKeyUse = "badger v1"
	logKeyUse    = "raftlog v1"
)

// prepareEncryption checks the data directory against the key before
// any file is created or changed (see encryption.CheckDir): a wrong or
// missing key for an encrypted directory, and a key for a plaintext one,
// fail here. For a new directory with a key it writes the marker first,
// so that every encrypted file has it beside it. It returns the commit
// log's sealer (nil without a key).
func prepareEncryption(dir string, key *encryption.Key, readOnly bool) (raftlog.Sealer, error) {
	hasData, err := holdsData(dir)
	if err != nil {
		return nil, err
	}
	st, err := encryption.CheckDir(dir, key, hasData)
	if err != nil {
		return nil, err
	}
	switch st {
	case encryption.Plain:
		return nil, nil
	case encryption.NewEncrypted:
		if readOnly {
			return nil, encryption.ErrNotEncrypted
		}
		if err := encryption.WriteMarker(dir, key); err != nil {
			return nil, err
		}
	}
	return encryption.NewSealer(key, logKeyUse)
}

// holdsData reports whether dir holds Badger files or a commit log: data
// that a key given now would not cover.
func holdsData(dir string) (bool, error) {
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST")); err == nil {
		return true, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("data directory %q: %w", dir, err)
	}
	ok, err := raftlog.Exists(nil, filepath.Join(dir, LogDir))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return ok, err
}

// withEncryption sets Badger's encryption: its tables, value log and
// memtable logs are encrypted with data keys that Badger rotates
// (EncryptionKeyRotationDuration, 10 days by default) and keeps in its
// KEYREGISTRY file, wrapped under the key given here. Badger needs a
// block cache and an index cache with encryption (decrypted blocks and
// indexes are cached, not re-decrypted per read): both are set to at
// least the defaults.
func withEncryption(bo badger.Options, key *encryption.Key) badger.Options {
	if key == nil {
		return bo
	}
	d := DefaultOptions()
	if bo.BlockCacheSize <= 0 {
		bo = bo.WithBlockCacheSize(d.BlockCacheSize)
	}
	if bo.IndexCacheSize <= 0 {
		bo = bo.WithIndexCacheSize(d.IndexCacheSize)
	}
	return bo.WithEncryptionKey(key.Subkey(badgerKeyUse, nil))
}

// EncryptionKey returns the master key the store was opened with (nil:
// not encrypted): backups of an encrypted store are encrypted with keys
// derived from it.
func (s *Store) EncryptionKey() *encryption.Key { return s.key }
