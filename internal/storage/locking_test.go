package storage

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/lockmgr"
)

var longWait = lockmgr.Wait{Timeout: 10 * time.Second}

// TestLockedWriteAfterWaitCommits is the counter of issue 10 at the
// storage level: a transaction whose snapshot predates another's commit
// of the row waits for the row lock, reads the committed value with a
// current read and commits on top of it without a conflict.
func TestLockedWriteAfterWaitCommits(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	put(t, s, "row", "1")

	a, b := s.Begin(), s.Begin()
	require.NoError(t, a.Lock(ctx, []byte("row"), lockmgr.Exclusive, longWait))
	require.NoError(t, a.Set([]byte("row"), []byte("2")))

	locked := make(chan error, 1)
	go func() { locked <- b.Lock(ctx, []byte("row"), lockmgr.Exclusive, longWait) }()
	require.Eventually(t, func() bool { return s.Locks().Stats().CurrentWaits == 1 }, 5*time.Second, time.Millisecond)
	require.NoError(t, a.Commit(ctx))
	require.NoError(t, <-locked)

	v, ok, err := b.Get([]byte("row"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "1", string(v), "a plain read keeps the snapshot")
	v, _, err = b.GetCurrent(nil, []byte("row"))
	require.NoError(t, err)
	require.Equal(t, "2", string(v), "a current read sees the holder's commit")
	require.NoError(t, b.Set([]byte("row"), []byte("3")))
	require.NoError(t, b.Commit(ctx))
	require.Equal(t, 0, s.Locks().Entries(), "commit released the locks")

	c := s.Begin()
	defer c.Discard()
	v, _, err = c.Get([]byte("row"))
	require.NoError(t, err)
	require.Equal(t, "3", string(v))
}

// TestUnlockedWriteStillConflicts: a write not covered by a lock keeps the
// first-committer-wins check against commits after its snapshot.
func TestUnlockedWriteStillConflicts(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	a := s.Begin()
	put(t, s, "k", "other")
	require.NoError(t, a.Set([]byte("k"), []byte("mine")))
	require.ErrorIs(t, a.Commit(ctx), ErrConflict)
}

func TestCurrentIteratorSeesLaterCommits(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	put(t, s, "a1", "x")
	txn := s.Begin()
	defer txn.Discard()
	put(t, s, "a2", "y")
	require.Len(t, keys(t, txn, IterOptions{Start: []byte("a"), End: []byte("b")}), 1)
	txn.StartCurrentRead()
	require.NoError(t, txn.Set([]byte("a3"), []byte("z")))
	got := keys(t, txn, IterOptions{Start: []byte("a"), End: []byte("b"), Current: true})
	require.Equal(t, []string{"a1=x", "a2=y", "a3=z"}, got)

	// A current iterator stays valid while a later lock moves current
	// reads forward.
	it, err := txn.NewIterator(IterOptions{Start: []byte("a"), End: []byte("b"), Current: true})
	require.NoError(t, err)
	put(t, s, "a4", "w")
	require.NoError(t, txn.Lock(ctx, []byte("a4"), lockmgr.Exclusive, longWait))
	v, ok, err := txn.GetCurrent(nil, []byte("a4"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "w", string(v))
	n := 0
	for ; it.Valid(); it.Next() {
		n++
	}
	it.Close()
	require.Equal(t, 3, n)
}

func TestDiscardReleasesLocks(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	a := s.Begin()
	require.NoError(t, a.Lock(ctx, []byte("k"), lockmgr.Exclusive, longWait))
	b := s.Begin()
	defer b.Discard()
	require.ErrorIs(t, b.Lock(ctx, []byte("k"), lockmgr.Exclusive, lockmgr.Wait{NoWait: true}), lockmgr.ErrWouldBlock)
	a.Discard()
	require.NoError(t, b.Lock(ctx, []byte("k"), lockmgr.Exclusive, lockmgr.Wait{NoWait: true}))
}
