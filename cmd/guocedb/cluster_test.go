package main

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// outcome of one insert, as the client saw it.
type outcome int

const (
	acked   outcome = iota // OK
	refused                // a MySQL error: definitely not written
	unknown                // the connection broke: either
)

// TestClusterFailover is issue 12's second and third acceptance on real
// processes: three members bootstrap, a table written on the leader is
// read on every member, a follower with follower-writes = reject refuses
// writes with 1290 and shows
// @@read_only = 1; then, under a load of two-table transactions whose
// clients retry on any member, the leader is killed with kill -9 and
// restarted, 10 cycles (GUOCEDB_CLUSTER_SOAK_CYCLES overrides: make
// soak), then stopped with SIGTERM (leadership handed over first) and
// restarted as many times (half under the race detector). Each cycle's
// write gap is logged with their p50 and p99; no acknowledged
// transaction is lost, none refused is present, none is partial, and
// every member ends with identical rows; a stored function created on
// the leader runs on every member. Then a killed leader shows as
// UNREACHABLE, and a member left alone reports not ready.
func TestClusterFailover(t *testing.T) {
	bin := testutil.BuildBinary(t)
	// Followers refuse writes (the default forwards them): the load must
	// reach the leader itself, and follower-writes = reject is checked
	// below.
	nodes := testutil.StartClusterArgs(t, bin, 3, "--follower-writes", "reject")
	li := testutil.FindLeader(nodes, nil, 30*time.Second)
	require.GreaterOrEqual(t, li, 0, "no leader")
	leader := testutil.Connect(t, nodes[li].P.MySQLAddr)
	_, err := leader.Exec("CREATE DATABASE cf; CREATE TABLE cf.t (id BIGINT PRIMARY KEY, w INT NOT NULL, v VARCHAR(64) NOT NULL); " +
		"CREATE TABLE cf.u (t_id BIGINT NOT NULL, n INT NOT NULL, PRIMARY KEY (t_id, n))")
	require.NoError(t, err)
	// A stored function is catalog DDL: it replicates before the rows.
	_, err = leader.Exec("CREATE FUNCTION cf.twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2")
	require.NoError(t, err)
	for i := range 20 {
		_, err := leader.Exec("INSERT INTO cf.t VALUES (?, 0, ?)", i, fmt.Sprintf("seed-%d", i))
		require.NoError(t, err)
	}
	for i, nd := range nodes {
		db := testutil.Connect(t, nd.P.MySQLAddr)
		waitRows(t, db, 20)
		var twice int
		require.NoError(t, db.QueryRow("SELECT cf.twice(21)").Scan(&twice), "member %s", nd.ID)
		require.Equal(t, 42, twice, "member %s", nd.ID)
		if i == li {
			continue
		}
		var ro int
		require.NoError(t, db.QueryRow("SELECT @@read_only").Scan(&ro))
		require.Equal(t, 1, ro, "follower %s", nd.ID)
		_, err := db.Exec("INSERT INTO cf.t VALUES (1000000, 0, 'refused')")
		var me *mysql.MySQLError
		require.ErrorAs(t, err, &me)
		require.Equal(t, uint16(1290), me.Number, "%v", err)
		require.Contains(t, me.Message, "(follower-writes = reject); write on the leader", "the refusal names the setting")
	}

	checkClusterStatus(t, nodes, li)
	for _, nd := range nodes {
		checkGroupMembers(t, nodes, nd, li, nil)
	}

	// Write load with clients retrying on any member; the leader is
	// killed (then graceful stops), restarted, cycle after cycle. Under
	// the race detector a member takes about 9 s to start: half as many
	// graceful stops keep CI's cost bounded (make soak runs without it).
	cycles := foCycles(t)
	stopCycles := cycles
	if testutil.RaceEnabled() && os.Getenv(foSoakEnv) == "" {
		stopCycles = cycles / 2
	}
	load := startFoLoad(nodes, time.Duration(cycles+stopCycles)*time.Minute)
	defer load.stop()
	kills := failoverCycles(t, nodes, load, cycles, false)
	stops := failoverCycles(t, nodes, load, stopCycles, true)
	load.stop()
	killP99 := logGaps(t, "kill -9", kills)
	stopP99 := logGaps(t, "graceful stop (SIGTERM)", stops)
	// Issue 12 wants p99 <= 3 s for kill -9 (outside the race detector)
	// and <= 500 ms for a graceful stop: the figures above are the
	// measurement. A loaded CI machine stretches both, so the asserted
	// bounds are generous: they catch a failover that does not happen
	// in time at all.
	require.Less(t, killP99, 15*time.Second, "kill -9 write gap p99")
	require.Less(t, stopP99, 5*time.Second, "graceful stop write gap p99")

	li = testutil.FindLeader(nodes, nil, 30*time.Second)
	require.GreaterOrEqual(t, li, 0, "no leader after the cycles")
	newLeader := testutil.Connect(t, nodes[li].P.MySQLAddr)
	verifyFoLoad(t, newLeader, load)
	var want string
	require.Eventually(t, func() bool {
		d, err := dumpRows(newLeader)
		want = d
		return err == nil
	}, 10*time.Second, 50*time.Millisecond)
	for _, nd := range nodes {
		db := testutil.Connect(t, nd.P.MySQLAddr)
		require.Eventually(t, func() bool {
			got, err := dumpRows(db)
			return err == nil && got == want
		}, 30*time.Second, 100*time.Millisecond, "member %s does not hold the leader's rows", nd.ID)
	}
	requireSameChecksums(t, nodes, "cf.t")
	requireSameChecksums(t, nodes, "cf.u")
	// A dead leader is UNREACHABLE for the others, and the new one
	// PRIMARY. The others saw its process go (its connections ended,
	// nothing listens at its raft address) and elected without waiting
	// out an election timeout.
	const gone = "leader's process is gone"
	seen := map[int]int{}
	for i, nd := range nodes {
		seen[i] = strings.Count(nd.P.Output(), gone)
	}
	nodes[li].P.Kill9()
	nl := testutil.FindLeader(nodes, func(i int) bool { return i != li }, 30*time.Second)
	require.GreaterOrEqual(t, nl, 0, "no new leader after kill -9")
	require.Eventually(t, func() bool {
		for i, nd := range nodes {
			if i != li && strings.Count(nd.P.Output(), gone) > seen[i] {
				return true
			}
		}
		return false
	}, 10*time.Second, 50*time.Millisecond, "no member noticed the leader's process was gone")
	checkGroupMembers(t, nodes, nodes[nl], nl, map[int]bool{li: true})
	// Without a quorum the last member knows no leader: /readyz says so.
	nodes[nl].P.Kill9()
	last := 3 - li - nl
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + nodes[last].P.HTTPAddr + "/readyz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	}, 15*time.Second, 100*time.Millisecond, "/readyz of a member without quorum")
	nodes[last].P.Stop()
}

