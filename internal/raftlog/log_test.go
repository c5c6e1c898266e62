package raftlog_test

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/raftlog"
	"github.com/guocedb/guocedb/internal/raftlog/faultfs"
)

// recorder is an application state: the entries applied, in order.
type recorder struct {
	mu   sync.Mutex
	ents []raftlog.Entry
}

func (r *recorder) apply(ents []raftlog.Entry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range ents {
		r.ents = append(r.ents, raftlog.Entry{Index: e.Index, Term: e.Term, Data: append([]byte(nil), e.Data...)})
	}
	return nil
}

func (r *recorder) snapshot() []raftlog.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]raftlog.Entry(nil), r.ents...)
}

func proposal(s string) []byte { return append(make([]byte, raftlog.HeaderLen), s...) }

// TestProposeReplayCheckpoint: proposals are applied in order and
// acknowledged; after a restart without checkpoint everything replays,
// after a checkpoint only what follows it, and whole segments below the
// checkpoint are deleted.
func TestProposeReplayCheckpoint(t *testing.T) {
	dir := t.TempDir()
	rec := &recorder{}
	open := func() (*raftlog.Log, *raftlog.Recovery) {
		l, r, err := raftlog.Open(raftlog.Options{Dir: dir, Apply: rec.apply, SegmentSize: 4096})
		require.NoError(t, err)
		return l, r
	}
	l, r := open()
	require.Zero(t, r.Replayed)
	for i := range 200 {
		require.NoError(t, l.Propose(proposal(fmt.Sprintf("e%03d", i))))
	}
	got := rec.snapshot()
	require.Len(t, got, 200)
	for i, e := range got {
		require.Equal(t, fmt.Sprintf("e%03d", i), string(e.Data))
	}
	require.NoError(t, l.Close())
	require.ErrorIs(t, l.Propose(proposal("late")), raftlog.ErrClosed)

	rec.ents = nil
	l, r = open()
	require.Equal(t, 200, r.Replayed, "no checkpoint yet: the whole log replays")
	require.Len(t, rec.snapshot(), 200)
	segsBefore := segments(t, dir)
	require.Greater(t, segsBefore, 2, "4 KiB segments: 200 entries span several")
	require.NoError(t, l.Checkpoint(l.Applied()))
	require.Less(t, segments(t, dir), segsBefore, "segments below the checkpoint are deleted")
	require.NoError(t, l.Propose(proposal("after")))
	require.NoError(t, l.Close())

	rec.ents = nil
	l, r = open()
	defer func() { require.NoError(t, l.Close()) }()
	require.Equal(t, 1, r.Replayed, "only the entry after the checkpoint replays")
	require.Equal(t, "after", string(rec.snapshot()[0].Data))
}

func segments(t *testing.T, dir string) int {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	n := 0
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".seg") {
			n++
		}
	}
	return n
}

// TestCrashPoints crashes the file layer under a running log at 1,200
// seeded points (an operation count), keeping of the writes not fsynced
// nothing, a random prefix, or a random prefix and garbage, and checks
// each recovery: the log opens, and the application state it rebuilds
// (the entries up to the recovered checkpoint, then those replayed) is a
// prefix of the log order of the first run holding every acknowledged
// entry, each entry whole.
func TestCrashPoints(t *testing.T) {
	const seeds = 1200
	modes := []faultfs.Mode{faultfs.DropUnsynced, faultfs.CutRandom, faultfs.CutGarbage}
	var st crashStats
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 9))
		mode := modes[seed%len(modes)]
		crashRun(t, seed, rng, mode, nil, &st)
	}
	t.Logf("%d crash points: %d acknowledged entries all recovered, %d replayed, %d torn tails cut, %d runs that never opened", seeds, st.acked, st.replayed, st.torn, st.neverOpened)
	require.Positive(t, st.torn, "some crashes must cut a record")
	require.Positive(t, st.acked)
}

// TestCrashPointsPreallocated is TestCrashPoints with preallocated
// segments (Options.Preallocate): records overwrite zeros, a crash
// leaves a cut record followed by zeros or zeros alone, spares are
// filled beside the commits and may be cut themselves.
func TestCrashPointsPreallocated(t *testing.T) {
	const seeds = 900
	modes := []faultfs.Mode{faultfs.DropUnsynced, faultfs.CutRandom, faultfs.CutGarbage}
	st := crashStats{prealloc: true}
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 11))
		crashRun(t, seed, rng, modes[seed%len(modes)], nil, &st)
	}
	t.Logf("%d crash points: %d acknowledged entries all recovered, %d replayed, %d torn tails cut, %d runs that never opened, %d segments written over zeros",
		seeds, st.acked, st.replayed, st.torn, st.neverOpened, st.overwritten)
	require.Positive(t, st.torn, "some crashes must cut a record")
	require.Positive(t, st.acked)
	require.Positive(t, st.overwritten, "some runs must have written a preallocated segment")
}

type crashStats struct {
	acked, replayed, torn, neverOpened int
	// prealloc runs with Options.Preallocate; overwritten counts the
	// segments that were preallocated spares.
	prealloc    bool
	overwritten int
}

