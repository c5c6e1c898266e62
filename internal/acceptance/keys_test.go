package acceptance

import (
	"database/sql"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestKeys covers composite and missing primary keys, unique, composite
// and prefix indexes, and case-insensitive uniqueness.
func TestKeys(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE k")
	runCases(t, db, []sqlCase{
		{
			name: "composite primary key lookups",
			setup: []string{
				"CREATE TABLE k.cpk (a INT, b VARCHAR(10), c INT, PRIMARY KEY (a, b))",
				"INSERT INTO k.cpk VALUES (2,'x',3), (1,'y',2), (1,'x',1)",
			},
			query: "SELECT a, b, c FROM k.cpk WHERE a = 1 ORDER BY b",
			want:  [][]string{{"1", "x", "1"}, {"1", "y", "2"}},
		},
		{name: "composite primary key point get", query: "SELECT c FROM k.cpk WHERE a = 1 AND b = 'y'", want: [][]string{{"2"}}},
		{name: "composite primary key duplicate", query: "INSERT INTO k.cpk VALUES (1,'x',9)", wantErr: 1062},
		{name: "composite primary key full scan order", query: "SELECT a, b FROM k.cpk", want: [][]string{{"1", "x"}, {"1", "y"}, {"2", "x"}}},
		{
			name: "keyless table keeps duplicates",
			setup: []string{
				"CREATE TABLE k.nokey (a INT, b VARCHAR(5))",
				"INSERT INTO k.nokey VALUES (1,'d'), (1,'d'), (2,'e')",
			},
			query: "SELECT a, b, COUNT(*) FROM k.nokey GROUP BY a, b ORDER BY a",
			want:  [][]string{{"1", "d", "2"}, {"2", "e", "1"}},
		},
		{
			name:  "keyless delete limit 1 removes one of two identical rows",
			setup: []string{"DELETE FROM k.nokey WHERE a = 1 LIMIT 1"},
			query: "SELECT a, b FROM k.nokey ORDER BY a",
			want:  [][]string{{"1", "d"}, {"2", "e"}},
		},
		{
			name:  "keyless update one of two identical rows",
			setup: []string{"INSERT INTO k.nokey VALUES (1,'d')", "UPDATE k.nokey SET b = 'z' WHERE a = 1 LIMIT 1"},
			query: "SELECT a, b FROM k.nokey ORDER BY a, b",
			want:  [][]string{{"1", "d"}, {"1", "z"}, {"2", "e"}},
		},
		{
			name: "unique index allows many NULLs",
			setup: []string{
				"CREATE TABLE k.uq (id INT PRIMARY KEY, e VARCHAR(20), UNIQUE KEY ue (e))",
				"INSERT INTO k.uq VALUES (1,'a'), (2,NULL), (3,NULL), (4,NULL)",
			},
			query: "SELECT id FROM k.uq WHERE e IS NULL ORDER BY id",
			want:  [][]string{{"2"}, {"3"}, {"4"}},
		},
		{name: "unique index duplicate insert", query: "INSERT INTO k.uq VALUES (5,'a')", wantErr: 1062},
		{name: "unique index duplicate update", query: "UPDATE k.uq SET e = 'a' WHERE id = 2", wantErr: 1062},
		{name: "unique index still consistent", query: "SELECT id FROM k.uq WHERE e = 'a'", want: [][]string{{"1"}}},
		{name: "primary key duplicate", query: "INSERT INTO k.uq VALUES (1,'q')", wantErr: 1062},
		{
			name:  "unique value freed by delete can be reused",
			setup: []string{"DELETE FROM k.uq WHERE id = 1", "INSERT INTO k.uq VALUES (6,'a')"},
			query: "SELECT id FROM k.uq WHERE e = 'a'",
			want:  [][]string{{"6"}},
		},
		{
			name: "composite index range",
			setup: []string{
				"CREATE TABLE k.comp (id INT PRIMARY KEY, a INT, b INT, c VARCHAR(100), KEY ab (a, b), KEY cp (c(10)))",
				"INSERT INTO k.comp VALUES (1,1,1,'prefix-same-AAAA'), (2,1,5,'prefix-same-BBBB'), (3,2,1,'other'), (4,1,3,NULL)",
			},
			query: "SELECT id FROM k.comp WHERE a = 1 AND b > 2 ORDER BY b",
			want:  [][]string{{"4"}, {"2"}},
		},
		{name: "composite index prefix of columns", query: "SELECT id FROM k.comp WHERE a = 2", want: [][]string{{"3"}}},
		{name: "prefix index exact match", query: "SELECT id FROM k.comp WHERE c = 'prefix-same-BBBB'", want: [][]string{{"2"}}},
		{name: "prefix index range", query: "SELECT id FROM k.comp WHERE c LIKE 'prefix-same-%' ORDER BY id", want: [][]string{{"1"}, {"2"}}},
		{
			name: "unique prefix index",
			setup: []string{
				"CREATE TABLE k.uprefix (id INT PRIMARY KEY, c VARCHAR(50), UNIQUE KEY (c(3)))",
				"INSERT INTO k.uprefix VALUES (1, 'abcdef')",
			},
			query:   "INSERT INTO k.uprefix VALUES (2, 'abcxyz')",
			wantErr: 1062,
		},
		{
			name: "ci unique index treats a and A as duplicates",
			setup: []string{
				"CREATE TABLE k.ci (id INT PRIMARY KEY, n VARCHAR(10) COLLATE utf8mb4_0900_ai_ci, UNIQUE KEY (n))",
				"INSERT INTO k.ci VALUES (1, 'a')",
			},
			query:   "INSERT INTO k.ci VALUES (2, 'A')",
			wantErr: 1062,
		},
		{name: "ci unique index accents", query: "INSERT INTO k.ci VALUES (3, 'á')", wantErr: 1062},
		{name: "ci lookup finds either case", query: "SELECT id FROM k.ci WHERE n = 'A'", want: [][]string{{"1"}}},
		{
			name: "ci primary key",
			setup: []string{
				"CREATE TABLE k.cipk (n VARCHAR(10) COLLATE utf8mb4_0900_ai_ci PRIMARY KEY)",
				"INSERT INTO k.cipk VALUES ('Ärger')",
			},
			query:   "INSERT INTO k.cipk VALUES ('ARGER')",
			wantErr: 1062,
		},
		{
			name: "bin unique index keeps a and A apart",
			setup: []string{
				"CREATE TABLE k.bin (id INT PRIMARY KEY, n VARCHAR(10) COLLATE utf8mb4_bin, UNIQUE KEY (n))",
				"INSERT INTO k.bin VALUES (1, 'a'), (2, 'A')",
			},
			query: "SELECT id FROM k.bin WHERE n = 'A'",
			want:  [][]string{{"2"}},
		},
	})
}

// TestAutoIncrement checks explicit values, LAST_INSERT_ID and that ids
// are never reused after a restart.
func TestAutoIncrement(t *testing.T) {
	dir := t.TempDir()
	phase(t, dir, "write", func(t *testing.T, _ string, db *sql.DB) {
		c := conn(t, db)
		mustExec(t, c, "CREATE DATABASE ai")
		mustExec(t, c, "CREATE TABLE ai.t (id INT PRIMARY KEY AUTO_INCREMENT, v INT)")
		res := mustExec(t, c, "INSERT INTO ai.t (v) VALUES (1)")
		id, err := res.LastInsertId()
		require.NoError(t, err)
		require.Equal(t, int64(1), id)
		require.Equal(t, "1", queryValue(t, c, "SELECT LAST_INSERT_ID()"))

		mustExec(t, c, "INSERT INTO ai.t (id, v) VALUES (10, 2)")
		require.Equal(t, "1", queryValue(t, c, "SELECT LAST_INSERT_ID()"), "explicit id does not change LAST_INSERT_ID")
		res = mustExec(t, c, "INSERT INTO ai.t (v) VALUES (3), (4)")
		id, err = res.LastInsertId()
		require.NoError(t, err)
		require.Equal(t, int64(11), id, "first id of a multi-row insert")
		require.Equal(t, "11", queryValue(t, c, "SELECT LAST_INSERT_ID()"))
		mustExec(t, c, "INSERT INTO ai.t (id, v) VALUES (NULL, 5), (0, 6)")
		require.Equal(t, [][]string{{"1", "1"}, {"10", "2"}, {"11", "3"}, {"12", "4"}, {"13", "5"}, {"14", "6"}},
			queryRows(t, c, "SELECT id, v FROM ai.t ORDER BY id"))

		mustExec(t, c, "CREATE TABLE ai.r (id BIGINT PRIMARY KEY AUTO_INCREMENT, v INT)")
		for i := 1; i <= 5; i++ {
			mustExec(t, c, "INSERT INTO ai.r (v) VALUES (?)", i)
		}
		mustExec(t, c, "DELETE FROM ai.r WHERE id = 5")
		mustExec(t, c, "CREATE TABLE ai.all (id INT PRIMARY KEY AUTO_INCREMENT)")
		mustExec(t, c, "INSERT INTO ai.all VALUES (), (), ()")
		mustExec(t, c, "DELETE FROM ai.all")
	})
	phase(t, dir, "after restart", func(t *testing.T, _ string, db *sql.DB) {
		c := conn(t, db)
		res := mustExec(t, c, "INSERT INTO ai.r (v) VALUES (6)")
		id, err := res.LastInsertId()
		require.NoError(t, err)
		require.Greater(t, id, int64(5), "an id used before the restart was handed out again")
		require.Equal(t, strconv.FormatInt(id, 10), queryValue(t, c, "SELECT id FROM ai.r WHERE v = 6"))

		res = mustExec(t, c, "INSERT INTO ai.all VALUES ()")
		id, err = res.LastInsertId()
		require.NoError(t, err)
		require.Greater(t, id, int64(3), "an id used before the restart was handed out again (emptied table)")

		res = mustExec(t, c, "INSERT INTO ai.t (v) VALUES (7)")
		id, err = res.LastInsertId()
		require.NoError(t, err)
		require.Equal(t, int64(15), id)
	})
}
