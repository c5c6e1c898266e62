package main

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// TestClusterForwardSession checks what a client of a follower sees of
// its session once it runs on the leader, beyond rows: through the
// mariadb client (go-sql-driver shows neither warning counts nor info
// texts), a temporary table created through the follower (the session
// moves before it exists), the warning count and SHOW WARNINGS of a
// forwarded INSERT, the info text of a forwarded UPDATE; SET GLOBAL acts
// on the member the client is connected to, also in a moved session,
// and SET PERSIST on a follower is refused clearly; and a COMMIT on a
// member that lost its leadership (no leader at the moment) gets a 1290
// that says so, not one naming follower-writes = reject.
func TestClusterForwardSession(t *testing.T) {
	cli := testutil.RequireTool(t, "mariadb")
	bin := testutil.BuildBinary(t)
	nodes := testutil.StartCluster(t, bin, 3)
	li := testutil.FindLeader(nodes, nil, 30*time.Second)
	require.GreaterOrEqual(t, li, 0, "no leader")
	leader := testutil.Connect(t, nodes[li].P.MySQLAddr)
	_, err := leader.Exec("CREATE DATABASE fs; CREATE TABLE fs.t (id INT PRIMARY KEY, v VARCHAR(3))")
	require.NoError(t, err)
	fol := nodes[(li+1)%3]
	fdb := testutil.Connect(t, fol.P.MySQLAddr)
	require.Eventually(t, func() bool {
		var n int
		return fdb.QueryRow("SELECT COUNT(*) FROM fs.t").Scan(&n) == nil
	}, 30*time.Second, 50*time.Millisecond, "the follower has the table")

	host, port, err := net.SplitHostPort(fol.P.MySQLAddr)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, cli, "--no-defaults", "-h"+host, "-P"+port, "-uroot", "--batch", "-vvv", "-e",
		"CREATE TEMPORARY TABLE fs.tmp (id INT); SELECT @@read_only AS ro; INSERT INTO fs.tmp VALUES (1), (2); "+
			"SELECT COUNT(*) AS tmp_rows FROM fs.tmp; "+
			"INSERT IGNORE INTO fs.t VALUES (1, 'abcdef'); SHOW WARNINGS; "+
			"UPDATE fs.t SET v = 'x' WHERE id = 1; "+
			"SET GLOBAL wait_timeout = 7777; SELECT @@read_only AS still_ro").CombinedOutput()
	text := string(out)
	require.NoError(t, err, "%s", text)
	t.Logf("through %s:\n%s", fol.ID, text)
	for _, want := range []string{
		"| ro |\n+----+\n|  0 |",                   // CREATE TEMPORARY TABLE moved the session
		"| tmp_rows |\n+----------+\n|        2 |", // and the temporary table is where it runs
		"Query OK, 1 row affected, 1 warning",
		"| Warning | 1265 | Data truncated for column 'v' at row 1 |",
		"Rows matched: 1  Changed: 1  Warnings: 0",
		"| still_ro |\n+----------+\n|        0 |", // SET GLOBAL ran here, the session stays on the leader
	} {
		require.Contains(t, text, want)
	}

	// SET GLOBAL changed the follower the client talked to, not the
	// leader.
	var wt int
	require.NoError(t, fdb.QueryRow("SELECT @@global.wait_timeout").Scan(&wt))
	require.Equal(t, 7777, wt, "SET GLOBAL on %s", fol.ID)
	require.NoError(t, leader.QueryRow("SELECT @@global.wait_timeout").Scan(&wt))
	require.NotEqual(t, 7777, wt, "SET GLOBAL through a follower changed the leader")

	// SET PERSIST on a follower: refused, in a session that runs there
	// and in one that moved; a SET of global and session variables in
	// a moved session too.
	bg := context.Background()
	conn, err := fdb.Conn(bg)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(bg, "SET PERSIST wait_timeout = 7777")
	requireMySQLErr(t, err, 1290)
	require.ErrorContains(t, err, "run it on the leader")
	_, err = conn.ExecContext(bg, "INSERT INTO fs.t VALUES (2, 'b')")
	require.NoError(t, err)
	_, err = conn.ExecContext(bg, "SET PERSIST wait_timeout = 7777")
	requireMySQLErr(t, err, 1290)
	require.ErrorContains(t, err, "run it on the leader")
	_, err = conn.ExecContext(bg, "SET GLOBAL wait_timeout = 7000, SESSION sql_mode = ''")
	requireMySQLErr(t, err, 1235)
	// A prepared SET GLOBAL (go-sql-driver prepares a statement with
	// arguments) in the moved session acts here too.
	_, err = conn.ExecContext(bg, "SET GLOBAL wait_timeout = ?", 6666)
	require.NoError(t, err)
	require.NoError(t, fdb.QueryRow("SELECT @@global.wait_timeout").Scan(&wt))
	require.Equal(t, 6666, wt, "a prepared SET GLOBAL on %s", fol.ID)
	require.NoError(t, leader.QueryRow("SELECT @@global.wait_timeout").Scan(&wt))
	require.NotEqual(t, 6666, wt, "a prepared SET GLOBAL through a follower changed the leader")
	var ro int
	require.NoError(t, conn.QueryRowContext(bg, "SELECT @@read_only").Scan(&ro))
	require.Equal(t, 0, ro, "the session still runs on the leader")

	// A leader-less moment: a transaction opened on the leader, whose
	// followers then stop; the leader steps down, and its COMMIT is
	// refused (nothing written) with a message for it.
	lc, err := leader.Conn(bg)
	require.NoError(t, err)
	defer lc.Close()
	_, err = lc.ExecContext(bg, "BEGIN")
	require.NoError(t, err)
	_, err = lc.ExecContext(bg, "INSERT INTO fs.t VALUES (3, 'c')")
	require.NoError(t, err)
	others := []*testutil.ClusterNode{nodes[(li+1)%3], nodes[(li+2)%3]}
	for _, nd := range others {
		nd.P.Signal(syscall.SIGSTOP)
	}
	t.Cleanup(func() {
		for _, nd := range others {
			nd.P.Signal(syscall.SIGCONT)
		}
	})
	require.Eventually(t, func() bool {
		role, _ := memberRole(nodes[li].P.HTTPAddr)
		return role != "leader" && role != ""
	}, 30*time.Second, 50*time.Millisecond, "the leader did not step down without its followers")
	_, err = lc.ExecContext(bg, "COMMIT")
	var me *mysql.MySQLError
	require.True(t, errors.As(err, &me), "COMMIT without a leader: %v", err)
	require.Equal(t, uint16(1290), me.Number, "%v", err)
	require.Contains(t, me.Message, "no leader")
	require.NotContains(t, me.Message, "reject")
	t.Logf("COMMIT without a leader: %v", err)
	for _, nd := range others {
		nd.P.Signal(syscall.SIGCONT)
	}
	require.GreaterOrEqual(t, testutil.FindLeader(nodes, nil, 30*time.Second), 0, "no leader after the followers resumed")
	var n int
	db := testutil.Connect(t, nodes[li].P.MySQLAddr)
	require.Eventually(t, func() bool {
		return db.QueryRow("SELECT COUNT(*) FROM fs.t WHERE id = 3").Scan(&n) == nil
	}, 30*time.Second, 100*time.Millisecond)
	require.Zero(t, n, "the refused COMMIT wrote its row")
}
