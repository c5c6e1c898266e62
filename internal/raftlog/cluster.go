package raftlog

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// ErrNotLeader is returned by Propose on a node that is not the leader of
// its group, or is the leader of a term whose first entry is not applied
// yet. Nothing was proposed: it is a definite answer.
var ErrNotLeader = errors.New("this node is not the leader")

// ErrUnknownOutcome is returned by Propose when leadership changed while
// the entry was in flight: it may be committed by the next leader or
// dropped. Neither OK nor a definite error is honest; the SQL layer
// closes the connection.
var ErrUnknownOutcome = errors.New("leadership changed while the commit was in flight; its outcome is unknown")

// ClusterOptions make the log one voter of a group of several.
type ClusterOptions struct {
	// ID is this node's raft id (not 0).
	ID uint64
	// Voters are the raft ids of every voter, this node included.
	Voters []uint64
	// Send hands raft's messages to the transport. It is called from the
	// Ready loop after the Ready's entries and hard state are durable, as
	// raft requires, and must not block: a transport queues and drops
	// (raft retransmits).
	Send func([]*pb.Message)
	// ElectionTick is the election timeout in ticks; 0 means 15 (1.5 s at
	// the default tick; raft randomizes it up to twice that): generous for
	// a starved 2-core machine, short enough for failover in seconds.
	ElectionTick int
	// HeartbeatTick is the heartbeat interval in ticks; 0 means 2.
	HeartbeatTick int
	// Retain is how many applied entries a checkpoint keeps in the log,
	// for followers that fall behind: one further behind needs a
	// snapshot, which costs a copy of the whole store. 0 means 100000.
	Retain uint64
	// Attach, when set, is called with the log before Open waits for
	// anything: the transport's incoming side is connected here, since a
	// member's Open waits for messages from its peers.
	Attach func(*Log)
	// OnRoleChange, when set, is called from the Ready loop whenever the
	// role, term or leader changes. It must not block.
	OnRoleChange func(Status)
	// OnConfChange, when set, is called from the Ready loop with every
	// membership change once it is committed (again for those replayed
	// after a restart: it must be idempotent), before the next Ready. It
	// may write a small file but must not wait for the log.
	OnConfChange func(ConfChange)
}

// Role is this node's part in its group.
type Role string

// The roles; Leader is reported only once the leader's first entry of its
// term is applied, when it accepts writes (see Status.Role).
const (
	RoleFollower  Role = "follower"
	RoleCandidate Role = "candidate"
	RoleLeader    Role = "leader"
)

// Status is a snapshot of the node's raft state.
type Status struct {
	// ID is this node's raft id; Leader is the current leader's, 0 when
	// none is known.
	ID, Leader uint64
	// Role is raft's role. A leader whose first entry of the term is not
	// applied yet reports RoleLeader with Writable false.
	Role Role
	// Writable: this node accepts proposals now.
	Writable bool
	Term     uint64
	// Commit and Applied are the highest committed and applied indexes;
	// LastIndex the last in the local log.
	Commit, Applied, LastIndex uint64
	// LeaderChanges counts the leader changes this node has seen.
	LeaderChanges uint64
	// Peers are the other members' replication progress (voters and
	// learners), on the leader only (raft tracks it there).
	Peers []PeerStatus
	// Voters and Learners are the group's configuration as applied here.
	Voters, Learners []uint64
}

// PeerStatus is a follower's progress as the leader sees it.
type PeerStatus struct {
	ID uint64
	// Match is the highest index known to be in the peer's log.
	Match uint64
	// Active: the peer answered within the last election timeout.
	Active bool
	// Learner: the peer receives the log but does not vote yet.
	Learner bool
}

// roleState is the run goroutine's view, published under its mutex for
// Status and Propose.
type roleState struct {
	mu            sync.Mutex
	st            Status
	leaderStart   uint64 // index of the leader's first entry of its term
	leaderChanges uint64
	lastActive    map[uint64]time.Time // peers last seen RecentActive, on the leader
}

// Step hands a message from a peer to raft. It never blocks: when the
// Ready loop is behind, the message is dropped and raft retransmits.
func (l *Log) Step(m *pb.Message) {
	select {
	case l.recv <- m:
	default:
	}
}

// ReportUnreachable tells raft that a message to peer id was lost, so
// the leader probes it instead of streaming.
func (l *Log) ReportUnreachable(id uint64) {
	l.op(func(rn *raft.RawNode) { rn.ReportUnreachable(id) })
}

