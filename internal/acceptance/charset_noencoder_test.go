package acceptance

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// TestResultsCharsetWithoutEncoder: go-mysql-server knows character sets
// it cannot encode into (gbk, cp1251, big5, ...). A client whose results
// character set is one of them (SET character_set_results) used to
// crash the wire layer's result encoding (a nil encoder) and lose the
// connection; it gets its results in utf8mb4, with column metadata that
// says so, and the server logs no caught panic (checked by testutil).
func TestResultsCharsetWithoutEncoder(t *testing.T) {
	addr, db := start(t)
	mustExec(t, db, "CREATE DATABASE ne")
	mustExec(t, db, "CREATE TABLE ne.t (id INT PRIMARY KEY, s VARCHAR(20))")
	mustExec(t, db, "INSERT INTO ne.t VALUES (1, 'abc')")
	ctx := context.Background()

	for _, tc := range []struct{ name, params, set string }{
		// A handshake in gbk or cp1251 meets go-mysql-server's "not yet
		// implemented" panic while building literals first (issue 14).
		{"SET character_set_results cp1251", "", "SET character_set_results = 'cp1251'"},
		{"SET character_set_results big5", "", "SET character_set_results = 'big5'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := testutil.DSN("root", "", addr, "ne")
			if tc.params != "" {
				dsn += "&" + tc.params
			}
			c, err := sql.Open("mysql", dsn)
			require.NoError(t, err)
			defer c.Close()
			cn, err := c.Conn(ctx)
			require.NoError(t, err)
			defer cn.Close()
			if tc.set != "" {
				_, err := cn.ExecContext(ctx, tc.set)
				require.NoError(t, err)
			}
			for _, q := range []string{"SELECT s FROM t WHERE id = 1", "SELECT 'abc'"} {
				var s string
				require.NoError(t, cn.QueryRowContext(ctx, q).Scan(&s), q)
				require.Equal(t, "abc", s)
				require.NoError(t, cn.QueryRowContext(ctx, "SELECT s FROM t WHERE id = ?", 1).Scan(&s), "prepared")
				require.Equal(t, "abc", s)
			}
		})
	}
	requireAlive(t, db)
}
