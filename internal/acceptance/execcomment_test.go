package acceptance

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// TestDumpStyleTriggerAndEvent creates a trigger and an event the way
// mariadb-dump writes them, inside executable comments, and checks that
// SHOW CREATE returns them without the comment markers: a reloaded dump
// dumped again nested the markers before.
func TestDumpStyleTriggerAndEvent(t *testing.T) {
	_, db := testutil.StartServer(t)
	mustExec(t, db, "CREATE DATABASE ec")
	mustExec(t, db, "CREATE TABLE ec.t (id INT PRIMARY KEY, s VARCHAR(20))")
	c := conn(t, db)
	mustExec(t, c, "USE ec")
	mustExec(t, c, "/*!50003 CREATE TRIGGER t_ins BEFORE INSERT ON t FOR EACH ROW SET NEW.s = 'dumped' */")
	mustExec(t, c, "/*!50106 CREATE*/ /*!50117 DEFINER=`root`@`localhost`*/ /*!50106 EVENT `e` ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM t WHERE id < 0 */")

	trig := queryRows(t, c, "SHOW CREATE TRIGGER t_ins")
	require.Equal(t, "CREATE TRIGGER t_ins BEFORE INSERT ON t FOR EACH ROW SET NEW.s = 'dumped'", trig[0][2])
	ev := queryRows(t, c, "SHOW CREATE EVENT e")
	require.NotContains(t, ev[0][3], "*/")
	require.Contains(t, ev[0][3], "DO DELETE FROM t WHERE id < 0")

	mustExec(t, c, "INSERT INTO t (id) VALUES (1)")
	require.Equal(t, [][]string{{"1", "dumped"}}, queryRows(t, c, "SELECT * FROM t"))
}
