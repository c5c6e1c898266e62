package backup_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/backup"
	"github.com/guocedb/guocedb/internal/storage"
)

func openStore(t *testing.T, dir string) *storage.Store {
	t.Helper()
	s, err := storage.Open(dir, storage.DefaultOptions(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// commit applies "key=value" puts and "-key" deletes in one transaction.
func commit(t *testing.T, s *storage.Store, ops ...string) {
	t.Helper()
	txn := s.Begin()
	for _, op := range ops {
		if k, ok := strings.CutPrefix(op, "-"); ok {
			require.NoError(t, txn.Delete([]byte(k)))
			continue
		}
		k, v, _ := strings.Cut(op, "=")
		require.NoError(t, txn.Set([]byte(k), []byte(v)))
	}
	require.NoError(t, txn.Commit(context.Background()))
}

// contents returns every key=value of an open store, the storage's own
// records (format, migrations: keys starting with 0x00) excluded.
func contents(t *testing.T, s *storage.Store) map[string]string {
	t.Helper()
	sn := snapshot(t, s)
	defer sn.Close()
	out := map[string]string{}
	require.NoError(t, sn.Scan(context.Background(), func(e storage.SnapshotEntry) error {
		if e.Key()[0] == 0 {
			return nil
		}
		v, err := e.Value()
		out[string(e.Key())] = string(v)
		return err
	}))
	return out
}

// dirContents opens a restored directory read-only and returns contents.
func dirContents(t *testing.T, dir string) map[string]string {
	t.Helper()
	s, err := storage.OpenReadOnly(dir, nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	return contents(t, s)
}

// backupFile writes a backup of s to a new file in dir.
func backupFile(t *testing.T, s *storage.Store, dir, name string, opts backup.Options) (string, backup.Manifest) {
	t.Helper()
	path := filepath.Join(dir, name)
	var m backup.Manifest
	require.NoError(t, backup.CreateFile(path, func(w io.Writer) error {
		var err error
		m, err = backup.Write(context.Background(), s, w, opts)
		return err
	}))
	return path, m
}

func TestFullAndIncrementalRoundTrip(t *testing.T) {
	s := openStore(t, t.TempDir())
	files := t.TempDir()
	commit(t, s, "a=1", "b=1", "c=1", "d=1")
	full, fm := backupFile(t, s, files, "full", backup.Options{SourceVersion: "test"})
	want0 := contents(t, s)

	commit(t, s, "a=2", "-b", "e=2")
	commit(t, s, "-d")
	inc1, im1 := backupFile(t, s, files, "inc1", backup.SinceOptions(fm, backup.Options{}))
	want1 := contents(t, s)

	commit(t, s, "b=3", "-e", "f=3")
	inc2, im2 := backupFile(t, s, files, "inc2", backup.SinceOptions(im1, backup.Options{}))
	want2 := contents(t, s)

	t.Run("manifests", func(t *testing.T) {
		require.Equal(t, backup.FormatVersion, fm.FormatVersion)
		require.Equal(t, "test", fm.SourceVersion)
		require.Equal(t, uint64(storage.FormatVersion), fm.StorageFormatVersion)
		require.False(t, fm.Incremental())
		require.Equal(t, fm.Keys, fm.ChangedKeys, "a full backup carries every value")
		require.Equal(t, 4+storageKeys(t, s), fm.Keys, "four user keys and the storage's own")
		require.Equal(t, fm.SnapshotTs, im1.SinceTs)
		require.Positive(t, fm.LogIndex, "a backup records its commit log position")
		require.Greater(t, im1.LogIndex, fm.LogIndex, "commits in between")
		require.Equal(t, fm.ID, im1.BaseID)
		require.Equal(t, 3+storageKeys(t, s), im1.Keys, "a, c, e live, plus the storage's records")
		require.Equal(t, int64(2+1), im1.ChangedKeys, "a and e changed, and the clock")
		require.Equal(t, im1.SnapshotTs, im2.SinceTs)
		st, err := os.Stat(full)
		require.NoError(t, err)
		require.Equal(t, st.Size(), fm.FileBytes)
		require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

		head, err := backup.ReadManifestFile(inc1)
		require.NoError(t, err)
		require.Equal(t, im1.ID, head.ID)
		require.Equal(t, im1.SnapshotTs, head.SnapshotTs)
		require.Zero(t, head.FileBytes, "the header does not carry the trailer's totals")
		v, err := backup.Verify(context.Background(), inc1)
		require.NoError(t, err)
		require.Equal(t, im1, v)
	})

	tests := []struct {
		name  string
		files []string
		want  map[string]string
		last  backup.Manifest
	}{
		{"full", []string{full}, want0, fm},
		{"full+inc1", []string{full, inc1}, want1, im1},
		{"full+inc1+inc2", []string{full, inc1, inc2}, want2, im2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := filepath.Join(t.TempDir(), "restored")
			m, err := backup.Restore(context.Background(), target, tt.files, backup.RestoreOptions{})
			require.NoError(t, err)
			require.Equal(t, tt.last.ID, m.ID)
			require.Equal(t, tt.want, dirContents(t, target))
		})
	}

	t.Run("restored directory serves and continues", func(t *testing.T) {
		target := t.TempDir() // exists and is empty
		_, err := backup.Restore(context.Background(), target, []string{full, inc1, inc2}, backup.RestoreOptions{})
		require.NoError(t, err)
		r := openStore(t, target)
		commit(t, r, "g=4")
		want := map[string]string{"g": "4"}
		for k, v := range want2 {
			want[k] = v
		}
		require.Equal(t, want, contents(t, r))
	})
}

func TestIncrementalWithNothingChanged(t *testing.T) {
	dir := t.TempDir()
	files := t.TempDir()
	s, err := storage.Open(dir, storage.DefaultOptions(), nil)
	require.NoError(t, err)
	commit(t, s, "a=1")
	require.NoError(t, s.Close())

	// Offline, an untouched directory gives the same snapshot twice.
	ro, err := backup.OpenDir(dir, nil, nil)
	require.NoError(t, err)
	full, fm := backupFile(t, ro, files, "full", backup.Options{})
	inc, im := backupFile(t, ro, files, "inc", backup.SinceOptions(fm, backup.Options{}))
	require.NoError(t, ro.Close())
	require.Equal(t, fm.SnapshotTs, im.SnapshotTs)
	require.Zero(t, im.ChangedKeys)

	// Online, an idle server's incremental carries only the storage's
	// clock record, which every snapshot advances.
	s = openStore(t, dir)
	inc2, im2 := backupFile(t, s, files, "inc2", backup.SinceOptions(im, backup.Options{}))
	inc3, im3 := backupFile(t, s, files, "inc3", backup.SinceOptions(im2, backup.Options{}))
	require.Equal(t, int64(1), im3.ChangedKeys)
	commit(t, s, "a=2")
	inc4, _ := backupFile(t, s, files, "inc4", backup.SinceOptions(im3, backup.Options{}))

	target := filepath.Join(t.TempDir(), "r")
	_, err = backup.Restore(context.Background(), target, []string{full, inc, inc2, inc3, inc4}, backup.RestoreOptions{})
	require.NoError(t, err, "idle incrementals are valid links of the chain")
	require.Equal(t, map[string]string{"a": "2"}, dirContents(t, target))
}

func TestWriteProgressAndStdoutStream(t *testing.T) {
	s := openStore(t, t.TempDir())
	for i := 0; i < 50; i++ {
		commit(t, s, "k"+strings.Repeat("x", i)+"=v")
	}
	var buf bytes.Buffer
	var calls, lastDone, lastTotal int64
	m, err := backup.Write(context.Background(), s, &buf, backup.Options{Progress: func(done, total int64) {
		calls++
		require.LessOrEqual(t, done, total)
		lastDone, lastTotal = done, total
	}})
	require.NoError(t, err)
	require.Positive(t, calls)
	require.Equal(t, m.Keys, lastDone)
	require.Equal(t, m.Keys, lastTotal)
	require.Equal(t, int64(buf.Len()), m.FileBytes)
	head, err := backup.ReadManifest(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	require.Equal(t, m.ID, head.ID)
}

// TestWriteRefusesABadBase checks the bases Write refuses before writing
// a byte: the request's own mistakes (ErrInvalidBase) and a base newer
// than the data (ErrBaseAhead).
func TestWriteRefusesABadBase(t *testing.T) {
	s := openStore(t, t.TempDir())
	full, err := backup.Write(context.Background(), s, io.Discard, backup.Options{})
	require.NoError(t, err)
	tests := []struct {
		name  string
		since uint64
		id    string
		want  error
		msg   string
	}{
		{"base from the future", 1 << 40, "", backup.ErrBaseAhead, "not a backup of this data"},
		{"base from the future with an id", 1 << 40, full.ID, backup.ErrBaseAhead, "not a backup of this data"},
		{"id too short", full.SnapshotTs, full.ID[:31], backup.ErrInvalidBase, "is not a backup id"},
		{"id too long", full.SnapshotTs, full.ID + "0", backup.ErrInvalidBase, "is not a backup id"},
		{"id in upper case", full.SnapshotTs, strings.ToUpper(strings.Repeat("ab", 16)), backup.ErrInvalidBase, "is not a backup id"},
		{"id not hex", full.SnapshotTs, strings.Repeat("g", 32), backup.ErrInvalidBase, "is not a backup id"},
		{"id without a timestamp", 0, full.ID, backup.ErrInvalidBase, "without the base's snapshot timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := backup.Write(context.Background(), s, &buf, backup.Options{Since: tt.since, BaseID: tt.id})
			require.ErrorIs(t, err, tt.want)
			require.ErrorContains(t, err, tt.msg)
			require.Zero(t, buf.Len(), "nothing is written for a refused base")
		})
	}
	m, err := backup.Write(context.Background(), s, io.Discard, backup.Options{Since: full.SnapshotTs, BaseID: full.ID})
	require.NoError(t, err)
	require.Equal(t, full.ID, m.BaseID)
}

func TestWriteStopsOnCancel(t *testing.T) {
	s := openStore(t, t.TempDir())
	txn := s.Begin()
	for i := 0; i < 3000; i++ {
		require.NoError(t, txn.Set([]byte(strings.Repeat("k", 1+i%50)+string(rune(0x100+i))), []byte("v")))
	}
	require.NoError(t, txn.Commit(context.Background()))
	ctx, cancel := context.WithCancel(context.Background())
	_, err := backup.Write(ctx, s, io.Discard, backup.Options{Progress: func(int64, int64) { cancel() }})
	require.ErrorIs(t, err, context.Canceled)
}

func TestOfflineBackupOfARunningDirectoryIsRefused(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	commit(t, s, "a=1")
	_, err := backup.OpenDir(dir, nil, nil)
	require.ErrorIs(t, err, storage.ErrLocked)
	require.NoError(t, s.Close())

	ro, err := backup.OpenDir(dir, nil, nil)
	require.NoError(t, err)
	path, m := backupFile(t, ro, t.TempDir(), "offline", backup.Options{})
	require.Equal(t, 1+storageKeys(t, ro), m.Keys)
	require.NoError(t, ro.Close())
	target := filepath.Join(t.TempDir(), "r")
	_, err = backup.Restore(context.Background(), target, []string{path}, backup.RestoreOptions{})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"a": "1"}, dirContents(t, target))
}

func TestCreateFileRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "b")
	require.NoError(t, os.WriteFile(p, []byte("old"), 0o600))
	err := backup.CreateFile(p, func(io.Writer) error { return nil })
	require.ErrorContains(t, err, "already exists")
	got, _ := os.ReadFile(p)
	require.Equal(t, "old", string(got))

	// A failed write leaves nothing behind.
	err = backup.CreateFile(filepath.Join(dir, "c"), func(w io.Writer) error {
		_, _ = w.Write([]byte("partial"))
		return io.ErrUnexpectedEOF
	})
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	ents, _ := os.ReadDir(dir)
	require.Len(t, ents, 1)
}

func snapshot(t *testing.T, s *storage.Store) *storage.Snapshot {
	t.Helper()
	sn, err := s.Snapshot(context.Background())
	require.NoError(t, err)
	return sn
}

// storageKeys counts the storage's own records (keys starting with 0x00:
// format, migration log, clock).
func storageKeys(t *testing.T, s *storage.Store) int64 {
	t.Helper()
	sn := snapshot(t, s)
	defer sn.Close()
	var n int64
	require.NoError(t, sn.Scan(context.Background(), func(e storage.SnapshotEntry) error {
		if e.Key()[0] == 0 {
			n++
		}
		return nil
	}))
	return n
}
