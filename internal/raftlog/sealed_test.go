package raftlog_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/encryption"
	"github.com/guocedb/guocedb/internal/raftlog"
	"github.com/guocedb/guocedb/internal/raftlog/faultfs"
)

func testKey(t testing.TB, hexByte string) *encryption.Key {
	t.Helper()
	k, err := encryption.ParseKey(string(bytes.Repeat([]byte(hexByte), 32)))
	require.NoError(t, err)
	return k
}

func sealer(t testing.TB, k *encryption.Key) raftlog.Sealer {
	t.Helper()
	s, err := encryption.NewSealer(k, "raftlog v1")
	require.NoError(t, err)
	return s
}

// TestCrashPointsSealed is TestCrashPoints with encrypted entries: the
// torn-tail rule holds for sealed records (a cut or garbled sealed
// record at the end of the newest segment is cut off, never applied),
// and each reopen reads the records of earlier opens (other salts).
func TestCrashPointsSealed(t *testing.T) {
	const seeds = 600
	key := testKey(t, "5a")
	modes := []faultfs.Mode{faultfs.DropUnsynced, faultfs.CutRandom, faultfs.CutGarbage}
	var st crashStats
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 11))
		crashRun(t, seed, rng, modes[seed%len(modes)], func() raftlog.Sealer { return sealer(t, key) }, &st)
	}
	t.Logf("%d crash points: %d acknowledged entries all recovered, %d replayed, %d torn tails cut", seeds, st.acked, st.replayed, st.torn)
	require.Positive(t, st.torn)
	require.Positive(t, st.acked)
}

// TestSealedLog: a sealed log holds no entry data in the clear, replays
// with a sealer of the same key, and is refused without one (and a plain
// log with one) without any file being cut.
func TestSealedLog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "log")
	key := testKey(t, "5a")
	rec := &recorder{}
	l, _, err := raftlog.Open(raftlog.Options{Dir: dir, Apply: rec.apply, Sealer: sealer(t, key), SegmentSize: 1024})
	require.NoError(t, err)
	for i := range 50 {
		require.NoError(t, l.Propose(proposal(fmt.Sprintf("canary-secret-%02d", i))))
	}
	require.NoError(t, l.Close())
	before := readDir(t, dir)
	for name, b := range before {
		require.False(t, bytes.Contains(b, []byte("canary-secret")), "%s holds entry data in the clear", name)
	}

	_, _, err = raftlog.Open(raftlog.Options{Dir: dir, Apply: (&recorder{}).apply})
	require.ErrorIs(t, err, raftlog.ErrEncrypted)
	_, err = raftlog.Inspect(nil, dir, nil)
	require.ErrorIs(t, err, raftlog.ErrEncrypted)
	require.Equal(t, before, readDir(t, dir), "a refused open changes no file")

	info, err := raftlog.Inspect(nil, dir, sealer(t, key))
	require.NoError(t, err)
	require.Len(t, info.Entries, 50)
	require.Equal(t, "canary-secret-49", string(info.Entries[49].Data))

	rec2 := &recorder{}
	l, r, err := raftlog.Open(raftlog.Options{Dir: dir, Apply: rec2.apply, Sealer: sealer(t, key)})
	require.NoError(t, err)
	require.Equal(t, 50, r.Replayed)
	require.NoError(t, l.Close())

	plain := filepath.Join(t.TempDir(), "plain")
	l, _, err = raftlog.Open(raftlog.Options{Dir: plain, Apply: (&recorder{}).apply})
	require.NoError(t, err)
	require.NoError(t, l.Propose(proposal("x")))
	require.NoError(t, l.Close())
	_, _, err = raftlog.Open(raftlog.Options{Dir: plain, Apply: (&recorder{}).apply, Sealer: sealer(t, key)})
	require.ErrorIs(t, err, raftlog.ErrEncrypted)
}

