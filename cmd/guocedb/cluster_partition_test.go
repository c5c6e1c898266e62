package main

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// electionTimeout is the members' election timeout (raftlog: 15 ticks
// of 100 ms; raft randomizes elections between one and two of it).
const electionTimeout = 1500 * time.Millisecond

// TestClusterPartition is issue 12's fifth acceptance: the leader,
// partitioned from the two others by the proxies in front of the raft
// listeners (both directions), steps down within two election timeouts
// (CheckQuorum); meanwhile and afterwards it serves neither writes nor
// linearizable reads, while the majority elects a leader and takes
// writes. Healed, it follows the new leader and every member holds the
// same table.
func TestClusterPartition(t *testing.T) {
	bin := testutil.BuildBinary(t)
	nodes, rn := testutil.StartClusterNet(t, bin, 3)
	li := testutil.FindLeader(nodes, nil, 30*time.Second)
	require.GreaterOrEqual(t, li, 0, "no leader")
	leader := testutil.Connect(t, nodes[li].P.MySQLAddr)
	_, err := leader.Exec("CREATE DATABASE pt; CREATE TABLE pt.t (k INT PRIMARY KEY, v INT NOT NULL)")
	require.NoError(t, err)
	_, err = leader.Exec("INSERT INTO pt.t VALUES (1, 1)")
	require.NoError(t, err)
	for _, nd := range nodes {
		db := testutil.Connect(t, nd.P.MySQLAddr)
		require.Eventually(t, func() bool {
			var v int
			return db.QueryRow("SELECT v FROM pt.t WHERE k = 1").Scan(&v) == nil && v == 1
		}, 30*time.Second, 50*time.Millisecond, "member %s has the row", nd.ID)
	}
	// Connections to the old leader opened before the partition: the
	// client side is not partitioned, only raft's traffic.
	oldW := openOne(t, nodes[li].P.MySQLAddr)
	oldR := openOne(t, nodes[li].P.MySQLAddr)

	rn.Isolate(li)
	cut := time.Now()
	t.Logf("partitioned the leader %s", nodes[li].ID)

	// A write and a linearizable read sent to the old leader at once,
	// while it may still believe it leads: neither may succeed.
	writeErr := make(chan error, 1)
	go func() {
		_, err := oldW.Exec("UPDATE pt.t SET v = 99 WHERE k = 1")
		writeErr <- err
	}()
	readErr := make(chan error, 1)
	go func() {
		var v int
		err := oldR.QueryRow("SELECT v FROM pt.t WHERE k = 1").Scan(&v)
		if err == nil {
			err = fmt.Errorf("a linearizable read on the partitioned leader answered v = %d", v)
		}
		readErr <- err
	}()

	var stepDown time.Duration
	require.Eventually(t, func() bool {
		if role, _ := memberRole(nodes[li].P.HTTPAddr); role != "leader" && role != "" {
			stepDown = time.Since(cut)
			return true
		}
		return false
	}, 20*time.Second, 10*time.Millisecond, "the partitioned leader never stepped down")
	others := func(i int) bool { return i != li }
	nl := testutil.FindLeader(nodes, others, 30*time.Second)
	require.GreaterOrEqual(t, nl, 0, "the majority elected no leader")
	elected := time.Since(cut)
	t.Logf("partitioned leader %s stepped down after %s (election timeout %s); %s leads the majority (seen %s after the partition)",
		nodes[li].ID, stepDown.Round(time.Millisecond), electionTimeout, nodes[nl].ID, elected.Round(time.Millisecond))
	// CheckQuorum checks once per election timeout: a step-down takes
	// between one and two of them. A loaded machine delays ticks, so
	// the bound has a margin; the figure above is the measurement.
	require.Less(t, stepDown, 2*electionTimeout+2*time.Second, "step-down of a partitioned leader")

	err = <-writeErr
	require.Error(t, err, "a write on the partitioned leader was acknowledged")
	t.Logf("write sent to the leader as it was partitioned: %v", err)
	err = <-readErr
	require.Error(t, err)
	require.NotContains(t, err.Error(), "answered v =", "%v", err)
	t.Logf("linearizable read sent to the leader as it was partitioned: %v", err)

	// The majority takes a write; the minority still refuses both.
	newLeader := testutil.Connect(t, nodes[nl].P.MySQLAddr)
	_, err = newLeader.Exec("UPDATE pt.t SET v = 2 WHERE k = 1")
	require.NoError(t, err)
	old := openOne(t, nodes[li].P.MySQLAddr)
	_, err = old.Exec("UPDATE pt.t SET v = 98 WHERE k = 1")
	require.Equal(t, uint16(1290), mysqlCode(err), "write on the minority: %v", err)
	var v int
	err = old.QueryRow("SELECT v FROM pt.t WHERE k = 1").Scan(&v)
	require.Equal(t, uint16(1290), mysqlCode(err), "linearizable read on the minority: %v (v = %d)", err, v)

	rn.Heal()
	for _, nd := range nodes {
		db := testutil.Connect(t, nd.P.MySQLAddr)
		require.Eventually(t, func() bool {
			var v int
			return db.QueryRow("SELECT v FROM pt.t WHERE k = 1").Scan(&v) == nil && v == 2
		}, 30*time.Second, 100*time.Millisecond, "member %s after the heal", nd.ID)
	}
	requireSameChecksums(t, nodes, "pt.t")
}

