package cluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/guocedb/guocedb/internal/raftlog"
)

// Frame kinds of a snapshot stream, on a connection of its own: the
// header, chunks of records, the end, and the receiver's answer.
const (
	frameSnapBegin byte = 2 // SnapshotHeader as JSON
	frameSnapChunk byte = 3 // records: [uvarint key length][key][uvarint version][uvarint value length][value]...
	frameSnapEnd   byte = 4 // [uvarint record count]
	frameSnapAck   byte = 5 // [0 ok | 1 failed][message]
	// The receiver's answer to a header that offers to resume: the
	// snapshot's timestamp, whether it holds the snapshot already, how
	// many keys an interrupted load of it holds, and the last of them
	// (empty: from the first key).
	frameSnapResume byte = 6 // [u64 ts][0 | 1 have it][uvarint keys][key]
	// The leader's reply to frameSnapResume, before the chunks: the
	// chunks carry the keys above key (empty: all of them).
	frameSnapFrom byte = 7 // [key]
)

// snapResumeWait bounds how long a leader waits for the receiver's
// frameSnapResume before it streams from the first key: a receiver of a
// release before resumable streams never sends one.
const snapResumeWait = 10 * time.Second

// snapRetain is how long a leader keeps the snapshot of a failed stream
// pinned, so that the next stream to the same peer resumes it. A pinned
// snapshot holds back garbage collection of the versions it reads, hence
// the bound; success, this bound and Close release it.
const snapRetain = 2 * time.Minute

// maxResumeKey bounds the key of a frameSnapResume: above Badger's
// largest key (65,000 bytes), no snapshot holds it.
const maxResumeKey = 1 << 16

// snapChunkSize is the size a chunk of records grows to before it is
// sent.
const snapChunkSize = 1 << 20

// snapTimeout bounds one snapshot stream, load and install included.
const snapTimeout = 30 * time.Minute

// snapIOTimeout bounds one write or read of a snapshot stream: a peer
// that stops reading (SIGSTOP) fails the stream, and raft sends
// another later.
const snapIOTimeout = time.Minute

// SnapshotHeader opens a snapshot stream: raft's identity of the leader
// and the snapshot's position (raftlog.SnapshotTarget), the receiver's
// raft id, the application snapshot's timestamp, and the cluster's
// membership as the leader knows it (the receiver may never have seen
// the membership changes below the snapshot).
type SnapshotHeader struct {
	raftlog.SnapshotTarget
	To            uint64   `json:"to"`
	Ts            uint64   `json:"ts"`
	Members       []Member `json:"members"`
	InitialVoters []uint64 `json:"initial_voters"`
	MaxRaftID     uint64   `json:"max_raft_id"`
	// Resumable: the leader reads a frameSnapResume after the header.
	// A receiver of a release before resumable streams ignores it.
	Resumable bool `json:"resumable,omitempty"`
}

// SnapshotRecord is one live key of a snapshot with the commit
// timestamp that wrote its value.
type SnapshotRecord struct {
	Key, Value []byte
	Version    uint64
}

// SnapshotSource is the leader's side of snapshots (the store): it
// opens a consistent snapshot and fills the header's position, members
// and timestamp; scan emits its records above after (all when nil) in
// key order, and may be called again (a resumed stream) until release
// frees the snapshot. A snapshot is used by one stream at a time.
type SnapshotSource interface {
	OpenSnapshot(ctx context.Context) (hdr SnapshotHeader, scan func(ctx context.Context, after []byte, emit func(SnapshotRecord) error) error, release func(), err error)
}

// SnapshotSink is the receiver's side. ResumePoint says what the store
// holds of the snapshot hdr names: have when this member is past it
// already, else the last key (and the count of keys) of an interrupted
// load of that very snapshot, nil to start from its first key.
// InstallSnapshot loads the records next returns (in key order, above
// after; nil at the end; valid until the next call) into the store,
// durably, then hands the snapshot to raft; a load cut short keeps what
// it loaded for a later stream to resume.
type SnapshotSink interface {
	ResumePoint(hdr SnapshotHeader) (after []byte, keys uint64, have bool)
	InstallSnapshot(ctx context.Context, hdr SnapshotHeader, after []byte, next func() ([]SnapshotRecord, error)) error
}

