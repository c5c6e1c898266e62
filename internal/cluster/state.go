package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/guocedb/guocedb/internal/config"
)

// StateFile is the cluster state's file name in the data directory.
const StateFile = "cluster.json"

// stateFormat is the version of StateFile this build writes and reads.
const stateFormat = 1

// Member is one voter of the cluster.
type Member struct {
	// RaftID is the member's id inside raft: its position (from 1) in the
	// initial cluster sorted by node id, the same on every node.
	RaftID uint64 `json:"raft_id"`
	// NodeID is the member's name (--node-id).
	NodeID string `json:"node_id"`
	// RaftAddr is where its raft transport listens.
	RaftAddr string `json:"raft_addr"`
	// Learner: the member receives the log but does not vote yet (it
	// joined and has not caught up).
	Learner bool `json:"learner,omitempty"`
}

// State is what a clustered data directory remembers about its cluster:
// who this node is, and the members as of the last membership change
// applied here (the log holds the changes; this file mirrors them, for
// the peers' addresses at the next start).
type State struct {
	Format  int      `json:"format"`
	NodeID  string   `json:"node_id"`
	Members []Member `json:"members"`
	// InitialVoters are the raft ids the cluster started with: the
	// configuration at log index 0, from which every member's log
	// replays membership changes. Empty in a state written before
	// membership changes existed, whose members are the initial voters.
	InitialVoters []uint64 `json:"initial_voters,omitempty"`
	// MaxRaftID is the highest raft id ever given to a member: a new
	// member gets the next one, never a removed member's.
	MaxRaftID uint64 `json:"max_raft_id,omitempty"`
}

// BootVoters returns the configuration at log index 0.
func (s *State) BootVoters() []uint64 {
	if len(s.InitialVoters) > 0 {
		return append([]uint64(nil), s.InitialVoters...)
	}
	return s.Voters()
}

// clone returns a deep copy, to change and publish as a new State: a
// State is never changed once published (readers hold it without locks).
func (s *State) clone() *State {
	c := *s
	c.Members = append([]Member(nil), s.Members...)
	c.InitialVoters = append([]uint64(nil), s.InitialVoters...)
	return &c
}

// ByNodeID returns the member named id.
func (s *State) ByNodeID(id string) (Member, bool) {
	for _, m := range s.Members {
		if m.NodeID == id {
			return m, true
		}
	}
	return Member{}, false
}

// nextRaftID is the raft id for a new member.
func (s *State) nextRaftID() uint64 {
	n := s.MaxRaftID
	for _, m := range s.Members {
		n = max(n, m.RaftID)
	}
	for _, id := range s.InitialVoters {
		n = max(n, id)
	}
	return n + 1
}

// Self returns this node's member entry.
func (s *State) Self() Member {
	for _, m := range s.Members {
		if m.NodeID == s.NodeID {
			return m
		}
	}
	return Member{}
}

// Voters returns the raft ids of every member that votes.
func (s *State) Voters() []uint64 {
	var ids []uint64
	for _, m := range s.Members {
		if !m.Learner {
			ids = append(ids, m.RaftID)
		}
	}
	return ids
}

// Peers returns every member but this node.
func (s *State) Peers() []Member {
	var out []Member
	for _, m := range s.Members {
		if m.NodeID != s.NodeID {
			out = append(out, m)
		}
	}
	return out
}

// ByRaftID returns the member with raft id id.
func (s *State) ByRaftID(id uint64) (Member, bool) {
	for _, m := range s.Members {
		if m.RaftID == id {
			return m, true
		}
	}
	return Member{}, false
}

// JoinFunc asks a running cluster to add node nodeID at raftAddr and
// returns the cluster's state with it (Members, InitialVoters,
// MaxRaftID; the caller sets the rest).
type JoinFunc func(nodeID, raftAddr string) (*State, error)

// ErrSingleNodeData is returned by Prepare for a data directory that
// already holds a single node's commit log.
var ErrSingleNodeData = errors.New("the data directory holds a single-node database")

