package mysqlserver

import (
	"context"
	gosql "database/sql"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestResultsInClientCharset: a client whose results character set cannot
// represent a character gets `?` for it, as from MySQL, instead of error
// 1105 "failed to encode"; what it can represent arrives in its encoding.
func TestResultsInClientCharset(t *testing.T) {
	db, addr, stop := startServerAddr(t, t.TempDir())
	defer stop()
	for _, s := range []string{
		"CREATE DATABASE d",
		"CREATE TABLE d.t (id INT PRIMARY KEY, s VARCHAR(20) CHARACTER SET utf8mb4, e ENUM('a😀','b') CHARACTER SET utf8mb4, j JSON)",
		"INSERT INTO d.t VALUES (1, 'smile 😀 café', 'a😀', '{\"k\": \"😀\"}')",
	} {
		_, err := db.Exec(s)
		require.NoError(t, err, s)
	}
	ctx := context.Background()
	read := func(t *testing.T, dsnParams, query string, args ...any) (string, string) {
		t.Helper()
		c, err := gosql.Open("mysql", "root:@tcp("+addr+")/d?"+dsnParams)
		require.NoError(t, err)
		defer c.Close()
		var s, e string
		require.NoError(t, c.QueryRowContext(ctx, query, args...).Scan(&s, &e))
		return s, e
	}

	for _, tc := range []struct {
		name, params string
		s, e         string
	}{
		{"utf8mb4", "charset=utf8mb4", "smile 😀 café", "a😀"},
		{"utf8 (utf8mb3)", "charset=utf8", "smile ? café", "a?"},
		{"latin1", "charset=latin1", "smile ? caf\xe9", "a?"},
	} {
		t.Run(tc.name+" text", func(t *testing.T) {
			s, e := read(t, tc.params, "SELECT s, e FROM t WHERE id = 1")
			require.Equal(t, tc.s, s)
			require.Equal(t, tc.e, e)
		})
		t.Run(tc.name+" prepared", func(t *testing.T) {
			s, e := read(t, tc.params, "SELECT s, e FROM t WHERE id = ?", 1)
			require.Equal(t, tc.s, s)
			require.Equal(t, tc.e, e)
		})
	}

	t.Run("SET NAMES utf8 in the session", func(t *testing.T) {
		conn, err := db.Conn(ctx)
		require.NoError(t, err)
		defer conn.Close()
		_, err = conn.ExecContext(ctx, "SET NAMES utf8")
		require.NoError(t, err)
		var s string
		require.NoError(t, conn.QueryRowContext(ctx, "SELECT s FROM d.t").Scan(&s))
		require.Equal(t, "smile ? café", s)
		// JSON goes out as utf8mb4 bytes whatever the set, as in MySQL.
		var j string
		require.NoError(t, conn.QueryRowContext(ctx, "SELECT j FROM d.t").Scan(&j))
		require.Contains(t, j, "😀")
		_, err = conn.ExecContext(ctx, "SET NAMES utf8mb4")
		require.NoError(t, err)
		require.NoError(t, conn.QueryRowContext(ctx, "SELECT s FROM d.t").Scan(&s))
		require.Equal(t, "smile 😀 café", s)
	})
}
