package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/storage"
	"github.com/guocedb/guocedb/internal/testutil"
)

// TestAdminCommands runs status, sessions and kill of the real binary
// against a real server process, asserting exit codes and output.
func TestAdminCommands(t *testing.T) {
	bin := testutil.BuildBinary(t)
	p := testutil.StartProcess(t, bin, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	root := testutil.Connect(t, p.MySQLAddr)
	for _, stmt := range []string{
		"CREATE USER 'monitor'@'localhost' IDENTIFIED BY 'mon-pw'",
		"GRANT PROCESS ON *.* TO 'monitor'@'localhost'",
		"CREATE USER 'operator'@'localhost' IDENTIFIED BY 'op-pw'",
		"GRANT SUPER ON *.* TO 'operator'@'localhost'",
		"CREATE USER 'nobody'@'localhost' IDENTIFIED BY 'nobody-pw'",
		"CREATE DATABASE shop",
		"CREATE TABLE shop.items (id INT PRIMARY KEY)",
	} {
		_, err := root.ExecContext(ctx, stmt)
		require.NoError(t, err, stmt)
	}
	server := []string{"--server", p.AdminAddr}
	monitorEnv := []string{"GUOCEDB_PASSWORD=mon-pw"}
	operatorEnv := []string{"GUOCEDB_PASSWORD=op-pw"}
	pwFile := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(pwFile, []byte("mon-pw\n"), 0o600))

	run := func(env []string, args ...string) (int, string) {
		return testutil.Run(t, bin, env, args...)
	}

	t.Run("status table", func(t *testing.T) {
		code, out := run(monitorEnv, append([]string{"status", "--user", "monitor"}, server...)...)
		require.Equal(t, 0, code, out)
		for _, want := range []string{"version", "test", "uptime", "data size", "databases", "tables", "connections", "format version"} {
			require.Contains(t, out, want)
		}
		require.Regexp(t, `databases\s+1\n`, out)
		require.Regexp(t, `tables\s+1\n`, out)
	})

	t.Run("status json with a password file", func(t *testing.T) {
		code, out := run(nil, append([]string{"status", "--user", "monitor", "--password-file", pwFile, "--json"}, server...)...)
		require.Equal(t, 0, code, out)
		var st map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &st), out)
		require.Equal(t, "test", st["version"])
		require.EqualValues(t, 1, st["tables"])
		require.EqualValues(t, storage.FormatVersion, st["format_version"])
	})

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name     string
			env      []string
			args     []string
			wantCode int
			want     []string
		}{
			{"wrong password", []string{"GUOCEDB_PASSWORD=nope"}, append([]string{"status", "--user", "monitor"}, server...), 1,
				[]string{"guocedb: error: status: admin API at", "unauthenticated", "check the user name and password"}},
			{"missing privilege", []string{"GUOCEDB_PASSWORD=nobody-pw"}, append([]string{"sessions", "--user", "nobody"}, server...), 1,
				[]string{"permission_denied", "PROCESS", "GRANT"}},
			{"kill needs more than PROCESS", monitorEnv, append([]string{"kill", "--user", "monitor", "1"}, server...), 1,
				[]string{"permission_denied", "CONNECTION_ADMIN"}},
			{"server not reachable", nil, []string{"status", "--server", testutil.FreeAddr(t), "--timeout", "10s"}, 1,
				[]string{"unavailable", "is guocedb running"}},
			{"bad server address", nil, []string{"status", "--server", "nohost"}, 1, []string{"--server", "HOST:PORT"}},
			{"missing password file", nil, append([]string{"status", "--password-file", "/nonexistent/pw"}, server...), 1,
				[]string{"--password-file", "no such file"}},
			{"unknown flag", nil, []string{"status", "--verbose"}, 2, []string{"verbose"}},
			{"status takes no argument", nil, []string{"status", "now"}, 2, []string{`unexpected argument "now"`}},
			{"kill without id", operatorEnv, append([]string{"kill", "--user", "operator"}, server...), 2, []string{"exactly one session ID"}},
			{"kill with a bad id", operatorEnv, append([]string{"kill", "--user", "operator", "abc"}, server...), 2, []string{`"abc" is not a session ID`}},
			{"kill an unknown session", operatorEnv, append([]string{"kill", "--user", "operator", "999999"}, server...), 1,
				[]string{"not_found", "unknown session id 999999"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, out := run(tt.env, tt.args...)
				require.Equal(t, tt.wantCode, code, out)
				for _, w := range tt.want {
					require.Contains(t, out, w)
				}
				require.NotContains(t, out, "panic")
				require.NotContains(t, out, "goroutine")
			})
		}
	})

	t.Run("sessions and kill", func(t *testing.T) {
		// Its own deadline: the subtests before it run many processes,
		// which under -race on a loaded machine can use up the setup's.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		db, err := sql.Open("mysql", testutil.DSN("root", "", p.MySQLAddr, "shop"))
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		conn, err := db.Conn(ctx)
		require.NoError(t, err)
		defer func() { _ = conn.Close() }()
		var id int
		require.NoError(t, conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id))
		sleepDone := make(chan error, 1)
		go func() {
			var v int
			sleepDone <- conn.QueryRowContext(ctx, "SELECT SLEEP(50)").Scan(&v)
		}()

		var out string
		deadline := time.Now().Add(20 * time.Second)
		for {
			var code int
			code, out = run(monitorEnv, append([]string{"sessions", "--user", "monitor"}, server...)...)
			require.Equal(t, 0, code, out)
			if strings.Contains(out, "SELECT SLEEP(50)") {
				break
			}
			require.True(t, time.Now().Before(deadline), "no sleeping session listed:\n%s", out)
			time.Sleep(100 * time.Millisecond)
		}
		require.Contains(t, out, "ID")
		require.Contains(t, out, "COMMAND")
		require.Regexp(t, strconv.Itoa(id)+`\s+root\s+\S+\s+shop\s+Query\s+\d+`, out)

		code, out := run(monitorEnv, append([]string{"sessions", "--user", "monitor", "--json"}, server...)...)
		require.Equal(t, 0, code, out)
		var list struct {
			Sessions []struct {
				ID      int    `json:"id"`
				User    string `json:"user"`
				Command string `json:"command"`
				Info    string `json:"info"`
			} `json:"sessions"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &list), out)
		found := false
		for _, s := range list.Sessions {
			if s.ID == id {
				found = true
				require.Equal(t, "root", s.User)
				require.Equal(t, "SELECT SLEEP(50)", s.Info)
			}
		}
		require.True(t, found, out)

		// Flags may follow the id.
		code, out = run(operatorEnv, append([]string{"kill", "--user", "operator", strconv.Itoa(id), "--query"}, server...)...)
		require.Equal(t, 0, code, out)
		require.Contains(t, out, "stopped the running statement of session "+strconv.Itoa(id))
		select {
		case err := <-sleepDone:
			var me *mysql.MySQLError
			require.True(t, errors.As(err, &me), "want a MySQL error, got %v", err)
			require.EqualValues(t, 1317, me.Number)
		case <-time.After(20 * time.Second):
			t.Fatal("the statement did not stop within 20s of guocedb kill --query")
		}
		var one int
		require.NoError(t, conn.QueryRowContext(ctx, "SELECT 1").Scan(&one), "connection kept")

		code, out = run(operatorEnv, append([]string{"kill", "--user", "operator", strconv.Itoa(id)}, server...)...)
		require.Equal(t, 0, code, out)
		require.Contains(t, out, "closed session "+strconv.Itoa(id))
		deadline = time.Now().Add(20 * time.Second)
		for conn.QueryRowContext(ctx, "SELECT 1").Scan(&one) == nil {
			require.True(t, time.Now().Before(deadline), "connection still open 20s after guocedb kill")
			time.Sleep(100 * time.Millisecond)
		}
	})
	p.Stop()
}

// TestAdminAddrConfig checks admin-addr's default and its safety rule.
func TestAdminAddrConfig(t *testing.T) {
	bin := testutil.BuildBinary(t)
	certs := testutil.NewTestCerts(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"default on loopback", []string{"check-config"}, 0, []string{`admin-addr = "127.0.0.1:9308"`}},
		{"disabled", []string{"check-config", "--admin-addr="}, 0, []string{`admin-addr = ""`}},
		{"beyond loopback without TLS", []string{"check-config", "--admin-addr", "0.0.0.0:9308"}, 1,
			[]string{"admin-addr", "beyond loopback without TLS", "tls-cert"}},
		{"beyond loopback with TLS", []string{"check-config", "--admin-addr", "0.0.0.0:9308", "--tls-cert", certs.CertFile, "--tls-key", certs.KeyFile}, 0,
			[]string{`admin-addr = "0.0.0.0:9308"`}},
		{"serve refuses it too", []string{"serve", "--data-dir", t.TempDir(), "--admin-addr", "[::]:0"}, 1, []string{"admin-addr", "beyond loopback"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := testutil.Run(t, bin, nil, tt.args...)
			require.Equal(t, tt.wantCode, code, out)
			for _, w := range tt.want {
				require.Contains(t, out, w)
			}
		})
	}
}
