package mysqlserver_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// BenchmarkStoredFunctionCall measures a call of a stored function over
// the wire (prepared, one row) against the same expression written
// inline, and the cost per row of a call in a scan of 1,000 rows: every
// call runs its body through go-mysql-server's procedure interpreter
// (stored_function_call.go).
func BenchmarkStoredFunctionCall(b *testing.B) {
	_, db := testutil.StartServer(b)
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE DATABASE fb", "USE fb",
		"CREATE TABLE t (id INT PRIMARY KEY, v INT)",
		"CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2",
		"CREATE FUNCTION twice2(x INT) RETURNS INT DETERMINISTIC BEGIN DECLARE y INT; SET y = x * 2; RETURN y; END",
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(b, err, q)
	}
	var sb strings.Builder
	sb.WriteString("INSERT INTO t VALUES ")
	for i := range 1000 {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, "(%d, %d)", i, i)
	}
	_, err := db.ExecContext(ctx, sb.String())
	require.NoError(b, err)

	for _, bc := range []struct{ name, query string }{
		{"inline", "SELECT ? * 2"},
		{"return", "SELECT twice(?)"},
		{"begin-end", "SELECT twice2(?)"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var got int
			for i := range b.N {
				require.NoError(b, db.QueryRowContext(ctx, bc.query, i).Scan(&got))
				require.Equal(b, 2*i, got)
			}
		})
	}
	for _, bc := range []struct{ name, query string }{
		{"scan-inline", "SELECT SUM(v * 2) FROM t"},
		{"scan-return", "SELECT SUM(twice(v)) FROM fb.t"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var got int
			for range b.N {
				require.NoError(b, db.QueryRowContext(ctx, bc.query).Scan(&got))
				require.Equal(b, 999000, got)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/row")
		})
	}
}
