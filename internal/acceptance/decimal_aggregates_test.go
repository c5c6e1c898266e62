package acceptance

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSumAndAvgAreDecimal: SUM and AVG of integers and decimals are exact
// DECIMALs with MySQL's precision and scale (SUM: p+22, s; AVG: p+4, s+4),
// in the text and the binary protocol; of floats they stay DOUBLE.
func TestSumAndAvgAreDecimal(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE agg")
	mustExec(t, db, "CREATE TABLE agg.t (id INT PRIMARY KEY, g INT, i INT, b BIGINT, u BIGINT UNSIGNED, ti TINYINT, d DECIMAL(10,2), f DOUBLE)")
	mustExec(t, db, `INSERT INTO agg.t VALUES
		(1, 1, 1, 9007199254740993, 18446744073709551615, 1, 1.25, 0.5),
		(2, 1, 2, 9007199254740993, 18446744073709551615, 2, 2.50, 0.25),
		(3, 2, NULL, NULL, NULL, NULL, NULL, NULL),
		(4, 2, 2, 1, 1, 2, 0.01, 1.5),
		(5, 2, 2, 1, 1, 2, 0.01, 1.5)`)
	mustExec(t, db, "CREATE VIEW agg.v AS SELECT g, SUM(b) AS sb, AVG(i) AS ai FROM agg.t GROUP BY g")

	cases := []struct {
		name, query string
		want        [][]string
	}{
		{"avg of 1 and 2", "SELECT AVG(i) FROM agg.t WHERE id IN (1, 2)", [][]string{{"1.5000"}}},
		{"large bigint sum is exact", "SELECT SUM(b) FROM agg.t WHERE id IN (1, 2)", [][]string{{"18014398509481986"}}},
		{"unsigned bigint sum past 2^64", "SELECT SUM(u) FROM agg.t WHERE id IN (1, 2)", [][]string{{"36893488147419103230"}}},
		{"decimal keeps its scale", "SELECT SUM(d), AVG(d) FROM agg.t", [][]string{{"3.77", "0.942500"}}},
		{"group by with NULLs", "SELECT g, SUM(i), AVG(i), SUM(ti), COUNT(i) FROM agg.t GROUP BY g ORDER BY g",
			[][]string{{"1", "3", "1.5000", "3", "2"}, {"2", "4", "2.0000", "4", "2"}}},
		{"only NULLs", "SELECT SUM(i), AVG(i) FROM agg.t WHERE id = 3", [][]string{{null, null}}},
		{"no rows", "SELECT SUM(i), AVG(d) FROM agg.t WHERE id > 100", [][]string{{null, null}}},
		{"distinct", "SELECT SUM(DISTINCT i), AVG(DISTINCT i), SUM(DISTINCT b) FROM agg.t", [][]string{{"3", "1.5000", "9007199254740994"}}},
		{"floats stay double", "SELECT SUM(f), AVG(f) FROM agg.t", [][]string{{"3.75", "0.9375"}}},
		{"expression over the sum", "SELECT SUM(i) + 1, SUM(b) * 2 FROM agg.t WHERE id IN (1, 2)", [][]string{{"4", "36028797018963972"}}},
		{"alias, having, order by", "SELECT g, SUM(b) AS s FROM agg.t GROUP BY g HAVING SUM(b) > 0 ORDER BY s DESC",
			[][]string{{"1", "18014398509481986"}, {"2", "2"}}},
		{"derived table", "SELECT s, a FROM (SELECT SUM(b) AS s, AVG(i) AS a FROM agg.t WHERE id IN (1, 2)) AS x", [][]string{{"18014398509481986", "1.5000"}}},
		{"scalar subquery", "SELECT (SELECT SUM(b) FROM agg.t WHERE id IN (1, 2))", [][]string{{"18014398509481986"}}},
		{"view", "SELECT sb, ai FROM agg.v ORDER BY g", [][]string{{"18014398509481986", "1.5000"}, {"2", "2.0000"}}},
		{"union", "SELECT SUM(i) FROM agg.t UNION ALL SELECT AVG(i) FROM agg.t", [][]string{{"7.0000"}, {"1.7500"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, queryRows(t, db, tc.query), tc.query)
			// A placeholder makes go-sql-driver prepare: the binary protocol.
			require.Equal(t, tc.want, queryRows(t, db, "SELECT * FROM ("+tc.query+") AS p WHERE ? = 1", 1), "prepared: "+tc.query)
		})
	}

	t.Run("column types", func(t *testing.T) {
		type col struct {
			typ         string
			prec, scale int64
		}
		read := func(t *testing.T, query string, args ...any) []col {
			t.Helper()
			rows, err := db.Query(query, args...)
			require.NoError(t, err)
			defer func() { _ = rows.Close() }()
			cts, err := rows.ColumnTypes()
			require.NoError(t, err)
			var out []col
			for _, ct := range cts {
				p, s, ok := ct.DecimalSize()
				if !ok || ct.DatabaseTypeName() != "DECIMAL" {
					p, s = 0, 0
				}
				out = append(out, col{ct.DatabaseTypeName(), p, s})
			}
			for rows.Next() {
			}
			return out
		}
		want := []col{
			{"DECIMAL", 32, 0}, // SUM(INT)
			{"DECIMAL", 14, 4}, // AVG(INT)
			{"DECIMAL", 41, 0}, // SUM(BIGINT)
			{"DECIMAL", 42, 0}, // SUM(BIGINT UNSIGNED)
			{"DECIMAL", 25, 0}, // SUM(TINYINT)
			{"DECIMAL", 32, 2}, // SUM(DECIMAL(10,2))
			{"DECIMAL", 14, 6}, // AVG(DECIMAL(10,2))
			{"DOUBLE", 0, 0},   // SUM(DOUBLE)
			{"DOUBLE", 0, 0},   // AVG(DOUBLE)
		}
		const q = "SELECT SUM(i), AVG(i), SUM(b), SUM(u), SUM(ti), SUM(d), AVG(d), SUM(f), AVG(f) FROM agg.t"
		require.Equal(t, want, read(t, q))
		require.Equal(t, want, read(t, q+" WHERE id > ?", 0))
	})

	t.Run("procedure and INSERT ... SELECT", func(t *testing.T) {
		mustExec(t, db, "CREATE PROCEDURE agg.p() SELECT SUM(b), AVG(i) FROM agg.t WHERE id IN (1, 2)")
		require.Equal(t, [][]string{{"18014398509481986", "1.5000"}}, queryRows(t, db, "CALL agg.p()"))
		mustExec(t, db, "CREATE TABLE agg.s (id INT PRIMARY KEY, total DECIMAL(40,0))")
		mustExec(t, db, "INSERT INTO agg.s SELECT 1, SUM(b) FROM agg.t WHERE id IN (1, 2)")
		require.Equal(t, "18014398509481986", queryValue(t, db, "SELECT total FROM agg.s"))
	})

	t.Run("CREATE TABLE AS SELECT takes the types", func(t *testing.T) {
		mustExec(t, db, "CREATE TABLE agg.c AS SELECT SUM(i) AS s, AVG(i) AS a FROM agg.t")
		require.Equal(t, [][]string{{"s", "decimal(32,0)"}, {"a", "decimal(14,4)"}},
			queryRows(t, db, "SELECT column_name, column_type FROM information_schema.columns WHERE table_schema = 'agg' AND table_name = 'c' ORDER BY ordinal_position"))
		require.Equal(t, [][]string{{"7", "1.7500"}}, queryRows(t, db, "SELECT s, a FROM agg.c"))
	})
}
