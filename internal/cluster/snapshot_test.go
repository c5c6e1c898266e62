package cluster

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/raftlog"
	"github.com/guocedb/guocedb/internal/storage"
)

// storeSource is a leader's SnapshotSource over a real store: every
// snapshot it opens is a storage.Snapshot, whose whole content it also
// records (the expected result), and it counts the records its scans
// emit.
type storeSource struct {
	st     *storage.Store
	opened atomic.Int64
	// released counts the snapshots released.
	released atomic.Int64
	emitted  atomic.Int64
	mu       sync.Mutex
	content  map[uint64][]SnapshotRecord // by ts
}

func (s *storeSource) OpenSnapshot(ctx context.Context) (SnapshotHeader, func(context.Context, []byte, func(SnapshotRecord) error) error, func(), error) {
	snap, err := s.st.Snapshot(ctx)
	if err != nil {
		return SnapshotHeader{}, nil, nil, err
	}
	s.opened.Add(1)
	release := func() {
		s.released.Add(1)
		snap.Close()
	}
	scan := func(ctx context.Context, after []byte, emit func(SnapshotRecord) error) error {
		return snap.ScanAfter(ctx, after, func(e storage.SnapshotEntry) error {
			v, err := e.Value()
			if err != nil {
				return err
			}
			s.emitted.Add(1)
			return emit(SnapshotRecord{Key: e.Key(), Value: v, Version: e.Version()})
		})
	}
	var all []SnapshotRecord
	if err := snap.Scan(ctx, func(e storage.SnapshotEntry) error {
		v, err := e.Value()
		all = append(all, SnapshotRecord{Key: append([]byte(nil), e.Key()...), Value: v, Version: e.Version()})
		return err
	}); err != nil {
		snap.Close()
		return SnapshotHeader{}, nil, nil, err
	}
	s.mu.Lock()
	s.content[snap.Ts()] = all
	s.mu.Unlock()
	hdr := SnapshotHeader{SnapshotTarget: raftlog.SnapshotTarget{Index: snap.Ts(), LogTerm: 1}, Ts: snap.Ts()}
	return hdr, scan, release, nil
}

// storeSink is a receiver's SnapshotSink over a real store (no raft
// log: a snapshot it installed is one it has).
type storeSink struct {
	st        *storage.Store
	installed atomic.Uint64
}

func (s *storeSink) ResumePoint(hdr SnapshotHeader) ([]byte, uint64, bool) {
	if s.installed.Load() >= hdr.Ts {
		return nil, 0, true
	}
	p, ok := s.st.SnapshotProgress()
	if !ok || p.SnapshotID != (storage.SnapshotID{Ts: hdr.Ts, Index: hdr.Index, Term: hdr.LogTerm}) {
		return nil, 0, false
	}
	return p.LastKey, p.Keys, false
}

func (s *storeSink) InstallSnapshot(ctx context.Context, hdr SnapshotHeader, after []byte, next func() ([]SnapshotRecord, error)) error {
	var kvs []storage.SnapshotKV
	err := s.st.LoadSnapshotFrom(ctx, storage.SnapshotID{Ts: hdr.Ts, Index: hdr.Index, Term: hdr.LogTerm}, after, func() ([]storage.SnapshotKV, error) {
		recs, err := next()
		if recs == nil || err != nil {
			return nil, err
		}
		kvs = kvs[:0]
		for _, r := range recs {
			kvs = append(kvs, storage.SnapshotKV{Key: r.Key, Value: r.Value, Version: r.Version})
		}
		return kvs, nil
	})
	if err == nil {
		s.installed.Store(hdr.Ts)
	}
	return err
}

// cutProxy forwards one snapshot stream at a time from the leader to
// the receiver, frame by frame, and cuts it (closes both connections)
// where the test says: after a number of the leader's frames, half way
// into one, or when the receiver answers with its ack.
type cutProxy struct {
	ln     net.Listener
	target string
	// afterFrames >= 0: cut once that many of the leader's frames are
	// through; half: forward half of the next one first. dropAck: cut
	// instead of forwarding the receiver's ack.
	afterFrames int
	half        bool
	dropAck     bool
	cut         chan struct{} // closed when the stream was cut
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &cutProxy{ln: ln, target: target, afterFrames: -1}
	t.Cleanup(func() { _ = ln.Close() })
	return p
}

