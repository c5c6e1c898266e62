package storage

import (
	"context"
	"errors"
	"fmt"
	"testing"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"
)

// snapRecords builds a snapshot's records: keys k<from>..k<to> (3
// digits, skipping those in holes), versions rising from base, values
// tagged with tag.
func snapRecords(from, to int, base uint64, tag string, holes ...[2]int) []SnapshotKV {
	var recs []SnapshotKV
outer:
	for i := from; i <= to; i++ {
		for _, h := range holes {
			if i >= h[0] && i <= h[1] {
				continue outer
			}
		}
		recs = append(recs, SnapshotKV{Key: fmt.Appendf(nil, "k%03d", i), Value: fmt.Appendf(nil, "%s-%d", tag, i), Version: base + uint64(i)})
	}
	return recs
}

// feed returns a next function over recs in batches of size, failing
// with errCut once cutAfter batches were returned (never when
// cutAfter < 0).
func feed(recs []SnapshotKV, size, cutAfter int) func() ([]SnapshotKV, error) {
	batches := 0
	return func() ([]SnapshotKV, error) {
		if cutAfter >= 0 && batches == cutAfter {
			return nil, errCut
		}
		if len(recs) == 0 {
			return nil, nil
		}
		n := min(size, len(recs))
		b := recs[:n]
		recs = recs[n:]
		batches++
		return b, nil
	}
}

var errCut = errors.New("stream cut")

// requireHolds asserts that the store's state at ts is exactly recs:
// every key, version and value, nothing else. (At ts: a single node's
// Open writes its clock and format keys above it.)
func requireHolds(t *testing.T, s *Store, ts uint64, recs []SnapshotKV) {
	t.Helper()
	require.GreaterOrEqual(t, s.oracle.visibleTs(), ts, "the snapshot is published")
	txn := s.db.NewTransactionAt(ts, false)
	defer txn.Discard()
	it := txn.NewIterator(badger.DefaultIteratorOptions)
	defer it.Close()
	var got []SnapshotKV
	for it.Rewind(); it.Valid(); it.Next() {
		v, err := it.Item().ValueCopy(nil)
		require.NoError(t, err)
		got = append(got, SnapshotKV{Key: it.Item().KeyCopy(nil), Value: v, Version: it.Item().Version()})
	}
	require.Equal(t, len(recs), len(got), "keys in the store")
	for i := range recs {
		require.Equal(t, string(recs[i].Key), string(got[i].Key))
		require.Equal(t, recs[i].Version, got[i].Version, "version of %s", recs[i].Key)
		require.Equal(t, string(recs[i].Value), string(got[i].Value), "value of %s", recs[i].Key)
	}
}

// TestLoadSnapshotResume: a load cut after some batches keeps them
// (flushed, with its progress recorded), readers still see the old
// state, and a load of the same snapshot after the last key recorded,
// in the same process or after a reopen, finishes it: the store then
// holds exactly the snapshot.
func TestLoadSnapshotResume(t *testing.T) {
	for _, reopen := range []bool{false, true} {
		t.Run(fmt.Sprintf("reopen=%v", reopen), func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, DefaultOptions(), nil)
			require.NoError(t, err)
			defer func() { require.NoError(t, s.Close()) }()
			for i := 0; i < 100; i++ {
				put(t, s, fmt.Sprintf("k%03d", i), "old")
			}
			vis := s.oracle.visibleTs()
			id := SnapshotID{Ts: vis + 1000, Index: 77, Term: 3}
			recs := snapRecords(50, 199, vis, "s1")

			require.ErrorIs(t, s.LoadSnapshotFrom(context.Background(), id, nil, feed(recs, 20, 2)), errCut)
			p, ok := s.SnapshotProgress()
			require.True(t, ok)
			require.Equal(t, id, p.SnapshotID)
			require.Equal(t, uint64(40), p.Keys)
			require.Equal(t, "k089", string(p.LastKey))
			require.Equal(t, vis, p.Base)
			txn := s.Begin()
			v, found, err := txn.Get([]byte("k000"))
			require.NoError(t, err)
			require.True(t, found, "readers still see the old state")
			require.Equal(t, "old", string(v))
			_, found, err = txn.Get([]byte("k150"))
			require.NoError(t, err)
			require.False(t, found)
			txn.Discard()

			if reopen {
				require.NoError(t, s.Close())
				s, err = Open(dir, DefaultOptions(), nil)
				require.NoError(t, err)
				require.True(t, s.SnapshotIncomplete())
			}
			// Resuming after a key the store did not record is refused.
			require.ErrorIs(t, s.LoadSnapshotFrom(context.Background(), id, []byte("k100"), feed(recs[51:], 20, -1)), ErrSnapshotResume)
			other := id
			other.Ts++
			require.ErrorIs(t, s.LoadSnapshotFrom(context.Background(), other, p.LastKey, feed(recs[40:], 20, -1)), ErrSnapshotResume)
			// A record at or below the last key loaded is refused (and
			// the progress kept).
			require.ErrorContains(t, s.LoadSnapshotFrom(context.Background(), id, p.LastKey, feed(recs[39:], 20, -1)), "not above")
			p2, ok := s.SnapshotProgress()
			require.True(t, ok)
			require.Equal(t, p, p2)

			require.NoError(t, s.LoadSnapshotFrom(context.Background(), id, p.LastKey, feed(recs[40:], 20, -1)))
			require.False(t, s.SnapshotIncomplete())
			_, ok = s.SnapshotProgress()
			require.False(t, ok)
			requireHolds(t, s, id.Ts, recs)
		})
	}
}

