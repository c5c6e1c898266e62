package backup

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/guocedb/guocedb/internal/encryption"
	"github.com/guocedb/guocedb/internal/storage"
)

// OpenDir opens a stopped server's data directory read-only for an
// offline backup. It fails with storage.ErrLocked while a server runs on
// it (use the online backup then) and never creates or changes anything.
// key is the directory's encryption key (nil: not encrypted); the backup
// of an encrypted directory is encrypted.
func OpenDir(dataDir string, key *encryption.Key, logger *slog.Logger) (*storage.Store, error) {
	return storage.OpenReadOnlyKey(dataDir, key, logger)
}

// CreateFile writes a backup file at path through write, atomically: into a
// temporary file beside it (mode 0600: a backup holds every password
// hash), synced, then renamed, so that path never holds
// a partial backup. An existing path is refused, not overwritten.
func CreateFile(path string, write func(io.Writer) error) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("backup file %s already exists (remove it or choose another name)", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backup file: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("backup file: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("backup file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("backup file: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("backup file: %w", err)
	}
	done = true
	syncDir(filepath.Dir(path))
	return nil
}

// ReadManifestFile reads the header of the backup file at path: what an
// incremental backup needs of its base (--incremental-since FILE).
func ReadManifestFile(path string) (Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup file: %w", err)
	}
	defer f.Close()
	m, err := ReadManifest(f)
	if err != nil {
		return Manifest{}, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// SinceOptions returns the Options fields of an incremental built on base.
func SinceOptions(base Manifest, opts Options) Options {
	opts.Since, opts.BaseID = base.SnapshotTs, base.ID
	return opts
}
