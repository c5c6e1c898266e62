package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// Bounds of the membership test's write load.
const (
	cmWorkers   = 2
	cmMaxWrites = 20000
	cmMaxTime   = 90 * time.Second
)

// TestClusterMembership is issue 12's membership acceptance on real
// processes: `guocedb cluster` reads status and refuses bad input with
// a non-zero exit, transfer-leader sent to a follower hands leadership
// to the member named, and while writers run a fourth node is added
// (`guocedb cluster add` through a follower, then started with --join),
// catches up from a snapshot (the members keep only 50 entries of log,
// raft-log-retain) and then the log, is promoted to voter, and a voter is
// removed.
// No acknowledged insert is lost, none refused is present, and every
// remaining member ends with the same CHECKSUM TABLE; the joined node
// restarts with the same command line.
func TestClusterMembership(t *testing.T) {
	bin := testutil.BuildBinary(t)
	retain := []string{"--raft-log-retain", "50"}
	nodes := testutil.StartClusterArgs(t, bin, 3, retain...)
	li := testutil.FindLeader(nodes, nil, 30*time.Second)
	require.GreaterOrEqual(t, li, 0, "no leader")
	leader := testutil.Connect(t, nodes[li].P.MySQLAddr)
	_, err := leader.Exec("CREATE DATABASE cf; CREATE TABLE cf.t (id BIGINT PRIMARY KEY, w INT NOT NULL, v VARCHAR(64) NOT NULL)")
	require.NoError(t, err)
	f1, f2 := (li+1)%3, (li+2)%3
	// An account created on the leader logs in on a follower at once
	// (the follower reloads users and grants when the log changes them).
	_, err = leader.Exec("CREATE USER 'app'@'%' IDENTIFIED BY 'app-pw'; GRANT SELECT ON cf.* TO 'app'@'%'")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return canSelect(nodes[f1].P.MySQLAddr, "app", "app-pw") }, 10*time.Second, 50*time.Millisecond,
		"CREATE USER on the leader: login on a follower")
	cli := func(node int, args ...string) (int, string) {
		return testutil.Run(t, bin, nil, append(append([]string{"cluster"}, args...), "--server", nodes[node].P.AdminAddr, "--timeout", "30s")...)
	}

	// Status from a follower names the leader; bad input is refused.
	code, out := cli(f1, "status")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "leader "+nodes[li].ID)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"add", "n 4", "127.0.0.1:1"}, exitUsage, "not a node id"},
		// Whether a raft address may leave loopback is the cluster's to
		// say (it may, with TLS between members): the server refuses.
		{[]string{"add", "n4", "10.1.2.3:7000"}, exitError, "loopback"},
		{[]string{"add", "n4", "10.1.2.3"}, exitUsage, "HOST:PORT"},
		{[]string{"add", "n4"}, exitUsage, "takes 2 argument(s)"},
		{[]string{"add", "n4", nodes[f2].RaftAddr}, exitError, "is the raft address of member " + nodes[f2].ID},
		{[]string{"remove", "n9"}, exitError, "no such member"},
		{[]string{"transfer-leader", "n9"}, exitError, "no such member"},
		{[]string{"frobnicate"}, exitUsage, "unknown subcommand"},
	} {
		code, out := cli(f1, tc.args...)
		require.Equal(t, tc.code, code, "%v: %s", tc.args, out)
		require.Contains(t, out, tc.want, "%v", tc.args)
	}

	// transfer-leader sent to a follower reaches the leader, which hands
	// over to the member named.
	start := time.Now()
	code, out = cli(f1, "transfer-leader", nodes[f2].ID)
	require.Equal(t, 0, code, out)
	// @@read_only follows the role within 100 ms: the old leader may
	// still show 0 for a moment.
	require.Eventually(t, func() bool { return testutil.FindLeader(nodes, nil, 5*time.Second) == f2 }, 30*time.Second, 100*time.Millisecond,
		"leader after transfer-leader %s", nodes[f2].ID)
	li = f2
	t.Logf("transfer-leader to %s: writable there %s after the command started", nodes[f2].ID, time.Since(start).Round(time.Millisecond))

	// Write load, on whichever member leads.
	var (
		mu       sync.Mutex
		outcomes = map[int64]outcome{}
		next     atomic.Int64
		target   atomic.Int64
	)
	target.Store(int64(li))
	ctx, cancel := context.WithTimeout(context.Background(), cmMaxTime)
	defer cancel()
	stopWriting := make(chan struct{})
	var wg sync.WaitGroup
	for w := range cmWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs := map[int]*sql.DB{}
			defer func() {
				for _, db := range dbs {
					_ = db.Close()
				}
			}()
			for ctx.Err() == nil && next.Load() < cmMaxWrites {
				select {
				case <-stopWriting:
					return
				default:
				}
				n := int(target.Load())
				db := dbs[n]
				if db == nil {
					db, _ = sql.Open("mysql", testutil.DSN("root", "", nodes[n].P.MySQLAddr, "")+"&timeout=2s&readTimeout=10s&writeTimeout=10s")
					db.SetMaxOpenConns(1)
					dbs[n] = db
				}
				id := next.Add(1)
				_, err := db.ExecContext(ctx, "INSERT INTO cf.t VALUES (?, ?, ?)", id, w, fmt.Sprintf("load-%d", id))
				var me *mysql.MySQLError
				o := acked
				switch {
				case err == nil:
				case errors.As(err, &me):
					o = refused
				default:
					o = unknown
				}
				mu.Lock()
				outcomes[id] = o
				mu.Unlock()
				if o != acked {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	require.Eventually(t, func() bool { return next.Load() > 200 }, 20*time.Second, 10*time.Millisecond, "no write load")

	// The leader's log no longer starts at index 1 once it checkpointed
	// (every 5 s) past 50 entries: a new member needs a snapshot.
	require.Eventually(t, func() bool { return metricValue(nodes[li].P.HTTPAddr, "guocedb_commitlog_checkpoint_index") > 0 },
		30*time.Second, 200*time.Millisecond, "no checkpoint on the leader")

	// Add n4 through a follower (redirected to the leader), then start
	// it with --join through that follower: it joins as a learner,
	// catches up from a snapshot and the log, and is promoted.
	raft4 := testutil.FreeAddr(t)
	code, out = cli(f1, "add", "n4", raft4)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "added n4")
	joinStart := time.Now()
	n4 := testutil.JoinCluster(t, bin, "n4", raft4, nodes[f1].P.AdminAddr, retain...)
	nodes = append(nodes, n4)
	require.Eventually(t, func() bool { return voterOnLeader(nodes[li].P.HTTPAddr, "n4") }, 60*time.Second, 100*time.Millisecond, "n4 promoted to voter")
	t.Logf("n4 joined and was promoted %s after its start, with %d inserts attempted so far", time.Since(joinStart).Round(time.Millisecond), next.Load())
	require.True(t, canSelect(n4.P.MySQLAddr, "app", "app-pw"), "the account on the node that joined from a snapshot")
	_, err = testutil.Connect(t, nodes[li].P.MySQLAddr).Exec("DROP USER 'app'@'%'")
	require.NoError(t, err)
	for _, nd := range []*testutil.ClusterNode{nodes[f1], n4} {
		require.Eventually(t, func() bool { return !canSelect(nd.P.MySQLAddr, "app", "app-pw") }, 10*time.Second, 50*time.Millisecond,
			"DROP USER on the leader: login refused on %s", nd.ID)
	}
	sent, got := metricValue(nodes[li].P.HTTPAddr, "guocedb_raft_snapshot_sent_bytes_total"), metricValue(n4.P.HTTPAddr, "guocedb_raft_snapshot_received_bytes_total")
	require.Positive(t, sent, "the leader sent no snapshot")
	require.Positive(t, got, "n4 received no snapshot")
	t.Logf("snapshot to n4: %.0f bytes sent by the leader, %.0f received", sent, got)

	// Remove a voter that does not lead, while the writes go on.
	gone := f1
	code, out = cli(3, "remove", nodes[gone].ID)
	require.Equal(t, 0, code, out)
	code, out = cli(li, "status")
	require.Equal(t, 0, code, out)
	require.NotContains(t, out, nodes[gone].ID+" ")
	nodes[gone].P.Stop()
	require.Eventually(t, func() bool { return next.Load() > 400 }, 20*time.Second, 10*time.Millisecond, "writes after the removal")
	close(stopWriting)
	wg.Wait()
	cancel()

	var nAcked, nRefused, nUnknown int
	for _, o := range outcomes {
		switch o {
		case acked:
			nAcked++
		case refused:
			nRefused++
		default:
			nUnknown++
		}
	}
	t.Logf("membership changes under load: inserts acknowledged %d, refused %d, unknown %d", nAcked, nRefused, nUnknown)

	present := map[int64]bool{}
	rows, err := testutil.Connect(t, nodes[li].P.MySQLAddr).Query("SELECT id FROM cf.t")
	require.NoError(t, err)
	for rows.Next() {
		var id int64
		require.NoError(t, rows.Scan(&id))
		present[id] = true
	}
	require.NoError(t, rows.Err())
	_ = rows.Close()
	for id, o := range outcomes {
		switch o {
		case acked:
			require.True(t, present[id], "acknowledged insert %d lost", id)
		case refused:
			require.False(t, present[id], "insert %d was answered with an error but is present", id)
		}
	}

	// The joined node restarts with the same command line (--join is
	// ignored: its data directory is a member's).
	n4.P.Stop()
	n4.Restart(t)
	want := checksum(nodes[li].P.MySQLAddr)
	for i, nd := range nodes {
		if i == gone {
			continue
		}
		require.Eventually(t, func() bool { return checksum(nd.P.MySQLAddr) == want }, 30*time.Second, 100*time.Millisecond,
			"CHECKSUM TABLE on %s", nd.ID)
	}
	t.Logf("CHECKSUM TABLE cf.t on the 3 remaining members: %s", want)

	// Removing the leader, sent to a follower: the leader hands over to
	// another voter, and the command follows the redirect to it.
	code, out = cli(3, "remove", nodes[li].ID)
	require.Equal(t, 0, code, out)
	rest := func(i int) bool { return i != gone && i != li }
	var nl int
	require.Eventually(t, func() bool {
		nl = testutil.FindLeader(nodes, rest, 5*time.Second)
		return nl >= 0
	}, 30*time.Second, 100*time.Millisecond, "no leader after removing the leader")
	code, out = cli(nl, "status")
	require.Equal(t, 0, code, out)
	require.NotContains(t, out, nodes[li].ID+" ")
	_, err = testutil.Connect(t, nodes[nl].P.MySQLAddr).Exec("INSERT INTO cf.t VALUES (0, 9, 'after removing the leader')")
	require.NoError(t, err)
	want = checksum(nodes[nl].P.MySQLAddr)
	for i, nd := range nodes {
		if rest(i) {
			require.Eventually(t, func() bool { return checksum(nd.P.MySQLAddr) == want }, 30*time.Second, 100*time.Millisecond,
				"CHECKSUM TABLE on %s after removing the leader", nd.ID)
		}
	}
	for i, nd := range nodes {
		if i != gone {
			nd.P.Stop()
		}
	}
}

