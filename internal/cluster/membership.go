package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/raftlog"
)

// changeTimeout bounds one membership change: proposed, committed by a
// quorum and applied on the leader.
const changeTimeout = 10 * time.Second

// promoteLag is how far (in entries) a learner's log may be behind the
// leader's last index for it to count as caught up and become a voter.
const promoteLag = 100

// Errors of membership changes that are the caller's mistakes.
var (
	// ErrUnknownMember: no member has the node id given.
	ErrUnknownMember = errors.New("no such member")
	// ErrInvalidMember: a node id or address that cannot be a member's,
	// or that another member has.
	ErrInvalidMember = errors.New("invalid member")
	// ErrRefused: the change would leave the cluster without a voter or
	// without a quorum of live voters.
	ErrRefused = errors.New("membership change refused")
	// ErrNoLeader: no leader is known to send the change to.
	ErrNoLeader = errors.New("no cluster leader known (election in progress, or no quorum); retry")
)

// NotLeaderError is returned by a membership change sent to a member
// that does not lead: the caller sends it again to the leader.
type NotLeaderError struct {
	// Leader is the leader's node id, AdminAddr its admin address ("" if
	// it has not told it).
	Leader, AdminAddr string
}

func (e *NotLeaderError) Error() string {
	if e.AdminAddr == "" {
		return fmt.Sprintf("this node is not the cluster's leader; the leader is %s (its admin address is not known here)", e.Leader)
	}
	return fmt.Sprintf("this node is not the cluster's leader; the leader is %s, admin address %s", e.Leader, e.AdminAddr)
}

// Log is the commit log's side of membership (raftlog.Log).
type Log interface {
	Status() raftlog.Status
	ChangeMembership(ctx context.Context, typ raftlog.ConfChangeType, id uint64, appCtx []byte) error
	TransferLeadershipTo(ctx context.Context, to uint64) error
}

// Membership keeps a running member's cluster state in step with the
// membership changes applied from the log (Apply), and makes changes on
// the leader (Add, Remove, TransferLeader, and promoting caught-up
// learners). The state is published as an immutable *State.
type Membership struct {
	dir    string
	tr     *Transport
	logger *slog.Logger
	st     atomic.Pointer[State]
	log    atomic.Pointer[Log]
	// changeMu serializes the changes proposed here: raft takes one at a
	// time and ignores a second proposed before the first is applied.
	changeMu sync.Mutex
}

// NewMembership starts from st (as Prepare returned it); tr follows
// every change.
func NewMembership(dataDir string, st *State, tr *Transport, logger *slog.Logger) *Membership {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := &Membership{dir: dataDir, tr: tr, logger: logger}
	m.st.Store(st)
	return m
}

// SetLog connects the commit log once it is open (raftlog's Attach).
func (m *Membership) SetLog(l Log) { m.log.Store(&l) }

// State returns the current cluster state.
func (m *Membership) State() *State { return m.st.Load() }

func (m *Membership) commitLog() Log {
	if p := m.log.Load(); p != nil {
		return *p
	}
	return nil
}

// memberContext is what a membership change carries for every member's
// Apply: the member's name and address.
type memberContext struct {
	NodeID   string `json:"node_id"`
	RaftAddr string `json:"raft_addr"`
}

// Apply is raftlog's OnConfChange: the change is mirrored in the state
// file and the transport. It runs again for changes replayed after a
// restart, so it is idempotent. A change it cannot read is logged and
// the state left as it is (raft has applied it regardless).
func (m *Membership) Apply(cc raftlog.ConfChange) {
	var mc memberContext
	if cc.Type != raftlog.RemoveMember {
		if err := json.Unmarshal(cc.Context, &mc); err != nil {
			m.logger.Error("membership change without a readable member", "index", cc.Index, "raft_id", cc.ID, "err", err)
			return
		}
	}
	st := m.st.Load().clone()
	st.MaxRaftID = max(st.MaxRaftID, cc.ID)
	var kept []Member
	found := false
	for _, mem := range st.Members {
		if mem.RaftID != cc.ID {
			kept = append(kept, mem)
			continue
		}
		found = true
		switch cc.Type {
		case raftlog.AddLearner:
			mem.Learner = true
			kept = append(kept, mem)
		case raftlog.PromoteVoter:
			mem.Learner = false
			kept = append(kept, mem)
		}
	}
	if !found && cc.Type != raftlog.RemoveMember {
		kept = append(kept, Member{RaftID: cc.ID, NodeID: mc.NodeID, RaftAddr: mc.RaftAddr, Learner: cc.Type == raftlog.AddLearner})
	}
	st.Members = kept
	if cc.Type == raftlog.RemoveMember && cc.ID == m.st.Load().Self().RaftID {
		// The state file no longer lists this node: a restart refuses
		// with a clear error instead of rejoining with a stale log.
		m.logger.Warn("this node was removed from the cluster; it no longer takes part (stop it, and delete its data directory before reusing it)")
	}
	if err := writeState(m.dir, filepath.Join(m.dir, StateFile), st); err != nil {
		m.logger.Error("cluster state not saved after a membership change; the next start replays the change", "err", err)
	}
	m.st.Store(st)
	m.tr.SetState(st)
}

