package testutil

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"
)

// ClusterNode is one member of a cluster started by StartCluster.
type ClusterNode struct {
	// ID is its node id; RaftAddr its raft address (the one the others
	// dial); ListenAddr, when set, where it listens (behind a RaftNet
	// proxy).
	ID, RaftAddr, ListenAddr string
	// P is the running process (replaced by Restart).
	P *Process

	bin, dataDir, initial, join string
	extra                       []string // more flags, on every start
}

// StartCluster starts n guocedb processes on loopback as a new cluster
// (node ids n1..nN, raft addresses on free ports, one initial-cluster),
// waits until every one is ready and returns them. Processes still
// running at the end of the test are killed.
func StartCluster(t testing.TB, bin string, n int) []*ClusterNode {
	t.Helper()
	return StartClusterArgs(t, bin, n)
}

// StartClusterArgs is StartCluster with more flags for every member, on
// every start.
func StartClusterArgs(t testing.TB, bin string, n int, extra ...string) []*ClusterNode {
	t.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = FreeAddr(t)
	}
	return startCluster(t, bin, addrs, nil, extra)
}

// startCluster starts a member per raft address in dial (listening on
// listen[i] when listen is given), all in one initial cluster, and waits
// until every one is ready.
func startCluster(t testing.TB, bin string, dial, listen []string, extra []string) []*ClusterNode {
	t.Helper()
	nodes := make([]*ClusterNode, len(dial))
	var spec []string
	for i := range nodes {
		nodes[i] = &ClusterNode{ID: fmt.Sprintf("n%d", i+1), RaftAddr: dial[i], bin: bin, dataDir: t.TempDir(), extra: extra}
		if listen != nil {
			nodes[i].ListenAddr = listen[i]
		}
		spec = append(spec, nodes[i].ID+"="+nodes[i].RaftAddr)
	}
	for _, nd := range nodes {
		nd.initial = strings.Join(spec, ",")
		nd.P = StartProcessNoWait(t, bin, nd.dataDir, nd.args()...)
	}
	for _, nd := range nodes {
		nd.P.WaitReady()
	}
	return nodes
}

// StartClusterNet is StartClusterArgs with a RaftNet in front of the
// members' raft listeners: the test cuts, drops or delays the traffic
// between any two of them.
func StartClusterNet(t testing.TB, bin string, n int, extra ...string) ([]*ClusterNode, *RaftNet) {
	t.Helper()
	rn, dial, listen := newRaftNet(t, n)
	return startCluster(t, bin, dial, listen, extra), rn
}

// args are the member's cluster flags: the same on every start, as an
// operator's command line would be.
func (nd *ClusterNode) args() []string {
	args := []string{"--node-id", nd.ID, "--raft-addr", nd.RaftAddr, "--initial-cluster", nd.initial}
	if nd.join != "" {
		args = []string{"--node-id", nd.ID, "--raft-addr", nd.RaftAddr, "--join", nd.join}
	}
	if nd.ListenAddr != "" {
		args = append(args, "--raft-listen-addr", nd.ListenAddr)
	}
	return append(args, nd.extra...)
}

// JoinCluster starts a new member id on a new data directory with
// --join joinAdmin (the admin address of a running member) at raftAddr
// (FreeAddr when empty), and waits until it is ready.
func JoinCluster(t testing.TB, bin, id, raftAddr, joinAdmin string, extra ...string) *ClusterNode {
	t.Helper()
	if raftAddr == "" {
		raftAddr = FreeAddr(t)
	}
	nd := &ClusterNode{ID: id, RaftAddr: raftAddr, bin: bin, dataDir: t.TempDir(), join: joinAdmin, extra: extra}
	nd.P = StartProcess(t, bin, nd.dataDir, nd.args()...)
	return nd
}

// Restart starts the member again on its data directory with the same
// command line (after Kill9 or Stop) and waits until it is ready.
func (nd *ClusterNode) Restart(t testing.TB) {
	t.Helper()
	nd.P = StartProcess(t, nd.bin, nd.dataDir, nd.args()...)
}

// RestartNoWait starts the member again like Restart without waiting
// until it is ready (WaitReady on nd.P): a test that restarts a member
// as a supervisor would, while it goes on measuring the others.
func (nd *ClusterNode) RestartNoWait(t testing.TB) {
	t.Helper()
	nd.P = StartProcessNoWait(t, nd.bin, nd.dataDir, nd.args()...)
}

// FindLeader polls the given members until one reports @@read_only = 0
// (it leads and accepts writes), for at most timeout, and returns its
// index in nodes, or -1.
func FindLeader(nodes []*ClusterNode, alive func(int) bool, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for i, nd := range nodes {
			if alive != nil && !alive(i) {
				continue
			}
			if readOnly(nd.P.MySQLAddr) == 0 {
				return i
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return -1
}

// readOnly returns @@read_only on addr, or -1 when it does not answer.
func readOnly(addr string) int {
	db, err := sql.Open("mysql", DSN("root", "", addr, "")+"&timeout=1s&readTimeout=2s")
	if err != nil {
		return -1
	}
	defer func() { _ = db.Close() }()
	var v int
	if err := db.QueryRow("SELECT @@read_only").Scan(&v); err != nil {
		return -1
	}
	return v
}