// TestSealedAuthFailure: a sealed entry whose ciphertext was changed
// (its CRC recomputed, so only authentication can tell) is a torn write
// at the end of the newest segment and corruption anywhere else.
func TestSealedAuthFailure(t *testing.T) {
	key := testKey(t, "5a")
	build := func(t *testing.T) (string, []string) {
		dir := filepath.Join(t.TempDir(), "log")
		l, _, err := raftlog.Open(raftlog.Options{Dir: dir, Apply: (&recorder{}).apply, Sealer: sealer(t, key), SegmentSize: 512})
		require.NoError(t, err)
		for i := range 40 {
			require.NoError(t, l.Propose(proposal(fmt.Sprintf("entry-%02d-with-some-padding", i))))
		}
		require.NoError(t, l.Close())
		names, err := filepath.Glob(filepath.Join(dir, "*.seg"))
		require.NoError(t, err)
		sort.Strings(names)
		require.Greater(t, len(names), 2)
		return dir, names
	}
	t.Run("older segment: corruption", func(t *testing.T) {
		dir, names := build(t)
		flipLastRecord(t, names[0])
		_, _, err := raftlog.Open(raftlog.Options{Dir: dir, Apply: (&recorder{}).apply, Sealer: sealer(t, key)})
		require.ErrorIs(t, err, raftlog.ErrCorrupt)
	})
	t.Run("newest segment, records after it: corruption", func(t *testing.T) {
		dir, _ := build(t)
		require.NoError(t, raftlog.AppendCommitted(nil, dir, sealer(t, key), [][]byte{proposal("one")}))
		names, err := filepath.Glob(filepath.Join(dir, "*.seg"))
		require.NoError(t, err)
		sort.Strings(names)
		require.True(t, flipLastRecord(t, names[len(names)-1]))
		// A record behind the spoiled one (a copy of it), in the same
		// segment: the spoiled record is no longer the tail.
		b, err := os.ReadFile(names[len(names)-1])
		require.NoError(t, err)
		last := lastRecord(t, b)
		require.NoError(t, os.WriteFile(names[len(names)-1], append(b, last...), 0o600))
		_, err = raftlog.Inspect(nil, dir, sealer(t, key))
		require.ErrorIs(t, err, raftlog.ErrCorrupt)
		require.ErrorContains(t, err, "does not authenticate")
	})
	t.Run("end of the newest segment: torn", func(t *testing.T) {
		dir, _ := build(t)
		// Append one more batch to a fresh newest segment, then spoil it.
		require.NoError(t, raftlog.AppendCommitted(nil, dir, sealer(t, key), [][]byte{proposal("last-entry")}))
		names, err := filepath.Glob(filepath.Join(dir, "*.seg"))
		require.NoError(t, err)
		sort.Strings(names)
		require.True(t, flipLastRecord(t, names[len(names)-1]))
		info, err := raftlog.Inspect(nil, dir, sealer(t, key))
		require.NoError(t, err)
		require.Positive(t, info.TornBytes)
		for _, e := range info.Entries {
			require.NotEqual(t, "last-entry", string(e.Data))
		}
	})
}

// flipLastRecord flips a ciphertext byte of the file's last sealed entry
// and recomputes its CRC-32C, so that the framing is intact. It returns
// whether that entry is the file's last record.
func flipLastRecord(t *testing.T, name string) bool {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	off, last, end := 0, -1, 0
	for off < len(b) {
		n := 8 + int(binary.BigEndian.Uint32(b[off:]))
		if b[off+8] == 5 {
			last, end = off, off+n
		}
		off += n
	}
	require.Equal(t, len(b), off)
	require.GreaterOrEqual(t, last, 0, "no sealed entry in %s", name)
	body := b[last+8 : end]
	body[len(body)-20] ^= 0x40
	binary.BigEndian.PutUint32(b[last+4:], crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
	require.NoError(t, os.WriteFile(name, b, 0o600))
	return end == len(b)
}

// lastRecord returns the framed bytes of the last record of a segment.
func lastRecord(t *testing.T, b []byte) []byte {
	t.Helper()
	off, last := 0, 0
	for off < len(b) {
		last = off
		off += 8 + int(binary.BigEndian.Uint32(b[off:]))
	}
	return append([]byte(nil), b[last:]...)
}

func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	m := map[string][]byte{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		m[e.Name()] = b
	}
	return m
}
