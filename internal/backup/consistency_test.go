package backup_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/backup"
	"github.com/guocedb/guocedb/internal/storage"
)

// Bounds of the load: it stops at whichever comes first.
const (
	loadMaxTxns = 20000
	loadMaxTime = 20 * time.Second
)

// slowWriter stretches the backup stream so that commits keep landing
// while it is written.
type slowWriter struct{ w io.Writer }

func (s slowWriter) Write(p []byte) (int, error) {
	time.Sleep(2 * time.Millisecond)
	return s.w.Write(p)
}

// TestBackupUnderLoadHoldsExactlyTheCommittedPrefix: while a writer
// commits numbered transactions (each writes its own key txn/N, two halves
// pair/N/a and pair/N/b, and overwrites a shared counter), a backup is
// taken, restored and opened. The restore must hold exactly the
// transactions whose commit timestamp is at or below the snapshot
// timestamp: none partially, none missing, none after.
func TestBackupUnderLoadHoldsExactlyTheCommittedPrefix(t *testing.T) {
	s := openStore(t, t.TempDir())
	files := t.TempDir()
	// Some bulk so that the stream spans many writes.
	pad := strings.Repeat("p", 512)
	for i := 0; i < 20; i++ {
		txn := s.Begin()
		for j := 0; j < 100; j++ {
			require.NoError(t, txn.Set([]byte(fmt.Sprintf("bulk/%02d/%03d", i, j)), []byte(pad)))
		}
		require.NoError(t, txn.Commit(context.Background()))
	}

	ctx, stop := context.WithTimeout(context.Background(), loadMaxTime)
	defer stop()
	var (
		mu        sync.Mutex
		committed int
		loadErr   error
		wg        sync.WaitGroup
	)
	progress := func() int { mu.Lock(); defer mu.Unlock(); return committed }
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 1; n <= loadMaxTxns && ctx.Err() == nil; n++ {
			txn := s.Begin()
			id := strconv.Itoa(n)
			_ = txn.Set([]byte("txn/"+id), []byte(id))
			_ = txn.Set([]byte("pair/"+id+"/a"), []byte(id))
			_ = txn.Set([]byte("pair/"+id+"/b"), []byte(id))
			_ = txn.Set([]byte("counter"), []byte(id))
			if err := txn.Commit(context.Background()); err != nil {
				mu.Lock()
				loadErr = err
				mu.Unlock()
				return
			}
			mu.Lock()
			committed = n
			mu.Unlock()
		}
	}()
	waitFor := func(n int) {
		for progress() < n && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
	}

	waitFor(200)
	path := filepath.Join(files, "under-load")
	var m backup.Manifest
	before := progress()
	require.NoError(t, backup.CreateFile(path, func(w io.Writer) error {
		var err error
		m, err = backup.Write(context.Background(), s, slowWriter{w}, backup.Options{})
		return err
	}))
	during := progress() - before
	waitFor(progress() + 100) // the load goes on past the snapshot
	stop()
	wg.Wait()
	require.NoError(t, loadErr)
	t.Logf("snapshot at ts %d; %d transactions committed while the backup streamed, %d in all; file %d bytes, %d keys",
		m.SnapshotTs, during, progress(), m.FileBytes, m.Keys)

	// The truth: each transaction's commit timestamp, read back from the
	// source as the version of the key only it wrote.
	commitTs := map[string]uint64{}
	sn := snapshot(t, s)
	require.NoError(t, sn.Scan(context.Background(), func(e storage.SnapshotEntry) error {
		if id, ok := strings.CutPrefix(string(e.Key()), "txn/"); ok {
			commitTs[id] = e.Version()
		}
		return nil
	}))
	sn.Close()
	want := map[string]bool{}
	after := 0
	for id, ts := range commitTs {
		if ts <= m.SnapshotTs {
			want[id] = true
		} else {
			after++
		}
	}
	require.NotEmpty(t, want)
	require.Positive(t, after, "the load must go on past the snapshot for the test to mean anything")

	target := filepath.Join(t.TempDir(), "restored")
	_, err := backup.Restore(context.Background(), target, []string{path}, backup.RestoreOptions{})
	require.NoError(t, err)
	got := dirContents(t, target)

	gotTxns := map[string]bool{}
	maxID := 0
	for k, v := range got {
		switch {
		case strings.HasPrefix(k, "txn/"):
			id := strings.TrimPrefix(k, "txn/")
			gotTxns[id] = true
			require.Equal(t, id, v)
			require.Equal(t, id, got["pair/"+id+"/a"], "transaction %s restored without its first half", id)
			require.Equal(t, id, got["pair/"+id+"/b"], "transaction %s restored without its second half", id)
			n, _ := strconv.Atoi(id)
			maxID = max(maxID, n)
		case strings.HasPrefix(k, "pair/"):
			id := strings.Split(k, "/")[1]
			require.Contains(t, got, "txn/"+id, "half of transaction %s restored", id)
		}
	}
	require.Equal(t, want, gotTxns, "exactly the transactions committed at or below the snapshot")
	require.Equal(t, strconv.Itoa(maxID), got["counter"], "the counter is the last restored transaction's")
	require.Len(t, got, 3*len(want)+1+20*100)

	// The restored directory is a working store that continues the clock.
	r := openStore(t, target)
	commit(t, r, "after=1")
	require.Equal(t, "1", contents(t, r)["after"])
}
