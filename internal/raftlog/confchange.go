package raftlog

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// ConfChangeType is a membership change of one member.
type ConfChangeType int

// The membership changes. A new member joins as a learner (it receives
// the log but does not vote) and is promoted once it has caught up, so
// that a member far behind never counts towards the quorum.
const (
	AddLearner ConfChangeType = iota
	PromoteVoter
	RemoveMember
)

func (t ConfChangeType) pb() pb.ConfChangeType {
	switch t {
	case PromoteVoter:
		return pb.ConfChangeType_ConfChangeAddNode
	case RemoveMember:
		return pb.ConfChangeType_ConfChangeRemoveNode
	default:
		return pb.ConfChangeType_ConfChangeAddLearnerNode
	}
}

func confChangeType(t pb.ConfChangeType) ConfChangeType {
	switch t {
	case pb.ConfChangeType_ConfChangeAddNode:
		return PromoteVoter
	case pb.ConfChangeType_ConfChangeRemoveNode:
		return RemoveMember
	default:
		return AddLearner
	}
}

// ConfChange is a membership change applied from the log, as
// ClusterOptions.OnConfChange receives it.
type ConfChange struct {
	// Index is the entry's log index.
	Index uint64
	Type  ConfChangeType
	// ID is the raft id of the member changed.
	ID uint64
	// Context is what the proposer attached (the member's name and
	// address, for internal/cluster).
	Context []byte
	// Voters and Learners are the configuration after the change.
	Voters, Learners []uint64
}

// confAt is the group's configuration from a log index on: the
// checkpoint records the one in force at its index.
type confAt struct {
	index uint64
	cs    *pb.ConfState
}

// ErrConfChangeNotApplied is returned by ChangeMembership when the change
// was not applied in time: raft ignores a change proposed while another
// is not yet applied, and a change in flight at a leadership change may
// or may not be committed.
var ErrConfChangeNotApplied = errors.New("membership change not applied (another change in progress, or leadership changed): check the cluster's status and retry")

// ChangeMembership proposes one membership change on the leader and
// waits until it is applied here (or ctx ends). appCtx travels with the
// change to every member's OnConfChange. Only one change is in flight at
// a time in raft; the caller serializes them.
func (l *Log) ChangeMembership(ctx context.Context, typ ConfChangeType, id uint64, appCtx []byte) error {
	if l.opts.Cluster == nil {
		return errors.New("membership changes need a cluster")
	}
	l.mu.Lock()
	if l.failErr != nil || l.closed {
		err := l.failErr
		l.mu.Unlock()
		return cmpErr(err, ErrClosed)
	}
	if !l.writable() {
		l.mu.Unlock()
		return ErrNotLeader
	}
	l.nextID++
	pid := l.id<<48 | l.nextID&(1<<48-1)
	done := make(chan error, 1)
	l.confWaiters[pid] = done
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.confWaiters, pid)
		l.mu.Unlock()
	}()
	cc := &pb.ConfChangeV2{
		Changes: []*pb.ConfChangeSingle{{Type: typ.pb().Enum(), NodeId: new(id)}},
		Context: append(binary.BigEndian.AppendUint64(nil, pid), appCtx...),
	}
	propose := func(rn *raft.RawNode) {
		if err := rn.ProposeConfChange(cc); err != nil {
			if errors.Is(err, raft.ErrProposalDropped) {
				err = ErrNotLeader
			}
			done <- err
		}
	}
	select {
	case l.ops <- propose:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("%w: %v", ErrConfChangeNotApplied, ctx.Err())
	}
}

func cmpErr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

// applyConfChanges hands the committed membership changes among ents to
// raft, in log order, from the run goroutine (raft's rule: apply a
// change once it is committed). The checkpoint then records the
// configuration at its index, and OnConfChange tells the application
// (peer addresses, the remembered membership).
func (l *Log) applyConfChanges(ents []*pb.Entry) error {
	for _, e := range ents {
		if e.GetType() != pb.EntryType_EntryConfChangeV2 && e.GetType() != pb.EntryType_EntryConfChange {
			continue
		}
		var cc *pb.ConfChangeV2
		if e.GetType() == pb.EntryType_EntryConfChange {
			var v1 pb.ConfChange
			if err := proto.Unmarshal(e.GetData(), &v1); err != nil {
				return fmt.Errorf("conf change entry %d: %w", e.GetIndex(), err)
			}
			cc = v1.AsV2()
		} else {
			cc = &pb.ConfChangeV2{}
			if err := proto.Unmarshal(e.GetData(), cc); err != nil {
				return fmt.Errorf("conf change entry %d: %w", e.GetIndex(), err)
			}
		}
		// An empty change is raft's own (leaving a joint configuration,
		// which this log never enters); nothing to apply.
		if len(cc.GetChanges()) == 0 {
			continue
		}
		cs := l.rn.ApplyConfChange(cc)
		l.confMu.Lock()
		l.confHist = append(l.confHist, confAt{index: e.GetIndex(), cs: cs})
		l.confMu.Unlock()
		var pid uint64
		appCtx := cc.GetContext()
		if len(appCtx) >= 8 {
			pid, appCtx = binary.BigEndian.Uint64(appCtx), appCtx[8:]
		}
		ch := cc.GetChanges()[0]
		l.logger.Info("membership changed", "index", e.GetIndex(), "change", ch.GetType().String(), "raft_id", ch.GetNodeId(),
			"voters", cs.GetVoters(), "learners", cs.GetLearners())
		if c := l.opts.Cluster; c.OnConfChange != nil {
			c.OnConfChange(ConfChange{Index: e.GetIndex(), Type: confChangeType(ch.GetType()), ID: ch.GetNodeId(), Context: appCtx,
				Voters: slices.Clone(cs.GetVoters()), Learners: slices.Clone(cs.GetLearners())})
		}
		l.mu.Lock()
		done := l.confWaiters[pid]
		l.mu.Unlock()
		if done != nil {
			done <- nil
		}
	}
	return nil
}

// confAtIndex returns the marshaled configuration in force at index,
// for a checkpoint there, and forgets older ones it no longer needs.
func (l *Log) confAtIndex(index uint64) []byte {
	l.confMu.Lock()
	defer l.confMu.Unlock()
	i := len(l.confHist) - 1
	for i > 0 && l.confHist[i].index > index {
		i--
	}
	if i < 0 {
		return nil
	}
	cs := l.confHist[i].cs
	l.confHist = l.confHist[i:]
	b, err := proto.Marshal(cs)
	if err != nil {
		return nil
	}
	return b
}

// confAt returns the configuration in force at index.
func (l *Log) confAt(index uint64) *pb.ConfState {
	l.confMu.Lock()
	defer l.confMu.Unlock()
	i := len(l.confHist) - 1
	for i > 0 && l.confHist[i].index > index {
		i--
	}
	return l.confHist[i].cs
}

// currentConf returns the latest configuration applied here.
func (l *Log) currentConf() (voters, learners []uint64) {
	l.confMu.Lock()
	defer l.confMu.Unlock()
	if len(l.confHist) == 0 {
		return nil, nil
	}
	cs := l.confHist[len(l.confHist)-1].cs
	return slices.Clone(cs.GetVoters()), slices.Clone(cs.GetLearners())
}
