package metrics

import "github.com/prometheus/client_golang/prometheus"

// ClusterStats is a cluster member's raft state for the metrics.
type ClusterStats struct {
	Term, CommitIndex, AppliedIndex, LeaderChanges uint64
	// Leader: this member leads (and accepts writes).
	Leader bool
	// PeerLag is, on the leader, how many entries each peer (by node id)
	// is behind.
	PeerLag map[string]uint64
	// MessagesSent and MessagesDropped count raft messages the transport
	// wrote and dropped (queue full, peer unreachable).
	MessagesSent, MessagesDropped uint64
	// SnapshotBytesSent and SnapshotBytesReceived count the bytes of
	// snapshot streams to and from peers (a member too far behind the
	// leader's log, or a new one).
	SnapshotBytesSent, SnapshotBytesReceived uint64
}

// ClusterSource returns the member's state, or false on a single node
// or while storage is closed: the collector then reports nothing.
type ClusterSource func() (ClusterStats, bool)

// NewClusterCollector returns a collector of the raft metrics, read from
// src at every scrape.
func NewClusterCollector(src ClusterSource) prometheus.Collector { return clusterCollector{src: src} }

type clusterCollector struct{ src ClusterSource }

var (
	descRaftTerm          = desc("raft_term", "The raft term this member is in.")
	descRaftCommit        = desc("raft_commit_index", "The highest commit log index known to be committed.")
	descRaftApplied       = desc("raft_applied_index", "The highest commit log index applied to the store.")
	descRaftLeaderChanges = desc("raft_leader_changes_total", "Leader changes this member has seen since it started.")
	descRaftIsLeader      = desc("raft_is_leader", "1 when this member leads and accepts writes, else 0 (then @@read_only is 1).")
	descRaftPeerLag       = desc("raft_peer_lag_entries", "On the leader: how many log entries a peer is behind.", "peer")
	descRaftSent          = desc("raft_messages_sent_total", "Raft messages written to peers.")
	descRaftDropped       = desc("raft_messages_dropped_total", "Raft messages dropped (peer queue full or peer unreachable); raft retransmits.")
	descRaftSnapSent      = desc("raft_snapshot_sent_bytes_total", "Bytes of snapshots streamed to peers too far behind the log.")
	descRaftSnapRecv      = desc("raft_snapshot_received_bytes_total", "Bytes of snapshots received from the leader.")
)

// Describe implements prometheus.Collector.
func (c clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRaftTerm, descRaftCommit, descRaftApplied, descRaftLeaderChanges,
		descRaftIsLeader, descRaftPeerLag, descRaftSent, descRaftDropped, descRaftSnapSent, descRaftSnapRecv} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c clusterCollector) Collect(ch chan<- prometheus.Metric) {
	st, ok := c.src()
	if !ok {
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	gauge(descRaftTerm, float64(st.Term))
	gauge(descRaftCommit, float64(st.CommitIndex))
	gauge(descRaftApplied, float64(st.AppliedIndex))
	counter(descRaftLeaderChanges, st.LeaderChanges)
	leader := 0.0
	if st.Leader {
		leader = 1
	}
	gauge(descRaftIsLeader, leader)
	for peer, lag := range st.PeerLag {
		gauge(descRaftPeerLag, float64(lag), peer)
	}
	counter(descRaftSent, st.MessagesSent)
	counter(descRaftDropped, st.MessagesDropped)
	counter(descRaftSnapSent, st.SnapshotBytesSent)
	counter(descRaftSnapRecv, st.SnapshotBytesReceived)
}
