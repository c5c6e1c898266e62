package storage

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStatsCountTransactions checks the outcomes the store counts: a
// commit with writes, a conflict, a discard with writes, and neither for
// a transaction that wrote nothing.
func TestStatsCountTransactions(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	before := s.Stats()

	ok := s.Begin()
	require.NoError(t, ok.Set([]byte("k"), []byte("1")))
	require.NoError(t, ok.Commit(ctx))

	a, b := s.Begin(), s.Begin()
	require.NoError(t, a.Set([]byte("x"), []byte("a")))
	require.NoError(t, b.Set([]byte("x"), []byte("b")))
	require.NoError(t, a.Commit(ctx))
	require.ErrorIs(t, b.Commit(ctx), ErrConflict)
	b.Discard() // after a failed commit: not counted again

	rb := s.Begin()
	require.NoError(t, rb.Set([]byte("y"), []byte("1")))
	rb.Discard()
	rb.Discard()

	ro := s.Begin()
	_, _, err := ro.Get([]byte("k"))
	require.NoError(t, err)
	require.NoError(t, ro.Commit(ctx))
	s.Begin().Discard()

	got := s.Stats()
	require.Equal(t, before.TxnCommitted+2, got.TxnCommitted)
	require.Equal(t, before.TxnConflicted+1, got.TxnConflicted)
	require.Equal(t, before.TxnRolledBack+1, got.TxnRolledBack)
	require.Equal(t, 0, got.OpenTransactions)
}

// TestStatsCountCompactions puts more tables in level 0 than Badger keeps
// there (each Close flushes one), compacts, and requires the compaction to be counted and the levels and
// sizes to be reported. It also guards compactionDoneFormat against a
// Badger upgrade that changes the line.
func TestStatsCountCompactions(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for batch := range 7 {
		s, err := Open(dir, DefaultOptions(), nil)
		require.NoError(t, err)
		txn := s.Begin()
		for i := range 500 {
			require.NoError(t, txn.Set([]byte(fmt.Sprintf("key-%d-%05d", batch, i)), make([]byte, 100)))
		}
		require.NoError(t, txn.Commit(ctx))
		require.NoError(t, s.Close()) // flushes the memtable to a level 0 table
	}

	s, err := Open(dir, DefaultOptions(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	require.NoError(t, s.Compact())
	st := s.Stats()
	require.NotEmpty(t, st.Levels)
	require.Equal(t, 0, st.Levels[0].Level)
	var compactions uint64
	var tables int
	for _, l := range st.Levels {
		compactions += l.Compactions
		tables += l.Tables
	}
	require.Positive(t, compactions, "compactions counted: %+v", st.Levels)
	require.Positive(t, tables)
	require.Positive(t, st.LSMBytes+st.VLogBytes, "sizes")
	txn := s.Begin()
	defer txn.Discard()
	_, found, err := txn.Get([]byte("key-0-00001"))
	require.NoError(t, err)
	require.True(t, found)
	require.Positive(t, s.Stats().BlockCacheHits+s.Stats().BlockCacheMisses, "block cache lookups counted")
}
