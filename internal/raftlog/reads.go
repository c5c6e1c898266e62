package raftlog

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// ErrNoLeader is a linearizable read that no leader confirmed in time:
// this node is cut off from the majority, or an election is running.
var ErrNoLeader = errors.New("commit log: no leader confirmed the read (this node cannot reach a majority)")

// readWaits are the reads waiting for a read index, by request id, and
// the waiters for an applied index.
type readWaits struct {
	mu      sync.Mutex
	nextID  uint64
	pending map[uint64]chan uint64
	// appliedCh is closed, and replaced, whenever the applied index moves.
	appliedCh chan struct{}
	// leaderContact is when this node last heard from a leader (unix
	// nanoseconds); a leader is in contact with itself.
	leaderContact int64
}

// ReadBarrier returns once this node has applied every entry committed
// before the call: raft's read index (the leader confirms with a
// majority that it still leads, and tells its commit index), then a wait
// until this node applied up to it. A read that starts afterwards sees
// every write acknowledged before the call, on any node: linearizable.
// On a single node it returns at once. ctx bounds the wait; without a
// deadline the election timeout twice over does (ErrNoLeader).
func (l *Log) ReadBarrier(ctx context.Context) error {
	if l.opts.Cluster == nil {
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 2*time.Duration(l.electionTick)*l.opts.TickInterval)
		defer cancel()
	}
	index, err := l.readIndex(ctx)
	if err != nil {
		return err
	}
	return l.waitApplied(ctx, index)
}

func (l *Log) readIndex(ctx context.Context) (uint64, error) {
	r := &l.reads
	r.mu.Lock()
	if r.pending == nil {
		r.pending = make(map[uint64]chan uint64)
	}
	r.nextID++
	id := r.nextID
	ch := make(chan uint64, 1)
	r.pending[id] = ch
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.pending, id)
		r.mu.Unlock()
	}()
	rctx := binary.BigEndian.AppendUint64(nil, id)
	// Asked again every tick's worth until answered: raft drops a read
	// index request that arrives with no leader known, or at a leader
	// that has not committed an entry of its term yet, without a reply.
	retry := time.NewTicker(max(l.opts.TickInterval*2, 10*time.Millisecond))
	defer retry.Stop()
	for {
		select {
		case l.ops <- func(rn *raft.RawNode) { rn.ReadIndex(rctx) }:
		case <-ctx.Done():
			return 0, ErrNoLeader
		case <-l.stop:
			return 0, ErrFailed
		}
		select {
		case i := <-ch:
			return i, nil
		case <-retry.C:
		case <-ctx.Done():
			return 0, ErrNoLeader
		case <-l.stop:
			return 0, ErrFailed
		}
	}
}

// deliverReads hands raft's answers to the waiting reads (the run
// goroutine calls it with each Ready's ReadStates).
func (l *Log) deliverReads(states []raft.ReadState) {
	if len(states) == 0 {
		return
	}
	r := &l.reads
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range states {
		if len(s.RequestCtx) != 8 {
			continue
		}
		if ch, ok := r.pending[binary.BigEndian.Uint64(s.RequestCtx)]; ok {
			select {
			case ch <- s.Index:
			default:
			}
		}
	}
}

// waitApplied returns once the applied index is at least index.
func (l *Log) waitApplied(ctx context.Context, index uint64) error {
	for {
		r := &l.reads
		r.mu.Lock()
		if r.appliedCh == nil {
			r.appliedCh = make(chan struct{})
		}
		ch := r.appliedCh
		r.mu.Unlock()
		if l.applied.Load() >= index {
			return nil
		}
		if err := l.err(); err != nil {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ErrNoLeader
		case <-l.stop:
			return ErrFailed
		}
	}
}

// appliedMoved wakes the reads waiting for the applied index.
func (l *Log) appliedMoved() {
	r := &l.reads
	r.mu.Lock()
	if r.appliedCh != nil {
		close(r.appliedCh)
		r.appliedCh = nil
	}
	r.mu.Unlock()
}

// noteLeaderContact records a message from the leader (heartbeats and
// appends come only from it).
func (l *Log) noteLeaderContact(m *pb.Message) {
	switch m.GetType() {
	case pb.MsgHeartbeat, pb.MsgApp, pb.MsgSnap:
		l.reads.mu.Lock()
		l.reads.leaderContact = time.Now().UnixNano()
		l.reads.mu.Unlock()
	}
}

// SinceLeaderContact is how long ago this node last heard from a leader;
// 0 on a leader and on a single node. A node that never heard from one
// answers a very long time.
func (l *Log) SinceLeaderContact() time.Duration {
	if l.opts.Cluster == nil {
		return 0
	}
	l.role.mu.Lock()
	leading := l.role.st.Role == RoleLeader
	l.role.mu.Unlock()
	if leading {
		return 0
	}
	l.reads.mu.Lock()
	at := l.reads.leaderContact
	l.reads.mu.Unlock()
	if at == 0 {
		return time.Duration(1<<63 - 1)
	}
	return time.Since(time.Unix(0, at))
}