// waitRows waits until cf.t holds n rows on db.
func waitRows(t *testing.T, db *sql.DB, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		var c int
		return db.QueryRow("SELECT COUNT(*) FROM cf.t").Scan(&c) == nil && c == n
	}, 10*time.Second, 20*time.Millisecond, "waiting for %d rows", n)
}

// dumpRows returns every row of cf.t, one per line, in key order: the
// table's content to compare across members (guocedb has no CHECKSUM
// TABLE yet; the full rows are a stronger check).
func dumpRows(db *sql.DB) (string, error) {
	rows, err := db.Query("SELECT id, w, v FROM cf.t ORDER BY id")
	if err != nil {
		return "", err
	}
	defer func() { _ = rows.Close() }()
	var lines []string
	for rows.Next() {
		var id int64
		var w int
		var v string
		if err := rows.Scan(&id, &w, &v); err != nil {
			return "", err
		}
		lines = append(lines, fmt.Sprintf("%d %d %s", id, w, v))
	}
	return strings.Join(lines, "\n"), rows.Err()
}

// checkClusterStatus checks /status's cluster section and the raft
// metrics on every member: one leader, the others following it.
func checkClusterStatus(t *testing.T, nodes []*testutil.ClusterNode, li int) {
	t.Helper()
	for i, nd := range nodes {
		var st struct {
			Cluster *struct {
				NodeID       string `json:"node_id"`
				Role         string `json:"role"`
				Term         uint64 `json:"term"`
				Leader       string `json:"leader"`
				Writable     bool   `json:"writable"`
				CommitIndex  uint64 `json:"commit_index"`
				AppliedIndex uint64 `json:"applied_index"`
				Peers        []struct {
					NodeID string `json:"node_id"`
					Active bool   `json:"active"`
				} `json:"peers"`
			} `json:"cluster"`
		}
		require.Eventually(t, func() bool {
			resp, err := http.Get("http://" + nd.P.HTTPAddr + "/status")
			if err != nil {
				return false
			}
			defer func() { _ = resp.Body.Close() }()
			if json.NewDecoder(resp.Body).Decode(&st) != nil || st.Cluster == nil {
				return false
			}
			c := st.Cluster
			// Peers are seen active once a heartbeat came back.
			return c.AppliedIndex >= c.CommitIndex && (i != li || len(c.Peers) == 2 && c.Peers[0].Active && c.Peers[1].Active)
		}, 10*time.Second, 50*time.Millisecond, "status of %s", nd.ID)
		c := st.Cluster
		require.Equal(t, nd.ID, c.NodeID)
		require.Equal(t, nodes[li].ID, c.Leader)
		require.Equal(t, i == li, c.Writable)
		require.Greater(t, c.Term, uint64(0))
		require.Greater(t, c.CommitIndex, uint64(0))
		if i == li {
			require.Equal(t, "leader", c.Role)
		} else {
			require.Equal(t, "follower", c.Role)
		}
		resp, err := http.Get("http://" + nd.P.HTTPAddr + "/metrics")
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		require.NoError(t, err)
		isLeader := "0"
		if i == li {
			isLeader = "1"
		}
		require.Contains(t, string(body), "\nguocedb_raft_is_leader "+isLeader+"\n")
		require.Contains(t, string(body), "\nguocedb_raft_term ")
		require.Contains(t, string(body), "\nguocedb_raft_applied_index ")
		require.Contains(t, string(body), "\nguocedb_raft_leader_changes_total ")
	}
}

