package acceptance

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAddUniqueKeyOverDuplicatesMessage: a table rewrite that finds two
// rows equal under a new unique key (here equal only under a _ci
// collation) fails with 1062 naming the value and the key (the message
// was "duplicate unique key given%!(EXTRA string=...)").
func TestAddUniqueKeyOverDuplicatesMessage(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE ur")
	mustExec(t, db, "CREATE TABLE ur.t (id INT PRIMARY KEY, name VARCHAR(20))")
	mustExec(t, db, "INSERT INTO ur.t VALUES (1, 'Alice'), (2, 'alice')")
	err := execErr(db, "ALTER TABLE ur.t ADD UNIQUE KEY uname (name), MODIFY name VARCHAR(20) COLLATE utf8mb4_0900_ai_ci")
	requireErrCode(t, err, 1062)
	require.Contains(t, err.Error(), "for key 'uname'")
	require.NotContains(t, err.Error(), "%!")
	require.Equal(t, [][]string{{"1", "Alice"}, {"2", "alice"}}, queryRows(t, db, "SELECT id, name FROM ur.t ORDER BY id"))
}
