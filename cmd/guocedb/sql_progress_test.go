package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/adminclient"
	"github.com/guocedb/guocedb/internal/testutil"
)

// TestPollProgress drives what guocedb sql's bar shows: pollProgress
// against a real server while an ALTER TABLE rewrites 200k rows reports
// done <= total with total the row count; with credentials the admin API
// refuses it returns the error (and guocedb sql then runs without a bar).
func TestPollProgress(t *testing.T) {
	var adminAddr string
	_, root := testutil.StartServer(t, testutil.WithAdminAddr(&adminAddr))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const rows, chunk = 200_000, 5000
	for _, q := range []string{"CREATE DATABASE p", "CREATE TABLE p.t (id BIGINT PRIMARY KEY, v VARCHAR(40))"} {
		_, err := root.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	var b strings.Builder
	for start := 0; start < rows; start += chunk {
		b.Reset()
		b.WriteString("INSERT INTO p.t VALUES ")
		for i := start; i < start+chunk; i++ {
			if i > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d,'value-%d')", i, i)
		}
		_, err := root.ExecContext(ctx, b.String())
		require.NoError(t, err)
	}

	t.Run("refused", func(t *testing.T) {
		c, err := adminclient.New(adminAddr, adminclient.Credentials{User: "root", Password: "wrong"})
		require.NoError(t, err)
		err = pollProgress(ctx, c, 1, 10*time.Millisecond, 5*time.Second, func(int64, int64) { t.Error("no report expected") })
		require.Error(t, err)
	})

	t.Run("alter", func(t *testing.T) {
		conn, err := root.Conn(ctx)
		require.NoError(t, err)
		defer func() { _ = conn.Close() }()
		var id uint32
		require.NoError(t, conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id))
		c, err := adminclient.New(adminAddr, adminclient.Credentials{User: "root"})
		require.NoError(t, err)

		var mu sync.Mutex
		var seen [][2]int64
		pollCtx, stop := context.WithCancel(ctx)
		polled := make(chan error, 1)
		go func() {
			polled <- pollProgress(pollCtx, c, id, 5*time.Millisecond, 5*time.Second, func(done, total int64) {
				mu.Lock()
				seen = append(seen, [2]int64{done, total})
				mu.Unlock()
			})
		}()
		_, err = conn.ExecContext(ctx, "ALTER TABLE p.t ADD COLUMN w INT NOT NULL DEFAULT 1")
		stop()
		require.NoError(t, err)
		require.NoError(t, <-polled)
		mu.Lock()
		defer mu.Unlock()
		t.Logf("%d progress reports", len(seen))
		require.NotEmpty(t, seen, "no progress reported during the ALTER")
		for _, s := range seen {
			require.EqualValues(t, rows, s[1])
			require.LessOrEqual(t, s[0], s[1])
		}
	})
}

// TestSQLProgressBarOnTerminal runs guocedb sql of the real binary with a
// terminal for stdin, stdout and stderr (script(1) makes one): an ALTER
// of 200k rows draws the progress bar with the table's row count, and
// with an admin API that does not answer the ALTER still succeeds, with
// no bar.
func TestSQLProgressBarOnTerminal(t *testing.T) {
	scriptBin := testutil.RequireTool(t, "script")
	bin := testutil.BuildBinary(t)
	p := testutil.StartProcess(t, bin, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root := testutil.Connect(t, p.MySQLAddr)
	const rows, chunk = 200_000, 5000
	for _, q := range []string{"CREATE DATABASE p", "CREATE TABLE p.t (id BIGINT PRIMARY KEY, v VARCHAR(40))"} {
		_, err := root.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	var b strings.Builder
	for start := 0; start < rows; start += chunk {
		b.Reset()
		b.WriteString("INSERT INTO p.t VALUES ")
		for i := start; i < start+chunk; i++ {
			if i > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d,'value-%d')", i, i)
		}
		_, err := root.ExecContext(ctx, b.String())
		require.NoError(t, err)
	}
	onTerminal := func(server, column string) string {
		cmdline := fmt.Sprintf("%s sql --mysql-addr %s --server %s -e 'ALTER TABLE p.t ADD COLUMN %s INT NOT NULL DEFAULT 1'",
			bin, p.MySQLAddr, server, column)
		cmd := exec.CommandContext(ctx, scriptBin, "-qec", cmdline, "/dev/null")
		// An empty password in the environment: no prompt on the terminal.
		cmd.Env = append(testutil.CleanEnv(), "GUOCEDB_PASSWORD=")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Contains(t, string(out), "Query OK, 0 rows affected")
		return string(out)
	}
	out := onTerminal(p.AdminAddr, "w1")
	require.Contains(t, out, "ALTER")
	require.Contains(t, out, fmt.Sprintf("/%d)", rows), "the bar counts rows of the table's row count: %q", out)

	out = onTerminal("127.0.0.1:1", "w2")
	require.NotContains(t, out, fmt.Sprintf("/%d)", rows))
}