// serve forwards the next connection with the current settings (a
// copy: the test changes them for the next stream while this one's
// goroutines may still run).
func (p *cutProxy) serve() {
	p.cut = make(chan struct{})
	afterFrames, half, dropAck, cutCh := p.afterFrames, p.half, p.dropAck, p.cut
	go func() {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = in.Close()
			return
		}
		var once sync.Once
		cut := func() {
			once.Do(func() {
				_ = in.Close()
				_ = out.Close()
				close(cutCh)
			})
		}
		forward := func(from, to net.Conn, leader bool) {
			defer func() { _ = from.Close(); _ = to.Close() }()
			r := bufio.NewReader(from)
			for n := 0; ; n++ {
				if leader && afterFrames >= 0 && n == afterFrames && !half {
					cut()
					return
				}
				var h [4]byte
				if _, err := io.ReadFull(r, h[:]); err != nil {
					return
				}
				body := make([]byte, binary.BigEndian.Uint32(h[:]))
				if _, err := io.ReadFull(r, body); err != nil {
					return
				}
				if !leader && dropAck && body[0] == frameSnapAck {
					cut()
					return
				}
				if leader && afterFrames >= 0 && n == afterFrames && half {
					_, _ = to.Write(append(h[:], body[:len(body)/2]...))
					time.Sleep(50 * time.Millisecond)
					cut()
					return
				}
				if _, err := to.Write(append(h[:], body...)); err != nil {
					return
				}
			}
		}
		go forward(out, in, false)
		forward(in, out, true)
	}()
}

// snapPair is a leader's and a receiver's transport and store.
type snapPair struct {
	leader, recv     *Transport
	src              *storeSource
	sink             *storeSink
	leaderSt, recvSt *storage.Store
	proxy            *cutProxy
}

func newSnapPair(t *testing.T, rows int) *snapPair {
	t.Helper()
	spec := fmt.Sprintf("n1=%s,n2=%s", freeAddr(t), freeAddr(t))
	trs := make([]*Transport, 2)
	for i := range trs {
		cfg := config.Default()
		cfg.NodeID, cfg.InitialCluster = fmt.Sprintf("n%d", i+1), spec
		cfg.RaftAddr = strings.SplitN(strings.Split(spec, ",")[i], "=", 2)[1]
		st, err := Prepare(t.TempDir(), cfg, false, nil)
		require.NoError(t, err)
		tr, err := NewTransport(st, "", nil, nil)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, tr.Close()) })
		trs[i] = tr
	}
	open := func() *storage.Store {
		st, err := storage.Open(t.TempDir(), storage.DefaultOptions(), nil)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, st.Close()) })
		return st
	}
	sp := &snapPair{leader: trs[0], recv: trs[1], leaderSt: open(), recvSt: open()}
	sp.src = &storeSource{st: sp.leaderSt, content: map[uint64][]SnapshotRecord{}}
	sp.sink = &storeSink{st: sp.recvSt}
	sp.leader.SetSnapshots(sp.src, nil)
	sp.recv.SetSnapshots(nil, sp.sink)
	sp.proxy = newCutProxy(t, sp.recv.Addr().String())
	// rows keys of about 1 KB, written twice (two versions each) in
	// transactions of 100.
	val := strings.Repeat("v", 1000)
	for round := range 2 {
		for i := 0; i < rows; i += 100 {
			txn := sp.leaderSt.Begin()
			for j := i; j < min(i+100, rows); j++ {
				require.NoError(t, txn.Set(fmt.Appendf(nil, "row/%06d", j), fmt.Appendf(nil, "%d-%d-%s", round, j, val)))
			}
			require.NoError(t, txn.Commit(context.Background()))
		}
	}
	return sp
}

// stream runs one snapshot stream from the leader to the receiver
// through the proxy; it returns the bytes sent and records emitted.
func (sp *snapPair) stream(t *testing.T) (int64, int64, error) {
	t.Helper()
	sp.proxy.serve()
	before := sp.src.emitted.Load()
	m := &pb.Message{Type: pb.MessageType_MsgSnap.Enum(), From: proto.Uint64(1), To: proto.Uint64(2), Term: proto.Uint64(1),
		Snapshot: &pb.Snapshot{Metadata: &pb.SnapshotMetadata{Index: proto.Uint64(1), Term: proto.Uint64(1)}}}
	n, err := sp.leader.streamSnapshot(sp.src, &peer{id: 2, addr: sp.proxy.ln.Addr().String()}, m)
	return n, sp.src.emitted.Load() - before, err
}

