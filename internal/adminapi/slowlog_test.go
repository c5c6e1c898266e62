package adminapi_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/testutil"
)

// TestSlowLogRPC runs statements on a server that logs every statement
// and requires the SlowLog RPC to return them newest first, with the
// password of CREATE USER masked.
func TestSlowLogRPC(t *testing.T) {
	f := startFixture(t, testutil.WithConfig(func(c *config.Config) { c.SlowQueryTime = 0 }))
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	for _, q := range []string{"CREATE DATABASE slowdb", "CREATE TABLE slowdb.t (id INT PRIMARY KEY)", "INSERT INTO slowdb.t VALUES (1), (2)", "SELECT * FROM slowdb.t"} {
		_, err := f.root.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	code, body := postJSON(t, f.adminAddr, "SlowLog", "monitor", "mon-pw", `{"limit": 1000}`)
	require.Equal(t, 200, code, "%v", body)
	entries, ok := body["entries"].([]any)
	require.True(t, ok, "%v", body)
	var queries []string
	for _, e := range entries {
		queries = append(queries, e.(map[string]any)["query"].(string))
	}
	require.Contains(t, queries, "CREATE USER 'monitor'@'localhost' IDENTIFIED BY '***'")
	for _, q := range queries {
		require.NotContains(t, q, "mon-pw")
	}
	sel := -1
	ins := -1
	for i, q := range queries {
		switch q {
		case "SELECT * FROM slowdb.t":
			sel = i
		case "INSERT INTO slowdb.t VALUES (1), (2)":
			ins = i
		}
	}
	require.True(t, sel >= 0 && ins > sel, "newest first: %v", queries)
	first := entries[sel].(map[string]any)
	require.Equal(t, "2", first["rows_sent"], "64-bit integers are JSON strings")
	require.Equal(t, "2", first["rows_examined"])
	require.Equal(t, "root", first["user"])
}
