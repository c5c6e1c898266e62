package acceptance

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// TestTriggerOfAnotherDatabase writes to a table with a trigger while
// another database is current, and lists triggers from there, as
// mariadb-dump does for every database it dumps.
func TestTriggerOfAnotherDatabase(t *testing.T) {
	_, db := testutil.StartServer(t)
	mustExec(t, db, "CREATE DATABASE ta")
	mustExec(t, db, "CREATE DATABASE tb")
	c := conn(t, db)
	mustExec(t, c, "USE ta")
	mustExec(t, c, "CREATE TABLE t (id INT PRIMARY KEY)")
	mustExec(t, c, "CREATE TABLE log (id INT)")
	mustExec(t, c, "CREATE TRIGGER t_log AFTER INSERT ON t FOR EACH ROW INSERT INTO log VALUES (NEW.id)")
	mustExec(t, c, "USE tb")
	knownGap(t, "go-mysql-server parses a trigger in the current database: 1146 for ta.t from tb")
	mustExec(t, c, "INSERT INTO ta.t VALUES (1)")
	require.Equal(t, [][]string{{"1"}}, queryRows(t, c, "SELECT id FROM ta.log"))
	require.Equal(t, [][]string{{"t_log", "ta"}},
		queryRows(t, c, "SELECT TRIGGER_NAME, EVENT_OBJECT_SCHEMA FROM INFORMATION_SCHEMA.TRIGGERS"))
}