// requireSame asserts that the receiver holds exactly the leader's
// snapshot at ts: every key, version and value.
func (sp *snapPair) requireSame(t *testing.T, ts uint64) {
	t.Helper()
	sp.src.mu.Lock()
	want := sp.src.content[ts]
	sp.src.mu.Unlock()
	require.NotEmpty(t, want)
	snap, err := sp.recvSt.Snapshot(context.Background())
	require.NoError(t, err)
	defer snap.Close()
	require.Equal(t, ts, snap.Ts(), "the receiver published the snapshot's timestamp")
	i := 0
	require.NoError(t, snap.Scan(context.Background(), func(e storage.SnapshotEntry) error {
		require.Less(t, i, len(want), "extra key %q", e.Key())
		v, err := e.Value()
		require.NoError(t, err)
		require.Equal(t, string(want[i].Key), string(e.Key()))
		require.Equal(t, want[i].Version, e.Version(), "version of %q", e.Key())
		require.Equal(t, string(want[i].Value), string(v), "value of %q", e.Key())
		i++
		return nil
	}))
	require.Equal(t, len(want), i, "keys on the receiver")
}

// TestSnapshotStreamResume: a stream cut after the header, half way
// into a chunk, after the last chunk (before the end frame) or while
// the receiver answers is resumed by the next stream, which carries
// only what the receiver lacks; the receiver then holds exactly the
// leader's snapshot. The leader opens one snapshot for both streams.
func TestSnapshotStreamResume(t *testing.T) {
	const rows = 4000 // two versions of 4,000 keys of 1 KB: a 4 MB stream of 5 chunks
	cases := []struct {
		name  string
		setup func(p *cutProxy)
		fewer bool // the second stream carries fewer records
	}{
		{"after header", func(p *cutProxy) { p.afterFrames = 1 }, false},
		// Frames: header, where to start, chunks.
		{"mid chunk", func(p *cutProxy) { p.afterFrames, p.half = 4, true }, true},
		{"before end", func(p *cutProxy) { p.afterFrames = 2 + 4 }, true},
		{"during ack", func(p *cutProxy) { p.dropAck = true }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sp := newSnapPair(t, rows)
			tc.setup(sp.proxy)
			n1, recs1, err := sp.stream(t)
			require.Error(t, err, "the first stream is cut")
			<-sp.proxy.cut
			sp.proxy.afterFrames, sp.proxy.half, sp.proxy.dropAck = -1, false, false
			n2, recs2, err := sp.stream(t)
			require.NoError(t, err)
			t.Logf("first stream: %d bytes, %d records (cut); second: %d bytes, %d records", n1, recs1, n2, recs2)
			require.Equal(t, int64(1), sp.src.opened.Load(), "the second stream reuses the leader's snapshot")
			var ts uint64
			for k := range sp.src.content {
				ts = k
			}
			total := int64(len(sp.src.content[ts]))
			if tc.fewer {
				require.Less(t, recs2, total, "the second stream sends only the rest")
				require.Less(t, n2, int64(rows)*1000)
			} else {
				require.Equal(t, total, recs2)
			}
			sp.requireSame(t, ts)
		})
	}
}

// TestSnapshotStreamNewerAfterCut: a stream cut half way, then the
// leader no longer has that snapshot (it expired) and streams a newer
// one, which lacks keys the cut stream loaded: the receiver starts over
// and ends up exactly equal to the newer snapshot.
func TestSnapshotStreamNewerAfterCut(t *testing.T) {
	sp := newSnapPair(t, 4000)
	sp.proxy.afterFrames, sp.proxy.half = 4, true
	_, _, err := sp.stream(t)
	require.Error(t, err)
	<-sp.proxy.cut
	// The receiver's load stops at its next read of the cut stream.
	var p storage.SnapshotProgress
	require.Eventually(t, func() bool {
		p, _ = sp.recvSt.SnapshotProgress()
		return p.Keys > 1000
	}, 10*time.Second, 10*time.Millisecond, "the receiver kept what it loaded")
	// The cut stream loaded row/000000.. in key order: delete some of
	// them on the leader, change others, add new keys.
	txn := sp.leaderSt.Begin()
	for i := 0; i < 500; i++ {
		require.NoError(t, txn.Delete(fmt.Appendf(nil, "row/%06d", i)))
	}
	for i := 500; i < 600; i++ {
		require.NoError(t, txn.Set(fmt.Appendf(nil, "row/%06d", i), []byte("newer")))
	}
	require.NoError(t, txn.Set([]byte("row/999999"), []byte("new key")))
	require.NoError(t, txn.Commit(context.Background()))
	sp.leader.releaseKept()

	sp.proxy.afterFrames, sp.proxy.half = -1, false
	n2, recs2, err := sp.stream(t)
	require.NoError(t, err)
	t.Logf("first stream cut after %d keys loaded; the newer snapshot: %d bytes, %d records", p.Keys, n2, recs2)
	require.Equal(t, int64(2), sp.src.opened.Load())
	var ts uint64
	for k := range sp.src.content {
		ts = max(ts, k)
	}
	sp.requireSame(t, ts)
	_, ok := sp.recvSt.SnapshotProgress()
	require.False(t, ok)
}

