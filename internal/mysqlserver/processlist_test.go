package mysqlserver

import (
	"context"
	gosql "database/sql"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// TestProcessListHost: SHOW PROCESSLIST and information_schema.PROCESSLIST
// show the client's host:port, as MySQL does, while the account stays
// root@localhost.
func TestProcessListHost(t *testing.T) {
	_, addr, stop := startServerAddr(t, t.TempDir())
	defer stop()

	// A dialer of its own tells the client side of the connection.
	var mu sync.Mutex
	var local string
	mysql.RegisterDialContext("processlisthost", func(ctx context.Context, a string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", a)
		if err == nil {
			mu.Lock()
			local = c.LocalAddr().String()
			mu.Unlock()
		}
		return c, err
	})
	db, err := gosql.Open("mysql", "root:@processlisthost("+addr+")/")
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	mu.Lock()
	want := local
	mu.Unlock()
	require.NotEmpty(t, want)

	var id int64
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id))
	var host, user string
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT HOST, USER FROM information_schema.PROCESSLIST WHERE ID = ?", id).Scan(&host, &user))
	require.Equal(t, want, host)
	require.Equal(t, "root", user)

	rows, err := conn.QueryContext(ctx, "SHOW PROCESSLIST")
	require.NoError(t, err)
	found := false
	for rows.Next() {
		var pid int64
		var u, h string
		var rest [5]gosql.RawBytes
		require.NoError(t, rows.Scan(&pid, &u, &h, &rest[0], &rest[1], &rest[2], &rest[3], &rest[4]))
		if pid == id {
			found = true
			require.Equal(t, want, h)
		}
	}
	require.NoError(t, rows.Err())
	require.True(t, found, "connection %d listed", id)

	// After USE (go-mysql-server lists the session again) the same.
	_, err = conn.ExecContext(ctx, "CREATE DATABASE d")
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, "USE d")
	require.NoError(t, err)
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT HOST FROM information_schema.PROCESSLIST WHERE ID = ?", id).Scan(&host))
	require.Equal(t, want, host)

	var who string
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&who))
	require.Equal(t, "root@localhost", who)
}

// TestProcessListState: a running statement's State is one short word, as
// in MySQL, not go-mysql-server's multi-line scan progress (for SELECT
// SLEEP, a tree of the dual table's empty name).
func TestProcessListState(t *testing.T) {
	db, stop := startServer(t, t.TempDir())
	defer stop()
	_, err := db.Exec("CREATE DATABASE d")
	require.NoError(t, err)
	_, err = db.Exec("CREATE TABLE d.t (id INT PRIMARY KEY)")
	require.NoError(t, err)
	done := make(chan error, 2)
	go func() { _, err := db.Exec("SELECT SLEEP(3)"); done <- err }()
	go func() { _, err := db.Exec("SELECT id, SLEEP(3) FROM d.t UNION ALL SELECT 1, SLEEP(3)"); done <- err }()
	states := func(q string) map[string]string {
		out := map[string]string{}
		rows, err := db.Query(q)
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			var state, info gosql.NullString
			require.NoError(t, rows.Scan(&state, &info))
			out[info.String] = state.String
		}
		require.NoError(t, rows.Err())
		return out
	}
	const byInfo = "SELECT STATE, INFO FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT %SLEEP(3)%' AND INFO NOT LIKE '%PROCESSLIST%'"
	require.Eventually(t, func() bool { return len(states(byInfo)) == 2 }, 10*time.Second, 5*time.Millisecond)
	for info, state := range states(byInfo) {
		require.Equal(t, "running", state, info)
	}
	rows, err := db.Query("SHOW FULL PROCESSLIST")
	require.NoError(t, err)
	seen := 0
	for rows.Next() {
		var cols [8]gosql.NullString
		require.NoError(t, rows.Scan(&cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &cols[5], &cols[6], &cols[7]))
		if strings.Contains(cols[7].String, "SLEEP(3)") && !strings.Contains(cols[7].String, "PROCESSLIST") {
			seen++
			require.Equal(t, "running", cols[6].String, cols[7].String)
		}
	}
	require.NoError(t, rows.Err())
	require.Positive(t, seen, "a SLEEP still running")
	require.NoError(t, <-done)
	require.NoError(t, <-done)
}

// TestProcessListIdleConnection: a connection that logged in and has sent
// nothing since (a pool's idle connection) is listed under its user,
// sleeping, as in MySQL, not as an "unauthenticated user" connecting.
func TestProcessListIdleConnection(t *testing.T) {
	_, addr, stop := startServerAddr(t, t.TempDir())
	defer stop()
	// A raw login: the client library below sends nothing after it.
	// (NewConfig's MaxAllowedPacket keeps it from asking for
	// @@max_allowed_packet).
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "tcp", addr
	idle, err := mysql.NewConnector(cfg)
	require.NoError(t, err)
	conn, err := idle.Connect(context.Background())
	require.NoError(t, err)
	defer conn.Close()

	db, err := gosql.Open("mysql", "root:@tcp("+addr+")/")
	require.NoError(t, err)
	defer db.Close()
	var me int64
	c, err := db.Conn(context.Background())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.QueryRowContext(context.Background(), "SELECT CONNECTION_ID()").Scan(&me))
	rows, err := c.QueryContext(context.Background(), "SELECT ID, USER, COMMAND FROM information_schema.PROCESSLIST")
	require.NoError(t, err)
	defer rows.Close()
	others := 0
	for rows.Next() {
		var id int64
		var user, command string
		require.NoError(t, rows.Scan(&id, &user, &command))
		if id == me {
			continue
		}
		others++
		require.Equal(t, "root", user, "connection %d", id)
		require.Equal(t, "Sleep", command, "connection %d", id)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, 1, others, "the idle connection")
}
