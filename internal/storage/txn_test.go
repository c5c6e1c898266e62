package storage

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), DefaultOptions(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func keys(t *testing.T, txn *Txn, opts IterOptions) []string {
	t.Helper()
	it, err := txn.NewIterator(opts)
	require.NoError(t, err)
	defer it.Close()
	var out []string
	for ; it.Valid(); it.Next() {
		out = append(out, string(it.Key())+"="+string(it.Value()))
	}
	require.NoError(t, it.Err())
	return out
}

func TestIteratorMergesBufferedWrites(t *testing.T) {
	s := openTest(t)
	w := s.Begin()
	for _, k := range []string{"a1", "a3", "a5", "b1"} {
		require.NoError(t, w.Set([]byte(k), []byte("c")))
	}
	require.NoError(t, w.Commit(context.Background()))

	txn := s.Begin()
	defer txn.Discard()
	require.NoError(t, txn.Set([]byte("a2"), []byte("p")))
	require.NoError(t, txn.Set([]byte("a3"), []byte("p")))
	require.NoError(t, txn.Delete([]byte("a5")))
	tests := []struct {
		name string
		opts IterOptions
		want []string
	}{
		{"forward", IterOptions{Start: []byte("a"), End: []byte("b")}, []string{"a1=c", "a2=p", "a3=p"}},
		{"reverse", IterOptions{Start: []byte("a"), End: []byte("b"), Reverse: true}, []string{"a3=p", "a2=p", "a1=c"}},
		{"reverse bounded", IterOptions{Start: []byte("a2"), End: []byte("a3"), Reverse: true}, []string{"a2=p"}},
		{"unbounded", IterOptions{Start: []byte("a3")}, []string{"a3=p", "b1=c", "\x00meta/format=" + string([]byte{0, 0, 0, 0, 0, 0, 0, 1})}[:2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, keys(t, txn, tt.opts))
			// With Reuse each entry is read before Next, so the same.
			tt.opts.Reuse = true
			require.Equal(t, tt.want, keys(t, txn, tt.opts))
		})
	}
}

// TestIteratorReuse: under Reuse the snapshot's keys and values share the
// iterator's buffers (no allocation per entry), and each entry read before
// Next is whole, also when a longer one came before it.
func TestIteratorReuse(t *testing.T) {
	s := openTest(t)
	w := s.Begin()
	want := []string{"r1=" + string(make([]byte, 300)), "r2=short", "r3=", "r4=mid-length value"}
	for _, kv := range want {
		k, v, _ := strings.Cut(kv, "=")
		require.NoError(t, w.Set([]byte(k), []byte(v)))
	}
	require.NoError(t, w.Commit(context.Background()))
	txn := s.Begin()
	defer txn.Discard()
	it, err := txn.NewIterator(IterOptions{Start: []byte("r"), End: []byte("s"), Reuse: true})
	require.NoError(t, err)
	defer it.Close()
	var got []string
	var firstVal []byte
	for ; it.Valid(); it.Next() {
		if firstVal == nil {
			firstVal = it.Value()
		}
		got = append(got, string(it.Key())+"="+string(it.Value()))
	}
	require.NoError(t, it.Err())
	require.Equal(t, want, got)
	require.Equal(t, "mid-length value", string(firstVal[:len("mid-length value")]), "the first value's buffer was reused for the last")
}

