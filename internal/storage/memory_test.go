package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTransactionLargerThanMemtables commits one transaction of three
// memtables' worth (48 MiB under the 16 MiB default): the apply spans
// memtables, and the write set survives a restart whole.
func TestTransactionLargerThanMemtables(t *testing.T) {
	dir := t.TempDir()
	opts := DefaultOptions()
	require.Equal(t, int64(16<<20), opts.MemTableSize)
	s, err := Open(dir, opts, nil)
	require.NoError(t, err)
	const rows = 48 << 10 // of 1 KiB
	val := make([]byte, 1024)
	txn := s.Begin()
	for i := range rows {
		require.NoError(t, txn.Set([]byte(fmt.Sprintf("k%06d", i)), val))
	}
	require.NoError(t, txn.Commit(context.Background()))
	count := func(s *Store) int {
		r := s.Begin()
		defer r.Discard()
		return len(keys(t, r, IterOptions{Start: []byte("k"), End: []byte("l"), KeysOnly: true}))
	}
	require.Equal(t, rows, count(s))
	require.NoError(t, s.Close())

	s, err = Open(dir, opts, nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	require.Equal(t, rows, count(s))
}

// TestMemtableLogFromLargerMemtable opens, with the 16 MiB default, what
// a crash left under 64 MiB memtables (the default before): a memtable
// log holding 40 MiB, more than a 16 MiB memtable's arena. Badger would
// exit the process replaying it; Open sizes the memtable from the log.
func TestMemtableLogFromLargerMemtable(t *testing.T) {
	dir := t.TempDir()
	big := DefaultOptions()
	big.MemTableSize, big.CheckpointInterval = 64<<20, -1
	s, err := Open(dir, big, nil)
	require.NoError(t, err)
	const rows = 40 << 10 // of 1 KiB
	val := make([]byte, 1024)
	for b := range rows / 1024 {
		txn := s.Begin()
		for i := range 1024 {
			require.NoError(t, txn.Set([]byte(fmt.Sprintf("k%06d", b*1024+i)), val))
		}
		require.NoError(t, txn.Commit(context.Background()))
	}
	// The files as a crash leaves them: Badger's memtable log is a shared
	// mapping, so a copy reads what the kernel would keep of a killed
	// process, and nothing was flushed to a table yet.
	crashed := filepath.Join(t.TempDir(), "crashed")
	require.NoError(t, os.CopyFS(crashed, os.DirFS(dir)))
	require.NoError(t, s.Close())
	mems, err := filepath.Glob(filepath.Join(crashed, "*.mem"))
	require.NoError(t, err)
	require.NotEmpty(t, mems, "the crash leaves a memtable log")
	size, err := memTableSizeFor(crashed, DefaultOptions().MemTableSize)
	require.NoError(t, err)
	require.Equal(t, int64(64<<20), size, "the memtable size the log was written with")

	s, err = Open(crashed, DefaultOptions(), nil)
	require.NoError(t, err)
	r := s.Begin()
	require.Len(t, keys(t, r, IterOptions{Start: []byte("k"), End: []byte("l"), KeysOnly: true}), rows)
	r.Discard()
	require.NoError(t, s.Close())

	// Flushed at close: the next open is back to the configured size.
	size, err = memTableSizeFor(crashed, DefaultOptions().MemTableSize)
	require.NoError(t, err)
	require.Equal(t, DefaultOptions().MemTableSize, size)
}

func TestMemoryBudget(t *testing.T) {
	// Three arenas (16 MiB + 30%), one flushed table, the caches.
	require.Equal(t, int64(3*(16<<20+16<<20*3/10)+16<<20+32<<20+16<<20), MemoryBudget(DefaultOptions()))
}
