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
	// ID is its node id; RaftAddr its raft address.
	ID, RaftAddr string
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
	nodes := make([]*ClusterNode, n)
	var spec []string
	for i := range nodes {
		nodes[i] = &ClusterNode{ID: fmt.Sprintf("n%d", i+1), RaftAddr: FreeAddr(t), bin: bin, dataDir: t.TempDir(), extra: extra}
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

// args are the member's cluster flags: the same on every start, as an
// operator's command line would be.
func (nd *ClusterNode) args() []string {
	args := []string{"--node-id", nd.ID, "--raft-addr", nd.RaftAddr, "--initial-cluster", nd.initial}
	if nd.join != "" {
		args = []string{"--node-id", nd.ID, "--raft-addr", nd.RaftAddr, "--join", nd.join}
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
