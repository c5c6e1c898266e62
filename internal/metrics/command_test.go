package metrics

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		query string
		want  Command
	}{
		{"SELECT 1", CommandSelect},
		{"  /* hint */ select * from t", CommandSelect},
		{"(SELECT 1) UNION (SELECT 2)", CommandSelect},
		{"WITH x AS (SELECT 1) SELECT * FROM x", CommandSelect},
		{"-- c\nINSERT INTO t VALUES (1)", CommandInsert},
		{"# c\nupdate t set a = 1", CommandUpdate},
		{"DELETE FROM t", CommandDelete},
		{"REPLACE INTO t VALUES (1)", CommandReplace},
		{"LOAD DATA LOCAL INFILE 'x' INTO TABLE t", CommandLoad},
		{"CALL p()", CommandCallProcedure},
		{"BEGIN", CommandBegin},
		{"START TRANSACTION READ ONLY", CommandBegin},
		{"COMMIT", CommandCommit},
		{"ROLLBACK", CommandRollback},
		{"ROLLBACK WORK", CommandRollback},
		{"ROLLBACK TO SAVEPOINT s", CommandRollbackToSavepoint},
		{"SAVEPOINT s", CommandSavepoint},
		{"RELEASE SAVEPOINT s", CommandReleaseSavepoint},
		{"SET NAMES utf8mb4", CommandSetOption},
		{"/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */", CommandSetOption},
		{"USE db", CommandChangeDB},
		{"CREATE DATABASE d", CommandCreateDB},
		{"CREATE SCHEMA IF NOT EXISTS d", CommandCreateDB},
		{"CREATE TABLE t (id INT)", CommandCreateTable},
		{"CREATE TEMPORARY TABLE t (id INT)", CommandCreateTable},
		{"CREATE UNIQUE INDEX i ON t (a)", CommandCreateIndex},
		{"CREATE OR REPLACE VIEW v AS SELECT 1", CommandCreateView},
		{"CREATE DEFINER=`root`@`localhost` PROCEDURE p() BEGIN END", CommandCreateProcedure},
		{"CREATE USER 'u'@'%' IDENTIFIED BY 'x'", CommandCreateUser},
		{"ALTER TABLE t ADD COLUMN b INT", CommandAlterTable},
		{"ALTER USER u IDENTIFIED BY 'x'", CommandAlterUser},
		{"DROP TABLE IF EXISTS t", CommandDropTable},
		{"DROP DATABASE d", CommandDropDB},
		{"DROP INDEX i ON t", CommandDropIndex},
		{"DROP USER u", CommandDropUser},
		{"TRUNCATE TABLE t", CommandTruncate},
		{"RENAME TABLE a TO b", CommandRenameTable},
		{"GRANT SELECT ON *.* TO u", CommandGrant},
		{"KILL QUERY 5", CommandKill},
		{"LOCK TABLES t READ", CommandLockTables},
		{"UNLOCK TABLES", CommandUnlockTables},
		{"DO 1", CommandDo},
		{"SHOW GLOBAL STATUS", CommandShowStatus},
		{"SHOW STATUS LIKE 'x'", CommandShowStatus},
		{"show variables", CommandShowVariables},
		{"SHOW FULL PROCESSLIST", CommandShowProcesslist},
		{"SHOW DATABASES", CommandShowDatabases},
		{"SHOW FULL TABLES", CommandShowTables},
		{"SHOW CREATE TABLE t", CommandShowCreateTable},
		{"SHOW CREATE DATABASE d", CommandShowCreateDB},
		{"SHOW TABLE STATUS", CommandShowTableStatus},
		{"SHOW FULL COLUMNS FROM t", CommandShowFields},
		{"SHOW INDEX FROM t", CommandShowKeys},
		{"SHOW WARNINGS", CommandShowWarnings},
		{"SHOW ENGINE INNODB STATUS", CommandShowEngineStatus},
		{"SHOW CREATE VIEW v", CommandOther},
		{"EXPLAIN SELECT 1", CommandOther},
		{"", CommandOther},
		{"   ", CommandOther},
		{"/* unterminated", CommandOther},
		{"'", CommandOther},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			require.Equal(t, tt.want.String(), Classify(tt.query).String())
		})
	}
}

func TestCommandNames(t *testing.T) {
	seen := map[string]bool{}
	for c := range NumCommands {
		name := c.String()
		require.NotEmpty(t, name, "command %d has no name", c)
		require.False(t, seen[name], "name %q twice", name)
		seen[name] = true
	}
	require.Equal(t, "Com_select", CommandSelect.StatusName())
	require.Empty(t, CommandOther.StatusName())
	require.Equal(t, "other", Command(200).String())
}

func BenchmarkClassify(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		_ = Classify("SELECT c FROM sbtest1 WHERE id = 42")
		_ = Classify("  /* app */ UPDATE sbtest1 SET k = k + 1 WHERE id = 7")
	}
}

func TestClass(t *testing.T) {
	for q, want := range map[string]Class{
		"CREATE TABLE t (a INT)":            ClassDDL,
		"DROP INDEX i ON t":                 ClassDDL,
		"TRUNCATE t":                        ClassDDL,
		"CREATE USER u IDENTIFIED BY 'x'":   ClassDCL,
		"ALTER USER u ACCOUNT LOCK":         ClassDCL,
		"GRANT SELECT ON *.* TO u":          ClassDCL,
		"REVOKE SELECT ON *.* FROM u":       ClassDCL,
		"SET PASSWORD FOR u = 'x'":          ClassDCL,
		"RENAME USER a TO b":                ClassDCL,
		"RENAME TABLE a TO b":               ClassDDL,
		"INSERT INTO t VALUES (1)":          ClassDML,
		"LOAD DATA INFILE 'f' INTO TABLE t": ClassDML,
		"SELECT 1":                          ClassSelect,
		"SHOW TABLES":                       ClassSelect,
		"SET @a = 1":                        ClassAdmin,
		"BEGIN":                             ClassAdmin,
		"KILL 3":                            ClassAdmin,
		"/* c */ CREATE USER u":             ClassDCL,
	} {
		require.Equal(t, want, Classify(q).Class(), q)
	}
}