// SetSnapshots connects the store's sides of snapshot streaming. Until
// it is called, a peer that needs a snapshot is reported as failed and
// raft asks again later.
func (t *Transport) SetSnapshots(src SnapshotSource, sink SnapshotSink) {
	t.snapMu.Lock()
	t.snapSrc, t.snapSink = src, sink
	t.snapMu.Unlock()
}

// SnapshotBytes returns the snapshot bytes sent to and received from
// peers, for metrics.
func (t *Transport) SnapshotBytes() (sent, received uint64) {
	return t.snapSent.Load(), t.snapRecv.Load()
}

// sendSnapshot starts streaming a snapshot for raft's MsgSnap m to p,
// unless one to p is in flight (raft waits for its report).
func (t *Transport) sendSnapshot(p *peer, m *pb.Message) {
	t.snapMu.Lock()
	src := t.snapSrc
	busy := t.snapBusy[p.id]
	if src != nil && !busy {
		t.snapBusy[p.id] = true
	}
	t.snapMu.Unlock()
	if busy {
		return
	}
	r := t.receiver()
	if src == nil {
		if r != nil {
			r.ReportSnapshotFailure(p.id)
		}
		return
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		t.snapMu.Lock()
		delete(t.snapBusy, p.id)
		t.snapMu.Unlock()
		return
	}
	t.wg.Add(1)
	t.mu.Unlock()
	go func() {
		defer t.wg.Done()
		defer func() {
			t.snapMu.Lock()
			delete(t.snapBusy, p.id)
			t.snapMu.Unlock()
		}()
		start := time.Now()
		n, err := t.streamSnapshot(src, p, m)
		if r := t.receiver(); r != nil {
			if err != nil {
				r.ReportSnapshotFailure(p.id)
			} else {
				r.ReportSnapshotDone(p.id)
			}
		}
		if err != nil {
			t.logger.Warn("sending a snapshot to a peer failed; raft will ask again", "peer", p.id, "bytes", n, "err", err)
			return
		}
		t.logger.Info("sent a snapshot to a peer", "peer", p.id, "bytes", n, "duration", time.Since(start).Round(time.Millisecond))
	}()
}