// TestSnapshotStreamMixedReleases: a leader of this release streams to a
// receiver of the release before resumable streams (which never asks
// where to start: the leader waits snapResumeWait, then streams it
// whole), and a leader of that release to a receiver of this one (whose
// header offers nothing: the receiver asks nothing).
func TestSnapshotStreamMixedReleases(t *testing.T) {
	for _, legacyLeader := range []bool{false, true} {
		t.Run(fmt.Sprintf("legacy leader=%v", legacyLeader), func(t *testing.T) {
			sp := newSnapPair(t, 1000)
			sp.leader.snapLegacy = legacyLeader
			sp.recv.snapLegacy = !legacyLeader
			sp.leader.snapResumeWait = 300 * time.Millisecond
			n, recs, err := sp.stream(t)
			require.NoError(t, err)
			require.Equal(t, int64(len(sp.src.content[maxKey(sp.src.content)])), recs)
			require.Greater(t, n, int64(1000*1000))
			sp.requireSame(t, maxKey(sp.src.content))
		})
	}
}

func maxKey(m map[uint64][]SnapshotRecord) uint64 {
	var k uint64
	for x := range m {
		k = max(k, x)
	}
	return k
}

// TestSnapshotStreamBadResume: what a receiver sends after the header
// fails the stream with a clear error, without a hang: a resume request
// for another snapshot, a malformed one, a frame of another kind; and a
// leader of the release before resumable streams that gets a resume
// request takes it for a wrong answer.
func TestSnapshotStreamBadResume(t *testing.T) {
	cases := []struct {
		name   string
		legacy bool
		reply  func(ts uint64) (byte, []byte)
		want   string
	}{
		{"other snapshot", false, func(ts uint64) (byte, []byte) {
			return frameSnapResume, encodeResume(ts+1, resumeRequest{after: []byte("k"), keys: 1})
		}, "asked to resume the snapshot at ts"},
		{"too short", false, func(uint64) (byte, []byte) { return frameSnapResume, []byte{1, 2} }, "malformed resume request"},
		{"bad flag", false, func(ts uint64) (byte, []byte) {
			p := encodeResume(ts, resumeRequest{})
			p[8] = 7
			return frameSnapResume, p
		}, "malformed resume request"},
		{"huge key", false, func(ts uint64) (byte, []byte) {
			return frameSnapResume, encodeResume(ts, resumeRequest{after: make([]byte, maxResumeKey+1), keys: 1})
		}, "malformed resume request"},
		{"other frame", false, func(uint64) (byte, []byte) { return frameSnapChunk, []byte{1} }, "unexpected frame (kind 3)"},
		{"resume to a legacy leader", true, func(ts uint64) (byte, []byte) {
			return frameSnapResume, encodeResume(ts, resumeRequest{})
		}, "unexpected frame (kind 6)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sp := newSnapPair(t, 10)
			sp.leader.snapLegacy = tc.legacy
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			defer func() { _ = ln.Close() }()
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer func() { _ = c.Close() }()
				r := bufio.NewReader(c)
				kind, hb, err := readFrame(r)
				if err != nil || kind != frameSnapBegin {
					return
				}
				var hdr SnapshotHeader
				if json.Unmarshal(hb, &hdr) != nil {
					return
				}
				k, p := tc.reply(hdr.Ts)
				var fh [5]byte
				binary.BigEndian.PutUint32(fh[:4], uint32(len(p)+1))
				fh[4] = k
				_, _ = c.Write(append(fh[:], p...))
				_, _ = io.Copy(io.Discard, r) // the rest of the stream, if any
			}()
			m := &pb.Message{From: proto.Uint64(1), Term: proto.Uint64(1)}
			start := time.Now()
			_, err = sp.leader.streamSnapshot(sp.src, &peer{id: 2, addr: ln.Addr().String()}, m)
			require.ErrorContains(t, err, tc.want)
			require.Less(t, time.Since(start), snapResumeWait, "no wait for a timeout")
		})
	}
}

