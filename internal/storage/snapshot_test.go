package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func put(t *testing.T, s *Store, kv ...string) {
	t.Helper()
	txn := s.Begin()
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			require.NoError(t, txn.Delete([]byte(kv[i])))
		} else {
			require.NoError(t, txn.Set([]byte(kv[i]), []byte(kv[i+1])))
		}
	}
	require.NoError(t, txn.Commit(context.Background()))
}

// scanAll returns key=value@version of every user key (the format key and
// migration log excluded).
func scanAll(t *testing.T, sn *Snapshot) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, sn.Scan(context.Background(), func(e SnapshotEntry) error {
		if e.Key()[0] == 0 {
			return nil
		}
		v, err := e.Value()
		if err != nil {
			return err
		}
		out[string(e.Key())] = string(v)
		return nil
	}))
	return out
}

func TestSnapshotHoldsItsVersionsWhileCommitsGoOn(t *testing.T) {
	s := openTest(t)
	put(t, s, "a", "1", "b", "1")
	sn := snapshot(t, s)
	defer sn.Close()
	put(t, s, "a", "2", "b", "", "c", "2")

	// What maintain does every few seconds, then a full compaction: the
	// snapshot's versions must survive both.
	s.db.SetDiscardTs(s.oracle.minActive())
	require.NoError(t, s.Compact())
	require.Equal(t, sn.Ts(), s.oracle.minActive(), "the snapshot holds the GC horizon")
	require.Equal(t, map[string]string{"a": "1", "b": "1"}, scanAll(t, sn))

	var versions []uint64
	require.NoError(t, sn.Scan(context.Background(), func(e SnapshotEntry) error {
		versions = append(versions, e.Version())
		return nil
	}))
	for _, v := range versions {
		require.LessOrEqual(t, v, sn.Ts())
	}

	sn.Close()
	sn.Close() // twice is fine
	require.Greater(t, s.oracle.minActive(), sn.Ts(), "a closed snapshot no longer holds GC back")
	now := snapshot(t, s)
	defer now.Close()
	require.Equal(t, map[string]string{"a": "2", "c": "2"}, scanAll(t, now))
}

func TestSnapshotScanStopsOnCancel(t *testing.T) {
	s := openTest(t)
	for i := 0; i < 3000; i++ {
		put(t, s, string(rune('a'+i%26))+string(rune(i)), "v")
	}
	sn := snapshot(t, s)
	defer sn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := sn.Scan(ctx, func(SnapshotEntry) error {
		if n++; n == 10 {
			cancel()
		}
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, n, 3000)
}

func TestOpenReadOnly(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, DefaultOptions(), nil)
	require.NoError(t, err)
	put(t, s, "k", "v")

	_, err = OpenReadOnly(dir, nil)
	require.ErrorIs(t, err, ErrLocked, "a running server holds the directory")
	require.Contains(t, err.Error(), dir)
	require.NoError(t, s.Close())

	ro, err := OpenReadOnly(dir, nil)
	require.NoError(t, err)
	v, err := ro.FormatVersionOnDisk()
	require.NoError(t, err)
	require.Equal(t, uint64(FormatVersion), v)
	sn := snapshot(t, ro)
	require.Equal(t, map[string]string{"k": "v"}, scanAll(t, sn))
	sn.Close()
	_, err = Open(dir, DefaultOptions(), nil)
	require.ErrorIs(t, err, ErrLocked, "a reader keeps a server out")
	require.NoError(t, ro.Close())

	t.Run("missing", func(t *testing.T) {
		_, err := OpenReadOnly(filepath.Join(dir, "nope"), nil)
		require.ErrorIs(t, err, os.ErrNotExist)
		_, err = os.Stat(filepath.Join(dir, "nope"))
		require.ErrorIs(t, err, os.ErrNotExist, "a read-only open never creates the directory")
	})
	t.Run("not a data directory", func(t *testing.T) {
		_, err := OpenReadOnly(t.TempDir(), nil)
		require.ErrorContains(t, err, "not a guocedb data directory")
	})
}

func TestLoaderLayers(t *testing.T) {
	dir := t.TempDir()
	l, err := NewLoader(dir, nil, nil)
	require.NoError(t, err)
	require.NoError(t, l.BeginLayer(10))
	for _, k := range []string{"a", "b", "c"} {
		require.NoError(t, l.Set([]byte(k), []byte(k+"10")))
	}
	require.NoError(t, l.BeginLayer(20))
	require.ErrorContains(t, l.BeginLayer(20), "not above")
	it := l.PreviousKeys()
	var prev []string
	for ; it.Valid(); it.Next() {
		prev = append(prev, string(it.Key()))
	}
	it.Close()
	require.Equal(t, []string{"a", "b", "c"}, prev)
	require.NoError(t, l.Delete([]byte("b")))
	require.NoError(t, l.Set([]byte("c"), []byte("c20")))
	require.NoError(t, l.Close())

	_, err = NewLoader(dir, nil, nil)
	require.ErrorContains(t, err, "not empty")

	s, err := Open(dir, DefaultOptions(), nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	sn := snapshot(t, s)
	defer sn.Close()
	// Open wrote the format record and migration log above the layers.
	require.Greater(t, sn.Ts(), uint64(20), "the clock continues above the last layer")
	require.Equal(t, map[string]string{"a": "a10", "c": "c20"}, scanAll(t, sn))
	put(t, s, "d", "new")
	txn := s.Begin()
	defer txn.Discard()
	require.Greater(t, txn.ReadTs(), uint64(20))
}

func snapshot(t *testing.T, s *Store) *Snapshot {
	t.Helper()
	sn, err := s.Snapshot(context.Background())
	require.NoError(t, err)
	return sn
}

// TestClockNeverGoesBackAcrossRestarts: a snapshot taken at a timestamp no
// key carries (the last commit wrote nothing) must not see that timestamp
// reissued after a restart, or an incremental backup since it would take a
// new commit for an old one.
func TestClockNeverGoesBackAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, DefaultOptions(), nil)
	require.NoError(t, err)
	put(t, s, "a", "1")
	require.NoError(t, s.DirectCommit(context.Background(), &WriteSet{})) // takes a timestamp, writes nothing
	sn := snapshot(t, s)
	ts := sn.Ts()
	sn.Close()
	require.NoError(t, s.Close())

	for i := 0; i < 2; i++ {
		s, err = Open(dir, DefaultOptions(), nil)
		require.NoError(t, err)
		put(t, s, "b", fmt.Sprint(i))
		sn := snapshot(t, s)
		require.NoError(t, sn.Scan(context.Background(), func(e SnapshotEntry) error {
			if string(e.Key()) == "b" {
				require.Greater(t, e.Version(), ts, "a timestamp exposed by a snapshot was reissued")
			}
			return nil
		}))
		ts = sn.Ts()
		sn.Close()
		require.NoError(t, s.Close())
	}

	// An offline snapshot (read-only: nothing can be written) is at the
	// highest stored version; the next open writes above it.
	ro, err := OpenReadOnly(dir, nil)
	require.NoError(t, err)
	sn = snapshot(t, ro)
	ts = sn.Ts()
	sn.Close()
	require.NoError(t, ro.Close())
	s, err = Open(dir, DefaultOptions(), nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	txn := s.Begin()
	defer txn.Discard()
	require.Greater(t, txn.ReadTs(), ts)
}