// TestLoadSnapshotNewerAfterCut: a load cut half way, then a newer
// snapshot from its first key: the store ends up exactly the newer one,
// including the deletes of keys that only the abandoned load wrote
// (above the visible timestamp, so invisible to a read at it) and the
// newer snapshot lacks.
func TestLoadSnapshotNewerAfterCut(t *testing.T) {
	s := openTest(t)
	for i := 0; i < 100; i++ {
		put(t, s, fmt.Sprintf("k%03d", i), "old")
	}
	vis := s.oracle.visibleTs()
	id1 := SnapshotID{Ts: vis + 1000, Index: 77, Term: 3}
	s1 := snapRecords(50, 199, vis, "s1")
	require.ErrorIs(t, s.LoadSnapshotFrom(context.Background(), id1, nil, feed(s1, 20, 3)), errCut)
	p, ok := s.SnapshotProgress()
	require.True(t, ok)
	require.Equal(t, "k109", string(p.LastKey))

	// s2 lacks k050..k069 (old keys the abandoned load rewrote) and
	// k100..k109 (keys only the abandoned load wrote).
	id2 := SnapshotID{Ts: vis + 3000, Index: 99, Term: 4}
	s2 := snapRecords(70, 250, vis+1000, "s2", [2]int{100, 109})
	require.NoError(t, s.LoadSnapshotFrom(context.Background(), id2, nil, feed(s2, 25, -1)))
	requireHolds(t, s, id2.Ts, s2)
}

// TestLoadSnapshotCheckpoints: a long load records its progress every
// snapCheckpoint bytes, so that a crash costs the next stream at most
// that much; what it records is durable in Badger.
func TestLoadSnapshotCheckpoints(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, DefaultOptions(), nil)
	require.NoError(t, err)
	s.snapCheckpoint = 50 // bytes: a batch of 10 records is about 85
	vis := s.oracle.visibleTs()
	id := SnapshotID{Ts: vis + 1000, Index: 5, Term: 1}
	recs := snapRecords(0, 299, vis, "s")
	inner := feed(recs, 10, -1)
	calls := 0
	var seen []SnapshotProgress
	next := func() ([]SnapshotKV, error) {
		calls++
		p, _ := s.SnapshotProgress()
		seen = append(seen, p)
		if calls == 21 {
			return nil, errCut
		}
		return inner()
	}
	require.ErrorIs(t, s.LoadSnapshotFrom(context.Background(), id, nil, next), errCut)
	// Every batch passes the checkpoint size: each call saw the batches
	// before it recorded.
	require.Equal(t, uint64(0), seen[0].Keys)
	require.Equal(t, uint64(10), seen[1].Keys)
	require.Equal(t, uint64(190), seen[19].Keys)
	require.Equal(t, "k189", string(seen[19].LastKey))
	require.NoError(t, s.Close())

	s, err = Open(dir, DefaultOptions(), nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	require.True(t, s.SnapshotIncomplete())
	p, ok := s.SnapshotProgress()
	require.True(t, ok)
	require.Equal(t, uint64(200), p.Keys)
	require.NoError(t, s.LoadSnapshotFrom(context.Background(), id, p.LastKey, feed(recs[200:], 10, -1)))
	requireHolds(t, s, id.Ts, recs)
}
