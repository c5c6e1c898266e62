package storage

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReplayUnappliedTail is issue 9's acceptance 3 below the server:
// Open after a crash that left 100,000 committed entries the store never
// applied (10,000 with -short) replays them all before it returns, and
// reports how long that took.
func TestReplayUnappliedTail(t *testing.T) {
	n := 100_000
	if testing.Short() || raceEnabled {
		n = 10_000
	}
	dir := t.TempDir()
	s, err := Open(dir, DefaultOptions(), nil)
	require.NoError(t, err)
	first := s.HighestVersion() + 1
	require.NoError(t, s.Close())

	sets := make([]*WriteSet, n)
	val := make([]byte, 64)
	for i := range sets {
		sets[i] = &WriteSet{Mutations: []Mutation{
			{Key: []byte(fmt.Sprintf("a/%08d", i)), Value: val},
			{Key: []byte(fmt.Sprintf("b/%08d", i)), Value: val},
		}}
	}
	require.NoError(t, AppendUnapplied(dir, first, sets))

	s, err = Open(dir, DefaultOptions(), nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	rec := s.Recovery()
	require.Equal(t, n, rec.Replayed)
	t.Logf("replayed %d unapplied entries in %.2fs (Open total)", rec.Replayed, rec.Duration.Seconds())

	txn := s.Begin()
	defer txn.Discard()
	for _, i := range []int{0, n / 2, n - 1} {
		for _, p := range []string{"a", "b"} {
			_, ok, err := txn.Get([]byte(fmt.Sprintf("%s/%08d", p, i)))
			require.NoError(t, err)
			require.True(t, ok, "%s/%08d replayed", p, i)
		}
	}
	require.Len(t, keys(t, txn, IterOptions{Start: []byte("a/"), End: []byte("a0"), KeysOnly: true}), n)
	// New commits get timestamps above the replayed ones.
	w := s.Begin()
	require.NoError(t, w.Set([]byte("a/new"), []byte("1")))
	require.NoError(t, w.Commit(context.Background()))
	require.Greater(t, s.HighestVersion(), first+uint64(n)-1)
}
