package mysqlserver

import (
	gosql "database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// spoolAnswer is a result as a client sees it: column definitions and
// values (NULL as "NULL").
type spoolAnswer struct {
	cols []string
	rows [][]string
}

// readAnswer returns a reader of a query's answer (rows, err).
func readAnswer(t *testing.T) func(*gosql.Rows, error) spoolAnswer {
	t.Helper()
	return func(rows *gosql.Rows, err error) spoolAnswer {
		t.Helper()
		return answerOf(t, rows, err)
	}
}

func answerOf(t *testing.T, rows *gosql.Rows, err error) spoolAnswer {
	t.Helper()
	require.NoError(t, err)
	defer rows.Close()
	var a spoolAnswer
	cts, err := rows.ColumnTypes()
	require.NoError(t, err)
	for _, ct := range cts {
		l, _ := ct.Length()
		p, s, _ := ct.DecimalSize()
		nl, _ := ct.Nullable()
		a.cols = append(a.cols, fmt.Sprintf("%s %s %d %d,%d %v %v", ct.Name(), ct.DatabaseTypeName(), l, p, s, nl, ct.ScanType()))
	}
	for rows.Next() {
		vals := make([]gosql.RawBytes, len(cts))
		ptrs := make([]any, len(cts))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		var row []string
		for _, v := range vals {
			if v == nil {
				row = append(row, "NULL")
			} else {
				row = append(row, string(v))
			}
		}
		a.rows = append(a.rows, row)
	}
	require.NoError(t, rows.Err())
	return a
}

// TestPlanCacheRangeSpool: cached reads of many rows run through
// spoolRows, which must answer as go-mysql-server's own path (the first,
// analyzed execution of each value set): sysbench's range statements
// with ORDER BY and DISTINCT under a case-insensitive collation, SUM,
// NULLs, a secondary index, ranges without rows, and results of more
// than one batch (exactly two batches, then two and a part), in both
// protocols.
func TestPlanCacheRangeSpool(t *testing.T) {
	srv, db := startPlanServer(t)
	for _, q := range []string{
		"CREATE DATABASE rs",
		`CREATE TABLE rs.t (id INT PRIMARY KEY, k INT NOT NULL, c VARCHAR(20) COLLATE utf8mb4_0900_ai_ci NOT NULL,
			n INT NULL, b VARBINARY(10), KEY k (k))`,
	} {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	var vals []string
	for i := 1; i <= 300; i++ {
		// c repeats every 7 rows, in two spellings of case: DISTINCT and
		// ORDER BY see them as one value.
		c := fmt.Sprintf("'v%d'", i%7)
		if i%2 == 0 {
			c = strings.ToUpper(c)
		}
		n := "NULL"
		if i%3 != 0 {
			n = fmt.Sprint(i * 10)
		}
		vals = append(vals, fmt.Sprintf("(%d, %d, %s, %s, 0x%02x)", i, 301-i, c, n, i%256))
	}
	_, err := db.Exec("INSERT INTO rs.t VALUES " + strings.Join(vals, ","))
	require.NoError(t, err)

	queries := []string{
		"SELECT c FROM rs.t WHERE id BETWEEN %d AND %d",
		"SELECT SUM(k) FROM rs.t WHERE id BETWEEN %d AND %d",
		"SELECT c FROM rs.t WHERE id BETWEEN %d AND %d ORDER BY c",
		"SELECT DISTINCT c FROM rs.t WHERE id BETWEEN %d AND %d ORDER BY c",
		"SELECT id, n, b FROM rs.t WHERE k BETWEEN %d AND %d",
		"SELECT id, c FROM rs.t WHERE id BETWEEN %d AND %d ORDER BY c DESC, id LIMIT 130",
	}
	bounds := [][2]int{{1, 100}, {1, 256}, {1, 300}, {20, 29}, {400, 500}}
	first := map[string]spoolAnswer{}
	before := srv.Metrics().Snapshot()
	for round := 0; round < 3; round++ {
		for _, q := range queries {
			st, err := db.Prepare(strings.ReplaceAll(q, "%d", "?"))
			require.NoError(t, err)
			for _, b := range bounds {
				for kind, a := range map[string]spoolAnswer{
					"text":     readAnswer(t)(db.Query(fmt.Sprintf(q, b[0], b[1]))),
					"prepared": readAnswer(t)(st.Query(b[0], b[1])),
				} {
					key := fmt.Sprint(kind, q, b)
					if round == 0 {
						first[key] = a
						continue
					}
					require.Equal(t, first[key], a, "%s %q %v, round %d", kind, q, b, round)
				}
			}
			require.NoError(t, st.Close())
		}
	}
	require.Greater(t, srv.Metrics().Snapshot().PlanCacheHits-before.PlanCacheHits, uint64(80))

	a := first[fmt.Sprint("prepared", queries[0], bounds[2])]
	require.Len(t, a.rows, 300)
	// ORDER BY c follows the collation: 'v0' and 'V0' are neighbours.
	// (DISTINCT does not merge them on either path: go-mysql-server's
	// distinct hashes the bytes; MySQL would return 7 rows.)
	a = first[fmt.Sprint("prepared", queries[3], bounds[2])]
	require.Equal(t, [][]string{{"v0"}, {"v0"}, {"v1"}, {"v1"}, {"v2"}, {"v2"}, {"v3"}, {"v3"}, {"v4"}, {"v4"}, {"v5"}, {"v5"}, {"v6"}, {"v6"}}, lowerRows(a.rows))
	a = first[fmt.Sprint("text", queries[1], bounds[4])]
	require.Equal(t, [][]string{{"NULL"}}, a.rows, "SUM of no rows")
	a = first[fmt.Sprint("prepared", queries[4], bounds[3])]
	require.Len(t, a.rows, 10)
	require.Contains(t, a.rows, []string{"279", "NULL", "\x17"})
	a = first[fmt.Sprint("text", queries[5], bounds[1])]
	require.Len(t, a.rows, 130)
}

func lowerRows(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = []string{strings.ToLower(r[0])}
	}
	return out
}

// TestPlanCacheRangeSpoolSnapshot: a cached range read inside a REPEATABLE
// READ transaction keeps the transaction open and reads its snapshot
// while another connection commits changes to rows in the range; after
// COMMIT the same statement sees them.
func TestPlanCacheRangeSpoolSnapshot(t *testing.T) {
	_, db, stop := startTestServer(t, t.TempDir(), "")
	t.Cleanup(stop)
	for _, q := range []string{
		"CREATE DATABASE rr",
		"CREATE TABLE rr.t (id INT PRIMARY KEY, k INT NOT NULL)",
		"INSERT INTO rr.t VALUES (1, 1), (2, 2), (3, 3), (5, 5)",
	} {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	ctx := t.Context()
	a, err := db.Conn(ctx)
	require.NoError(t, err)
	defer a.Close()
	b, err := db.Conn(ctx)
	require.NoError(t, err)
	defer b.Close()
	sum := func(lo, hi int) string {
		t.Helper()
		var s gosql.NullString
		require.NoError(t, a.QueryRowContext(ctx, "SELECT SUM(k) FROM rr.t WHERE id BETWEEN ? AND ?", lo, hi).Scan(&s))
		return s.String
	}
	ids := func() []string {
		t.Helper()
		return readAnswer(t)(a.QueryContext(ctx, "SELECT id FROM rr.t WHERE id BETWEEN ? AND ? ORDER BY id", 1, 9)).flat()
	}
	for i := 0; i < 3; i++ { // the cache learns the plans
		require.Equal(t, "11", sum(1, 9))
		require.Equal(t, []string{"1", "2", "3", "5"}, ids())
	}
	_, err = a.ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
	require.NoError(t, err)
	_, err = a.ExecContext(ctx, "BEGIN")
	require.NoError(t, err)
	require.Equal(t, "11", sum(1, 9))
	for _, q := range []string{"INSERT INTO rr.t VALUES (4, 40)", "UPDATE rr.t SET k = 20 WHERE id = 2", "DELETE FROM rr.t WHERE id = 5"} {
		_, err := b.ExecContext(ctx, q)
		require.NoError(t, err)
	}
	for i := 0; i < 2; i++ {
		// The same snapshot: the cached reads left the transaction open.
		require.Equal(t, "11", sum(1, 9), "the snapshot, not the concurrent commits")
		require.Equal(t, []string{"1", "2", "3", "5"}, ids())
	}
	_, err = a.ExecContext(ctx, "COMMIT")
	require.NoError(t, err)
	require.Equal(t, "64", sum(1, 9))
	require.Equal(t, []string{"1", "2", "3", "4"}, ids())
	require.Equal(t, "", sum(6, 9), "no rows: NULL")
}

func (a spoolAnswer) flat() []string {
	var out []string
	for _, r := range a.rows {
		out = append(out, r...)
	}
	return out
}

// TestSameValueIntegers: an index bound converted to its column's type
// is the parameter whatever the two integer types, by value only.
func TestSameValueIntegers(t *testing.T) {
	for _, c := range []struct {
		v    any
		o    boundValue
		want bool
	}{
		{int64(5), boundValue{class: '1', v: int8(5)}, true},
		{uint32(200), boundValue{class: '2', v: uint8(200)}, true},
		{int32(-5), boundValue{class: '1', v: int8(-5)}, true},
		{uint64(5), boundValue{class: '1', v: int8(-5)}, false},
		{int64(-9223372036854775808), boundValue{class: '7', v: int64(-9223372036854775808)}, true},
		{uint64(18446744073709551615), boundValue{class: '8', v: uint64(18446744073709551615)}, true},
		{int64(-1), boundValue{class: '8', v: uint64(18446744073709551615)}, false},
		{int(300), boundValue{class: '3', v: int16(300)}, true},
		{float64(5), boundValue{class: '1', v: int8(5)}, false},
		{"5", boundValue{class: '1', v: int8(5)}, false},
		{"abc", boundValue{class: 's', v: "abc"}, true},
		{1.5, boundValue{class: 'f', v: 1.5}, true},
	} {
		require.Equal(t, c.want, sameValue(c.v, c.o, true), "%T(%v) vs %T(%v)", c.v, c.v, c.o.v, c.o.v)
	}
	// Literals compare with their exact type.
	require.False(t, sameValue(int64(5), boundValue{class: '1', v: int8(5)}, false))
	require.True(t, sameValue(int8(5), boundValue{class: '1', v: int8(5)}, false))
}
