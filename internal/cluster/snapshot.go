package cluster

import (
	"bufio"
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
)

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
}

// SnapshotRecord is one live key of a snapshot with the commit
// timestamp that wrote its value.
type SnapshotRecord struct {
	Key, Value []byte
	Version    uint64
}

// SnapshotSource is the leader's side of snapshots (the store): it
// opens a consistent snapshot and fills the header's position, members
// and timestamp; scan emits its records in key order; release frees it.
type SnapshotSource interface {
	OpenSnapshot(ctx context.Context) (hdr SnapshotHeader, scan func(ctx context.Context, emit func(SnapshotRecord) error) error, release func(), err error)
}

// SnapshotSink is the receiver's side: it loads the records next returns
// (in key order, nil at the end; valid until the next call) into the
// store, durably, then hands the snapshot to raft.
type SnapshotSink interface {
	InstallSnapshot(ctx context.Context, hdr SnapshotHeader, next func() ([]SnapshotRecord, error)) error
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
// for the receiver's answer. It returns the bytes sent.
func (t *Transport) streamSnapshot(src SnapshotSource, p *peer, m *pb.Message) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), snapTimeout)
	defer cancel()
	go func() {
		select {
		case <-t.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	hdr, scan, release, err := src.OpenSnapshot(ctx)
	if err != nil {
		return 0, fmt.Errorf("open snapshot: %w", err)
	}
	defer release()
	hdr.From, hdr.Term, hdr.To = m.GetFrom(), m.GetTerm(), p.id
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
	var sent int64
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
	var buf []byte
	var count uint64
	err = scan(ctx, func(rec SnapshotRecord) error {
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
	kind, payload, err := readFrame(bufio.NewReader(c))
	if err != nil {
		return sent, fmt.Errorf("no answer from the receiver: %w", err)
	}
	if kind != frameSnapAck || len(payload) == 0 {
		return sent, errors.New("receiver answered with an unexpected frame")
	}
	if payload[0] != 0 {
		return sent, fmt.Errorf("receiver refused the snapshot: %s", payload[1:])
	}
	return sent, nil
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
	t.logger.Info("receiving a snapshot from the leader", "index", hdr.Index, "ts", hdr.Ts)
	var recs []SnapshotRecord
	done := false
	next := func() ([]SnapshotRecord, error) {
		if done {
			return nil, nil
		}
		_ = c.SetReadDeadline(time.Now().Add(snapIOTimeout))
		kind, p, err := readFrame(r)
		if err != nil {
			return nil, fmt.Errorf("snapshot stream: %w", err)
		}
		t.snapRecv.Add(uint64(len(p) + 5))
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
	err := sink.InstallSnapshot(ctx, hdr, next)
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
