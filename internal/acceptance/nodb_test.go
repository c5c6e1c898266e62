package acceptance

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// noDBStatement is one statement that names its objects as db.name, run on
// a connection without a current database.
type noDBStatement struct {
	query string
	// rows is the expected result for statements that return rows whose
	// content is checked; nil checks only that the statement succeeds.
	rows [][]string
}

// noDBStatements covers every statement kind that takes a qualified name,
// in an order where each one finds what the earlier ones created. {db} is
// the database name (each protocol gets its own database).
var noDBStatements = []noDBStatement{
	{query: "CREATE TABLE {db}.t (id INT PRIMARY KEY, v VARCHAR(10), KEY by_v (v))"},
	{query: "CREATE TABLE {db}.k (v INT)"},
	{query: "INSERT INTO {db}.t VALUES (1, 'a'), (2, 'b'), (3, 'c')"},
	{query: "INSERT INTO {db}.k SELECT id FROM {db}.t"},
	{query: "REPLACE INTO {db}.t VALUES (3, 'cc')"},
	{query: "INSERT INTO {db}.t VALUES (3, 'c') ON DUPLICATE KEY UPDATE v = 'c'"},
	{query: "UPDATE {db}.t SET v = 'bb' WHERE id = 2"},
	{query: "UPDATE {db}.t AS a JOIN {db}.k AS b ON a.id = b.v SET a.v = 'aa' WHERE b.v = 1"},
	{query: "SELECT id, v FROM {db}.t ORDER BY id", rows: [][]string{{"1", "aa"}, {"2", "bb"}, {"3", "c"}}},
	{query: "SELECT COUNT(*) FROM {db}.t", rows: [][]string{{"3"}}},
	{query: "SELECT t.id FROM {db}.t WHERE EXISTS (SELECT 1 FROM {db}.k WHERE k.v = t.id) ORDER BY t.id", rows: [][]string{{"1"}, {"2"}, {"3"}}},
	{query: "CREATE VIEW {db}.v AS SELECT id, v FROM {db}.t WHERE id < 3"},
	{query: "SELECT id, v FROM {db}.v ORDER BY id", rows: [][]string{{"1", "aa"}, {"2", "bb"}}},
	{query: "SELECT a.id FROM {db}.v AS a JOIN {db}.t AS b ON a.id = b.id ORDER BY a.id", rows: [][]string{{"1"}, {"2"}}},
	{query: "SELECT (SELECT COUNT(*) FROM {db}.v)", rows: [][]string{{"2"}}},
	{query: "CREATE OR REPLACE VIEW {db}.v AS SELECT id, v FROM {db}.t WHERE id < 2"},
	{query: "SHOW CREATE VIEW {db}.v"},
	{query: "SHOW CREATE TABLE {db}.t"},
	{query: "SHOW CREATE TABLE {db}.v"},
	{query: "SHOW COLUMNS FROM {db}.t"},
	{query: "SHOW FULL COLUMNS FROM t FROM {db}"},
	{query: "DESCRIBE {db}.t"},
	{query: "DESCRIBE {db}.v"},
	{query: "SHOW INDEX FROM {db}.t"},
	{query: "SHOW KEYS FROM t IN {db}"},
	{query: "SHOW TABLES FROM {db}"},
	{query: "SHOW FULL TABLES FROM {db}"},
	{query: "SHOW TABLE STATUS FROM {db}"},
	{query: "SHOW TRIGGERS FROM {db}"},
	{query: "EXPLAIN SELECT * FROM {db}.t WHERE id = 1"},
	{query: "EXPLAIN SELECT * FROM {db}.v"},
	{query: "ANALYZE TABLE {db}.t"},
	{query: "ANALYZE TABLE {db}.t, {db}.k"},
	{query: "CREATE INDEX by_v2 ON {db}.t (v, id)"},
	{query: "DROP INDEX by_v2 ON {db}.t"},
	{query: "ALTER TABLE {db}.t ADD COLUMN w INT"},
	{query: "ALTER TABLE {db}.t DROP COLUMN w"},
	{query: "CREATE TABLE {db}.t2 LIKE {db}.t"},
	{query: "CREATE TABLE {db}.t3 AS SELECT * FROM {db}.t"},
	{query: "SELECT COUNT(*) FROM {db}.t3", rows: [][]string{{"3"}}},
	{query: "RENAME TABLE {db}.t2 TO {db}.t4"},
	{query: "ALTER TABLE {db}.t4 RENAME TO {db}.t5"},
	{query: "TRUNCATE TABLE {db}.t3"},
	{query: "CREATE TRIGGER {db}.tr BEFORE INSERT ON {db}.k FOR EACH ROW SET NEW.v = NEW.v + 100"},
	{query: "SHOW CREATE TRIGGER {db}.tr"},
	{query: "INSERT INTO {db}.k VALUES (4)"},
	{query: "SELECT MAX(v) FROM {db}.k", rows: [][]string{{"104"}}},
	{query: "DROP TRIGGER {db}.tr"},
	{query: "CREATE PROCEDURE {db}.p() SELECT COUNT(*) FROM {db}.t"},
	{query: "SHOW CREATE PROCEDURE {db}.p"},
	{query: "CALL {db}.p()"},
	{query: "DROP PROCEDURE {db}.p"},
	{query: "CREATE EVENT {db}.e ON SCHEDULE AT '2099-01-01 00:00:00' DO DELETE FROM {db}.k"},
	{query: "SHOW CREATE EVENT {db}.e"},
	{query: "DROP EVENT {db}.e"},
	{query: "LOCK TABLES {db}.t READ"},
	{query: "UNLOCK TABLES"},
	{query: "DELETE FROM {db}.k WHERE v = 104"},
	{query: "DELETE FROM {db}.k"},
	{query: "SELECT COUNT(*) FROM {db}.k", rows: [][]string{{"0"}}},
	{query: "DELETE a FROM {db}.t AS a JOIN {db}.t3 AS b ON a.id = b.id"},
	{query: "DROP VIEW {db}.v"},
	{query: "DROP TABLE {db}.t5, {db}.t3"},
	{query: "DROP TABLE IF EXISTS {db}.nope"},
}

