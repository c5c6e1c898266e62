package mysqlserver

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkReadOnlyWire runs the statements of sysbench's oltp_read_only
// over the wire, one connection, as server-side prepared statements on a
// table of sysbench's shape (10,000 rows): a point select, the four
// 100-row range statements, and a read-only transaction's BEGIN and
// COMMIT. Each op is one statement (the transaction: both).
func BenchmarkReadOnlyWire(b *testing.B) {
	db := benchServer(b, 0)
	exec := func(q string) {
		_, err := db.Exec(q)
		require.NoError(b, err)
	}
	exec("CREATE DATABASE sb")
	exec("CREATE TABLE sb.t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL DEFAULT 0, c CHAR(120) NOT NULL DEFAULT '', pad CHAR(60) NOT NULL DEFAULT '', KEY k_1 (k))")
	const rows = 10000
	for i := 0; i < rows; i += 500 {
		var vals []string
		for j := i + 1; j <= i+500; j++ {
			vals = append(vals, fmt.Sprintf("(%d, %d, '%011d-%011d-%011d-%011d-%011d-%011d-%011d-%011d-%011d-%011d', '%011d-%011d-%011d-%011d-%011d')",
				j, (j*7919)%rows, j, j*3, j*5, j*7, j*11, j*13, j*17, j*19, j*23, j*29, j*31, j*37, j*41, j*43, j*47))
		}
		exec("INSERT INTO sb.t VALUES " + strings.Join(vals, ","))
	}
	ranges := []struct{ name, query string }{
		{"simple_ranges", "SELECT c FROM sb.t WHERE id BETWEEN ? AND ?"},
		{"sum_ranges", "SELECT SUM(k) FROM sb.t WHERE id BETWEEN ? AND ?"},
		{"order_ranges", "SELECT c FROM sb.t WHERE id BETWEEN ? AND ? ORDER BY c"},
		{"distinct_ranges", "SELECT DISTINCT c FROM sb.t WHERE id BETWEEN ? AND ? ORDER BY c"},
	}
	b.Run("point_select", func(b *testing.B) {
		st, err := db.Prepare("SELECT c FROM sb.t WHERE id = ?")
		require.NoError(b, err)
		defer st.Close()
		b.ReportAllocs()
		b.ResetTimer()
		var c string
		for i := 0; i < b.N; i++ {
			require.NoError(b, st.QueryRow(1+(i*7919)%rows).Scan(&c))
		}
	})
	for _, r := range ranges {
		b.Run(r.name, func(b *testing.B) {
			st, err := db.Prepare(r.query)
			require.NoError(b, err)
			defer st.Close()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				lo := 1 + (i*7919)%(rows-100)
				res, err := st.Query(lo, lo+99)
				require.NoError(b, err)
				n := 0
				for res.Next() {
					n++
				}
				require.NoError(b, res.Err())
				require.NoError(b, res.Close())
				if n == 0 {
					b.Fatalf("%s: no rows", r.name)
				}
			}
		})
	}
	b.Run("begin_commit", func(b *testing.B) {
		conn, err := db.Conn(b.Context())
		require.NoError(b, err)
		defer conn.Close()
		begin, err := conn.PrepareContext(b.Context(), "BEGIN")
		require.NoError(b, err)
		commit, err := conn.PrepareContext(b.Context(), "COMMIT")
		require.NoError(b, err)
		point, err := conn.PrepareContext(b.Context(), "SELECT c FROM sb.t WHERE id = ?")
		require.NoError(b, err)
		b.ReportAllocs()
		b.ResetTimer()
		var c string
		for i := 0; i < b.N; i++ {
			_, err := begin.Exec()
			require.NoError(b, err)
			// One read, so that the transaction has a snapshot to end.
			require.NoError(b, point.QueryRow(1+(i*7919)%rows).Scan(&c))
			_, err = commit.Exec()
			require.NoError(b, err)
		}
	})
}