// checkGroupMembers waits until nd's performance_schema.
// replication_group_members lists every member with its MySQL address,
// the leader li as the one PRIMARY, the dead ones UNREACHABLE and the
// others ONLINE.
func checkGroupMembers(t *testing.T, nodes []*testutil.ClusterNode, nd *testutil.ClusterNode, li int, dead map[int]bool) {
	t.Helper()
	db := testutil.Connect(t, nd.P.MySQLAddr)
	var want []string
	for i, m := range nodes {
		role, state := "SECONDARY", "ONLINE"
		if i == li {
			role = "PRIMARY"
		}
		if dead[i] {
			state = "UNREACHABLE"
		}
		host, port, err := net.SplitHostPort(m.P.MySQLAddr)
		require.NoError(t, err)
		// A dead member still shows the address it told before it died.
		want = append(want, fmt.Sprintf("%s %s %s %s %s", m.ID, host, port, state, role))
	}
	var got []string
	require.Eventually(t, func() bool {
		rows, err := db.Query("SELECT MEMBER_ID, MEMBER_HOST, MEMBER_PORT, MEMBER_STATE, MEMBER_ROLE FROM performance_schema.replication_group_members ORDER BY MEMBER_ID")
		if err != nil {
			return false
		}
		defer func() { _ = rows.Close() }()
		got = nil
		for rows.Next() {
			var id, host, state, role string
			var port sql.NullInt64
			if rows.Scan(&id, &host, &port, &state, &role) != nil {
				return false
			}
			got = append(got, fmt.Sprintf("%s %s %d %s %s", id, host, port.Int64, state, role))
		}
		return strings.Join(got, "\n") == strings.Join(want, "\n")
	}, 15*time.Second, 100*time.Millisecond, "replication_group_members on %s", nd.ID)
}

