package mysqlserver

import (
	"context"
	gosql "database/sql"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// startPlanServer starts a server whose pool holds one connection: its
// statements share one plan cache.
func startPlanServer(t *testing.T) (*Server, *gosql.DB) {
	t.Helper()
	srv, db, stop := startTestServer(t, t.TempDir(), "")
	db.SetMaxOpenConns(1)
	t.Cleanup(stop)
	return srv, db
}

// TestPlanCacheReusesPlans runs sysbench's prepared statements many times
// with changing values: every result is what the statement must return,
// and after the first executions of each the plans come from the cache.
func TestPlanCacheReusesPlans(t *testing.T) {
	srv, db := startPlanServer(t)
	for _, q := range []string{
		"CREATE DATABASE pc",
		"CREATE TABLE pc.t (id INT PRIMARY KEY, k INT NOT NULL, c VARCHAR(40) NOT NULL, KEY k (k))",
	} {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	prep := func(q string) *gosql.Stmt {
		st, err := db.Prepare(q)
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	insert := prep("INSERT INTO pc.t (id, k, c) VALUES (?, ?, ?)")
	point := prep("SELECT c FROM pc.t WHERE id = ?")
	rng := prep("SELECT id FROM pc.t WHERE id BETWEEN ? AND ? ORDER BY id")
	sum := prep("SELECT SUM(k) FROM pc.t WHERE id BETWEEN ? AND ?")
	updK := prep("UPDATE pc.t SET k = k + 1 WHERE id = ?")
	updC := prep("UPDATE pc.t SET c = ? WHERE id = ?")
	del := prep("DELETE FROM pc.t WHERE id = ?")

	const n = 200
	for i := 1; i <= n; i++ {
		_, err := insert.Exec(i, i*10, fmt.Sprintf("c%d", i))
		require.NoError(t, err)
	}
	before := srv.Metrics().Snapshot()
	for i := 1; i <= n; i++ {
		var c string
		require.NoError(t, point.QueryRow(i).Scan(&c))
		require.Equal(t, fmt.Sprintf("c%d", i), c)

		lo, hi := i, min(i+4, n)
		rows, err := rng.Query(lo, hi)
		require.NoError(t, err)
		var got []int
		for rows.Next() {
			var id int
			require.NoError(t, rows.Scan(&id))
			got = append(got, id)
		}
		require.NoError(t, rows.Close())
		var want []int
		for id := lo; id <= hi; id++ {
			want = append(want, id)
		}
		require.Equal(t, want, got, "BETWEEN %d AND %d", lo, hi)

		var s int
		require.NoError(t, sum.QueryRow(lo, hi).Scan(&s))
		wantSum := 0
		for id := lo; id <= hi; id++ {
			wantSum += id * 10
		}
		require.Equal(t, wantSum, s)

		res, err := updK.Exec(i)
		require.NoError(t, err)
		affected, _ := res.RowsAffected()
		require.EqualValues(t, 1, affected)
		_, err = updC.Exec(fmt.Sprintf("u%d", i), i)
		require.NoError(t, err)
	}
	var k int
	var c string
	require.NoError(t, db.QueryRow("SELECT k, c FROM pc.t WHERE id = 77").Scan(&k, &c))
	require.Equal(t, 771, k)
	require.Equal(t, "u77", c)
	for i := 1; i <= n; i += 2 {
		_, err := del.Exec(i)
		require.NoError(t, err)
	}
	var count int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM pc.t").Scan(&count))
	require.Equal(t, n/2, count)
	// A missing row through a cached point lookup.
	require.ErrorIs(t, point.QueryRow(1).Scan(&c), gosql.ErrNoRows)

	after := srv.Metrics().Snapshot()
	hits := after.PlanCacheHits - before.PlanCacheHits
	misses := after.PlanCacheMisses - before.PlanCacheMisses
	t.Logf("plan cache: %d hits, %d misses", hits, misses)
	// 5 statements x 200 executions + 100 deletes + 1; each statement
	// is analyzed a few times per literal type of its values.
	require.Greater(t, hits, uint64(1000))
	require.Less(t, misses, uint64(60))
}

// TestPlanCacheKeysOnValueTypes: an integer's literal type follows its
// magnitude, and strings, floats and NULL are other types again; a plan
// made for one never serves another.
func TestPlanCacheKeysOnValueTypes(t *testing.T) {
	_, db := startPlanServer(t)
	for _, q := range []string{
		"CREATE DATABASE pt",
		"CREATE TABLE pt.t (id BIGINT PRIMARY KEY, s VARCHAR(20))",
		"INSERT INTO pt.t VALUES (1, 'a'), (2, 'b'), (300, 'c'), (70000, 'd'), (5000000000, 'e'), (-3, 'f')",
	} {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	st, err := db.Prepare("SELECT s FROM pt.t WHERE id = ?")
	require.NoError(t, err)
	defer st.Close()
	for round := 0; round < 3; round++ {
		for _, tc := range []struct {
			arg  any
			want string
		}{
			{1, "a"}, {2, "b"}, {300, "c"}, {70000, "d"}, {int64(5000000000), "e"}, {-3, "f"},
			{"2", "b"}, {"300", "c"}, {2.0, "b"}, {uint64(70000), "d"},
		} {
			var s string
			require.NoError(t, st.QueryRow(tc.arg).Scan(&s), "id = %v", tc.arg)
			require.Equal(t, tc.want, s, "id = %v (%T)", tc.arg, tc.arg)
		}
		var s string
		require.ErrorIs(t, st.QueryRow(nil).Scan(&s), gosql.ErrNoRows)
		require.ErrorIs(t, st.QueryRow(4).Scan(&s), gosql.ErrNoRows)
	}
}

// TestPlanCacheTwoParametersOneValue: when two parameters had the same
// value, the cache cannot tell where each went; it must still be right.
func TestPlanCacheTwoParametersOneValue(t *testing.T) {
	_, db := startPlanServer(t)
	for _, q := range []string{
		"CREATE DATABASE pv",
		"CREATE TABLE pv.t (id INT PRIMARY KEY, k INT)",
	} {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	ins, err := db.Prepare("INSERT INTO pv.t (id, k) VALUES (?, ?)")
	require.NoError(t, err)
	defer ins.Close()
	for i := 1; i <= 20; i++ {
		k := i * 100
		if i%3 == 0 {
			k = i // same value in both
		}
		_, err := ins.Exec(i, k)
		require.NoError(t, err)
	}
	rows, err := db.Query("SELECT id, k FROM pv.t ORDER BY id")
	require.NoError(t, err)
	defer rows.Close()
	for i := 1; rows.Next(); i++ {
		var id, k int
		require.NoError(t, rows.Scan(&id, &k))
		want := i * 100
		if i%3 == 0 {
			want = i
		}
		require.Equal(t, i, id)
		require.Equal(t, want, k, "row %d", i)
	}
	require.NoError(t, rows.Err())
}

// TestPlanCacheKeepsRowLocks: cached plans of updates and locking reads
// still lock (the statement's locking is the session's, set for every
// execution): concurrent increments through one cached statement lose
// nothing, and NOWAIT still fails at once on a locked row.
func TestPlanCacheKeepsRowLocks(t *testing.T) {
	srv, db := startPlanServer(t)
	db.SetMaxOpenConns(8)
	for _, q := range []string{
		"CREATE DATABASE pl",
		"CREATE TABLE pl.t (id INT PRIMARY KEY, n INT NOT NULL)",
		"INSERT INTO pl.t VALUES (7, 0), (8, 0)",
	} {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	before := srv.Metrics().Snapshot()
	const workers, each = 4, 30
	errs := make(chan error, workers*each)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := db.Conn(context.Background())
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			st, err := conn.PrepareContext(context.Background(), "UPDATE pl.t SET n = n + ? WHERE id = ?")
			if err != nil {
				errs <- err
				return
			}
			defer st.Close()
			for i := 0; i < each; i++ {
				_, err := st.Exec(2, 7)
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var n int
	require.NoError(t, db.QueryRow("SELECT n FROM pl.t WHERE id = 7").Scan(&n))
	require.Equal(t, 2*workers*each, n)
	require.Greater(t, srv.Metrics().Snapshot().PlanCacheHits-before.PlanCacheHits, uint64(workers*each/2))

	a, err := db.Conn(context.Background())
	require.NoError(t, err)
	defer a.Close()
	b, err := db.Conn(context.Background())
	require.NoError(t, err)
	defer b.Close()
	lockRead, err := b.PrepareContext(context.Background(), "SELECT n FROM pl.t WHERE id = ? FOR UPDATE NOWAIT")
	require.NoError(t, err)
	defer lockRead.Close()
	for i := 0; i < 5; i++ { // cached by now
		require.NoError(t, lockRead.QueryRow(8).Scan(&n))
		require.NoError(t, lockRead.QueryRow(7).Scan(&n))
	}
	_, err = a.ExecContext(context.Background(), "BEGIN")
	require.NoError(t, err)
	_, err = a.ExecContext(context.Background(), "UPDATE pl.t SET n = n + 1 WHERE id = 8")
	require.NoError(t, err)
	err = lockRead.QueryRow(8).Scan(&n)
	require.Error(t, err)
	require.Contains(t, err.Error(), "3572")
	require.NoError(t, lockRead.QueryRow(7).Scan(&n))
	_, err = a.ExecContext(context.Background(), "ROLLBACK")
	require.NoError(t, err)
}

// TestPlanCacheText: text statements that differ only in their literals
// share a plan, and every result is still the statement's own: literals
// that are not values (ORDER BY positions, quoted aliases), repeated
// values, constants next to values, escapes, negative numbers, LIMIT,
// row locks and definition changes.
func TestPlanCacheText(t *testing.T) {
	srv, db := startPlanServer(t)
	exec := func(q string, args ...any) {
		t.Helper()
		_, err := db.Exec(fmt.Sprintf(q, args...))
		require.NoError(t, err, q)
	}
	exec("CREATE DATABASE tx")
	exec("CREATE TABLE tx.t (id INT PRIMARY KEY, k INT NOT NULL, c VARCHAR(40) NOT NULL, KEY k (k))")
	before := srv.Metrics().Snapshot()
	const n = 100
	for i := 1; i <= n; i++ {
		exec("INSERT INTO tx.t (id, k, c) VALUES (%d, %d, 'c%d')", i, n+1-i, i)
	}
	one := func(q string, args ...any) string {
		t.Helper()
		var s string
		require.NoError(t, db.QueryRow(fmt.Sprintf(q, args...)).Scan(&s), q)
		return s
	}
	for i := 1; i <= n; i++ {
		require.Equal(t, fmt.Sprintf("c%d", i), one("SELECT c FROM tx.t WHERE id = %d", i))
		require.Equal(t, fmt.Sprint(n+1-i), one("SELECT id FROM tx.t WHERE k = %d", i))
		// ORDER BY a position: another position is another plan.
		pos := 1 + i%2
		var gotID, gotK int
		require.NoError(t, db.QueryRow(fmt.Sprintf("SELECT id, k FROM tx.t WHERE id BETWEEN %d AND %d ORDER BY %d LIMIT 1", 1, 10, pos)).Scan(&gotID, &gotK))
		if pos == 1 {
			require.Equal(t, []int{1, 100}, []int{gotID, gotK}, "ORDER BY 1")
		} else {
			require.Equal(t, []int{10, 91}, []int{gotID, gotK}, "ORDER BY 2")
		}
		// A quoted alias is a name, not a value.
		rows, err := db.Query(fmt.Sprintf("SELECT c AS 'a%d' FROM tx.t WHERE id = %d", i, i))
		require.NoError(t, err)
		cols, err := rows.Columns()
		require.NoError(t, err)
		require.NoError(t, rows.Close())
		require.Equal(t, []string{fmt.Sprintf("a%d", i)}, cols)
		// A constant with a value's value, and the value twice.
		require.Equal(t, fmt.Sprint(n+1-i+1), one("SELECT k + 1 FROM tx.t WHERE id = %d", i))
		require.Equal(t, fmt.Sprintf("c%d", i), one("SELECT c FROM tx.t WHERE id = %d AND id = %d", i, i))
		require.Equal(t, fmt.Sprint(i), one("SELECT COUNT(*) FROM (SELECT id FROM tx.t ORDER BY id LIMIT %d) s", i))
		require.Equal(t, fmt.Sprint(-i), one("SELECT -%d + 0 FROM tx.t WHERE id = 1", i))
		exec("UPDATE tx.t SET c = 'it''s \\'%d\\'' WHERE id = %d", i, i)
		require.Equal(t, fmt.Sprintf("it's '%d'", i), one("SELECT c FROM tx.t WHERE id = %d", i))
	}
	after := srv.Metrics().Snapshot()
	hits := after.PlanCacheHits - before.PlanCacheHits
	t.Logf("text plan cache: %d hits, %d misses", hits, after.PlanCacheMisses-before.PlanCacheMisses)
	require.Greater(t, hits, uint64(4*n)) // INSERT, UPDATE, three lookups, k + 1

	// Definition changes reach cached text plans.
	exec("ALTER TABLE tx.t ADD COLUMN d INT NOT NULL DEFAULT 7")
	var id, k, d int
	var c string
	require.NoError(t, db.QueryRow("SELECT * FROM tx.t WHERE id = 3").Scan(&id, &k, &c, &d))
	require.Equal(t, 7, d)
	exec("ALTER TABLE tx.t DROP COLUMN c")
	_, err := db.Exec("UPDATE tx.t SET c = 'x' WHERE id = 4")
	require.Error(t, err)
	require.Contains(t, err.Error(), "1054")
	require.NoError(t, db.QueryRow("SELECT k FROM tx.t WHERE id = 5").Scan(&k))
	require.Equal(t, n+1-5, k)

	// Row locks of cached text statements: NOWAIT fails on a locked row.
	ctx := context.Background()
	a, err := db.Conn(ctx)
	require.NoError(t, err)
	defer a.Close()
	db.SetMaxOpenConns(2)
	b, err := db.Conn(ctx)
	require.NoError(t, err)
	defer b.Close()
	for i := 1; i <= 5; i++ {
		require.NoError(t, b.QueryRowContext(ctx, fmt.Sprintf("SELECT k FROM tx.t WHERE id = %d FOR UPDATE NOWAIT", i)).Scan(&k))
	}
	_, err = a.ExecContext(ctx, "BEGIN")
	require.NoError(t, err)
	_, err = a.ExecContext(ctx, "UPDATE tx.t SET k = k + 1 WHERE id = 8")
	require.NoError(t, err)
	err = b.QueryRowContext(ctx, "SELECT k FROM tx.t WHERE id = 8 FOR UPDATE NOWAIT").Scan(&k)
	require.Error(t, err)
	require.Contains(t, err.Error(), "3572")
	require.NoError(t, b.QueryRowContext(ctx, "SELECT k FROM tx.t WHERE id = 9 FOR UPDATE NOWAIT").Scan(&k))
	_, err = a.ExecContext(ctx, "ROLLBACK")
	require.NoError(t, err)
}

// TestPlanCachePointSpool: a cached point lookup runs through spoolPoint,
// which must answer exactly as go-mysql-server's own path: the same
// column definitions and values for every type, NULLs, a missing row,
// in both protocols, inside and outside a transaction.
func TestPlanCachePointSpool(t *testing.T) {
	srv, db := startPlanServer(t)
	for _, q := range []string{
		"CREATE DATABASE ps",
		`CREATE TABLE ps.t (id INT PRIMARY KEY, u BIGINT UNSIGNED, d DECIMAL(10,2), v VARCHAR(20), c CHAR(5),
			tx TEXT, b BLOB, dt DATETIME, da DATE, f FLOAT, g DOUBLE, j JSON, e ENUM('x','y'), s SET('p','q'),
			bt BIT(8), y YEAR, n INT, UNIQUE KEY uv (v))`,
		`INSERT INTO ps.t VALUES (1, 18446744073709551615, 12.34, 'vee', 'cc', 'text', 0x0102, '2024-01-02 03:04:05',
			'2024-01-02', 1.5, 2.25, '{"a": 1}', 'y', 'p,q', b'101', 2024, NULL)`,
		`INSERT INTO ps.t (id, v) VALUES (2, 'two')`,
	} {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	type answer struct {
		cols []string
		rows [][]string
	}
	read := func(rows *gosql.Rows, err error) answer {
		t.Helper()
		require.NoError(t, err)
		defer rows.Close()
		var a answer
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
	prep, err := db.Prepare("SELECT * FROM ps.t WHERE id = ?")
	require.NoError(t, err)
	defer prep.Close()
	byV, err := db.Prepare("SELECT id, v, d + 1 AS d1 FROM ps.t WHERE v = ?")
	require.NoError(t, err)
	defer byV.Close()
	first := map[string]answer{}
	before := srv.Metrics().Snapshot()
	for round := 0; round < 4; round++ {
		for _, id := range []int{1, 2, 3} {
			for kind, a := range map[string]answer{
				"text":     read(db.Query(fmt.Sprintf("SELECT * FROM ps.t WHERE id = %d", id))),
				"prepared": read(prep.Query(id)),
			} {
				key := fmt.Sprint(kind, id)
				if round == 0 {
					first[key] = a
					continue
				}
				require.Equal(t, first[key], a, "%s id = %d, round %d", kind, id, round)
			}
		}
		for _, v := range []string{"vee", "two", "none"} {
			a := read(byV.Query(v))
			key := "v" + v
			if round == 0 {
				first[key] = a
				continue
			}
			require.Equal(t, first[key], a, "v = %s, round %d", v, round)
		}
	}
	require.Len(t, first["text1"].rows, 1)
	require.Equal(t, first["text1"], first["prepared1"])
	require.Empty(t, first["text3"].rows)
	require.Equal(t, "NULL", first["text1"].rows[0][16])
	require.Greater(t, srv.Metrics().Snapshot().PlanCacheHits-before.PlanCacheHits, uint64(20))

	// In a transaction: the cached point read sees the transaction's own
	// write and leaves the transaction open.
	tx, err := db.Begin()
	require.NoError(t, err)
	_, err = tx.Exec("UPDATE ps.t SET v = 'changed' WHERE id = 2")
	require.NoError(t, err)
	var v string
	for i := 0; i < 3; i++ {
		require.NoError(t, tx.QueryRow("SELECT v FROM ps.t WHERE id = 2").Scan(&v))
		require.Equal(t, "changed", v)
	}
	require.NoError(t, tx.Rollback())
	require.NoError(t, db.QueryRow("SELECT v FROM ps.t WHERE id = 2").Scan(&v))
	require.Equal(t, "two", v)
}

// TestPlanCacheTransactionStatements: BEGIN, COMMIT and ROLLBACK sent as
// prepared or text statements come from the cache and still begin, end
// and undo transactions.
func TestPlanCacheTransactionStatements(t *testing.T) {
	srv, db := startPlanServer(t)
	for _, q := range []string{"CREATE DATABASE pt", "CREATE TABLE pt.t (id INT PRIMARY KEY)"} {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	prep := func(q string) *gosql.Stmt {
		st, err := conn.PrepareContext(ctx, q)
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	begin, commit, rollback := prep("BEGIN"), prep("COMMIT"), prep("ROLLBACK")
	insert := prep("INSERT INTO pt.t VALUES (?)")
	before := srv.Metrics().Snapshot()
	for i := 1; i <= 40; i++ {
		run := func(st *gosql.Stmt, args ...any) {
			_, err := st.Exec(args...)
			require.NoError(t, err)
		}
		if i%2 == 0 {
			run(begin)
			run(insert, i)
			run(rollback)
		} else {
			run(begin)
			run(insert, i)
			run(commit)
		}
		// The same as text.
		for _, q := range []string{"BEGIN", fmt.Sprintf("INSERT INTO pt.t VALUES (%d)", 1000+i), map[bool]string{true: "ROLLBACK", false: "COMMIT"}[i%2 == 0]} {
			_, err := conn.ExecContext(ctx, q)
			require.NoError(t, err)
		}
	}
	var n, odd int
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT COUNT(*), SUM(id % 2) FROM pt.t").Scan(&n, &odd))
	require.Equal(t, 40, n)
	require.Equal(t, 40, odd)
	require.Greater(t, srv.Metrics().Snapshot().PlanCacheHits-before.PlanCacheHits, uint64(150))
}

// TestIntLiteral: integers are typed as go-mysql-server's binder types
// them, by the smallest of int8, uint8, ... uint64 that holds them.
func TestIntLiteral(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want any
	}{
		{"0", int8(0)}, {"-128", int8(-128)}, {"128", uint8(128)}, {"-129", int16(-129)}, {"255", uint8(255)},
		{"256", int16(256)}, {"32768", uint16(32768)}, {"65536", int32(65536)}, {"-32769", int32(-32769)},
		{"2147483648", uint32(2147483648)}, {"4294967296", int64(4294967296)}, {"-2147483649", int64(-2147483649)},
		{"9223372036854775808", uint64(9223372036854775808)}, {"007", int8(7)},
	} {
		v, ok := intLiteral(tc.in)
		require.True(t, ok, tc.in)
		require.Equal(t, tc.want, v.v, tc.in)
	}
	for _, bad := range []string{"18446744073709551616", "-9223372036854775809", "1x", ""} {
		_, ok := intLiteral(bad)
		require.False(t, ok, bad)
	}
}

// TestPlanCacheFollowsSessionVariables: the session's derived settings
// (parsed sql_mode, the plan cache key) follow every SET at once, for
// cached text and prepared statements alike.
func TestPlanCacheFollowsSessionVariables(t *testing.T) {
	_, db := startPlanServer(t)
	for _, q := range []string{"CREATE DATABASE sv", "CREATE TABLE sv.t (id INT PRIMARY KEY, n TINYINT)", "INSERT INTO sv.t VALUES (1, 0)"} {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	ins, err := db.Prepare("UPDATE sv.t SET n = ? WHERE id = 1")
	require.NoError(t, err)
	defer ins.Close()
	for i := 0; i < 4; i++ {
		_, err := db.Exec("SET sql_mode = 'STRICT_TRANS_TABLES'")
		require.NoError(t, err)
		_, err = db.Exec(fmt.Sprintf("UPDATE sv.t SET n = %d WHERE id = 1", 300+i))
		require.Error(t, err, "strict, round %d", i)
		require.Contains(t, err.Error(), "1264")
		_, err = ins.Exec(300 + i)
		require.Error(t, err, "strict prepared, round %d", i)

		_, err = db.Exec("SET sql_mode = ''")
		require.NoError(t, err)
		_, err = db.Exec(fmt.Sprintf("UPDATE sv.t SET n = %d WHERE id = 1", 300+i))
		require.NoError(t, err, "not strict, round %d", i)
		var n int
		require.NoError(t, db.QueryRow("SELECT n FROM sv.t WHERE id = 1").Scan(&n))
		require.Equal(t, 127, n)
		_, err = ins.Exec(-300 - i)
		require.NoError(t, err, "not strict prepared, round %d", i)

		// ANSI_QUOTES: "id" is the column, then a string again.
		_, err = db.Exec("SET sql_mode = 'ANSI_QUOTES'")
		require.NoError(t, err)
		var got string
		require.NoError(t, db.QueryRow(`SELECT "id" FROM sv.t WHERE id = 1`).Scan(&got))
		require.Equal(t, "1", got)
		_, err = db.Exec("SET sql_mode = ''")
		require.NoError(t, err)
		require.NoError(t, db.QueryRow(`SELECT "id" FROM sv.t WHERE id = 1`).Scan(&got))
		require.Equal(t, "id", got)
	}
}
