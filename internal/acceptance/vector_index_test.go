package acceptance

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestVectorIndex covers VECTOR indexes for a nearest-neighbour search
// (ORDER BY VEC_DISTANCE(...) LIMIT n): the planner uses the index, the
// neighbours are exact, rows written later are found, and the index is
// kept across a restart.
func TestVectorIndex(t *testing.T) {
	dir := t.TempDir()
	const nearest = "SELECT id FROM vec.docs ORDER BY VEC_DISTANCE('[1.0, 1.0]', emb) LIMIT 3"
	phase(t, dir, "write", func(t *testing.T, _ string, db *sql.DB) {
		mustExec(t, db, "CREATE DATABASE vec")
		mustExec(t, db, "CREATE TABLE vec.docs (id INT PRIMARY KEY, title VARCHAR(20), emb JSON)")
		mustExec(t, db, "INSERT INTO vec.docs VALUES (1, 'a', '[0.0, 0.0]'), (2, 'b', '[1.0, 1.1]'), "+
			"(3, 'c', '[5.0, 5.0]'), (4, 'd', '[1.5, 1.0]'), (5, 'e', '[-3.0, 2.0]')")
		mustExec(t, db, "CREATE VECTOR INDEX emb_idx ON vec.docs (emb)")
		require.Equal(t, [][]string{{"2"}, {"4"}, {"1"}}, queryRows(t, db, nearest))
		mustExec(t, db, "INSERT INTO vec.docs VALUES (6, 'f', '[1.0, 1.0]')")
		require.Equal(t, [][]string{{"6"}, {"2"}, {"4"}}, queryRows(t, db, nearest))
		require.Equal(t, [][]string{{"f", "0"}},
			queryRows(t, db, "SELECT title, VEC_DISTANCE('[1.0, 1.0]', emb) FROM vec.docs ORDER BY VEC_DISTANCE('[1.0, 1.0]', emb) LIMIT 1"))
		plan := strings.Join(flatten(queryRows(t, db, "EXPLAIN PLAN "+nearest)), "\n")
		require.Contains(t, plan, "index: [docs.emb]")
	})
	phase(t, dir, "restart", func(t *testing.T, _ string, db *sql.DB) {
		rows := queryRows(t, db, "SHOW CREATE TABLE vec.docs")
		require.Contains(t, rows[0][1], "VECTOR KEY `emb_idx` (`emb`)")
		require.Equal(t, [][]string{{"6"}, {"2"}, {"4"}}, queryRows(t, db, nearest))
	})
}
