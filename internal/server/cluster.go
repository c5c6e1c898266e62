package server

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/guocedb/guocedb/internal/cluster"
	"github.com/guocedb/guocedb/internal/httpapi"
	"github.com/guocedb/guocedb/internal/metrics"
	"github.com/guocedb/guocedb/internal/mysqlserver"
	"github.com/guocedb/guocedb/internal/raftlog"
	"github.com/guocedb/guocedb/internal/storage"
)

// clusterOptions prepares a cluster member's start (cfg.Clustered): the
// cluster state remembered in the data directory (bootstrapped from
// initial-cluster on the first start), and the transport, listening on
// raft-addr before the log opens, since a member's log waits for its
// peers. The caller closes the transport after the store, and passes
// attached to the store (storage.Options.Attached): snapshots stream
// from and into it from then on.
func (s *Server) clusterOptions() (opts *raftlog.ClusterOptions, tr *cluster.Transport, attached func(*storage.Store), err error) {
	hasLog, err := raftlog.Exists(nil, filepath.Join(s.cfg.DataDir, storage.LogDir))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("cluster: %w", err)
	}
	st, err := cluster.Prepare(s.cfg.DataDir, s.cfg, hasLog, s.join)
	if err != nil {
		return nil, nil, nil, err
	}
	var peerTLS *cluster.PeerTLS
	if s.cfg.PeersSecure() {
		serverTLS, err := mysqlserver.LoadTLS(mysqlserver.TLSOptions{
			CertFile:     s.cfg.TLSCert,
			KeyFile:      s.cfg.TLSKey,
			AutoGenerate: s.cfg.TLSAutoGenerate,
			MinVersion:   s.cfg.TLSMinVersion,
			DataDir:      s.cfg.DataDir,
		})
		if err != nil {
			return nil, nil, nil, err
		}
		if peerTLS, err = cluster.NewPeerTLS(serverTLS, s.cfg.ClusterCA); err != nil {
			return nil, nil, nil, err
		}
	}
	tr, err = cluster.NewTransport(st, s.cfg.RaftListenAddr, peerTLS, s.logger.With("component", "raft-transport"))
	if err != nil {
		return nil, nil, nil, err
	}
	ms := cluster.NewMembership(s.cfg.DataDir, st, tr, s.logger.With("component", "cluster"))
	snaps := &snapshots{ms: ms}
	s.membership.Store(ms)
	s.transport.Store(tr)
	s.logger.Info("starting as a cluster member", "node_id", st.NodeID, "raft_id", st.Self().RaftID, "raft_addr", st.Self().RaftAddr, "members", len(st.Members), "tls", peerTLS != nil)
	return &raftlog.ClusterOptions{
			ID: st.Self().RaftID,
			// The configuration at index 0: the log's membership changes
			// (or its checkpoint's record of them) take it from there.
			Voters: st.BootVoters(),
			Send:   tr.Send,
			Retain: s.cfg.RaftLogRetain,
			Attach: func(l *raftlog.Log) {
				tr.SetReceiver(l)
				ms.SetLog(l)
				snaps.log.Store(l)
			},
			OnConfChange: ms.Apply,
			OnRoleChange: func(rs raftlog.Status) {
				leader := "none"
				if m, ok := ms.State().ByRaftID(rs.Leader); ok {
					leader = m.NodeID
				}
				s.logger.Info("raft role changed", "role", string(rs.Role), "term", rs.Term, "leader", leader)
			},
		}, tr, func(st *storage.Store) {
			snaps.st.Store(st)
			tr.SetSnapshots(snaps, snaps)
		}, nil
}

// clusterState returns a member's cluster state; nil on a single node.
func (s *Server) clusterState() *cluster.State {
	if ms := s.membership.Load(); ms != nil {
		return ms.State()
	}
	return nil
}

// announce tells the other members this member's MySQL and admin
// addresses (once the listeners are bound).
func (s *Server) announce() {
	tr := s.transport.Load()
	if tr == nil {
		return
	}
	info := cluster.MemberInfo{Version: s.version}
	if a := s.mysqlAddr.Load(); a != nil {
		info.MySQLAddr = *a
	}
	if a := s.adminAddr.Load(); a != nil {
		info.AdminAddr = *a
	}
	tr.SetLocalInfo(info)
}