// ReportSnapshotFailure tells raft that the snapshot for peer id was not
// delivered; raft sends another later.
func (l *Log) ReportSnapshotFailure(id uint64) {
	l.op(func(rn *raft.RawNode) { rn.ReportSnapshot(id, raft.SnapshotFailure) })
}

// ReportSnapshotDone tells raft that peer id installed the snapshot it
// was sent.
func (l *Log) ReportSnapshotDone(id uint64) {
	l.op(func(rn *raft.RawNode) { rn.ReportSnapshot(id, raft.SnapshotFinish) })
}

// Campaign delays after PeerGone: the first surviving voter (by raft id)
// campaigns after leaderGoneFirst, the next leaderGoneStagger later, and
// so on, unless a leader is known by then. The first wait lets the other
// survivors, who see the same connection end, forget the leader too;
// the stagger keeps two survivors from splitting the vote.
const (
	leaderGoneFirst   = 20 * time.Millisecond
	leaderGoneStagger = 100 * time.Millisecond
)

// PeerGone tells the log that peer id's process is gone: the transport
// saw its connection end and then nothing listening at its raft address
// (a refused dial: the host answers, no process), or heard from a new
// process of it (restarted: a member starts as a follower). If id is this
// follower's leader, the follower forgets it and, unless a leader is
// known by then, campaigns after a delay that orders the surviving
// voters (leaderGoneFirst, leaderGoneStagger). With PreVote and
// CheckQuorum a follower refuses pre-votes for an election timeout after
// the leader's last heartbeat, so without this the others wait 1.5-3 s
// to elect a new leader after a crash they could see at once. It is
// safe when wrong: a pre-vote needs a quorum, and members that still
// hear from the leader refuse it (raft's ForgetLeader, which etcd
// provides for such a failure detector; the log reads with ReadIndex,
// not leases, so no leader relies on the followers' patience).
func (l *Log) PeerGone(id uint64) {
	if l.opts.Cluster == nil {
		return
	}
	l.op(func(rn *raft.RawNode) {
		bs := rn.BasicStatus()
		if bs.Lead != id || bs.RaftState != raft.StateFollower {
			return
		}
		voters := rn.Status().Config.Voters.IDs()
		if _, ok := voters[l.id]; !ok {
			return // a learner does not campaign
		}
		rank := 0
		for v := range voters {
			if v != id && v < l.id {
				rank++
			}
		}
		if err := rn.ForgetLeader(); err != nil {
			return
		}
		l.logger.Info("leader's process is gone; electing another without waiting out the election timeout", "leader", id, "campaign_in", leaderGoneFirst+time.Duration(rank)*leaderGoneStagger)
		time.AfterFunc(leaderGoneFirst+time.Duration(rank)*leaderGoneStagger, func() {
			l.op(func(rn *raft.RawNode) {
				if bs := rn.BasicStatus(); bs.Lead == 0 && bs.RaftState == raft.StateFollower {
					_ = rn.Campaign()
				}
			})
		})
	})
}

func (l *Log) op(f func(*raft.RawNode)) {
	select {
	case l.ops <- f:
	default:
	}
}

// Status returns the node's raft state.
func (l *Log) Status() Status {
	l.role.mu.Lock()
	st := l.role.st
	st.Peers = append([]PeerStatus(nil), st.Peers...)
	l.role.mu.Unlock()
	st.Applied = l.applied.Load()
	st.Writable = l.writable()
	st.Voters, st.Learners = l.currentConf()
	return st
}

// writable reports whether proposals are accepted: always on a single
// node; on a cluster member, when it leads and its first entry of the
// term is applied. Only then is every entry in its log applied, so the
// application's timestamps are above every timestamp in the log.
func (l *Log) writable() bool {
	if l.opts.Cluster == nil {
		return true
	}
	l.role.mu.Lock()
	defer l.role.mu.Unlock()
	return l.role.st.Role == RoleLeader && l.role.leaderStart > 0 && l.applied.Load() >= l.role.leaderStart
}

// Clustered reports whether the log is one voter of several.
func (l *Log) Clustered() bool { return l.opts.Cluster != nil }

