package acceptance

import (
	"errors"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// TestSQLStates checks the SQLSTATE next to the code of errors that
// go-mysql-server sent with the generic HY000: PDO's exception code is the
// SQLSTATE, and applications test it (23000 for a duplicate key).
func TestSQLStates(t *testing.T) {
	_, db := testutil.StartServer(t)
	mustExec(t, db, "CREATE DATABASE ss")
	mustExec(t, db, "CREATE TABLE ss.p (id INT PRIMARY KEY, n INT NOT NULL)")
	mustExec(t, db, "CREATE TABLE ss.c (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES ss.p (id))")
	mustExec(t, db, "INSERT INTO ss.p VALUES (1, 1)")
	mustExec(t, db, "INSERT INTO ss.c VALUES (1, 1)")

	for _, tc := range []struct {
		query string
		code  uint16
		state string
	}{
		{"INSERT INTO ss.p VALUES (1, 2)", 1062, "23000"},
		{"INSERT INTO ss.p VALUES (2, NULL)", 1048, "23000"},
		{"INSERT INTO ss.c VALUES (2, 9)", 1452, "23000"},
		{"DELETE FROM ss.p WHERE id = 1", 1451, "23000"},
		{"SELECT * FROM ss.missing", 1146, "42S02"},
		{"USE missing_db", 1049, "42000"},
		{"SELECT * FROM p", 1046, "3D000"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			err := execErr(db, tc.query)
			requireErrCode(t, err, tc.code)
			var me *mysql.MySQLError
			require.True(t, errors.As(err, &me))
			require.Equal(t, tc.state, string(me.SQLState[:]), "%v", err)
		})
	}
}
