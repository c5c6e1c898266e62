package adminapi_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	adminv1 "github.com/guocedb/guocedb/internal/adminapi/gen/adminv1"
	"github.com/guocedb/guocedb/internal/adminclient"
	"github.com/guocedb/guocedb/internal/testutil"
)

// TestSessionsAndKill lists a connection running SELECT SLEEP, kills its
// statement only (1317, connection still usable), then the connection.
func TestSessionsAndKill(t *testing.T) {
	f := startFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	monitor, err := adminclient.New(f.adminAddr, adminclient.Credentials{User: "monitor", Password: "mon-pw"})
	require.NoError(t, err)
	operator, err := adminclient.New(f.adminAddr, adminclient.Credentials{User: "operator", Password: "op-pw"})
	require.NoError(t, err)

	db, err := sql.Open("mysql", testutil.DSN("root", "", f.mysqlAddr, ""))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	var id uint32
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id))

	// The sleep outlives the test's patience: only the kill ends it.
	sleepDone := make(chan error, 1)
	go func() {
		var v int
		sleepDone <- conn.QueryRowContext(ctx, "SELECT SLEEP(50)").Scan(&v)
	}()

	var seen *adminv1.Session
	waitFor(t, 20*time.Second, "the sleeping session in ListSessions", func() bool {
		list, err := monitor.ListSessions(ctx)
		require.NoError(t, err)
		for _, s := range list {
			if s.GetId() == id && s.GetCommand() == "Query" && strings.Contains(s.GetInfo(), "SLEEP(50)") {
				seen = s
				return true
			}
		}
		return false
	})
	require.Equal(t, "root", seen.GetUser())
	require.NotEmpty(t, seen.GetState(), "a running statement has a state")
	require.NotEmpty(t, seen.GetHost())

	err = monitor.KillSession(ctx, id, true)
	require.Equal(t, connect.CodePermissionDenied, connect.CodeOf(err), "PROCESS does not allow KILL: %v", err)

	require.NoError(t, operator.KillSession(ctx, id, true))
	select {
	case err := <-sleepDone:
		var me *mysql.MySQLError
		require.True(t, errors.As(err, &me), "want a MySQL error, got %v", err)
		require.EqualValues(t, 1317, me.Number, "%v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("SELECT SLEEP did not end within 20s of KillSession(query_only)")
	}
	var one int
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT 1").Scan(&one), "the connection survives a query kill")
	require.Equal(t, 1, one)

	require.NoError(t, operator.KillSession(ctx, id, false))
	waitFor(t, 20*time.Second, "the killed session to leave ListSessions", func() bool {
		list, err := monitor.ListSessions(ctx)
		require.NoError(t, err)
		for _, s := range list {
			if s.GetId() == id {
				return false
			}
		}
		return true
	})
	err = conn.QueryRowContext(ctx, "SELECT 1").Scan(&one)
	require.Error(t, err, "the killed connection is closed")

	err = operator.KillSession(ctx, id, false)
	require.Equal(t, connect.CodeNotFound, connect.CodeOf(err), "%v", err)
}