// voterOnLeader reports whether the member at httpAddr leads and lists
// node id as a voter (a peer that is not a learner).
func voterOnLeader(httpAddr, id string) bool {
	resp, err := http.Get("http://" + httpAddr + "/status")
	if err != nil {
		return false
	}
	defer func() { _ = resp.Body.Close() }()
	var st struct {
		Cluster *struct {
			Role  string `json:"role"`
			Peers []struct {
				NodeID  string `json:"node_id"`
				Learner bool   `json:"learner"`
				Active  bool   `json:"active"`
			} `json:"peers"`
		} `json:"cluster"`
	}
	if json.NewDecoder(resp.Body).Decode(&st) != nil || st.Cluster == nil || st.Cluster.Role != "leader" {
		return false
	}
	for _, p := range st.Cluster.Peers {
		if p.NodeID == id {
			return !p.Learner && p.Active
		}
	}
	return false
}

// checksum returns CHECKSUM TABLE cf.t on the member at addr ("" when it
// does not answer).
func checksum(addr string) string {
	db, err := sql.Open("mysql", testutil.DSN("root", "", addr, "")+"&timeout=2s&readTimeout=10s")
	if err != nil {
		return ""
	}
	defer func() { _ = db.Close() }()
	var table string
	var sum sql.NullInt64
	if err := db.QueryRow("CHECKSUM TABLE cf.t").Scan(&table, &sum); err != nil || !sum.Valid {
		return ""
	}
	return fmt.Sprint(sum.Int64)
}

// metricValue returns the value of an unlabelled metric from the
// member's /metrics, 0 when absent or unreadable.
func metricValue(httpAddr, name string) float64 {
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		return 0
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// canSelect reports whether user can log in at addr and read cf.t.
func canSelect(addr, user, password string) bool {
	db, err := sql.Open("mysql", testutil.DSN(user, password, addr, "")+"&timeout=2s&readTimeout=5s")
	if err != nil {
		return false
	}
	defer func() { _ = db.Close() }()
	var n int
	return db.QueryRow("SELECT COUNT(*) FROM cf.t").Scan(&n) == nil
}