// Prepare returns the cluster state of dataDir for a clustered cfg. A
// directory with a state file is a member already: initial-cluster is
// ignored, node-id (if given) and raft-addr must match what it
// remembers. A new directory is bootstrapped from initial-cluster and
// remembers it before anything else is written. hasLog reports whether
// the directory holds a commit log: one without cluster state belongs to
// a single node, and turning it into a member is not implemented.
//
// With join set (cfg.Join) a new directory joins a running cluster
// instead: join asks a member to add this node (as a learner) and
// returns the cluster's state as the leader knows it, which is
// remembered the same way. A directory that has a state already ignores
// join, as it ignores initial-cluster.
func Prepare(dataDir string, cfg config.Config, hasLog bool, join JoinFunc) (*State, error) {
	path := filepath.Join(dataDir, StateFile)
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		return checkRemembered(path, raw, cfg)
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("cluster state: %w", err)
	}
	if hasLog {
		return nil, fmt.Errorf("%w (%s has a commit log and no %s); starting it as a cluster member is not implemented yet: "+
			"start the cluster with empty data directories and load the data with guocedb restore or mysqldump", ErrSingleNodeData, dataDir, StateFile)
	}
	if cfg.NodeID == "" {
		return nil, errors.New("node-id: required on the first start of a cluster member (it is remembered afterwards)")
	}
	if cfg.Join != "" && join != nil {
		st, err := join(cfg.NodeID, cfg.RaftAddr)
		if err != nil {
			return nil, fmt.Errorf("join through %s: %w", cfg.Join, err)
		}
		st.Format, st.NodeID = stateFormat, cfg.NodeID
		if self := st.Self(); self.RaftID == 0 || self.RaftAddr != cfg.RaftAddr {
			return nil, fmt.Errorf("join through %s: the cluster's answer does not list this node at %s", cfg.Join, cfg.RaftAddr)
		}
		if len(st.InitialVoters) == 0 {
			return nil, fmt.Errorf("join through %s: the cluster's answer has no initial voters", cfg.Join)
		}
		if err := writeState(dataDir, path, st); err != nil {
			return nil, err
		}
		return st, nil
	}
	if cfg.InitialCluster == "" {
		return nil, errors.New("initial-cluster or join: one is required on the first start of a cluster member (it is remembered afterwards)")
	}
	members, err := config.ParseInitialCluster(cfg.InitialCluster, cfg.PeersSecure())
	if err != nil {
		return nil, fmt.Errorf("initial-cluster: %w", err)
	}
	st := &State{Format: stateFormat, NodeID: cfg.NodeID}
	for i, m := range members {
		st.Members = append(st.Members, Member{RaftID: uint64(i + 1), NodeID: m.ID, RaftAddr: m.RaftAddr})
		st.InitialVoters = append(st.InitialVoters, uint64(i+1))
	}
	st.MaxRaftID = uint64(len(members))
	if st.Self().NodeID == "" {
		return nil, fmt.Errorf("initial-cluster: does not name this node (node-id %s)", cfg.NodeID)
	}
	if err := writeState(dataDir, path, st); err != nil {
		return nil, err
	}
	return st, nil
}

func checkRemembered(path string, raw []byte, cfg config.Config) (*State, error) {
	var st State
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("cluster state %s is corrupt: %w", path, err)
	}
	if st.Format != stateFormat {
		return nil, fmt.Errorf("cluster state %s has format %d; this build reads format %d", path, st.Format, stateFormat)
	}
	self := st.Self()
	if self.NodeID == "" || self.RaftID == 0 {
		return nil, fmt.Errorf("cluster state %s does not list this node (%q) among its members", path, st.NodeID)
	}
	if cfg.NodeID != "" && cfg.NodeID != st.NodeID {
		return nil, fmt.Errorf("node-id: %q, but the data directory belongs to node %q (%s)", cfg.NodeID, st.NodeID, path)
	}
	if cfg.RaftAddr != self.RaftAddr {
		return nil, fmt.Errorf("raft-addr: %s, but the cluster knows node %s at %s (%s); changing a member's address is not implemented yet",
			cfg.RaftAddr, st.NodeID, self.RaftAddr, path)
	}
	return &st, nil
}

// writeState writes the state atomically: to a temporary file, fsynced,
// renamed, and the directory fsynced, so that a crash leaves either no
// state (the next start bootstraps again, nothing else was written yet)
// or the whole of it.
func writeState(dataDir, path string, st *State) error {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return fmt.Errorf("data directory %q: %w", dataDir, err)
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("cluster state: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		var d *os.File
		if d, err = os.Open(dataDir); err == nil {
			err = errors.Join(d.Sync(), d.Close())
		}
	}
	if err != nil {
		return fmt.Errorf("cluster state: %w", err)
	}
	return nil
}