// openOne opens a pool of one connection to addr with bounded waits, so
// that a statement a member never answers fails instead of hanging.
func openOne(t *testing.T, addr string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", testutil.DSN("root", "", addr, "")+"&timeout=2s&readTimeout=15s&writeTimeout=15s")
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, db.Ping())
	return db
}

// memberRole returns the member's raft role and leader from /status;
// empty when it does not answer.
func memberRole(httpAddr string) (role, leader string) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + httpAddr + "/status")
	if err != nil {
		return "", ""
	}
	defer func() { _ = resp.Body.Close() }()
	var st struct {
		Cluster *struct {
			Role   string `json:"role"`
			Leader string `json:"leader"`
		} `json:"cluster"`
	}
	if json.NewDecoder(resp.Body).Decode(&st) != nil || st.Cluster == nil {
		return "", ""
	}
	return st.Cluster.Role, st.Cluster.Leader
}

// mysqlCode returns err's MySQL error number, 0 for none.
func mysqlCode(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// requireSameChecksums waits until CHECKSUM TABLE of each table is the same
// on every member (issue 12's seventh acceptance: after a test, all
// members hold identical data).
func requireSameChecksums(t *testing.T, nodes []*testutil.ClusterNode, tables ...string) {
	t.Helper()
	for _, table := range tables {
		var sums []string
		require.Eventually(t, func() bool {
			sums = sums[:0]
			for _, nd := range nodes {
				sums = append(sums, tableChecksum(nd.P.MySQLAddr, table))
			}
			for _, s := range sums {
				if s == "" || s != sums[0] {
					return false
				}
			}
			return true
		}, 30*time.Second, 200*time.Millisecond, "CHECKSUM TABLE %s differs across members: %v", table, sums)
		t.Logf("CHECKSUM TABLE %s on every member: %s", table, sums[0])
	}
}

// tableChecksum returns CHECKSUM TABLE of table on addr, "" when it
// fails.
func tableChecksum(addr, table string) string {
	db, err := sql.Open("mysql", testutil.DSN("root", "", addr, "")+"&timeout=2s&readTimeout=10s")
	if err != nil {
		return ""
	}
	defer func() { _ = db.Close() }()
	var name string
	var sum sql.NullInt64
	if err := db.QueryRow("CHECKSUM TABLE "+table).Scan(&name, &sum); err != nil || !sum.Valid {
		return ""
	}
	return fmt.Sprint(sum.Int64)
}