// observeRole publishes raft's state after a Ready and reports whether
// this node just stopped leading. lastIndex is the local log's last
// index after the Ready's entries were appended: on becoming leader, the
// leader's empty entry is the last one.
func (l *Log) observeRole(lastIndex uint64) (lostLead bool) {
	bs := l.rn.BasicStatus()
	l.role.mu.Lock()
	prev := l.role.st
	st := Status{ID: bs.ID, Leader: bs.Lead, Term: bs.GetTerm(), Commit: bs.GetCommit(), LastIndex: lastIndex}
	switch bs.RaftState {
	case raft.StateLeader:
		st.Role = RoleLeader
	case raft.StateCandidate, raft.StatePreCandidate:
		st.Role = RoleCandidate
	default:
		st.Role = RoleFollower
	}
	if st.Role == RoleLeader && (prev.Role != RoleLeader || prev.Term != st.Term) {
		l.role.leaderStart = lastIndex
	}
	if st.Role != RoleLeader {
		l.role.leaderStart = 0
	}
	if st.Leader != prev.Leader && st.Leader != 0 {
		l.role.leaderChanges++
	}
	st.LeaderChanges = l.role.leaderChanges
	if st.Role == RoleLeader && l.opts.Cluster != nil {
		// RecentActive is cleared at every quorum check and set again by
		// the peer's next answer, so one sample can miss a live peer: a
		// peer counts as active when it was seen so within two election
		// timeouts.
		now := time.Now()
		window := 2 * time.Duration(l.electionTick) * l.opts.TickInterval
		if l.role.lastActive == nil {
			l.role.lastActive = map[uint64]time.Time{}
		}
		for id, pr := range l.rn.Status().Progress {
			if id == bs.ID {
				continue
			}
			if pr.RecentActive {
				l.role.lastActive[id] = now
			}
			st.Peers = append(st.Peers, PeerStatus{ID: id, Match: pr.Match, Active: now.Sub(l.role.lastActive[id]) < window, Learner: pr.IsLearner})
		}
		sort.Slice(st.Peers, func(i, j int) bool { return st.Peers[i].ID < st.Peers[j].ID })
	}
	changed := st.Role != prev.Role || st.Term != prev.Term || st.Leader != prev.Leader
	l.role.st = st
	l.role.mu.Unlock()
	if changed && l.opts.Cluster != nil && l.opts.Cluster.OnRoleChange != nil {
		l.opts.Cluster.OnRoleChange(l.Status())
	}
	return prev.Role == RoleLeader && (st.Role != RoleLeader || st.Term != prev.Term)
}

// minPeerMatch is the lowest index every voter is known to hold, on the
// leader; elsewhere (and on a single node) it does not limit anything.
func (l *Log) minPeerMatch() uint64 {
	l.role.mu.Lock()
	defer l.role.mu.Unlock()
	if l.role.st.Role != RoleLeader {
		return ^uint64(0)
	}
	m := ^uint64(0)
	// Learners count: a joining member catches up from the log, which
	// must keep what it still lacks.
	for _, p := range l.role.st.Peers {
		m = min(m, p.Match)
	}
	return m
}

// lastIndex is the last index in ms (the snapshot's when it holds no
// entry after it).
func lastIndex(ms *raft.MemoryStorage) uint64 {
	i, _ := ms.LastIndex()
	return i
}

// TransferLeadership hands leadership to the voter with the most of the
// log, if this member leads, and waits until another member leads or ctx
// ends: a graceful stop then costs the others no election timeout. raft
// refuses new proposals meanwhile (they fail with ErrNotLeader).
// It returns nil when this member does not lead (nothing to do).
func (l *Log) TransferLeadership(ctx context.Context) error {
	return l.TransferLeadershipTo(ctx, 0)
}

// TransferLeadershipTo is TransferLeadership to the voter with raft id
// to; 0 picks the active voter with the most of the log. It waits until
// another member leads (not necessarily to, if raft elects another).
func (l *Log) TransferLeadershipTo(ctx context.Context, to uint64) error {
	st := l.Status()
	if l.opts.Cluster == nil || st.Role != RoleLeader {
		return nil
	}
	if to == 0 {
		var best uint64
		for _, p := range st.Peers {
			if p.Active && !p.Learner && (to == 0 || p.Match > best) {
				to, best = p.ID, p.Match
			}
		}
		if to == 0 {
			return errors.New("no active voter to hand leadership to")
		}
	}
	l.logger.Info("handing leadership over", "to", to)
	for {
		select {
		case l.ops <- func(rn *raft.RawNode) { rn.TransferLeader(to) }:
		case <-ctx.Done():
			return ctx.Err()
		}
		// raft abandons a transfer after an election timeout; ask again
		// until ctx ends.
		deadline := time.Now().Add(time.Duration(l.electionTick) * l.opts.TickInterval)
		for time.Now().Before(deadline) {
			if s := l.Status(); s.Leader != 0 && s.Leader != l.id {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
}
