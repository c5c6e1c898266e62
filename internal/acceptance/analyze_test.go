package acceptance

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAnalyzeTable: ANALYZE TABLE reports OK on an empty table (go-mysql-server's
// statistics divided by the empty sample and panicked), on a filled one, and
// after every row is deleted; index lookups keep working throughout.
func TestAnalyzeTable(t *testing.T) {
	addr, root := start(t)
	mustExec(t, root, "CREATE DATABASE st")
	db := openAs(t, "root", "", addr, "st")
	mustExec(t, db, "CREATE TABLE st.e (id INT PRIMARY KEY, v INT, KEY by_v (v))")
	ok := []string{"e", "analyze", "status", "OK"}
	analyze := func() {
		t.Helper()
		rows := queryRows(t, db, "ANALYZE TABLE st.e")
		require.Equal(t, [][]string{ok}, rows)
	}
	analyze()
	mustExec(t, db, "INSERT INTO st.e VALUES (1, 10), (2, 20), (3, 20)")
	analyze()
	require.Equal(t, "2", queryValue(t, db, "SELECT COUNT(*) FROM st.e WHERE v = 20"))
	mustExec(t, db, "DELETE FROM st.e")
	analyze()
	require.Equal(t, "0", queryValue(t, db, "SELECT COUNT(*) FROM st.e WHERE v = 20"))
	requireAlive(t, db)
}
