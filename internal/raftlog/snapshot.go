package raftlog

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// Snapshots (a member too far behind the leader's log).
//
// Raft asks for one by a MsgSnap whose metadata is the leader's last
// checkpoint (Checkpoint records it with MemoryStorage.CreateSnapshot).
// The data never travels inside raft: the transport streams a fresh
// snapshot of the application state at the leader's applied index A
// (SnapshotMeta gives A's term and configuration), the receiver loads it
// and then hands raft a MsgSnap carrying only the metadata at A
// (InstallSnapshot). A newer snapshot than raft asked for is fine: the
// leader's progress for the peer moves on once the peer acknowledges A,
// which is at or above its first index.

// ErrSnapshotStale is returned by InstallSnapshot for a snapshot at or
// below what this member has committed: nothing to install.
var ErrSnapshotStale = errors.New("snapshot is not newer than the local log")

// SnapshotMeta returns the term of the entry at index and the
// configuration in force there, for a snapshot of the application state
// at index (at most Applied).
func (l *Log) SnapshotMeta(index uint64) (term uint64, conf []byte, err error) {
	if index > l.Applied() {
		return 0, nil, fmt.Errorf("snapshot at %d above the applied index %d", index, l.Applied())
	}
	term, err = l.storage.Term(index)
	if err != nil {
		return 0, nil, fmt.Errorf("snapshot at %d: %w", index, err)
	}
	l.confMu.Lock()
	defer l.confMu.Unlock()
	i := len(l.confHist) - 1
	for i > 0 && l.confHist[i].index > index {
		i--
	}
	if i < 0 || l.confHist[i].index > index {
		return 0, nil, fmt.Errorf("snapshot at %d: the configuration there is no longer known", index)
	}
	conf, err = proto.Marshal(l.confHist[i].cs)
	return term, conf, err
}

// SnapshotTarget describes a snapshot a leader streams: raft's identity
// of the leader (From, Term) and the application state's position
// (Index, LogTerm, Conf: a marshaled raftpb.ConfState).
type SnapshotTarget struct {
	From, Term, Index, LogTerm uint64
	Conf                       []byte
}

// Stale reports whether a snapshot at index would not move this member
// forward: it has committed that far already.
func (l *Log) Stale(index uint64) bool {
	return index <= l.Status().Commit || index <= l.Applied()
}

// InstallSnapshot hands raft a snapshot whose data the application has
// already loaded (durably) into its state: raft restores its log to
// t.Index, the Ready loop records it as the checkpoint, and the member
// acknowledges it to the leader. It returns once raft took the message.
func (l *Log) InstallSnapshot(ctx context.Context, t SnapshotTarget) error {
	if l.Stale(t.Index) {
		return ErrSnapshotStale
	}
	cs := &pb.ConfState{}
	if err := proto.Unmarshal(t.Conf, cs); err != nil {
		return fmt.Errorf("snapshot configuration: %w", err)
	}
	m := &pb.Message{
		Type: pb.MessageType_MsgSnap.Enum(),
		From: new(t.From),
		To:   new(l.id),
		Term: new(t.Term),
		Snapshot: &pb.Snapshot{Metadata: &pb.SnapshotMetadata{
			Index: new(t.Index), Term: new(t.LogTerm), ConfState: cs,
		}},
	}
	done := make(chan error, 1)
	select {
	case l.ops <- func(rn *raft.RawNode) { done <- rn.Step(m) }:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// restoreSnapshot records a snapshot raft accepted (a Ready's Snapshot):
// the checkpoint moves to it, raft's storage restarts there, and the
// applied index jumps to it. The application loaded and synced the data
// before InstallSnapshot, so the checkpoint's promise holds.
func (l *Log) restoreSnapshot(snap *pb.Snapshot) error {
	md := snap.GetMetadata()
	conf, err := proto.Marshal(md.GetConfState())
	if err != nil {
		return err
	}
	if err := l.w.installSnapshot(Checkpoint{Index: md.GetIndex(), Term: md.GetTerm(), Conf: conf}); err != nil {
		return fmt.Errorf("commit log: install snapshot at %d: %w", md.GetIndex(), err)
	}
	if err := l.storage.ApplySnapshot(snap); err != nil && !errors.Is(err, raft.ErrSnapOutOfDate) {
		return fmt.Errorf("commit log: install snapshot at %d: %w", md.GetIndex(), err)
	}
	l.confMu.Lock()
	l.confHist = []confAt{{index: md.GetIndex(), cs: md.GetConfState()}}
	l.confMu.Unlock()
	l.raiseApplied(md.GetIndex())
	l.logger.Info("installed a snapshot from the leader", "index", md.GetIndex(), "term", md.GetTerm(),
		"voters", md.GetConfState().GetVoters(), "learners", md.GetConfState().GetLearners())
	return nil
}

// raiseApplied moves the applied index up to i, never down (the apply
// goroutine may finish an older batch after a snapshot was installed).
func (l *Log) raiseApplied(i uint64) {
	for {
		cur := l.applied.Load()
		if i <= cur {
			return
		}
		if l.applied.CompareAndSwap(cur, i) {
			l.appliedMoved()
			return
		}
	}
}
