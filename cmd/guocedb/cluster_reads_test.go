package main_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// TestClusterReads: a read on a follower sees every write acknowledged
// before it (linearizable, the default); a follower cut off from the
// leader refuses linearizable reads with 1290 and serves stale ones
// until guocedb_max_staleness has passed.
func TestClusterReads(t *testing.T) {
	bin := testutil.BuildBinary(t)
	nodes := testutil.StartCluster(t, bin, 3)
	li := testutil.FindLeader(nodes, nil, 30*time.Second)
	require.GreaterOrEqual(t, li, 0, "no leader")
	leader := testutil.Connect(t, nodes[li].P.MySQLAddr)
	_, err := leader.Exec("CREATE DATABASE rd; CREATE TABLE rd.t (id INT PRIMARY KEY, v INT NOT NULL)")
	require.NoError(t, err)
	_, err = leader.Exec("INSERT INTO rd.t VALUES (1, 0)")
	require.NoError(t, err)
	fi := (li + 1) % len(nodes)
	follower := testutil.Connect(t, nodes[fi].P.MySQLAddr)
	require.Eventually(t, func() bool {
		var n int
		return follower.QueryRow("SELECT COUNT(*) FROM rd.t").Scan(&n) == nil && n == 1
	}, 30*time.Second, 50*time.Millisecond, "the follower has the table")

	// Each write acknowledged by the leader is seen by the next read on
	// the follower, without waiting.
	for i := 1; i <= 100; i++ {
		_, err := leader.Exec("UPDATE rd.t SET v = ? WHERE id = 1", i)
		require.NoError(t, err)
		var v int
		require.NoError(t, follower.QueryRow("SELECT v FROM rd.t WHERE id = 1").Scan(&v))
		require.Equal(t, i, v, "a read on the follower after write %d", i)
	}

	// Cut the follower off: stop the other two.
	var frozen []*testutil.ClusterNode
	for i, nd := range nodes {
		if i != fi {
			nd.P.Signal(syscall.SIGSTOP)
			frozen = append(frozen, nd)
		}
	}
	for _, nd := range frozen {
		nd.P.WaitStopped()
	}
	defer func() {
		for _, nd := range frozen {
			nd.P.Signal(syscall.SIGCONT)
		}
	}()
	conn, err := follower.Conn(context.Background())
	require.NoError(t, err)
	defer conn.Close()
	start := time.Now()
	var v int
	err = conn.QueryRowContext(context.Background(), "SELECT v FROM rd.t WHERE id = 1").Scan(&v)
	requireCode(t, err, 1290)
	t.Logf("linearizable read refused after %s: %v", time.Since(start).Round(time.Millisecond), err)

	_, err = conn.ExecContext(context.Background(), "SET guocedb_read_consistency = 'stale', guocedb_max_staleness = 8")
	require.NoError(t, err)
	require.NoError(t, conn.QueryRowContext(context.Background(), "SELECT v FROM rd.t WHERE id = 1").Scan(&v))
	require.Equal(t, 100, v, "a stale read of the follower's data")
	require.Eventually(t, func() bool {
		err := conn.QueryRowContext(context.Background(), "SELECT v FROM rd.t WHERE id = 1").Scan(&v)
		var me *mysql.MySQLError
		return errors.As(err, &me) && me.Number == 1290
	}, 20*time.Second, 100*time.Millisecond, "stale reads refused once the follower heard from no leader for 8 s")
	// Cut off for longer than 5 s: not ready for a load balancer.
	resp, err := http.Get("http://" + nodes[fi].P.HTTPAddr + "/readyz")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "%s", body)
	t.Logf("/readyz on the cut-off follower: %d %s", resp.StatusCode, body)
}

func requireCode(t *testing.T, err error, code uint16) {
	t.Helper()
	var me *mysql.MySQLError
	require.True(t, errors.As(err, &me), "want MySQL error %d, got %v", code, err)
	require.Equal(t, code, me.Number, fmt.Sprint(err))
}
