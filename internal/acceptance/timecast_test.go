package acceptance

import (
	"database/sql"
	"encoding/binary"
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
	// Zero dates need a sql_mode without NO_ZERO_DATE (MySQL 8's default has it).
	c := conn(t, db)
	mustExec(t, c, "SET SESSION sql_mode = ''")
	mustExec(t, c, "INSERT INTO z.t VALUES (1, '0000-00-00', '0000-00-00 00:00:00'), (2, '2024-02-29', '2024-02-29 01:02:03.5')")
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

// A C client sends a zero MYSQL_TIME parameter as a DATETIME or DATE of
// length 0; it is MySQL's zero date (vitess decoded it as the string " ",
// and CAST(? AS TIME) of it was NULL). Raw packets: go-sql-driver sends
// every time.Time as a string.
func TestZeroLengthDateParameter(t *testing.T) {
	addr, _ := start(t)
	nc := rawLogin(t, addr)
	send := func(payload []byte) {
		hdr := binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))
		hdr[3] = 0
		_, err := nc.Write(append(hdr, payload...))
		require.NoError(t, err)
	}
	// skipToEOF reads packets up to and including the next EOF packet.
	skipToEOF := func() {
		for i := 0; i < 100; i++ {
			if p := readPacket(t, nc); len(p) < 9 && p[0] == 0xfe {
				return
			}
		}
		t.Fatal("no EOF packet")
	}

	send(append([]byte{0x16}, "SELECT CAST(? AS TIME), CAST(? AS CHAR)"...))
	ok := readPacket(t, nc)
	require.Equal(t, byte(0), ok[0], "prepare failed: %q", ok)
	id := ok[1:5]
	require.Equal(t, uint16(2), binary.LittleEndian.Uint16(ok[5:7]), "columns")
	require.Equal(t, uint16(2), binary.LittleEndian.Uint16(ok[7:9]), "parameters")
	skipToEOF() // parameter definitions
	skipToEOF() // column definitions

	const typeDate, typeDatetime = 0x0a, 0x0c
	exec := append([]byte{0x17}, id...)
	exec = append(exec, 0, 1, 0, 0, 0) // no cursor, one iteration
	exec = append(exec, 0, 1)          // NULL bitmap, types follow
	exec = append(exec, typeDatetime, 0, typeDate, 0)
	exec = append(exec, 0, 0) // both values of length 0
	send(exec)
	require.Equal(t, []byte{2}, readPacket(t, nc), "column count")
	skipToEOF()
	row := readPacket(t, nc)
	require.Equal(t, byte(0), row[0], "row packet: %q", row)
	require.Zero(t, row[1]&(1<<2), "CAST(? AS TIME) of a zero DATETIME is not NULL")
	require.Equal(t, byte(0), row[2], "00:00:00 is the empty TIME")
	require.Equal(t, "\x0a0000-00-00", string(row[3:]))
	skipToEOF()
}
