package cluster

import (
	"context"
	"time"
)

// keptSnapshot is a leader's pinned snapshot for one peer's streams.
type keptSnapshot struct {
	hdr     SnapshotHeader
	scan    func(ctx context.Context, after []byte, emit func(SnapshotRecord) error) error
	release func()
	timer   *time.Timer // set while kept in Transport.snapKept
}

// takeSnapshot hands over the snapshot a failed stream to peer id left
// pinned, if it is still there and at or above minIndex (the checkpoint
// raft's MsgSnap names: an older snapshot would not let the peer catch
// up from the leader's log); nil otherwise. Whoever removes a snapshot
// from snapKept owns it: the taker, the expiry, or Close.
func (t *Transport) takeSnapshot(id, minIndex uint64) *keptSnapshot {
	t.snapMu.Lock()
	ks := t.snapKept[id]
	delete(t.snapKept, id)
	t.snapMu.Unlock()
	if ks == nil {
		return nil
	}
	ks.timer.Stop()
	if ks.hdr.Index < minIndex {
		ks.release()
		return nil
	}
	return ks
}

// keepSnapshot releases a stream's snapshot when the stream succeeded
// (err nil) or the transport is closing; after a failure it keeps the
// snapshot pinned for snapRetain, so that the peer's next stream
// resumes it.
func (t *Transport) keepSnapshot(id uint64, ks *keptSnapshot, err error) {
	if err == nil || t.snapRetain <= 0 {
		ks.release()
		return
	}
	select {
	case <-t.stop:
		ks.release()
		return
	default:
	}
	t.snapMu.Lock()
	old := t.snapKept[id] // none: one stream per peer at a time
	t.snapKept[id] = ks
	ks.timer = time.AfterFunc(t.snapRetain, func() {
		t.snapMu.Lock()
		mine := t.snapKept[id] == ks
		if mine {
			delete(t.snapKept, id)
		}
		t.snapMu.Unlock()
		if mine {
			t.logger.Info("released the snapshot of a failed stream; the peer's next stream starts over", "peer", id, "ts", ks.hdr.Ts)
			ks.release()
		}
	})
	t.snapMu.Unlock()
	if old != nil {
		old.timer.Stop()
		old.release()
	}
}

// releaseKept releases every pinned snapshot: on Close, after the
// streams have ended (none keeps one once t.stop is closed).
func (t *Transport) releaseKept() {
	t.snapMu.Lock()
	kept := t.snapKept
	t.snapKept = map[uint64]*keptSnapshot{}
	t.snapMu.Unlock()
	for _, ks := range kept {
		ks.timer.Stop()
		ks.release()
	}
}
