package mysqlserver

import (
	"fmt"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// TestStatementDigestTable: statements that differ only in literals share
// one row of performance_schema.events_statements_summary_by_digest, with
// MySQL's column names, counts, rows and errors, and no literal value;
// TRUNCATE resets it, other writes are refused.
func TestStatementDigestTable(t *testing.T) {
	db, _, stop := startServerAddr(t, t.TempDir())
	defer stop()
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		"CREATE DATABASE shop", "USE shop",
		"CREATE TABLE items (id INT PRIMARY KEY, descr VARCHAR(20))",
		"INSERT INTO items VALUES (1, 'apple'), (2, 'pear'), (3, 'secret-plum')",
		"SELECT descr FROM items WHERE id = 1",
		"SELECT descr FROM items WHERE id = 2",
		"select descr from items where id = 3",
	} {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
	_, err := db.Exec("SELECT nope FROM items WHERE id = 9")
	require.Error(t, err)

	var count, rowsSent, rowsExamined, errs, sum, p95 uint64
	var digest string
	var first, last time.Time
	require.NoError(t, db.QueryRow(`SELECT DIGEST, COUNT_STAR, SUM_ROWS_SENT, SUM_ROWS_EXAMINED, SUM_ERRORS,
		SUM_TIMER_WAIT, QUANTILE_95, FIRST_SEEN, LAST_SEEN
		FROM performance_schema.events_statements_summary_by_digest
		WHERE SCHEMA_NAME = 'shop' AND DIGEST_TEXT = ?`, "SELECT `descr` FROM `items` WHERE `id` = ?").
		Scan(&digest, &count, &rowsSent, &rowsExamined, &errs, &sum, &p95, &first, &last))
	require.Len(t, digest, 64)
	require.Equal(t, uint64(3), count)
	require.Equal(t, uint64(3), rowsSent)
	require.GreaterOrEqual(t, rowsExamined, uint64(3))
	require.Zero(t, errs)
	require.Positive(t, sum)
	require.Positive(t, p95)
	require.False(t, last.Before(first))

	require.NoError(t, db.QueryRow(`SELECT SUM_ERRORS FROM performance_schema.events_statements_summary_by_digest
		WHERE DIGEST_TEXT = ?`, "SELECT `nope` FROM `items` WHERE `id` = ?").Scan(&errs))
	require.Equal(t, uint64(1), errs)

	// Single-row inserts through the plan cache (one text shape, its
	// digest text computed once): one row, no value.
	var digestText string
	for i := 4; i <= 6; i++ {
		_, err := db.Exec(fmt.Sprintf("INSERT INTO items (id, descr) VALUES (%d, 'secret-%d')", i, i))
		require.NoError(t, err)
	}
	require.NoError(t, db.QueryRow(`SELECT DIGEST_TEXT, COUNT_STAR FROM performance_schema.events_statements_summary_by_digest
		WHERE DIGEST_TEXT LIKE ?`, "INSERT INTO `items` (%").Scan(&digestText, &count))
	require.Equal(t, uint64(3), count, digestText)

	var n int
	require.NoError(t, db.QueryRow(`SELECT COUNT(*) FROM performance_schema.events_statements_summary_by_digest
		WHERE DIGEST_TEXT LIKE '%secret%' OR DIGEST_TEXT LIKE '%apple%'`).Scan(&n))
	require.Zero(t, n, "no literal reaches the digest table")

	var dbs []string
	rows, err := db.Query("SHOW DATABASES")
	require.NoError(t, err)
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		dbs = append(dbs, name)
	}
	require.NoError(t, rows.Err())
	require.Contains(t, dbs, "performance_schema")

	// TRUNCATE resets the summary, as in MySQL: only the statements since
	// remain.
	_, err = db.Exec("TRUNCATE TABLE performance_schema.events_statements_summary_by_digest")
	require.NoError(t, err)
	require.NoError(t, db.QueryRow(`SELECT COUNT(*) FROM performance_schema.events_statements_summary_by_digest
		WHERE DIGEST_TEXT LIKE 'SELECT `+"`descr`"+`%'`).Scan(&n))
	require.Zero(t, n)

	for _, q := range []string{
		"CREATE DATABASE performance_schema",
		"INSERT INTO performance_schema.events_statements_summary_by_digest (COUNT_STAR) VALUES (1)",
		"DELETE FROM performance_schema.events_statements_summary_by_digest",
		"UPDATE performance_schema.events_statements_summary_by_digest SET COUNT_STAR = 0",
		"CREATE TABLE performance_schema.x (id INT)",
		"DROP TABLE performance_schema.events_statements_summary_by_digest",
		"ALTER TABLE performance_schema.events_statements_summary_by_digest ADD COLUMN x INT",
		"DROP DATABASE performance_schema",
	} {
		_, err = db.Exec(q)
		require.Error(t, err, q)
	}
	_, err = db.Exec("CREATE DATABASE performance_schema")
	var me *mysql.MySQLError
	require.ErrorAs(t, err, &me)
	require.Equal(t, uint16(1007), me.Number)
}

// TestGroupMembersTableOnSingleNode: replication_group_members exists
// with MySQL's columns and is empty on a single node, as in MySQL without
// group replication; writing to it is refused.
func TestGroupMembersTableOnSingleNode(t *testing.T) {
	db, _, stop := startServerAddr(t, t.TempDir())
	defer stop()
	rows, err := db.Query("SELECT * FROM performance_schema.replication_group_members")
	require.NoError(t, err)
	cols, err := rows.Columns()
	require.NoError(t, err)
	require.Equal(t, []string{"CHANNEL_NAME", "MEMBER_ID", "MEMBER_HOST", "MEMBER_PORT", "MEMBER_STATE",
		"MEMBER_ROLE", "MEMBER_VERSION", "MEMBER_COMMUNICATION_STACK"}, cols)
	require.False(t, rows.Next())
	require.NoError(t, rows.Close())
	_, err = db.Exec("DELETE FROM performance_schema.replication_group_members")
	require.Error(t, err)
}
