package mysqlserver

import (
	gosql "database/sql"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestChecksumTable: CHECKSUM TABLE answers one row per table; equal rows
// give equal checksums whatever their order of insertion, a change gives
// another; a missing table gets NULL and warning 1146.
func TestChecksumTable(t *testing.T) {
	db, addr, stop := startServerAddr(t, t.TempDir())
	defer stop()
	for _, q := range []string{
		"CREATE DATABASE d", "USE d",
		"CREATE TABLE a (id INT PRIMARY KEY, s VARCHAR(10), n DECIMAL(5,2))",
		"CREATE TABLE b (id INT PRIMARY KEY, s VARCHAR(10), n DECIMAL(5,2))",
		"CREATE TABLE e (id INT PRIMARY KEY)",
		"INSERT INTO a VALUES (1, 'x', 1.5), (2, NULL, 2), (3, 'z', NULL)",
		"INSERT INTO b VALUES (3, 'z', NULL)", "INSERT INTO b VALUES (2, NULL, 2), (1, 'x', 1.5)",
	} {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
	checksums := func(q string) map[string]gosql.NullInt64 {
		t.Helper()
		conn, err := db.Conn(t.Context())
		require.NoError(t, err)
		defer conn.Close()
		_, err = conn.ExecContext(t.Context(), "USE d")
		require.NoError(t, err)
		rows, err := conn.QueryContext(t.Context(), q)
		require.NoError(t, err)
		defer rows.Close()
		cols, err := rows.Columns()
		require.NoError(t, err)
		require.Equal(t, []string{"Table", "Checksum"}, cols)
		out := map[string]gosql.NullInt64{}
		for rows.Next() {
			var name string
			var sum gosql.NullInt64
			require.NoError(t, rows.Scan(&name, &sum))
			out[name] = sum
		}
		require.NoError(t, rows.Err())
		return out
	}
	got := checksums("CHECKSUM TABLE a, d.b, `e`, nosuch EXTENDED")
	require.Len(t, got, 4)
	require.True(t, got["d.a"].Valid)
	require.Equal(t, got["d.a"], got["d.b"], "the same rows")
	require.Equal(t, gosql.NullInt64{Int64: 0, Valid: true}, got["d.e"], "an empty table")
	require.False(t, got["d.nosuch"].Valid, "a missing table's checksum is NULL")

	_, err := db.Exec("UPDATE d.b SET n = 2.01 WHERE id = 2")
	require.NoError(t, err)
	after := checksums("checksum table d.a, d.b")
	require.Equal(t, got["d.a"], after["d.a"])
	require.NotEqual(t, after["d.a"], after["d.b"], "a changed value changes the checksum")

	// Privileges apply: an account without SELECT on d.a is refused.
	for _, q := range []string{"CREATE USER u IDENTIFIED BY 'pw'", "GRANT SELECT ON d.b TO u"} {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
	u, err := gosql.Open("mysql", "u:pw@tcp("+addr+")/")
	require.NoError(t, err)
	defer u.Close()
	var name string
	var sum gosql.NullInt64
	require.NoError(t, u.QueryRow("CHECKSUM TABLE d.b").Scan(&name, &sum))
	require.True(t, sum.Valid)
	_, err = u.Exec("CHECKSUM TABLE d.a")
	require.Error(t, err)
	require.Contains(t, err.Error(), "1142")
}
