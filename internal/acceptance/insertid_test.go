package acceptance

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestInsertIDOfUnsignedAutoIncrement: the insert id of an unsigned
// AUTO_INCREMENT column reaches the client in the OK packet and in
// LAST_INSERT_ID(), through the text protocol, prepared statements and a
// float parameter (the unsigned-from-float rewrite must keep go-mysql-server's
// AutoIncrement expression recognisable).
func TestInsertIDOfUnsignedAutoIncrement(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE ids")
	mustExec(t, db, "CREATE TABLE ids.u (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, small TINYINT UNSIGNED, name VARCHAR(10))")
	c := conn(t, db)
	steps := []struct {
		query string
		args  []any
	}{
		{"INSERT INTO ids.u (name) VALUES ('text')", nil},
		{"INSERT INTO ids.u (name) VALUES (?)", []any{"prepared"}},
		{"INSERT INTO ids.u (id, small, name) VALUES (?, ?, ?)", []any{0.0, 0.0, "float"}},
		{"INSERT INTO ids.u (id, small, name) VALUES (NULL, 255, 'null id')", nil},
	}
	for i, s := range steps {
		res := mustExec(t, c, s.query, s.args...)
		id, err := res.LastInsertId()
		require.NoError(t, err)
		require.EqualValues(t, i+1, id, "insert id of %q", s.query)
		require.Equal(t, sprintf("%d", i+1), queryValue(t, c, "SELECT LAST_INSERT_ID()"))
	}
}
