package acceptance

import (
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestExecuteWithCursor sends COM_STMT_EXECUTE asking for a read-only
// cursor, as libmysqlclient does with STMT_ATTR_CURSOR_TYPE, then a second
// execute before any fetch: vitess panics there ("startEphemeralPacket
// cannot be used while a packet is already started") and drops the
// connection. The server's log is checked for caught panics by testutil.
//
// Answering every such execute with the whole result set (clearing the
// cursor flag below vitess) fixed this test but broke libmariadb, which
// then reports "Commands out of sync" and crashes on its next statement
// (compat's TestCAPI): the fix has to track vitess' open cursor instead.
func TestExecuteWithCursor(t *testing.T) {
	knownGap(t, "vitess panics on an execute or prepare while a server-side cursor is open (issue 11 part 6)")
	addr, db := start(t)
	mustExec(t, db, "CREATE DATABASE cur")
	mustExec(t, db, "CREATE TABLE cur.t (id INT PRIMARY KEY, s VARCHAR(10))")
	mustExec(t, db, "INSERT INTO cur.t VALUES (1, 'a'), (2, 'b'), (3, 'c')")

	nc := rawLogin(t, addr)
	stmt := rawPrepare(t, nc, "SELECT id, s FROM cur.t WHERE id >= ? ORDER BY id")
	other := rawPrepare(t, nc, "SELECT 1")
	// COM_STMT_EXECUTE: id, flags CURSOR_TYPE_READ_ONLY, iteration count 1,
	// NULL bitmap, new-params-bound, one LONG parameter.
	execute := func(id uint32, param int32) []byte {
		body := binary.LittleEndian.AppendUint32([]byte{0x17}, id)
		body = append(body, 0x01)
		body = binary.LittleEndian.AppendUint32(body, 1)
		body = append(body, 0x00, 0x01, 0x03, 0x00)
		return binary.LittleEndian.AppendUint32(body, uint32(param))
	}
	for i, param := range []int32{1, 2, 3} {
		writeCommand(t, nc, execute(stmt, param))
		status, rows := readResultSet(t, nc)
		require.Zero(t, status&0x40, "execute %d: SERVER_STATUS_CURSOR_EXISTS set", i)
		require.Equal(t, int(4-param), rows, "execute %d: rows of id >= %d", i, param)
	}
	// A prepare and an execute of another statement, where vitess refused
	// (and panicked) while a cursor was open.
	rawPrepare(t, nc, "SELECT 2")
	writeCommand(t, nc, []byte{0x17, byte(other), 0, 0, 0, 0x01, 1, 0, 0, 0})
	_, rows := readResultSet(t, nc)
	require.Equal(t, 1, rows)
	// No cursor is open: a fetch is an error, and the session goes on.
	writeCommand(t, nc, []byte{0x1c, byte(stmt), 0, 0, 0, 10, 0, 0, 0})
	require.Equal(t, byte(0xff), readPacket(t, nc)[0], "COM_STMT_FETCH without a cursor")
	writeCommand(t, nc, append([]byte{0x03}, "SELECT 1"...))
	_, rows = readResultSet(t, nc)
	require.Equal(t, 1, rows)
	requireAlive(t, db)
}

// writeCommand sends body as the first packet (sequence 0) of a command.
func writeCommand(t *testing.T, nc net.Conn, body []byte) {
	t.Helper()
	require.NoError(t, nc.SetDeadline(time.Now().Add(10*time.Second)))
	hdr := binary.LittleEndian.AppendUint32(nil, uint32(len(body)))
	hdr[3] = 0
	_, err := nc.Write(append(hdr, body...))
	require.NoError(t, err)
}

// rawPrepare prepares query and returns its statement id, after reading
// the parameter and column definitions (EOF-terminated: rawLogin does not
// announce CLIENT_DEPRECATE_EOF).
func rawPrepare(t *testing.T, nc net.Conn, query string) uint32 {
	t.Helper()
	writeCommand(t, nc, append([]byte{0x16}, query...))
	ok := readPacket(t, nc)
	require.Equal(t, byte(0x00), ok[0], "prepare %q: %q", query, ok)
	id := binary.LittleEndian.Uint32(ok[1:5])
	cols, params := binary.LittleEndian.Uint16(ok[5:7]), binary.LittleEndian.Uint16(ok[7:9])
	for _, n := range []uint16{params, cols} {
		if n == 0 {
			continue
		}
		for range int(n) + 1 { // definitions, then EOF
			readPacket(t, nc)
		}
	}
	return id
}

// readResultSet reads a result set (column count, definitions, EOF, rows,
// EOF) and returns the status flags of the first EOF and the row count.
func readResultSet(t *testing.T, nc net.Conn) (status uint16, rows int) {
	t.Helper()
	first := readPacket(t, nc)
	require.NotEqual(t, byte(0xff), first[0], "error instead of a result set: %q", first)
	cols := int(first[0])
	for range cols {
		readPacket(t, nc)
	}
	eof := readPacket(t, nc)
	require.True(t, eof[0] == 0xfe && len(eof) < 9, "EOF after the columns, got %q", eof)
	status = binary.LittleEndian.Uint16(eof[3:5])
	for {
		p := readPacket(t, nc)
		if p[0] == 0xfe && len(p) < 9 {
			return status, rows
		}
		require.NotEqual(t, byte(0xff), p[0], "error in the rows: %q", p)
		rows++
	}
}

// TestMalformedPacketsAnswered: packets vitess panicked on get MySQL's
// errors instead, found by the wire fuzz targets: a handshake response
// too short for its fixed part (1043, connection closed), and
// COM_STMT_RESET of an unknown statement (1243, the session goes on; a
// known one still resets).
func TestMalformedPacketsAnswered(t *testing.T) {
	addr, db := start(t)
	t.Run("short handshake response", func(t *testing.T) {
		nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
		require.NoError(t, err)
		defer nc.Close()
		require.NoError(t, nc.SetDeadline(time.Now().Add(5*time.Second)))
		readPacket(t, nc) // greeting
		body := binary.LittleEndian.AppendUint32(nil, 0x200|0x8000)
		body = append(body, 1, 0, 0, 0, 45) // max packet size, charset: 9 bytes, then nothing
		_, err = nc.Write(append([]byte{byte(len(body)), 0, 0, 1}, body...))
		require.NoError(t, err)
		reply := readPacket(t, nc)
		require.Equal(t, byte(0xff), reply[0])
		require.Equal(t, uint16(1043), binary.LittleEndian.Uint16(reply[1:3]), "%q", reply)
	})
	t.Run("reset of an unknown statement", func(t *testing.T) {
		nc := rawLogin(t, addr)
		writeCommand(t, nc, []byte{0x1a, 9, 0, 0, 0})
		reply := readPacket(t, nc)
		require.Equal(t, byte(0xff), reply[0])
		require.Equal(t, uint16(1243), binary.LittleEndian.Uint16(reply[1:3]), "%q", reply)
		id := rawPrepare(t, nc, "SELECT 1")
		writeCommand(t, nc, binary.LittleEndian.AppendUint32([]byte{0x1a}, id))
		require.Equal(t, byte(0x00), readPacket(t, nc)[0], "a known statement resets")
		writeCommand(t, nc, binary.LittleEndian.AppendUint32([]byte{0x19}, id)) // close: no answer
		writeCommand(t, nc, binary.LittleEndian.AppendUint32([]byte{0x1a}, id))
		require.Equal(t, uint16(1243), binary.LittleEndian.Uint16(readPacket(t, nc)[1:3]), "a closed statement is unknown")
		writeCommand(t, nc, append([]byte{0x03}, "SELECT 1"...))
		_, rows := readResultSet(t, nc)
		require.Equal(t, 1, rows)
	})
	requireAlive(t, db)
}