// leaderCheck returns the log when this member leads, else a
// NotLeaderError naming the leader (or ErrNoLeader). It waits up to
// leaderWait for an answer the caller can act on: a leader that has not
// applied its first entry yet (or is handing over) becomes writable or
// names another leader within moments, and a member that has just
// started hears each peer's admin address within infoInterval; without
// the wait a change sent in that moment failed with nowhere to go.
func (m *Membership) leaderCheck() (Log, raftlog.Status, error) {
	deadline := time.Now().Add(leaderWait)
	for {
		l := m.commitLog()
		if l == nil {
			return nil, raftlog.Status{}, ErrNoLeader
		}
		rs := l.Status()
		if rs.Writable {
			return l, rs, nil
		}
		leader, ok := m.st.Load().ByRaftID(rs.Leader)
		var addr string
		if ok && rs.Leader != rs.ID && m.tr != nil {
			addr = m.tr.Peers()[rs.Leader].AdminAddr
		}
		if addr != "" || !time.Now().Before(deadline) {
			if rs.Leader == 0 || !ok {
				return nil, rs, ErrNoLeader
			}
			return nil, rs, &NotLeaderError{Leader: leader.NodeID, AdminAddr: addr}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// leaderWait bounds leaderCheck's wait: three announcements, and
// longer than a leadership transfer takes (an election timeout).
const leaderWait = 3 * infoInterval

// Add adds node nodeID at raftAddr as a learner (on the leader) and
// returns the state with it. Adding a member again with the same address
// is not an error (a node joining after `guocedb cluster add` does).
func (m *Membership) Add(ctx context.Context, nodeID, raftAddr string) (*State, error) {
	if !config.ValidNodeID(nodeID) {
		return nil, fmt.Errorf("%w: node id %q must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", ErrInvalidMember, nodeID)
	}
	if err := config.CheckPeerAddr(raftAddr, m.tr.Secure()); err != nil {
		return nil, fmt.Errorf("%w: raft address: %v", ErrInvalidMember, err)
	}
	m.changeMu.Lock()
	defer m.changeMu.Unlock()
	l, _, err := m.leaderCheck()
	if err != nil {
		return nil, err
	}
	st := m.st.Load()
	for _, mem := range st.Members {
		switch {
		case mem.NodeID == nodeID && mem.RaftAddr == raftAddr:
			return st, nil
		case mem.NodeID == nodeID:
			return nil, fmt.Errorf("%w: %s is a member already, at %s", ErrInvalidMember, nodeID, mem.RaftAddr)
		case mem.RaftAddr == raftAddr:
			return nil, fmt.Errorf("%w: %s is the raft address of member %s", ErrInvalidMember, raftAddr, mem.NodeID)
		}
	}
	id := st.nextRaftID()
	b, _ := json.Marshal(memberContext{NodeID: nodeID, RaftAddr: raftAddr})
	ctx, cancel := context.WithTimeout(ctx, changeTimeout)
	defer cancel()
	if err := l.ChangeMembership(ctx, raftlog.AddLearner, id, b); err != nil {
		return nil, m.changeError(err)
	}
	m.logger.Info("member added as a learner", "node_id", nodeID, "raft_id", id, "raft_addr", raftAddr)
	return m.st.Load(), nil
}

// changeError turns the log's refusal into the caller's terms.
func (m *Membership) changeError(err error) error {
	if errors.Is(err, raftlog.ErrNotLeader) {
		if _, _, lerr := m.leaderCheck(); lerr != nil {
			return lerr
		}
		return ErrNoLeader
	}
	return err
}

// liveWindow is how recently the transport must have heard from a peer
// for a membership change to count it as reachable: about two election
// timeouts (1.5 s each by default).
const liveWindow = 3 * time.Second

// Remove removes member nodeID (on the leader). The last voter cannot
// be removed, nor a voter whose removal would leave fewer live voters
// than a quorum. The leader itself is removed by handing leadership to
// another voter first: the caller then gets a NotLeaderError and sends
// the removal to the new leader.
func (m *Membership) Remove(ctx context.Context, nodeID string) error {
	m.changeMu.Lock()
	defer m.changeMu.Unlock()
	l, rs, err := m.leaderCheck()
	if err != nil {
		return err
	}
	st := m.st.Load()
	target, ok := st.ByNodeID(nodeID)
	if !ok {
		return fmt.Errorf("%w: %s (members: %s)", ErrUnknownMember, nodeID, memberNames(st))
	}
	if !target.Learner {
		voters := st.Voters()
		if len(voters) <= 1 {
			return fmt.Errorf("%w: %s is the last voter; a cluster needs one", ErrRefused, nodeID)
		}
		// Live voters after the removal: this leader and the active
		// voting peers, the target not counted. Raft's activity flag is
		// cleared at every election timeout (CheckQuorum) and set again
		// by the peer's next answer, so a peer heard from by the
		// transport within liveWindow counts too: without it, a removal
		// in the moment after the reset was refused.
		live := 0
		if target.RaftID != rs.ID {
			live = 1
		}
		var heard map[uint64]PeerInfo
		if m.tr != nil {
			heard = m.tr.Peers()
		}
		for _, p := range rs.Peers {
			if p.Learner || p.ID == target.RaftID {
				continue
			}
			if info, ok := heard[p.ID]; p.Active || (ok && time.Since(info.LastSeen) < liveWindow) {
				live++
			}
		}
		if quorum := (len(voters)-1)/2 + 1; live < quorum {
			return fmt.Errorf("%w: without %s, %d of the remaining %d voters are reachable, fewer than a quorum (%d)", ErrRefused, nodeID, live, len(voters)-1, quorum)
		}
	}
	if target.RaftID == rs.ID {
		tctx, cancel := context.WithTimeout(ctx, changeTimeout)
		defer cancel()
		if err := l.TransferLeadershipTo(tctx, 0); err != nil {
			return fmt.Errorf("%s leads: handing leadership over before removing it: %w", nodeID, err)
		}
		_, _, err := m.leaderCheck()
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, changeTimeout)
	defer cancel()
	if err := l.ChangeMembership(ctx, raftlog.RemoveMember, target.RaftID, nil); err != nil {
		return m.changeError(err)
	}
	m.logger.Info("member removed", "node_id", nodeID, "raft_id", target.RaftID)
	return nil
}

// TransferLeader hands leadership to voter nodeID (on the leader) and
// waits until it leads.
func (m *Membership) TransferLeader(ctx context.Context, nodeID string) error {
	m.changeMu.Lock()
	defer m.changeMu.Unlock()
	st := m.st.Load()
	target, ok := st.ByNodeID(nodeID)
	if !ok {
		return fmt.Errorf("%w: %s (members: %s)", ErrUnknownMember, nodeID, memberNames(st))
	}
	if target.Learner {
		return fmt.Errorf("%w: %s is a learner (still catching up) and cannot lead", ErrRefused, nodeID)
	}
	l, rs, err := m.leaderCheck()
	if err != nil {
		var nl *NotLeaderError
		if errors.As(err, &nl) && nl.Leader == nodeID {
			return nil // it leads already
		}
		return err
	}
	if target.RaftID == rs.ID {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, changeTimeout)
	defer cancel()
	if err := l.TransferLeadershipTo(ctx, target.RaftID); err != nil {
		return fmt.Errorf("hand leadership to %s: %w", nodeID, err)
	}
	if now := l.Status().Leader; now != target.RaftID {
		got := "another member"
		if mem, ok := m.st.Load().ByRaftID(now); ok {
			got = mem.NodeID
		}
		return fmt.Errorf("%w: leadership went to %s instead of %s (an election intervened); retry", ErrRefused, got, nodeID)
	}
	m.logger.Info("leadership handed over", "to", nodeID)
	return nil
}

// PromoteLoop promotes, while this member leads, every learner that is
// active and within promoteLag entries of the leader's log, one at a
// time, until ctx ends.
func (m *Membership) PromoteLoop(ctx context.Context) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		l := m.commitLog()
		if l == nil {
			continue
		}
		rs := l.Status()
		if !rs.Writable {
			continue
		}
		for _, p := range rs.Peers {
			if !p.Learner || !p.Active || p.Match+promoteLag < rs.LastIndex {
				continue
			}
			mem, ok := m.st.Load().ByRaftID(p.ID)
			if !ok {
				continue
			}
			b, _ := json.Marshal(memberContext{NodeID: mem.NodeID, RaftAddr: mem.RaftAddr})
			m.changeMu.Lock()
			cctx, cancel := context.WithTimeout(ctx, changeTimeout)
			err := l.ChangeMembership(cctx, raftlog.PromoteVoter, p.ID, b)
			cancel()
			m.changeMu.Unlock()
			if err != nil {
				m.logger.Warn("promoting a caught-up learner failed; retrying", "node_id", mem.NodeID, "err", err)
			} else {
				m.logger.Info("learner caught up: promoted to voter", "node_id", mem.NodeID, "raft_id", p.ID)
			}
			break
		}
	}
}

func memberNames(st *State) string {
	s := ""
	for i, m := range st.Members {
		if i > 0 {
			s += ", "
		}
		s += m.NodeID
	}
	return s
}

// Reset replaces the membership with a leader's (from a snapshot's
// header): the changes below the snapshot never reach this member's
// log, so their members' addresses come this way.
func (m *Membership) Reset(members []Member, initialVoters []uint64, maxRaftID uint64) error {
	st := m.st.Load().clone()
	self := st.Self()
	st.Members = append([]Member(nil), members...)
	if _, ok := st.ByNodeID(st.NodeID); !ok && self.RaftID != 0 {
		st.Members = append(st.Members, self)
	}
	if len(initialVoters) > 0 {
		st.InitialVoters = append([]uint64(nil), initialVoters...)
	}
	st.MaxRaftID = max(st.MaxRaftID, maxRaftID)
	if err := writeState(m.dir, filepath.Join(m.dir, StateFile), st); err != nil {
		return err
	}
	m.st.Store(st)
	m.tr.SetState(st)
	return nil
}