// streamSnapshot writes one snapshot to p on a new connection and waits
// for the receiver's answer. It returns the bytes sent. The snapshot is
// the one a failed stream to p left pinned when it is still there and
// not older than raft asks for, else a new one; a failed stream leaves
// it pinned for the next (keepSnapshot).
func (t *Transport) streamSnapshot(src SnapshotSource, p *peer, m *pb.Message) (sent int64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), snapTimeout)
	defer cancel()
	go func() {
		select {
		case <-t.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	ks := t.takeSnapshot(p.id, m.GetSnapshot().GetMetadata().GetIndex())
	if ks == nil {
		hdr, scan, release, err := src.OpenSnapshot(ctx)
		if err != nil {
			return 0, fmt.Errorf("open snapshot: %w", err)
		}
		ks = &keptSnapshot{hdr: hdr, scan: scan, release: release}
	}
	defer func() { t.keepSnapshot(p.id, ks, err) }()
	hdr := ks.hdr
	hdr.From, hdr.Term, hdr.To = m.GetFrom(), m.GetTerm(), p.id
	hdr.Resumable = !t.snapLegacy
	c, err := t.dial(p.addr)
	if err != nil {
		return 0, err
	}
	defer func() { _ = c.Close() }()
	go func() {
		<-ctx.Done()
		_ = c.Close() // unblocks a write or read stuck on a dead peer
	}()
	w := bufio.NewWriterSize(c, 256<<10)
	r := bufio.NewReader(c)
	frame := func(kind byte, payload []byte) error {
		_ = c.SetWriteDeadline(time.Now().Add(snapIOTimeout))
		var hdr [5]byte
		binary.BigEndian.PutUint32(hdr[:4], uint32(len(payload)+1))
		hdr[4] = kind
		if _, err := w.Write(hdr[:]); err != nil {
			return err
		}
		_, err := w.Write(payload)
		sent += int64(len(payload) + 5)
		t.snapSent.Add(uint64(len(payload) + 5))
		return err
	}
	hb, err := json.Marshal(hdr)
	if err != nil {
		return 0, err
	}
	if err := frame(frameSnapBegin, hb); err != nil {
		return sent, err
	}
	var after []byte
	skip, lateResume := false, false
	if hdr.Resumable {
		if err := w.Flush(); err != nil {
			return sent, err
		}
		req, ok, err := t.readResume(c, r, hdr.Ts)
		if err != nil {
			return sent, err
		}
		if ok {
			after, skip = req.after, req.have
			if skip {
				t.logger.Info("peer holds the snapshot already; streaming none of it", "peer", p.id, "ts", hdr.Ts)
			} else if after != nil {
				t.logger.Info("resuming a snapshot stream", "peer", p.id, "ts", hdr.Ts, "keys_skipped", req.keys)
			}
			if err := frame(frameSnapFrom, after); err != nil {
				return sent, err
			}
		} else {
			// An older receiver: it takes the stream from the first
			// key, and answers only at the end.
			lateResume = true
		}
	}
	var buf []byte
	var count uint64
	if !skip {
		err = ks.scan(ctx, after, func(rec SnapshotRecord) error {
			buf = binary.AppendUvarint(buf, uint64(len(rec.Key)))
			buf = append(buf, rec.Key...)
			buf = binary.AppendUvarint(buf, rec.Version)
			buf = binary.AppendUvarint(buf, uint64(len(rec.Value)))
			buf = append(buf, rec.Value...)
			count++
			if len(buf) >= snapChunkSize {
				err := frame(frameSnapChunk, buf)
				buf = buf[:0]
				return err
			}
			return nil
		})
	}
	if err == nil && len(buf) > 0 {
		err = frame(frameSnapChunk, buf)
	}
	if err == nil {
		err = frame(frameSnapEnd, binary.AppendUvarint(nil, count))
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return sent, err
	}
	// The answer comes once the receiver has loaded, synced and handed
	// the snapshot to raft.
	_ = c.SetReadDeadline(time.Now().Add(snapTimeout))
	kind, payload, err := readFrame(r)
	if err == nil && kind == frameSnapResume && lateResume {
		// A receiver slower than snapResumeWait asked to resume; it saw
		// chunks instead of frameSnapFrom and took the stream whole.
		kind, payload, err = readFrame(r)
	}
	if err != nil {
		return sent, fmt.Errorf("no answer from the receiver: %w", err)
	}
	if kind != frameSnapAck || len(payload) == 0 {
		return sent, fmt.Errorf("receiver answered with an unexpected frame (kind %d)", kind)
	}
	if payload[0] != 0 {
		return sent, fmt.Errorf("receiver refused the snapshot: %s", payload[1:])
	}
	return sent, nil
}

// resumeRequest is a decoded frameSnapResume.
type resumeRequest struct {
	after []byte // nil: from the first key
	keys  uint64
	have  bool
}

// readResume reads the receiver's frameSnapResume for the snapshot at
// ts, for up to snapResumeWait; false when none came in that time (a
// receiver of an older release). A request this snapshot cannot serve
// is an error: the stream fails, and the receiver's next stream (of a
// newer snapshot, if the leader has no other) starts over.
func (t *Transport) readResume(c net.Conn, r *bufio.Reader, ts uint64) (resumeRequest, bool, error) {
	// Peek consumes nothing: a length that arrives in part just before
	// the wait ends stays buffered for the ack's read.
	_ = c.SetReadDeadline(time.Now().Add(t.snapResumeWait))
	_, err := r.Peek(4)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		_ = c.SetReadDeadline(time.Time{})
		return resumeRequest{}, false, nil
	}
	var kind byte
	var p []byte
	if err == nil {
		_ = c.SetReadDeadline(time.Now().Add(snapIOTimeout))
		kind, p, err = readFrame(r)
	}
	_ = c.SetReadDeadline(time.Time{})
	if err != nil {
		return resumeRequest{}, false, fmt.Errorf("reading the receiver's resume request: %w", err)
	}
	if kind == frameSnapAck && len(p) > 0 && p[0] != 0 {
		return resumeRequest{}, false, fmt.Errorf("receiver refused the snapshot: %s", p[1:])
	}
	if kind != frameSnapResume {
		return resumeRequest{}, false, fmt.Errorf("receiver answered the header with an unexpected frame (kind %d)", kind)
	}
	req, rts, err := decodeResume(p)
	if err != nil {
		return resumeRequest{}, false, err
	}
	if rts != ts {
		return resumeRequest{}, false, fmt.Errorf("receiver asked to resume the snapshot at ts %d; this stream is at ts %d", rts, ts)
	}
	return req, true, nil
}

