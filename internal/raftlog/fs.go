package raftlog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// FS is the file layer under the log: the few operations it needs, so
// that a test can put a layer below it that forgets what was not synced
// (faultfs). Names are paths as given; the log keeps all its files in one
// directory.
type FS interface {
	// MkdirAll creates dir and its parents.
	MkdirAll(dir string) error
	// List returns the names (not paths) of the files in dir, sorted; a
	// missing dir is an empty list.
	List(dir string) ([]string, error)
	// ReadFile returns a file's content; os.ErrNotExist when it is absent.
	ReadFile(name string) ([]byte, error)
	// Create creates (or truncates) name for appending.
	Create(name string) (File, error)
	// OpenAppend opens an existing file for appending at its end.
	OpenAppend(name string) (File, error)
	// OpenWriter opens an existing file of zeros (a preallocated
	// segment, see wal.prepareSpare) for writing from its start, over
	// the zeros: the file keeps its size.
	OpenWriter(name string) (File, error)
	// Truncate cuts name to size bytes and syncs it.
	Truncate(name string, size int64) error
	// Remove deletes name.
	Remove(name string) error
	// Rename replaces newName by oldName atomically.
	Rename(oldName, newName string) error
	// SyncDir makes the directory's entries (creations, renames,
	// removals) durable.
	SyncDir(dir string) error
}

// File is an open log file, written sequentially.
type File interface {
	Write(p []byte) (int, error)
	// Sync makes everything written so far durable (fdatasync: the
	// file's size too when it grew, not its times).
	Sync() error
	Close() error
}

// OSFS is the FS of the operating system.
type OSFS struct{}

var _ FS = OSFS{}

// MkdirAll implements FS.
func (OSFS) MkdirAll(dir string) error { return os.MkdirAll(dir, 0o750) }

// List implements FS.
func (OSFS) List(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// ReadFile implements FS.
func (OSFS) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

// Create implements FS.
func (OSFS) Create(name string) (File, error) {
	return openOSFile(name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND)
}

// OpenAppend implements FS.
func (OSFS) OpenAppend(name string) (File, error) {
	return openOSFile(name, os.O_WRONLY|os.O_APPEND)
}

// OpenWriter implements FS.
func (OSFS) OpenWriter(name string) (File, error) {
	return openOSFile(name, os.O_WRONLY)
}

// osFile is a log file of the operating system; Sync is fdatasync
// (fdatasync.go).
type osFile struct{ *os.File }

func openOSFile(name string, flag int) (File, error) {
	f, err := os.OpenFile(name, flag, 0o600)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

// Truncate implements FS.
func (OSFS) Truncate(name string, size int64) error {
	f, err := os.OpenFile(name, os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// Remove implements FS.
func (OSFS) Remove(name string) error { return os.Remove(name) }

// Rename implements FS.
func (OSFS) Rename(oldName, newName string) error { return os.Rename(oldName, newName) }

// SyncDir implements FS.
func (OSFS) SyncDir(dir string) error {
	d, err := os.Open(filepath.Clean(dir))
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