// followReadOnly keeps @@read_only equal to whether this node refuses
// writes (a follower, or a leader not yet ready), so that proxies that
// find the primary that way (ProxySQL, MySQL Router) route writes to
// the leader. The variable is process-wide in go-mysql-server. Polling:
// writability also changes in the apply goroutine (a new leader becomes
// writable once its first entry is applied), not only at role changes.
func (s *Server) followReadOnly(ctx context.Context, st *storage.Store) {
	last := -1
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ro := 1
		if st.Writable() {
			ro = 0
		}
		if ro != last {
			if err := sql.SystemVariables.AssignValues(map[string]any{"read_only": ro}); err != nil {
				s.logger.Warn("set read_only", "err", err)
			}
			last = ro
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// clusterStatus is /status's cluster section: nil on a single node.
func (s *Server) clusterStatus(st *storage.Store) *httpapi.Cluster {
	cs := s.clusterState()
	rs, ok := st.ClusterStatus()
	if cs == nil || !ok {
		return nil
	}
	out := &httpapi.Cluster{
		NodeID: cs.NodeID, Role: string(rs.Role), Term: rs.Term, Writable: rs.Writable,
		CommitIndex: rs.Commit, AppliedIndex: rs.Applied, LastIndex: rs.LastIndex, LeaderChanges: rs.LeaderChanges,
		Peers: []httpapi.ClusterPeer{},
	}
	if m, ok := cs.ByRaftID(rs.Leader); ok {
		out.Leader = m.NodeID
	}
	progress := map[uint64]raftlog.PeerStatus{}
	for _, p := range rs.Peers {
		progress[p.ID] = p
	}
	for _, m := range cs.Peers() {
		p := httpapi.ClusterPeer{NodeID: m.NodeID, RaftAddr: m.RaftAddr, Learner: m.Learner}
		if pr, ok := progress[m.RaftID]; ok {
			p.MatchIndex, p.Active = pr.Match, pr.Active
			if rs.LastIndex > pr.Match {
				p.Lag = rs.LastIndex - pr.Match
			}
		}
		out.Peers = append(out.Peers, p)
	}
	return out
}

// clusterStats feeds the raft metrics: nothing on a single node or while
// storage is closed.
func (s *Server) clusterStats() (metrics.ClusterStats, bool) {
	s.storeUse.RLock()
	defer s.storeUse.RUnlock()
	st := s.store.Load()
	if st == nil {
		return metrics.ClusterStats{}, false
	}
	c := s.clusterStatus(st)
	if c == nil {
		return metrics.ClusterStats{}, false
	}
	out := metrics.ClusterStats{Term: c.Term, CommitIndex: c.CommitIndex, AppliedIndex: c.AppliedIndex,
		LeaderChanges: c.LeaderChanges, Leader: c.Writable, PeerLag: map[string]uint64{}}
	if c.Writable {
		for _, p := range c.Peers {
			out.PeerLag[p.NodeID] = p.Lag
		}
	}
	if tr := s.transport.Load(); tr != nil {
		out.MessagesSent, out.MessagesDropped = tr.Counts()
		out.SnapshotBytesSent, out.SnapshotBytesReceived = tr.SnapshotBytes()
	}
	return out, true
}

// peerOnlineWindow is how recently a peer must have been heard from to be
// ONLINE: members tell each other who they are every second.
const peerOnlineWindow = 3 * time.Second

// groupMembers fills performance_schema.replication_group_members: every
// member with its MySQL address (as it told us), ONLINE when heard from
// within peerOnlineWindow (this member always), PRIMARY for the leader.
// Nil on a single node.
func (s *Server) groupMembers() []mysqlserver.GroupMember {
	cs, tr, st := s.clusterState(), s.transport.Load(), s.store.Load()
	if cs == nil || tr == nil || st == nil {
		return nil
	}
	rs, _ := st.ClusterStatus()
	peers := tr.Peers()
	var out []mysqlserver.GroupMember
	for _, m := range cs.Members {
		gm := mysqlserver.GroupMember{ID: m.NodeID, State: "UNREACHABLE", Role: "SECONDARY"}
		if m.RaftID == rs.Leader {
			gm.Role = "PRIMARY"
		}
		addr := ""
		if m.NodeID == cs.NodeID {
			if a := s.mysqlAddr.Load(); a != nil {
				addr = *a
			}
			gm.Version, gm.State = s.version, "ONLINE"
			if rs.Commit > rs.Applied+1000 {
				gm.State = "RECOVERING"
			}
		} else if p, ok := peers[m.RaftID]; ok {
			addr, gm.Version = p.MySQLAddr, p.Version
			if time.Since(p.LastSeen) < peerOnlineWindow {
				gm.State = "ONLINE"
			}
		}
		gm.Host = m.RaftAddr
		if h, _, err := net.SplitHostPort(m.RaftAddr); err == nil {
			gm.Host = h
		}
		if h, port, err := net.SplitHostPort(addr); err == nil {
			gm.Host = h
			gm.Port, _ = strconv.Atoi(port)
		}
		out = append(out, gm)
	}
	return out
}

// forwarding is the cluster as forwarded sessions see it (see
// mysqlserver.Forwarding); nil on a single node.
func (s *Server) forwarding(st *storage.Store) *mysqlserver.Forwarding {
	if !st.Clustered() {
		return nil
	}
	f := &mysqlserver.Forwarding{Leader: s.leaderMySQLAddr, Key: st.ForwardKey, Member: s.memberIP,
		Reject: s.cfg.FollowerWrites != "forward"}
	if s.cfg.PeersSecure() {
		// The same certificate and trust as raft's links: a forwarded
		// session carries a client's statements and rows.
		cert, key := mysqlserver.TLSOptions{CertFile: s.cfg.TLSCert, KeyFile: s.cfg.TLSKey,
			AutoGenerate: s.cfg.TLSAutoGenerate, DataDir: s.cfg.DataDir}.Files()
		f.TLS = &mysqlserver.ForwardTLS{CertFile: cert, KeyFile: key, CAFile: s.cfg.ClusterCA, MinVersion: s.cfg.TLSMinVersion}
	}
	return f
}

// leaderMySQLAddr is the leader's MySQL address as it announced it; a
// leader listening on every interface is reached at its raft host.
func (s *Server) leaderMySQLAddr() (string, bool) {
	cs, tr, st := s.clusterState(), s.transport.Load(), s.store.Load()
	if cs == nil || tr == nil || st == nil {
		return "", false
	}
	rs, _ := st.ClusterStatus()
	if rs.Leader == 0 {
		return "", false
	}
	for _, m := range cs.Members {
		if m.RaftID != rs.Leader {
			continue
		}
		var addr string
		if m.NodeID == cs.NodeID {
			if a := s.mysqlAddr.Load(); a != nil {
				addr = *a
			}
		} else if p, ok := tr.Peers()[m.RaftID]; ok {
			addr = p.MySQLAddr
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return "", false
		}
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			if host, _, err = net.SplitHostPort(m.RaftAddr); err != nil {
				return "", false
			}
		}
		return net.JoinHostPort(host, port), true
	}
	return "", false
}

// memberIP reports whether ip is the address of a member's raft or MySQL
// listener (a member connects from the address it listens on, the
// machines of a cluster being reached at those). Loopback counts when a
// member listens on loopback: a cluster on one machine.
func (s *Server) memberIP(ip string) bool {
	cs, tr := s.clusterState(), s.transport.Load()
	if cs == nil || tr == nil {
		return false
	}
	want := net.ParseIP(ip)
	if want == nil {
		return false
	}
	match := func(addr string) bool {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return false
		}
		if h := net.ParseIP(host); h != nil {
			return h.Equal(want) || (h.IsLoopback() && want.IsLoopback())
		}
		ips, err := net.LookupIP(host)
		if err != nil {
			return false
		}
		for _, h := range ips {
			if h.Equal(want) {
				return true
			}
		}
		return false
	}
	peers := tr.Peers()
	for _, m := range cs.Members {
		if match(m.RaftAddr) {
			return true
		}
		if p, ok := peers[m.RaftID]; ok && match(p.MySQLAddr) {
			return true
		}
	}
	return false
}