// encodeResume builds a frameSnapResume's payload.
func encodeResume(ts uint64, req resumeRequest) []byte {
	b := binary.BigEndian.AppendUint64(nil, ts)
	if req.have {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, req.keys)
	return append(b, req.after...)
}

// decodeResume reads a frameSnapResume's payload.
func decodeResume(p []byte) (resumeRequest, uint64, error) {
	bad := func(why string) (resumeRequest, uint64, error) {
		return resumeRequest{}, 0, fmt.Errorf("malformed resume request from the receiver: %s", why)
	}
	if len(p) < 9 {
		return bad("too short")
	}
	ts := binary.BigEndian.Uint64(p)
	if p[8] > 1 {
		return bad("unknown flag")
	}
	req := resumeRequest{have: p[8] == 1}
	n := 0
	if req.keys, n = binary.Uvarint(p[9:]); n <= 0 {
		return bad("key count")
	}
	key := p[9+n:]
	if len(key) > maxResumeKey {
		return bad(fmt.Sprintf("key of %d bytes", len(key)))
	}
	if len(key) > 0 {
		req.after = bytes.Clone(key)
	}
	return req, ts, nil
}

// readFrame reads one [u32 length][kind][payload] frame.
func readFrame(r *bufio.Reader) (byte, []byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 || n > maxFrame {
		return 0, nil, fmt.Errorf("bad frame length %d", n)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, nil, err
	}
	return buf[0], buf[1:], nil
}

