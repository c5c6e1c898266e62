package acceptance

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"
)

// pingErr reports whether db can log in and answer.
func pingErr(db *sql.DB) error {
	ctx, cancel := context.WithTimeout(context.Background(), stmtTimeout)
	defer cancel()
	return db.PingContext(ctx)
}

// TestUsersAndGrants covers users, grants, revokes, password changes and
// roles, and that all of them survive a restart.
func TestUsersAndGrants(t *testing.T) {
	dir := t.TempDir()
	phase(t, dir, "create", func(t *testing.T, addr string, root *sql.DB) {
		for _, s := range []string{
			"CREATE DATABASE acct",
			"CREATE TABLE acct.t (id INT PRIMARY KEY, v VARCHAR(10))",
			"INSERT INTO acct.t VALUES (1, 'one')",
			"CREATE USER 'reader'@'%' IDENTIFIED WITH mysql_native_password BY 'r-pass'",
			"GRANT SELECT ON acct.* TO 'reader'@'%'",
			"CREATE USER 'writer'@'%' IDENTIFIED BY 'w-pass'",
			"GRANT SELECT, INSERT ON acct.t TO 'writer'@'%'",
			"CREATE USER 'temp'@'%' IDENTIFIED BY 'old-pass'",
			"CREATE USER 'sp'@'%' IDENTIFIED BY 'sp-pass'",
			"GRANT ALL ON acct.* TO 'temp'@'%'",
			"CREATE ROLE 'app_rw'",
			"GRANT SELECT, INSERT, UPDATE, DELETE ON acct.* TO 'app_rw'",
			"CREATE USER 'roleuser'@'%' IDENTIFIED BY 'ro-pass'",
			"GRANT 'app_rw' TO 'roleuser'@'%'",
			"CREATE USER 'lazy'@'%' IDENTIFIED BY 'l-pass'",
			"GRANT 'app_rw' TO 'lazy'@'%'",
		} {
			mustExec(t, root, s)
		}

		t.Run("grant select", func(t *testing.T) {
			reader := openAs(t, "reader", "r-pass", addr, "acct")
			require.Equal(t, "one", queryValue(t, reader, "SELECT v FROM t WHERE id = 1"))
			requireErrCode(t, execErr(reader, "INSERT INTO t VALUES (2, 'two')"), 1142)
			requireErrCode(t, execErr(reader, "DROP TABLE t"), 1142)
			requireErrCode(t, pingErr(openAs(t, "reader", "wrong", addr, "")), 1045)
		})
		t.Run("unknown user", func(t *testing.T) {
			requireErrCode(t, pingErr(openAs(t, "nobody", "x", addr, "")), 1045)
		})
		t.Run("revoke", func(t *testing.T) {
			writer := openAs(t, "writer", "w-pass", addr, "acct")
			mustExec(t, writer, "INSERT INTO t VALUES (2, 'two')")
			mustExec(t, root, "REVOKE INSERT ON acct.t FROM 'writer'@'%'")
			requireErrCode(t, execErr(writer, "DELETE FROM t WHERE id = 2"), 1142)
			requireErrCode(t, execErr(writer, "INSERT INTO t VALUES (3, 'three')"), 1142)
			require.Equal(t, "2", queryValue(t, writer, "SELECT COUNT(*) FROM t"))
		})
		t.Run("passwords", func(t *testing.T) {
			mustExec(t, root, "ALTER USER 'temp'@'%' IDENTIFIED BY 'new-pass'")
			requireErrCode(t, pingErr(openAs(t, "temp", "old-pass", addr, "")), 1045)
			require.NoError(t, pingErr(openAs(t, "temp", "new-pass", addr, "")))
			requireErrCode(t, pingErr(openAs(t, "temp", "old-pass", addr, "")), 1045)
		})
		t.Run("set password", func(t *testing.T) {
			knownGap(t, "go-mysql-server v0.20.0 does not parse SET PASSWORD FOR (ALTER USER ... IDENTIFIED BY works)")
			mustExec(t, root, "SET PASSWORD FOR 'sp'@'%' = 'sp-pass2'")
			require.NoError(t, pingErr(openAs(t, "sp", "sp-pass2", addr, "")))
		})

		t.Run("default role", func(t *testing.T) {
			knownGap(t, "go-mysql-server v0.20.0 does not parse SET DEFAULT ROLE")
			mustExec(t, root, "SET DEFAULT ROLE 'app_rw' TO 'roleuser'@'%'")
			ru := openAs(t, "roleuser", "ro-pass", addr, "acct")
			mustExec(t, ru, "INSERT INTO t VALUES (4, 'four')")
		})
		t.Run("default role by alter user", func(t *testing.T) {
			knownGap(t, "go-mysql-server v0.20.0 does not parse ALTER USER ... DEFAULT ROLE")
			mustExec(t, root, "ALTER USER 'roleuser'@'%' DEFAULT ROLE 'app_rw'")
			ru := openAs(t, "roleuser", "ro-pass", addr, "acct")
			mustExec(t, ru, "INSERT INTO t VALUES (4, 'four')")
		})
		t.Run("set role", func(t *testing.T) {
			knownGap(t, gapRoles)
			lazy := conn(t, openAs(t, "lazy", "l-pass", addr, "acct"))
			requireErrCode(t, execErr(lazy, "INSERT INTO t VALUES (5, 'five')"), 1142)
			mustExec(t, lazy, "SET ROLE 'app_rw'")
			mustExec(t, lazy, "INSERT INTO t VALUES (5, 'five')")
		})
		mustExec(t, root, "CREATE USER 'dropped'@'%' IDENTIFIED BY 'd-pass'")
		mustExec(t, root, "DROP USER 'dropped'@'%'")
		requireErrCode(t, execErr(root, "CREATE USER 'reader'@'%' IDENTIFIED BY 'x'"), 1396)
	})
	phase(t, dir, "after restart", func(t *testing.T, addr string, root *sql.DB) {
		t.Run("grant and password", func(t *testing.T) {
			reader := openAs(t, "reader", "r-pass", addr, "acct")
			require.NoError(t, pingErr(reader), "a password set before the restart was lost")
			require.Equal(t, "1", queryValue(t, reader, "SELECT COUNT(*) FROM t WHERE id = 2"))
			requireErrCode(t, execErr(reader, "INSERT INTO t VALUES (6, 'six')"), 1142)
			requireErrCode(t, pingErr(openAs(t, "reader", "wrong", addr, "")), 1045)
		})
		t.Run("set password", func(t *testing.T) {
			knownGap(t, "go-mysql-server v0.20.0 does not parse SET PASSWORD FOR (ALTER USER ... IDENTIFIED BY works)")
			require.NoError(t, pingErr(openAs(t, "sp", "sp-pass2", addr, "")), "a password set before the restart was lost")
		})
		t.Run("revoke", func(t *testing.T) {
			writer := openAs(t, "writer", "w-pass", addr, "acct")
			require.Error(t, execErr(writer, "INSERT INTO t VALUES (6, 'six')"), "a revoke was lost")
			requireErrCode(t, execErr(writer, "INSERT INTO t VALUES (6, 'six')"), 1142)
		})
		t.Run("altered and dropped users", func(t *testing.T) {
			require.NoError(t, pingErr(openAs(t, "temp", "new-pass", addr, "")))
			requireErrCode(t, pingErr(openAs(t, "temp", "old-pass", addr, "")), 1045)
			requireErrCode(t, pingErr(openAs(t, "dropped", "d-pass", addr, "")), 1045)
		})

		t.Run("default role", func(t *testing.T) {
			knownGap(t, "go-mysql-server v0.20.0 does not parse SET DEFAULT ROLE")
			ru := openAs(t, "roleuser", "ro-pass", addr, "acct")
			mustExec(t, ru, "UPDATE t SET v = 'SIX' WHERE id = 4")
		})
		t.Run("set role", func(t *testing.T) {
			knownGap(t, gapRoles)
			lazy := conn(t, openAs(t, "lazy", "l-pass", addr, "acct"))
			requireErrCode(t, execErr(lazy, "DELETE FROM t WHERE id = 5"), 1142)
			mustExec(t, lazy, "SET ROLE ALL")
			mustExec(t, lazy, "DELETE FROM t WHERE id = 5")
		})

		require.Equal(t, [][]string{{"GRANT SELECT ON `acct`.* TO `reader`@`%`"}},
			queryRows(t, root, "SHOW GRANTS FOR 'reader'@'%'")[1:])
	})
}

const gapRoles = "go-mysql-server v0.20.0 activates granted roles at login; MySQL needs SET ROLE or a default role"
