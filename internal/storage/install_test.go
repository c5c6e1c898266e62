package storage

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLoadSnapshot: a leader's snapshot replaces what a member behind
// holds: its keys at their own versions, the member's other keys
// deleted, nothing visible before the snapshot's timestamp is
// published; a snapshot the store has passed is refused.
func TestLoadSnapshot(t *testing.T) {
	s := openTest(t)
	put(t, s, "a", "old-a", "b", "old-b", "c", "old-c")
	before := s.Begin()
	defer before.Discard()
	vis := s.oracle.visibleTs()
	ts := vis + 100
	batches := [][]SnapshotKV{
		{{Key: []byte("b"), Value: []byte("new-b"), Version: vis + 10}},
		{{Key: []byte("d"), Value: []byte("new-d"), Version: vis + 50}},
	}
	next := func() ([]SnapshotKV, error) {
		if len(batches) == 0 {
			return nil, nil
		}
		b := batches[0]
		batches = batches[1:]
		return b, nil
	}
	require.NoError(t, s.LoadSnapshot(context.Background(), ts, next))

	got := func(txn *Txn, k string) string {
		v, ok, err := txn.Get([]byte(k))
		require.NoError(t, err)
		if !ok {
			return "-"
		}
		return string(v)
	}
	after := s.Begin()
	defer after.Discard()
	for k, want := range map[string]string{"a": "-", "b": "new-b", "c": "-", "d": "new-d"} {
		require.Equal(t, want, got(after, k), "key %s after the snapshot", k)
	}
	// A reader that began before still sees the old state.
	for k, want := range map[string]string{"a": "old-a", "b": "old-b", "c": "old-c", "d": "-"} {
		require.Equal(t, want, got(before, k), "key %s before the snapshot", k)
	}
	// New commits land above the snapshot.
	put(t, s, "e", "after")
	require.ErrorIs(t, s.LoadSnapshot(context.Background(), ts, next), ErrSnapshotStale)
}
