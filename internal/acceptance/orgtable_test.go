package acceptance

import (
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOrgTableOfAliasedTables: a column read through a table alias has
// the alias as its table and the table itself as org_table, as MySQL
// sends them (go-mysql-server sent the alias as both), in the text
// protocol, at COM_STMT_PREPARE and at COM_STMT_EXECUTE, also when
// another statement ran between prepare and execute. Raw packets:
// go-sql-driver does not expose org_table.
func TestOrgTableOfAliasedTables(t *testing.T) {
	addr, db := start(t)
	mustExec(t, db, "CREATE DATABASE o")
	mustExec(t, db, "CREATE TABLE o.items (id INT PRIMARY KEY, name VARCHAR(10))")
	mustExec(t, db, "CREATE TABLE o.other (id INT PRIMARY KEY)")
	mustExec(t, db, "INSERT INTO o.items VALUES (1, 'a')")
	mustExec(t, db, "INSERT INTO o.other VALUES (1)")
	nc := rawLogin(t, addr)

	const q = "SELECT it.name, id + 1 AS e FROM o.items AS it WHERE it.id = ?"
	writeCommand(t, nc, append([]byte{0x03}, "SELECT it.name, id + 1 AS e FROM o.items AS it WHERE it.id = 1"...))
	require.Equal(t, [][2]string{{"it", "items"}, {"", ""}}, columnTables(t, nc, true), "text protocol")

	writeCommand(t, nc, append([]byte{0x16}, q...))
	ok := readPacket(t, nc)
	require.Equal(t, byte(0), ok[0], "%q", ok)
	id := ok[1:5]
	readPacket(t, nc) // the parameter
	readPacket(t, nc) // EOF
	var prepared [][2]string
	for range 2 {
		prepared = append(prepared, tablesOf(readPacket(t, nc)))
	}
	readPacket(t, nc) // EOF
	require.Equal(t, [][2]string{{"it", "items"}, {"", ""}}, prepared, "COM_STMT_PREPARE")

	// Another statement, without aliases, between prepare and execute.
	writeCommand(t, nc, append([]byte{0x03}, "SELECT id FROM o.other"...))
	require.Equal(t, [][2]string{{"other", "other"}}, columnTables(t, nc, true))

	writeCommand(t, nc, append(append([]byte{0x17}, id...), 0, 1, 0, 0, 0, 0, 1, 3, 0, 1, 0, 0, 0))
	require.Equal(t, [][2]string{{"it", "items"}, {"", ""}}, columnTables(t, nc, true), "COM_STMT_EXECUTE")
}

// columnTables reads a result set's column definitions (and, with
// rows, the rest of the result set) and returns each column's table and
// org_table.
func columnTables(t *testing.T, nc net.Conn, rows bool) [][2]string {
	t.Helper()
	first := readPacket(t, nc)
	require.NotEqual(t, byte(0xff), first[0], "%q", first)
	var out [][2]string
	for range int(first[0]) {
		out = append(out, tablesOf(readPacket(t, nc)))
	}
	readPacket(t, nc) // EOF
	for rows {
		p := readPacket(t, nc)
		if p[0] == 0xfe && len(p) < 9 {
			break
		}
	}
	return out
}

// tablesOf returns the table and org_table of a column definition
// (catalog, schema, table, org_table, ...: length-prefixed strings
// shorter than 251 bytes).
func tablesOf(def []byte) [2]string {
	var s [4]string
	for i := range s {
		n := int(def[0])
		s[i], def = string(def[1:1+n]), def[1+n:]
	}
	return [2]string{s[2], s[3]}
}