// TestQualifiedNamesWithoutCurrentDatabase runs every statement kind that
// takes a qualified name on a connection without a current database
// (connection pools, exporters and dump tools connect that way), in the
// text protocol and prepared (binary protocol).
func TestQualifiedNamesWithoutCurrentDatabase(t *testing.T) {
	_, db := start(t)
	for _, proto := range []string{"text", "binary"} {
		t.Run(proto, func(t *testing.T) {
			name := "nodb_" + proto
			mustExec(t, db, "CREATE DATABASE "+name)
			c := conn(t, db)
			require.Equal(t, null, queryValue(t, c, "SELECT DATABASE()"))
			for _, st := range noDBStatements {
				q := strings.ReplaceAll(st.query, "{db}", name)
				t.Run(q, func(t *testing.T) {
					got := runNoDB(t, c, q, proto == "binary")
					if st.rows != nil {
						require.Equal(t, st.rows, got, q)
					}
				})
			}
			require.Equal(t, null, queryValue(t, c, "SELECT DATABASE()"))
			// A statement with an unqualified table still has no
			// database, as in MySQL; nor does the next one.
			mustExec(t, c, "CREATE TABLE "+name+".u (id INT)")
			for _, q := range []string{
				"SELECT * FROM u",
				"SELECT * FROM " + name + ".u JOIN k ON u.id = k.v",
				"INSERT INTO u VALUES (1)",
				"DELETE FROM u",
			} {
				requireErrCode(t, runNoDBErr(c, q, proto == "binary"), 1046, q)
			}
			require.Equal(t, null, queryValue(t, c, "SELECT DATABASE()"))
		})
	}
}

// runNoDBErr runs q on c, prepared when binary, and returns its error.
func runNoDBErr(c *sql.Conn, q string, binary bool) error {
	if !binary {
		return queryErr(c, q)
	}
	ctx, cancel := context.WithTimeout(context.Background(), stmtTimeout)
	defer cancel()
	st, err := c.PrepareContext(ctx, q)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	return queryErr(stmtQuerier{st}, "")
}

// runNoDB runs q on c, prepared when binary, and returns its rows.
func runNoDB(t *testing.T, c *sql.Conn, q string, binary bool) [][]string {
	t.Helper()
	if !binary {
		return queryRows(t, c, q)
	}
	ctx, cancel := context.WithTimeout(context.Background(), stmtTimeout)
	defer cancel()
	st, err := c.PrepareContext(ctx, q)
	require.NoError(t, err, q)
	defer func() { _ = st.Close() }()
	return queryRows(t, stmtQuerier{st}, "")
}

// stmtQuerier runs a prepared statement where a querier is expected; the
// query text is ignored.
type stmtQuerier struct{ st *sql.Stmt }

func (s stmtQuerier) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return s.st.ExecContext(ctx, args...)
}

func (s stmtQuerier) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return s.st.QueryContext(ctx, args...)
}