func TestWriteWriteConflict(t *testing.T) {
	s := openTest(t)
	a, b := s.Begin(), s.Begin()
	require.NoError(t, a.Set([]byte("k"), []byte("a")))
	require.NoError(t, b.Set([]byte("k"), []byte("b")))
	require.NoError(t, a.Commit(context.Background()))
	require.ErrorIs(t, b.Commit(context.Background()), ErrConflict)

	r := s.Begin()
	defer r.Discard()
	v, ok, err := r.Get([]byte("k"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "a", string(v))
}

func TestSnapshotIsolation(t *testing.T) {
	s := openTest(t)
	r := s.Begin()
	defer r.Discard()
	w := s.Begin()
	require.NoError(t, w.Set([]byte("x"), []byte("1")))
	require.NoError(t, w.Commit(context.Background()))
	_, ok, err := r.Get([]byte("x"))
	require.NoError(t, err)
	require.False(t, ok, "a snapshot must not see later commits")
}

func TestSavepointRollback(t *testing.T) {
	s := openTest(t)
	txn := s.Begin()
	defer txn.Discard()
	require.NoError(t, txn.Set([]byte("a"), []byte("1")))
	sp := txn.Savepoint()
	require.NoError(t, txn.Set([]byte("b"), []byte("2")))
	txn.RollbackTo(sp)
	_, ok, err := txn.Get([]byte("b"))
	require.NoError(t, err)
	require.False(t, ok)
	_, ok, err = txn.Get([]byte("a"))
	require.NoError(t, err)
	require.True(t, ok)
}

func TestLargeTransactionCommits(t *testing.T) {
	s := openTest(t)
	txn := s.Begin()
	val := make([]byte, 1024)
	for i := range 20000 { // ~20 MB: beyond one Badger transaction
		require.NoError(t, txn.Set([]byte(fmt.Sprintf("k%06d", i)), val))
	}
	require.NoError(t, txn.Commit(context.Background()))
	r := s.Begin()
	defer r.Discard()
	require.Len(t, keys(t, r, IterOptions{Start: []byte("k"), End: []byte("l"), KeysOnly: true}), 20000)
}

func TestRefusesNewerFormat(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, DefaultOptions(), nil)
	require.NoError(t, err)
	require.NoError(t, s.DirectCommit(context.Background(), &WriteSet{Mutations: []Mutation{{Key: formatKey, Value: []byte{0, 0, 0, 0, 0, 0, 0, 99}}}}))
	require.NoError(t, s.Close())
	_, err = Open(dir, DefaultOptions(), nil)
	require.ErrorIs(t, err, ErrNewerFormat)
}

func TestMigrationsApplyOnceInOrder(t *testing.T) {
	dir := t.TempDir()
	var ran []string
	list := []Migration{
		{ID: "a", Apply: func(_ context.Context, txn *Txn) error {
			ran = append(ran, "a")
			return txn.Set([]byte("ma"), []byte("1"))
		}},
		{ID: "b", Apply: func(context.Context, *Txn) error { ran = append(ran, "b"); return nil }},
	}
	s, err := Open(dir, DefaultOptions(), nil)
	require.NoError(t, err)
	got, err := s.Migrate(context.Background(), list)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, got)
	require.NoError(t, s.Close())

	s, err = Open(dir, DefaultOptions(), nil)
	require.NoError(t, err)
	defer s.Close()
	got, err = s.Migrate(context.Background(), list)
	require.NoError(t, err)
	require.Empty(t, got)
	require.Equal(t, []string{"a", "b"}, ran)
	ids, err := s.AppliedMigrations()
	require.NoError(t, err)
	require.Equal(t, []string{"0001-initial-format", "0002-row-count-deltas", "0004-commit-log", "a", "b"}, ids)
}

func TestFailedMigrationLeavesNoRecord(t *testing.T) {
	s := openTest(t)
	_, err := s.Migrate(context.Background(), []Migration{{ID: "bad", Apply: func(_ context.Context, txn *Txn) error {
		_ = txn.Set([]byte("half"), []byte("x"))
		return fmt.Errorf("boom")
	}}})
	require.ErrorContains(t, err, "migration bad")
	ids, err := s.AppliedMigrations()
	require.NoError(t, err)
	require.NotContains(t, ids, "bad")
	r := s.Begin()
	defer r.Discard()
	_, ok, err := r.Get([]byte("half"))
	require.NoError(t, err)
	require.False(t, ok)
}

// TestCommitIsVisibleWhenAcknowledged: a commit returns only once new
// snapshots include it, even while an earlier commit is still pending.
func TestCommitIsVisibleWhenAcknowledged(t *testing.T) {
	s := openTest(t)
	slow := s.oracle.begin()
	first, err := s.oracle.prepare(slow, nil) // an earlier commit, still being written
	require.NoError(t, err)
	acked := make(chan struct{})
	go func() {
		w := s.Begin()
		_ = w.Set([]byte("k"), []byte("v"))
		require.NoError(t, w.Commit(context.Background()))
		close(acked)
	}()
	select {
	case <-acked:
		t.Fatal("commit acknowledged before an earlier commit was applied")
	case <-time.After(100 * time.Millisecond):
	}
	s.oracle.done(first)
	s.oracle.end(slow)
	<-acked
	r := s.Begin()
	defer r.Discard()
	_, ok, err := r.Get([]byte("k"))
	require.NoError(t, err)
	require.True(t, ok)
}