// receiveSnapshot serves a snapshot stream that began with hb (the
// header frame's payload) on c: the records go to the sink chunk by
// chunk, and the sink's result is answered.
func (t *Transport) receiveSnapshot(c net.Conn, r *bufio.Reader, hb []byte) {
	answer := func(err error) {
		p := []byte{0}
		if err != nil {
			p = append([]byte{1}, err.Error()...)
		}
		var hdr [5]byte
		binary.BigEndian.PutUint32(hdr[:4], uint32(len(p)+1))
		hdr[4] = frameSnapAck
		_ = c.SetWriteDeadline(time.Now().Add(snapIOTimeout))
		_, _ = c.Write(append(hdr[:], p...))
	}
	t.snapRecv.Add(uint64(len(hb) + 5))
	var hdr SnapshotHeader
	if err := json.Unmarshal(hb, &hdr); err != nil || hdr.To != t.self {
		answer(fmt.Errorf("unreadable snapshot header, or not for raft id %d", t.self))
		return
	}
	t.snapMu.Lock()
	sink := t.snapSink
	t.snapMu.Unlock()
	if sink == nil {
		answer(errors.New("this member cannot install snapshots yet (starting)"))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), snapTimeout)
	defer cancel()
	go func() {
		select {
		case <-t.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	t.snapRecvMu.Lock()
	defer t.snapRecvMu.Unlock()
	t.logger.Info("receiving a snapshot from the leader", "index", hdr.Index, "ts", hdr.Ts)
	// read returns the stream's next frame: first the one read ahead
	// while waiting for frameSnapFrom, if any.
	var ahead []byte
	aheadKind := byte(0)
	read := func() (byte, []byte, error) {
		if ahead != nil {
			k, p := aheadKind, ahead
			ahead = nil
			return k, p, nil
		}
		_ = c.SetReadDeadline(time.Now().Add(snapIOTimeout))
		kind, p, err := readFrame(r)
		if err != nil {
			return 0, nil, fmt.Errorf("snapshot stream: %w", err)
		}
		t.snapRecv.Add(uint64(len(p) + 5))
		return kind, p, nil
	}
	var after []byte
	have := false
	if hdr.Resumable && !t.snapLegacy {
		req := resumeRequest{}
		req.after, req.keys, req.have = sink.ResumePoint(hdr)
		if req.have {
			req.after, req.keys = nil, 0
		}
		p := encodeResume(hdr.Ts, req)
		var fh [5]byte
		binary.BigEndian.PutUint32(fh[:4], uint32(len(p)+1))
		fh[4] = frameSnapResume
		_ = c.SetWriteDeadline(time.Now().Add(snapIOTimeout))
		if _, err := c.Write(append(fh[:], p...)); err != nil {
			t.logger.Warn("receiving a snapshot failed: could not ask the leader where to start", "index", hdr.Index, "err", err)
			return
		}
		kind, p, err := read()
		if err != nil {
			t.logger.Warn("receiving a snapshot failed", "index", hdr.Index, "err", err)
			return
		}
		switch {
		case kind != frameSnapFrom:
			// The leader did not wait for the request: the whole
			// snapshot follows.
			ahead, aheadKind = p, kind
		case len(p) == 0:
			have = req.have
		case bytes.Equal(p, req.after):
			after = req.after
			t.logger.Info("resuming a snapshot stream", "index", hdr.Index, "ts", hdr.Ts, "keys_skipped", req.keys)
		default:
			answer(errors.New("the leader resumed the snapshot after a key this member did not ask for"))
			return
		}
	}
	var recs []SnapshotRecord
	done := false
	next := func() ([]SnapshotRecord, error) {
		if done {
			return nil, nil
		}
		kind, p, err := read()
		if err != nil {
			return nil, err
		}
		switch kind {
		case frameSnapEnd:
			done = true
			return nil, nil
		case frameSnapChunk:
		default:
			return nil, fmt.Errorf("snapshot stream: unexpected frame kind %d", kind)
		}
		recs = recs[:0]
		for len(p) > 0 {
			var rec SnapshotRecord
			var ok bool
			if rec.Key, p, ok = lenField(p); !ok {
				return nil, errors.New("snapshot stream: malformed record")
			}
			v, n := binary.Uvarint(p)
			if n <= 0 {
				return nil, errors.New("snapshot stream: malformed record")
			}
			rec.Version, p = v, p[n:]
			if rec.Value, p, ok = lenField(p); !ok {
				return nil, errors.New("snapshot stream: malformed record")
			}
			recs = append(recs, rec)
		}
		return recs, nil
	}
	var err error
	if have {
		// This member is past the snapshot: the leader sends none of
		// it, and raft learns where the member is from its next answer.
		for err == nil && !done {
			_, err = next()
		}
	} else {
		err = sink.InstallSnapshot(ctx, hdr, after, next)
	}
	if err != nil {
		t.logger.Warn("installing a snapshot failed", "index", hdr.Index, "err", err)
	}
	answer(err)
}

func lenField(p []byte) (field, rest []byte, ok bool) {
	l, n := binary.Uvarint(p)
	if n <= 0 || uint64(len(p)-n) < l {
		return nil, nil, false
	}
	return p[n : n+int(l)], p[n+int(l):], true
}
