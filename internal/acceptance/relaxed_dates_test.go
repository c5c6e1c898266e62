package acceptance

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRelaxedDates: date strings with any punctuation between their parts
// are read as MySQL and MariaDB read them ('10:11:12' into a DATETIME is
// 2010-11-12 00:00:00), and an invalid date is 1292 in strict mode but
// the zero date with warning 1265 without it.
func TestRelaxedDates(t *testing.T) {
	addr, db := start(t)
	mustExec(t, db, "CREATE DATABASE r")
	mustExec(t, db, "CREATE TABLE r.d (id INT PRIMARY KEY, dtm DATETIME, d DATE)")
	// Values as the server sends them (no parseTime).
	text, err := sql.Open("mysql", "root:@tcp("+addr+")/")
	require.NoError(t, err)
	t.Cleanup(func() { _ = text.Close() })
	c := conn(t, text)
	ctx := context.Background()
	exec := func(q string) error {
		_, err := c.ExecContext(ctx, q)
		return err
	}
	read := func(id string) [][]string {
		return queryRows(t, c, "SELECT dtm, d FROM r.d WHERE id = "+id)
	}

	require.NoError(t, exec("INSERT INTO r.d VALUES (1, '10:11:12', '09/02/28')"))
	require.Equal(t, [][]string{{"2010-11-12 00:00:00", "2009-02-28"}}, read("1"))
	require.NoError(t, exec("INSERT INTO r.d VALUES (2, '2024.01.02 03.04.05', '1999^12^31')"))
	require.Equal(t, [][]string{{"2024-01-02 03:04:05", "1999-12-31"}}, read("2"))
	require.NoError(t, exec("UPDATE r.d SET d = '24/1/2' WHERE id = 2"))
	require.Equal(t, [][]string{{"2024-01-02 03:04:05", "2024-01-02"}}, read("2"))

	requireErrCode(t, exec("INSERT INTO r.d (id, d) VALUES (3, '2009-2-29')"), 1292)
	requireErrCode(t, exec("INSERT INTO r.d (id, dtm) VALUES (3, 'not a date')"), 1292)

	require.NoError(t, exec("SET SESSION sql_mode = ''"))
	require.NoError(t, exec("INSERT INTO r.d (id, d, dtm) VALUES (4, '2009-2-29', '2009-02-30 10:00:00')"))
	require.Equal(t, [][]string{{"0000-00-00 00:00:00", "0000-00-00"}}, read("4"))
	require.NoError(t, exec("INSERT INTO r.d (id, d) VALUES (5, '2009-2-29')"))
	require.Equal(t, [][]string{{"Warning", "1265", "Data truncated for column 'd' at row 1"}}, queryRows(t, c, "SHOW WARNINGS"))
	requireAlive(t, db)
}