// TestClusterUnknownOutcome: a commit in flight when its leader loses the
// quorum (both followers frozen with SIGSTOP) is answered neither OK nor
// with a MySQL error: the connection is closed (the client sees a lost
// connection, 2013). Once the followers thaw, the cluster has a leader
// again and every member holds the same rows.
func TestClusterUnknownOutcome(t *testing.T) {
	bin := testutil.BuildBinary(t)
	nodes := testutil.StartCluster(t, bin, 3)
	li := testutil.FindLeader(nodes, nil, 30*time.Second)
	require.GreaterOrEqual(t, li, 0, "no leader")
	leader := testutil.Connect(t, nodes[li].P.MySQLAddr)
	_, err := leader.Exec("CREATE DATABASE cf; CREATE TABLE cf.t (id BIGINT PRIMARY KEY, w INT NOT NULL, v VARCHAR(64) NOT NULL)")
	require.NoError(t, err)
	_, err = leader.Exec("INSERT INTO cf.t VALUES (1, 0, 'before')")
	require.NoError(t, err)

	var frozen []*testutil.ClusterNode
	for i, nd := range nodes {
		if i != li {
			nd.P.Signal(syscall.SIGSTOP)
			frozen = append(frozen, nd)
		}
	}
	for _, nd := range frozen {
		nd.P.WaitStopped()
	}
	thaw := func() {
		for _, nd := range frozen {
			nd.P.Signal(syscall.SIGCONT)
		}
		frozen = nil
	}
	defer thaw()

	start := time.Now()
	_, err = leader.Exec("INSERT INTO cf.t VALUES (2, 0, 'in flight')")
	took := time.Since(start)
	require.Error(t, err, "a commit without quorum was acknowledged after %s", took)
	var me *mysql.MySQLError
	require.False(t, errors.As(err, &me), "a definite MySQL error for an unknown outcome: %v", err)
	t.Logf("in-flight commit answered after %s with %v", took.Round(time.Millisecond), err)

	thaw()
	// The thawed members may hold another election right after the first
	// leader is found: retry on 1290 (refused, nothing written) and on a
	// closed connection (the leader changed with the write in flight: its
	// outcome is unknown, hence REPLACE, which a retry may repeat).
	var db *sql.DB
	require.Eventually(t, func() bool {
		nl := testutil.FindLeader(nodes, nil, 10*time.Second)
		if nl < 0 {
			return false
		}
		db = testutil.Connect(t, nodes[nl].P.MySQLAddr)
		_, err := db.Exec("REPLACE INTO cf.t VALUES (3, 0, 'after')")
		var me *mysql.MySQLError
		if errors.As(err, &me) {
			require.Equal(t, uint16(1290), me.Number, "%v", err)
			return false
		}
		if err != nil {
			t.Logf("write after the thaw: %v (retrying)", err)
			return false
		}
		return true
	}, 30*time.Second, 100*time.Millisecond, "no leader took a write after the followers thawed")
	want, err := dumpRows(db)
	require.NoError(t, err)
	require.Contains(t, want, "1 0 before")
	require.Contains(t, want, "3 0 after")
	for _, nd := range nodes {
		db := testutil.Connect(t, nd.P.MySQLAddr)
		require.Eventually(t, func() bool {
			got, err := dumpRows(db)
			return err == nil && got == want
		}, 30*time.Second, 100*time.Millisecond, "member %s does not hold the leader's rows", nd.ID)
	}

	// SIGTERM on the leader hands leadership over before it stops.
	li = testutil.FindLeader(nodes, nil, 30*time.Second)
	require.GreaterOrEqual(t, li, 0)
	stopped := time.Now()
	nodes[li].P.Stop()
	require.Contains(t, nodes[li].P.Output(), "handing leadership over")
	next := testutil.FindLeader(nodes, func(i int) bool { return i != li }, 30*time.Second)
	require.GreaterOrEqual(t, next, 0, "no leader after the leader's graceful stop")
	t.Logf("graceful stop of the leader %s: %s leads %s after SIGTERM", nodes[li].ID, nodes[next].ID, time.Since(stopped).Round(time.Millisecond))
	for i, nd := range nodes {
		if i != li {
			nd.P.Stop()
		}
	}
}
