package mysqlserver

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/metrics"
)

// TestStatementGatesAreExact checks that consulting the statement's
// command first (stmtclass.go) changes no feature's decision: each gated
// check agrees with the text scan it replaces.
func TestStatementGatesAreExact(t *testing.T) {
	for _, q := range []string{
		"SELECT 1", "select * from t where id = 1", "  (SELECT 1)", "/* c */ SELECT 1",
		"INSERT INTO t VALUES (1)", "insert into t values (1)", "  \n\tUPDATE t SET a = 1", "DELETE FROM t",
		"REPLACE INTO t VALUES (1)", "/* x */ INSERT INTO t VALUES (1)", "# c\nDELETE FROM t", "-- c\nUPDATE t SET a=1",
		"/*!INSERT INTO t VALUES (1)*/", "/*!40101 UPDATE t SET a = 1 */", "(INSERT", "INSERTé INTO t",
		"BEGIN", "begin work", "BEGIN;", "BEGIN WORK AND", "START TRANSACTION", "start transaction read only",
		"START", "COMMIT", "commit work", "COMMIT AND CHAIN", "ROLLBACK", "ROLLBACK WORK", "ROLLBACK TO SAVEPOINT s",
		"rollback to s", "XA START 'x'", "SAVEPOINT s",
		"CALL p()", "call p", " CALL p(1)", "/* c */ CALL p()", "/*!CALL p()*/", "CALLp()", "CALL", "(CALL p())",
		"KILL 5", "kill query 7", " KILL CONNECTION 9;", "KILL\t12", "/* c */ KILL 5", "KILL x", "KILLER 5",
		"DO 1", "SET @a = 1", "", "   ", "/* only a comment */", "/* unterminated",
		"WITH x AS (SELECT 1) SELECT * FROM x", "SHOW TABLES", "CREATE TABLE t (a INT)",
	} {
		cmd := metrics.Classify(q)
		require.Equal(t, classify(q), replayKind(cmd, q), "replay kind of %q", q)
		require.Equal(t, isCall(q), mayBeCall(cmd, q), "CALL check of %q", q)
		if killStmt.MatchString(q) {
			require.Equal(t, metrics.CommandKill, cmd, "KILL command of %q", q)
		}
	}
}
