package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/guocedb/guocedb/internal/encryption"
	"github.com/guocedb/guocedb/internal/raftlog"
)

// RotateKey re-keys the stopped, encrypted data directory dir from
// oldKey to newKey; afterwards only newKey opens it. Badger's data keys
// stay (as Badger's own rotation does, only its key registry is
// re-wrapped), and the commit log, whose entries are sealed under the old
// key, is replaced by an empty one at its checkpoint. Steps:
//
//  1. Open with oldKey and close: the log is replayed and checkpointed,
//     so that it holds no entry Badger lacks; this is checked.
//  2. The marker records the rotation (encryption.BeginRotation): no
//     open succeeds until step 5, whichever key is given.
//  3. KEYREGISTRY is rewritten under newKey (Badger writes a temporary
//     file and renames it).
//  4. The log's segments are deleted and a new one is started under
//     newKey (the checkpoint file stays: it carries index and term).
//  5. The marker names newKey alone.
//
// A crash anywhere leaves a directory that refuses to open with
// ErrRotationInterrupted until RotateKey runs again with the same keys;
// steps 3 to 5 are idempotent and run again. Sealed lines of the slow
// log and audit log, and backups, keep needing the old key.
func RotateKey(dir string, oldKey, newKey *encryption.Key, logger *slog.Logger) error {
	if oldKey == nil || newKey == nil {
		return errors.New("rotate key: both the old and the new key are needed")
	}
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST")); err != nil {
		return fmt.Errorf("data directory %q: not a guocedb data directory (no Badger MANIFEST)", dir)
	}
	if _, err := encryption.CheckDir(dir, oldKey, true); err != nil && !errors.Is(err, encryption.ErrRotationInterrupted) {
		return fmt.Errorf("data directory %q: %w", dir, err)
	} else if err == nil {
		// Step 1; an interrupted rotation did it already.
		o := DefaultOptions()
		o.EncryptionKey, o.CheckpointInterval = oldKey, -1
		s, err := Open(dir, o, logger)
		if err != nil {
			return err
		}
		if err := s.Close(); err != nil {
			return fmt.Errorf("data directory %q: %w", dir, err)
		}
		old, err := encryption.NewSealer(oldKey, logKeyUse)
		if err != nil {
			return err
		}
		info, err := raftlog.Inspect(nil, filepath.Join(dir, LogDir), old)
		if err != nil {
			return fmt.Errorf("data directory %q: %w", dir, err)
		}
		if len(info.Entries) > 0 || info.TornBytes > 0 {
			return fmt.Errorf("data directory %q: the commit log holds %d entries after its checkpoint after a clean close: this is a bug", dir, len(info.Entries))
		}
	}
	if _, err := encryption.BeginRotation(dir, oldKey, newKey); err != nil {
		return fmt.Errorf("data directory %q: %w", dir, err)
	}
	if err := rewrapKeyRegistry(dir, oldKey, newKey); err != nil {
		return fmt.Errorf("data directory %q: %w", dir, err)
	}
	if err := restartLog(dir, newKey); err != nil {
		return fmt.Errorf("data directory %q: %w", dir, err)
	}
	if err := encryption.WriteMarker(dir, newKey); err != nil {
		return fmt.Errorf("data directory %q: %w", dir, err)
	}
	return nil
}

// rewrapKeyRegistry rewrites Badger's key registry (its data keys) under
// newKey; a registry already under newKey (a rotation run again) is left.
func rewrapKeyRegistry(dir string, oldKey, newKey *encryption.Key) error {
	opt := badger.KeyRegistryOptions{
		Dir:                           dir,
		ReadOnly:                      true,
		EncryptionKey:                 oldKey.Subkey(badgerKeyUse, nil),
		EncryptionKeyRotationDuration: badger.DefaultOptions(dir).EncryptionKeyRotationDuration,
	}
	reg, err := badger.OpenKeyRegistry(opt)
	if errors.Is(err, badger.ErrEncryptionKeyMismatch) {
		opt.EncryptionKey = newKey.Subkey(badgerKeyUse, nil)
		reg, err = badger.OpenKeyRegistry(opt)
		if err != nil {
			return fmt.Errorf("key registry: under neither key: %w", err)
		}
		return reg.Close()
	}
	if err != nil {
		return fmt.Errorf("key registry: %w", err)
	}
	opt.ReadOnly = false
	opt.EncryptionKey = newKey.Subkey(badgerKeyUse, nil)
	err = badger.WriteKeyRegistry(reg, opt)
	return errors.Join(err, reg.Close())
}

// restartLog replaces the commit log's segments (sealed under the old
// key, every entry at or below the checkpoint) with one new segment: the
// checkpoint file stays, so the log continues at its index and term.
func restartLog(dir string, newKey *encryption.Key) error {
	logDir := filepath.Join(dir, LogDir)
	ents, err := os.ReadDir(logDir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".seg") {
			if err := os.Remove(filepath.Join(logDir, e.Name())); err != nil {
				return err
			}
		}
	}
	s, err := encryption.NewSealer(newKey, logKeyUse)
	if err != nil {
		return err
	}
	// No proposal: it only starts (and fsyncs) a new segment.
	return raftlog.AppendCommitted(nil, logDir, s, nil)
}