// crashRun runs one crash point. newSealer, when set, makes the sealer of
// each open (a new one for the reopen, as after a restart: another salt,
// the same master key).
func crashRun(t *testing.T, seed int, rng *rand.Rand, mode faultfs.Mode, newSealer func() raftlog.Sealer, st *crashStats) {
	fsys := faultfs.New()
	dir := "/log"
	rec := &recorder{}
	fsys.CrashAfter(rng.IntN(300))
	opts := raftlog.Options{Dir: dir, FS: fsys, Apply: rec.apply, SegmentSize: 512 + int64(rng.IntN(2048)), Preallocate: st.prealloc}
	if newSealer != nil {
		opts.Sealer = newSealer()
	}
	var (
		mu    sync.Mutex
		acked = map[string]bool{}
	)
	if l, _, err := raftlog.Open(opts); err == nil {
		var wg sync.WaitGroup
		for w := range 3 {
			wg.Add(1)
			wrng := rand.New(rand.NewPCG(uint64(seed), uint64(w)))
			go func() {
				defer wg.Done()
				for i := range 40 {
					d := fmt.Sprintf("w%d-%02d-%s", w, i, strings.Repeat("x", wrng.IntN(40)))
					if err := l.Propose(proposal(d)); err != nil {
						return
					}
					mu.Lock()
					acked[d] = true
					mu.Unlock()
					if i%10 == 9 {
						_ = l.Checkpoint(l.Applied())
					}
				}
			}()
		}
		wg.Wait()
		_ = l.Close()
	} else {
		st.neverOpened++
	}
	first := rec.snapshot() // log order of the first run
	byIndex := map[uint64]string{}
	for _, e := range first {
		byIndex[e.Index] = string(e.Data)
	}

	st.overwritten += fsys.Overwritten(dir)
	crashed := fsys.Crash(rng, mode)
	rec2 := &recorder{}
	opts.FS, opts.Apply = crashed, rec2.apply
	if newSealer != nil {
		opts.Sealer = newSealer()
	}
	l, r, err := raftlog.Open(opts)
	require.NoError(t, err, "seed %d: the log must open after a crash", seed)
	defer func() { require.NoError(t, l.Close()) }()
	// The state as the application would rebuild it: what its checkpoint
	// covered, then the replay.
	var state []string
	for _, e := range first {
		if e.Index <= r.Checkpoint.Index {
			state = append(state, string(e.Data))
		}
	}
	for _, e := range rec2.snapshot() {
		if e.Index <= r.Checkpoint.Index {
			t.Fatalf("seed %d: entry %d replayed below the checkpoint %d", seed, e.Index, r.Checkpoint.Index)
		}
		if d, ok := byIndex[e.Index]; ok {
			require.Equal(t, d, string(e.Data), "seed %d: entry %d differs from the first run", seed, e.Index)
		}
		state = append(state, string(e.Data))
	}
	for i, d := range state {
		if i < len(first) {
			require.Equal(t, string(first[i].Data), d, "seed %d: recovered state is not a prefix of the log", seed)
		} else {
			require.False(t, acked[d], "seed %d: %q beyond the applied prefix was acknowledged", seed, d)
			require.Regexp(t, `^w\d-\d\d-x*$`, d, "seed %d: entry not whole", seed)
		}
	}
	have := map[string]bool{}
	for _, d := range state {
		require.False(t, have[d], "seed %d: %q twice", seed, d)
		have[d] = true
	}
	for d := range acked {
		require.True(t, have[d], "seed %d (%v): acknowledged %q lost", seed, mode, d)
	}
	st.acked += len(acked)
	st.replayed += r.Replayed
	if r.TornBytes > 0 {
		st.torn++
	}
	// And it keeps working.
	require.NoError(t, l.Propose(proposal("after-crash")))
}

// TestHeaderIsOverwritten documents the proposal layout.
func TestHeaderIsOverwritten(t *testing.T) {
	rec := &recorder{}
	l, _, err := raftlog.Open(raftlog.Options{Dir: filepath.Join(t.TempDir(), "log"), Apply: rec.apply})
	require.NoError(t, err)
	defer func() { require.NoError(t, l.Close()) }()
	d := proposal("payload")
	binary.BigEndian.PutUint64(d, 0xdeadbeef)
	require.NoError(t, l.Propose(d))
	require.Equal(t, "payload", string(rec.snapshot()[0].Data))
	require.Error(t, l.Propose(make([]byte, raftlog.HeaderLen)), "an empty proposal is refused")
}

// TestAppendCommittedReplays: entries appended to a closed log are
// replayed, in order, by the next Open.
func TestAppendCommittedReplays(t *testing.T) {
	dir := t.TempDir()
	rec := &recorder{}
	l, _, err := raftlog.Open(raftlog.Options{Dir: dir, Apply: rec.apply})
	require.NoError(t, err)
	require.NoError(t, l.Propose(proposal("first")))
	require.NoError(t, l.Checkpoint(l.Applied()))
	require.NoError(t, l.Close())
	var props [][]byte
	for i := range 3000 {
		props = append(props, proposal(fmt.Sprint("tail-", i)))
	}
	require.NoError(t, raftlog.AppendCommitted(nil, dir, nil, props))
	rec.ents = nil
	l, r, err := raftlog.Open(raftlog.Options{Dir: dir, Apply: rec.apply})
	require.NoError(t, err)
	defer func() { require.NoError(t, l.Close()) }()
	require.Equal(t, 3000, r.Replayed)
	got := rec.snapshot()
	require.Len(t, got, 3000)
	require.Equal(t, "tail-0", string(got[0].Data))
	require.Equal(t, "tail-2999", string(got[2999].Data))
}
