package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/raftlog"
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
	require.NoError(t, AppendUnapplied(dir, nil, first, sets))

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

// TestReadOnlyOpenVerifiesLog: a read-only open (offline backup, check)
// refuses a directory whose log holds entries Badger does not have, and
// a corrupt log, naming the cause; a clean close leaves a log it accepts.
func TestReadOnlyOpenVerifiesLog(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, DefaultOptions(), nil)
	require.NoError(t, err)
	first := s.HighestVersion() + 1
	require.NoError(t, s.Close())
	ro, err := OpenReadOnly(dir, nil)
	require.NoError(t, err)
	rep := ro.LogReport()
	require.Zero(t, rep.Tail, "a clean close checkpoints everything")
	require.Positive(t, rep.Checkpoint)
	require.NoError(t, ro.Close())

	require.NoError(t, AppendUnapplied(dir, nil, first, []*WriteSet{{Mutations: []Mutation{{Key: []byte("k"), Value: []byte("v")}}}}))
	_, err = OpenReadOnly(dir, nil)
	require.ErrorIs(t, err, ErrNotCleanlyClosed)
	require.ErrorContains(t, err, "is not applied; start guocedb on it once")

	s, err = Open(dir, DefaultOptions(), nil)
	require.NoError(t, err)
	require.Equal(t, 1, s.Recovery().Replayed)
	require.NoError(t, s.Close())
	ro, err = OpenReadOnly(dir, nil)
	require.NoError(t, err)
	require.NoError(t, ro.Close())

	// A flipped byte inside a record of a segment that is not the newest:
	// fsynced data gone bad, never cut silently. (Each append starts a
	// segment of its own.)
	val := make([]byte, 200)
	next := first + 10
	require.NoError(t, AppendUnapplied(dir, nil, next, []*WriteSet{{Mutations: []Mutation{{Key: []byte("k1"), Value: val}}}}))
	require.NoError(t, AppendUnapplied(dir, nil, next+1, []*WriteSet{{Mutations: []Mutation{{Key: []byte("k2"), Value: val}}}}))
	segs, err := filepath.Glob(filepath.Join(dir, LogDir, "*.seg"))
	require.NoError(t, err)
	require.Greater(t, len(segs), 1)
	older := segs[len(segs)-2]
	b, err := os.ReadFile(older)
	require.NoError(t, err)
	b[len(b)-100] ^= 0xff // inside the 200-byte value
	require.NoError(t, os.WriteFile(older, b, 0o600))
	_, err = OpenReadOnly(dir, nil)
	require.ErrorIs(t, err, raftlog.ErrCorrupt)
	_, err = Open(dir, DefaultOptions(), nil)
	require.ErrorIs(t, err, raftlog.ErrCorrupt)
	require.ErrorContains(t, err, "bad record at byte")
}

// TestMissingLogRefused: a format-4 directory whose commit log is gone
// is refused (commits may live only there), while a Loader's directory
// starts with an empty log and opens.
func TestMissingLogRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, DefaultOptions(), nil)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, os.RemoveAll(filepath.Join(dir, LogDir)))
	_, err = Open(dir, DefaultOptions(), nil)
	require.ErrorIs(t, err, ErrLogMissing)

	loaded := t.TempDir()
	l, err := NewLoader(loaded, nil, nil)
	require.NoError(t, err)
	require.NoError(t, l.BeginLayer(5))
	require.NoError(t, l.Set(formatKey, []byte{0, 0, 0, 0, 0, 0, 0, 4}))
	require.NoError(t, l.Set([]byte("k"), []byte("v")))
	require.NoError(t, l.Close())
	s, err = Open(loaded, DefaultOptions(), nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	txn := s.Begin()
	defer txn.Discard()
	v, ok, err := txn.Get([]byte("k"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "v", string(v))
}
