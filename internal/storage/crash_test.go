package storage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/encryption"
	"github.com/guocedb/guocedb/internal/raftlog/faultfs"
)

// TestCrashPointsStore crashes the commit log's file layer under a
// running store at 1,000 seeded points (150 under -race, 100 with -short) while three writers commit
// transactions of three keys each (one under a/, two under b/), keeping
// of the log's unsynced writes nothing, a random prefix, or a random
// prefix and garbage. Half the runs reopen on the Badger directory as it
// was left (a process crash: Badger holds everything applied), the other
// half on an empty one with no checkpoint but the first (Badger lost
// everything it had not synced: the log alone must rebuild the store).
// Each time the store must open, and hold of each writer a prefix of its
// transactions (they commit one after the other), each one whole,
// including every acknowledged one.
func TestCrashPointsStore(t *testing.T) {
	seeds := 1000
	switch {
	case testing.Short():
		seeds = 100
	case raceEnabled:
		// The log's own crash test (raftlog.TestCrashPoints) still runs
		// its 1,200 points under -race.
		seeds = 150
	}
	modes := []faultfs.Mode{faultfs.DropUnsynced, faultfs.CutRandom, faultfs.CutGarbage}
	root := t.TempDir()
	// The runs wait on fsyncs mostly (Badger's, at open and close), so a
	// few run side by side.
	const lanes = 6
	var (
		mu                    sync.Mutex
		acked, replayed, torn int
	)
	t.Run("lanes", func(t *testing.T) {
		for lane := range lanes {
			t.Run(fmt.Sprint(lane), func(t *testing.T) {
				t.Parallel()
				for seed := lane; seed < seeds; seed += lanes {
					rng := rand.New(rand.NewPCG(uint64(seed), 4))
					a, r, tb := storeCrashRun(t, root, seed, rng, modes[seed%3], seed%2 == 1, nil)
					mu.Lock()
					acked, replayed, torn = acked+a, replayed+r, torn+tb
					mu.Unlock()
				}
			})
		}
	})
	t.Logf("%d crash points: %d acknowledged transactions all recovered whole, %d entries replayed, %d torn log tails cut", seeds, acked, replayed, torn)
	require.Positive(t, torn)
}

// TestCrashPointsStoreEncrypted is TestCrashPointsStore on an encrypted
// store, at fewer points: the sealed log recovers whole transactions and
// every acknowledged one, also when Badger lost everything.
func TestCrashPointsStoreEncrypted(t *testing.T) {
	seeds := 60
	if testing.Short() || raceEnabled {
		seeds = 20
	}
	key := loadKey(t, 0x3e)
	modes := []faultfs.Mode{faultfs.DropUnsynced, faultfs.CutRandom, faultfs.CutGarbage}
	root := t.TempDir()
	acked, torn := 0, 0
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 5))
		a, _, tb := storeCrashRun(t, root, seed, rng, modes[seed%3], seed%2 == 1, key)
		acked, torn = acked+a, torn+tb
	}
	t.Logf("%d crash points: %d acknowledged transactions all recovered whole, %d torn log tails cut", seeds, acked, torn)
	require.Positive(t, acked)
}

const crashWriters = 3

// storeCrashRun runs one crash point; key, when set, encrypts the store
// (Badger and the sealed commit log).
func storeCrashRun(t *testing.T, root string, seed int, rng *rand.Rand, mode faultfs.Mode, loseBadger bool, key *encryption.Key) (acked, replayed, torn int) {
	dir := filepath.Join(root, fmt.Sprint(seed))
	defer func() { require.NoError(t, os.RemoveAll(dir)) }()
	fsys := faultfs.New()
	opts := DefaultOptions()
	opts.MemTableSize = 8 << 20
	opts.BlockCacheSize, opts.IndexCacheSize = 1<<20, 1<<20
	opts.CheckpointInterval = -1
	opts.EncryptionKey = key
	opts.logFS = fsys
	opts.badgerTweak = func(o badger.Options) badger.Options {
		return o.WithValueLogFileSize(1 << 20).WithNumCompactors(2).WithBaseTableSize(1 << 20)
	}
	s, err := Open(dir, opts, nil)
	require.NoError(t, err, "seed %d", seed)
	fsys.CrashAfter(rng.IntN(120))

	var (
		mu   sync.Mutex
		done [crashWriters]int // acknowledged transactions per writer
		wg   sync.WaitGroup
	)
	for w := range crashWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				txn := s.Begin()
				v := []byte(fmt.Sprintf("w%d-%d", w, i))
				_ = txn.Set(crashKey("a", w, i, -1), v)
				_ = txn.Set(crashKey("b", w, i, 0), v)
				_ = txn.Set(crashKey("b", w, i, 1), v)
				if err := txn.Commit(context.Background()); err != nil {
					return
				}
				mu.Lock()
				done[w] = i + 1
				mu.Unlock()
				if !loseBadger && i%7 == 6 {
					_ = s.checkpoint()
				}
			}
		}()
	}
	wg.Wait()
	_ = s.Close() // the log's close may fail: its files are gone

	crashed := fsys.Crash(rng, mode)
	if loseBadger {
		require.NoError(t, os.RemoveAll(dir))
	}
	opts.logFS = crashed
	s, err = Open(dir, opts, nil)
	require.NoError(t, err, "seed %d: the store must open after a crash", seed)
	defer func() { require.NoError(t, s.Close()) }()
	rec := s.Recovery()
	txn := s.Begin()
	defer txn.Discard()
	for w := range crashWriters {
		n := 0 // transactions of w present: must be 0..n-1
		for i := range 30 {
			va, okA, err := txn.Get(crashKey("a", w, i, -1))
			require.NoError(t, err)
			vb0, okB0, err := txn.Get(crashKey("b", w, i, 0))
			require.NoError(t, err)
			vb1, okB1, err := txn.Get(crashKey("b", w, i, 1))
			require.NoError(t, err)
			require.True(t, okA == okB0 && okA == okB1, "seed %d (%v, lose badger %v): writer %d transaction %d torn (a %v, b %v %v)", seed, mode, loseBadger, w, i, okA, okB0, okB1)
			if !okA {
				continue
			}
			require.Equal(t, n, i, "seed %d: writer %d has transaction %d but not %d: not a prefix", seed, w, i, n)
			want := fmt.Sprintf("w%d-%d", w, i)
			require.Equal(t, want, string(va))
			require.Equal(t, want, string(vb0))
			require.Equal(t, want, string(vb1))
			n++
		}
		require.GreaterOrEqual(t, n, done[w], "seed %d (%v, lose badger %v): writer %d acknowledged %d transactions, %d recovered", seed, mode, loseBadger, w, done[w], n)
		acked += done[w]
	}
	if rec.TornBytes > 0 {
		torn = 1
	}
	// The store keeps working after recovery.
	w := s.Begin()
	require.NoError(t, w.Set([]byte("after"), []byte("1")))
	require.NoError(t, w.Commit(context.Background()))
	return acked, rec.Replayed, torn
}

func crashKey(table string, w, i, n int) []byte {
	return []byte(fmt.Sprintf("%s/%d/%03d/%d", table, w, i, n))
}
