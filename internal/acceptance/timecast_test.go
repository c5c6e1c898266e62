package acceptance

import (
	"database/sql"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// CAST(x AS TIME) of a date and time takes its time part, for a DATETIME
// parameter (go-sql-driver sends time.Time as one) and for a string alike.
func TestCastDatetimeToTime(t *testing.T) {
	_, db := start(t)
	at := time.Date(2011, 11, 20, 21, 27, 37, 123456000, time.UTC)
	cases := []struct {
		query string
		arg   any
		want  string
	}{
		{"SELECT CAST(? AS TIME)", at, "21:27:37"},
		{"SELECT CAST(? AS TIME)", time.Time{}.Add(12345 * time.Second), "03:25:45"},
		{"SELECT CAST(? AS TIME)", "2011-11-20 21:27:37", "21:27:37"},
		{"SELECT CAST('2011-11-20 21:27:37' AS TIME)", nil, "21:27:37"},
		{"SELECT CAST(? AS TIME)", "12:34:56", "12:34:56"},
		{"SELECT CAST(? AS TIME)", "-838:59:59", "-838:59:59"},
		{"SELECT CAST(? AS TIME)", "not a time", null},
		// go-sql-driver sends a zero time.Time as the zero date.
		{"SELECT CAST(? AS TIME)", time.Time{}, "00:00:00"},
		{"SELECT CAST('0000-00-00' AS TIME)", nil, "00:00:00"},
	}
	for _, tc := range cases {
		var args []any
		if tc.arg != nil {
			args = append(args, tc.arg)
		}
		require.Equal(t, tc.want, queryValue(t, db, tc.query, args...), "%s with %v", tc.query, tc.arg)
	}
}

// A zero DATE or DATETIME in a binary-protocol row is the empty value, as
// MySQL sends it: clients read it as their zero time (go-sql-driver with
// parseTime gave -0001-11-30 for vitess' year 0, month 0, day 0).
func TestZeroDateBinaryRows(t *testing.T) {
	addr, _ := start(t)
	db := openAs(t, "root", "", addr, "")
	parsed, err := sql.Open("mysql", testutil.DSN("root", "", addr, "")+"&interpolateParams=false")
	require.NoError(t, err)
	t.Cleanup(func() { _ = parsed.Close() })
	mustExec(t, db, "CREATE DATABASE z")
	mustExec(t, db, "CREATE TABLE z.t (id INT PRIMARY KEY, d DATE, dt DATETIME(6))")
	mustExec(t, db, "INSERT INTO z.t VALUES (1, '0000-00-00', '0000-00-00 00:00:00'), (2, '2024-02-29', '2024-02-29 01:02:03.5')")
	for _, arg := range []any{"0000-00-00", time.Time{}} {
		var d, dt time.Time
		require.NoError(t, parsed.QueryRow("SELECT CAST(? AS DATE), CAST(? AS DATETIME)", arg, arg).Scan(&d, &dt))
		require.True(t, d.IsZero(), "DATE of %v: %v", arg, d)
		require.True(t, dt.IsZero(), "DATETIME of %v: %v", arg, dt)
	}
	rows, err := parsed.Query("SELECT d, dt FROM z.t WHERE id > ? ORDER BY id", 0)
	require.NoError(t, err)
	defer rows.Close()
	var got []string
	for rows.Next() {
		var d, dt time.Time
		require.NoError(t, rows.Scan(&d, &dt))
		got = append(got, d.Format(time.DateOnly)+" "+dt.Format("2006-01-02 15:04:05.000000"))
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"0001-01-01 0001-01-01 00:00:00.000000", "2024-02-29 2024-02-29 01:02:03.500000"}, got)
	// Without parseTime the text is MySQL's.
	require.Equal(t, [][]string{{"0000-00-00", "0000-00-00 00:00:00.000000"}},
		queryRows(t, db, "SELECT d, dt FROM z.t WHERE id = ?", 1))
}