// TestSnapshotKeptReleased: the snapshot of a failed stream stays
// pinned for snapRetain, then is released; Close releases it too; a
// stream that succeeds releases its own.
func TestSnapshotKeptReleased(t *testing.T) {
	sp := newSnapPair(t, 10)
	sp.leader.snapRetain = 200 * time.Millisecond
	sp.proxy.afterFrames = 1
	_, _, err := sp.stream(t)
	require.Error(t, err)
	require.Equal(t, int64(0), sp.src.released.Load(), "kept for a resumed stream")
	require.Eventually(t, func() bool { return sp.src.released.Load() == 1 }, 10*time.Second, 10*time.Millisecond)
	sp.leader.snapMu.Lock()
	require.Empty(t, sp.leader.snapKept)
	sp.leader.snapMu.Unlock()

	sp.leader.snapRetain = time.Hour
	_, _, err = sp.stream(t)
	require.Error(t, err)
	require.Equal(t, int64(1), sp.src.released.Load())
	require.NoError(t, sp.leader.Close())
	require.Equal(t, int64(2), sp.src.released.Load(), "Close releases it")

	sp2 := newSnapPair(t, 10)
	_, _, err = sp2.stream(t)
	require.NoError(t, err)
	require.Equal(t, int64(1), sp2.src.released.Load(), "a stream that succeeds releases its snapshot")
}

// TestSnapshotReceiveBadFrames: a receiver answers a stream it cannot
// take with a failed ack naming the reason, without a hang: a leader
// that resumes after a key the receiver did not ask for, a malformed
// chunk, a frame of another kind.
func TestSnapshotReceiveBadFrames(t *testing.T) {
	sp := newSnapPair(t, 10)
	frame := func(kind byte, p []byte) []byte {
		var fh [5]byte
		binary.BigEndian.PutUint32(fh[:4], uint32(len(p)+1))
		fh[4] = kind
		return append(fh[:], p...)
	}
	cases := []struct {
		name      string
		resumable bool
		frames    [][]byte
		want      string
	}{
		{"unasked resume key", true, [][]byte{frame(frameSnapFrom, []byte("row/000005"))}, "did not ask for"},
		{"malformed chunk", false, [][]byte{frame(frameSnapChunk, []byte{0xff, 0xff, 0xff})}, "malformed record"},
		{"other frame", false, [][]byte{frame(frameSnapResume, []byte{1})}, "unexpected frame kind 6"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", sp.recv.Addr().String())
			require.NoError(t, err)
			defer func() { _ = c.Close() }()
			require.NoError(t, c.SetDeadline(time.Now().Add(30*time.Second)))
			hb, err := json.Marshal(SnapshotHeader{SnapshotTarget: raftlog.SnapshotTarget{Index: 5, LogTerm: 1}, To: 2, Ts: 1 << 40, Resumable: tc.resumable})
			require.NoError(t, err)
			_, err = c.Write(frame(frameSnapBegin, hb))
			require.NoError(t, err)
			r := bufio.NewReader(c)
			if tc.resumable {
				kind, p, err := readFrame(r)
				require.NoError(t, err)
				require.Equal(t, frameSnapResume, kind)
				req, ts, err := decodeResume(p)
				require.NoError(t, err)
				require.Equal(t, uint64(1<<40), ts)
				require.Nil(t, req.after, "nothing loaded: from the first key")
			}
			for _, f := range tc.frames {
				_, err = c.Write(f)
				require.NoError(t, err)
			}
			kind, p, err := readFrame(r)
			require.NoError(t, err)
			require.Equal(t, frameSnapAck, kind)
			require.Equal(t, byte(1), p[0], "a failed ack")
			require.Contains(t, string(p[1:]), tc.want)
		})
	}
}
