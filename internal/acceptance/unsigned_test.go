package acceptance

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// TestFloatIntoUnsignedColumns writes floating-point values, as text
// literals and as DOUBLE parameters of server-side prepared statements
// (Node mysql2 sends every number that way), into unsigned integer
// columns: go-mysql-server v0.20.0 alone rejects 0 and the type's maximum
// with 1264.
func TestFloatIntoUnsignedColumns(t *testing.T) {
	_, db := testutil.StartServer(t)
	mustExec(t, db, "CREATE DATABASE fu")
	mustExec(t, db, "CREATE TABLE fu.t (id INT PRIMARY KEY, a TINYINT UNSIGNED, b SMALLINT UNSIGNED, c MEDIUMINT UNSIGNED, d INT UNSIGNED, e BIGINT UNSIGNED)")

	mustExec(t, db, "INSERT INTO fu.t VALUES (1, 0e0, 0e0, 0e0, 0e0, 0e0), (2, 255e0, 65535e0, 16777215e0, 4294967295e0, 1.8446744073709550e19)")
	mustExec(t, db, "INSERT INTO fu.t VALUES (?, ?, ?, ?, ?, ?)", 3, 0.0, 0.0, 0.0, 0.0, 0.0)
	mustExec(t, db, "INSERT INTO fu.t (id, a, b) VALUES (?, ?, ?)", 4, 254.5, 0.4)
	mustExec(t, db, "INSERT INTO fu.t (id, e) SELECT 5, 0e0")
	mustExec(t, db, "UPDATE fu.t SET a = ?, e = 0e0 WHERE id = 2", 255.0)
	require.Equal(t, [][]string{
		{"1", "0", "0", "0", "0", "0"},
		{"2", "255", "65535", "16777215", "4294967295", "0"},
		{"3", "0", "0", "0", "0", "0"},
		{"4", "255", "0", null, null, null},
		{"5", null, null, null, null, "0"},
	}, queryRows(t, db, "SELECT * FROM fu.t ORDER BY id"))

	// Values outside the type still fail, with MySQL's code.
	for _, q := range []string{
		"INSERT INTO fu.t (id, a) VALUES (10, 255.6e0)",
		"INSERT INTO fu.t (id, a) VALUES (11, -1e0)",
		"INSERT INTO fu.t (id, e) VALUES (12, 1.8446744073709552e19)",
	} {
		requireErrCode(t, execErr(db, q), 1264)
	}
	requireErrCode(t, execErr(db, "INSERT INTO fu.t (id, a) VALUES (?, ?)", 13, 256.0), 1264)
}
