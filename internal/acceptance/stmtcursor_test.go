package acceptance

import (
	"database/sql"
	"encoding/binary"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestExecuteWithCursor opens server-side cursors (COM_STMT_EXECUTE with
// CURSOR_TYPE_READ_ONLY, as libmysqlclient does with
// STMT_ATTR_CURSOR_TYPE) and fetches from them while other commands run,
// as MySQL allows: executing a statement again closes its own cursor and
// opens a new one; other statements, queries, prepares, closes and resets
// leave a cursor alone; a fetch without an open cursor is 1421. vitess
// panicked on an execute or prepare while its one cursor was open
// ("startEphemeralPacket cannot be used while a packet is already
// started"); the server's log is checked for caught panics by testutil.
func TestExecuteWithCursor(t *testing.T) {
	addr, db := start(t)
	checkCursors(t, db, rawLogin(t, addr), "cur")
}

// checkCursors runs TestExecuteWithCursor's cases on nc, a raw
// connection logged in as root, with a fresh database schema.
func checkCursors(t *testing.T, db *sql.DB, nc net.Conn, schema string) {
	mustExec(t, db, "CREATE DATABASE "+schema)
	mustExec(t, db, "CREATE TABLE "+schema+".t (id INT PRIMARY KEY, s VARCHAR(10))")
	mustExec(t, db, "INSERT INTO "+schema+".t VALUES (1, 'a'), (2, 'b'), (3, 'c')")

	stmt := rawPrepare(t, nc, "SELECT id, s FROM "+schema+".t WHERE id >= ? ORDER BY id")
	other := rawPrepare(t, nc, "SELECT id, s FROM "+schema+".t WHERE id <= ? ORDER BY id DESC")
	insert := rawPrepare(t, nc, "INSERT INTO "+schema+".t VALUES (?, 'x')")
	open := func(id uint32, param int32) {
		t.Helper()
		writeCommand(t, nc, cursorExecute(id, param))
		status, rows := readResultSet(t, nc, true)
		require.NotZero(t, status&0x40, "SERVER_STATUS_CURSOR_EXISTS")
		require.Zero(t, rows, "rows come with fetches")
	}
	fetch := func(id uint32, n uint32) (ids []int32, last bool) {
		t.Helper()
		return rawFetch(t, nc, id, n)
	}

	open(stmt, 1)
	ids, last := fetch(stmt, 1)
	require.Equal(t, []int32{1}, ids)
	require.False(t, last)
	// Executed again: its cursor is closed and a new one opened.
	open(stmt, 2)
	ids, last = fetch(stmt, 10)
	require.Equal(t, []int32{2, 3}, ids)
	require.True(t, last, "SERVER_STATUS_LAST_ROW_SENT")
	requireFetchError(t, nc, stmt, 1421)
	requireFetchError(t, nc, 99, 1243)

	// Other commands while a cursor is open leave it alone.
	open(stmt, 1)
	ids, _ = fetch(stmt, 1)
	require.Equal(t, []int32{1}, ids)
	rawPrepare(t, nc, "SELECT 2")
	writeCommand(t, nc, plainExecute(other, 3))
	_, rows := readResultSet(t, nc, false)
	require.Equal(t, 3, rows)
	writeCommand(t, nc, append([]byte{0x03}, "SELECT 1"...))
	_, rows = readResultSet(t, nc, false)
	require.Equal(t, 1, rows)
	// A second cursor beside the first, fetched in turns.
	open(other, 3)
	ids, _ = fetch(other, 1)
	require.Equal(t, []int32{3}, ids)
	ids, last = fetch(stmt, 1)
	require.Equal(t, []int32{2}, ids)
	require.False(t, last)
	ids, last = fetch(other, 5)
	require.Equal(t, []int32{2, 1}, ids)
	require.True(t, last)
	// An execute with the cursor flag of a statement without a result
	// set opens no cursor; the open one stays.
	writeCommand(t, nc, cursorExecute(insert, 4))
	require.Equal(t, byte(0x00), readPacket(t, nc)[0], "INSERT's OK")
	ids, last = fetch(stmt, 5)
	require.Equal(t, []int32{3}, ids, "the cursor was opened before the INSERT")
	require.True(t, last)

	// A reset or close of the cursor's statement closes it.
	open(stmt, 1)
	writeCommand(t, nc, binary.LittleEndian.AppendUint32([]byte{0x1a}, stmt))
	require.Equal(t, byte(0x00), readPacket(t, nc)[0], "reset")
	requireFetchError(t, nc, stmt, 1421)
	open(stmt, 1)
	open(other, 9)
	writeCommand(t, nc, binary.LittleEndian.AppendUint32([]byte{0x19}, other)) // no answer
	requireFetchError(t, nc, other, 1243)
	ids, last = fetch(stmt, 9)
	require.Equal(t, []int32{1, 2, 3, 4}, ids)
	require.True(t, last)

	writeCommand(t, nc, append([]byte{0x03}, "SELECT 1"...))
	_, rows = readResultSet(t, nc, false)
	require.Equal(t, 1, rows)
	requireAlive(t, db)
}

// cursorExecute is COM_STMT_EXECUTE of statement id with flags
// CURSOR_TYPE_READ_ONLY, iteration count 1, NULL bitmap,
// new-params-bound and one LONG parameter.
func cursorExecute(id uint32, param int32) []byte {
	body := binary.LittleEndian.AppendUint32([]byte{0x17}, id)
	body = append(body, 0x01)
	body = binary.LittleEndian.AppendUint32(body, 1)
	body = append(body, 0x00, 0x01, 0x03, 0x00)
	return binary.LittleEndian.AppendUint32(body, uint32(param))
}

// plainExecute is cursorExecute without the cursor.
func plainExecute(id uint32, param int32) []byte {
	b := cursorExecute(id, param)
	b[5] = 0
	return b
}

// rawFetch sends COM_STMT_FETCH of n rows of statement id and returns
// the first column (INT) of the rows and whether the answer ended with
// SERVER_STATUS_LAST_ROW_SENT.
func rawFetch(t *testing.T, nc net.Conn, id, n uint32) (ids []int32, last bool) {
	t.Helper()
	body := binary.LittleEndian.AppendUint32([]byte{0x1c}, id)
	writeCommand(t, nc, binary.LittleEndian.AppendUint32(body, n))
	for {
		p := readPacket(t, nc)
		require.NotEqual(t, byte(0xff), p[0], "fetch: %q", p)
		if p[0] == 0xfe && len(p) < 9 {
			status := binary.LittleEndian.Uint16(p[3:5])
			return ids, status&0x80 != 0
		}
		// Binary row: header, NULL bitmap of one byte, INT.
		ids = append(ids, int32(binary.LittleEndian.Uint32(p[2:6])))
	}
}

// requireFetchError fetches from statement id and expects error code.
func requireFetchError(t *testing.T, nc net.Conn, id uint32, code uint16) {
	t.Helper()
	body := binary.LittleEndian.AppendUint32([]byte{0x1c}, id)
	writeCommand(t, nc, binary.LittleEndian.AppendUint32(body, 1))
	p := readPacket(t, nc)
	require.Equal(t, byte(0xff), p[0], "fetch from %d: %q", id, p)
	require.Equal(t, code, binary.LittleEndian.Uint16(p[1:3]), "%q", p)
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
// EOF; without rows and second EOF when cursor is set) and returns the
// status flags of the first EOF and the row count.
func readResultSet(t *testing.T, nc net.Conn, cursor bool) (status uint16, rows int) {
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
	for !cursor {
		p := readPacket(t, nc)
		if p[0] == 0xfe && len(p) < 9 {
			return status, rows
		}
		require.NotEqual(t, byte(0xff), p[0], "error in the rows: %q", p)
		rows++
	}
	return status, 0
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
		_, rows := readResultSet(t, nc, false)
		require.Equal(t, 1, rows)
	})
	requireAlive(t, db)
}

// TestCursorRowsMovedInBatches: a cursor left open while other commands
// run keeps its rows however many batches it takes to move them out of
// vitess, and one that holds more than 64 MB then is closed: its next
// fetch is 1114 and the session goes on.
func TestCursorRowsMovedInBatches(t *testing.T) {
	if raceDetector {
		// vitess (conn.go, execPrepareStatement) sets ServerCursorExists
		// in the connection's status flags after the first batch, while
		// go-mysql-server's row goroutine (handler.go, resultForDefaultIter)
		// reads them for the next: a race between the two upstream
		// packages that the race detector reports when a cursor's rows
		// take several batches. make test runs this test again without
		// -race.
		t.Skip("upstream vitess / go-mysql-server data race on a multi-batch cursor; run without -race by make test")
	}
	addr, db := start(t)
	mustExec(t, db, "CREATE DATABASE many")
	mustExec(t, db, "CREATE TABLE many.t (id INT PRIMARY KEY)")
	var values []string
	for i := 1; i <= 2500; i++ {
		values = append(values, "("+strconv.Itoa(i)+")")
	}
	mustExec(t, db, "INSERT INTO many.t VALUES "+strings.Join(values, ","))
	nc := rawLogin(t, addr)

	small := rawPrepare(t, nc, "SELECT id FROM many.t WHERE id >= ? ORDER BY id")
	writeCommand(t, nc, cursorExecute(small, 1))
	readResultSet(t, nc, true)
	ids, _ := rawFetch(t, nc, small, 1)
	require.Equal(t, []int32{1}, ids)
	writeCommand(t, nc, append([]byte{0x03}, "SELECT 1"...))
	readResultSet(t, nc, false)
	ids, last := rawFetch(t, nc, small, 5000)
	require.Len(t, ids, 2499)
	require.Equal(t, int32(2), ids[0])
	require.Equal(t, int32(2500), ids[2498])
	require.True(t, last)

	// About 100 MB left in the cursor when another command runs.
	big := rawPrepare(t, nc, "SELECT id, REPEAT('x', 1000000) FROM many.t WHERE id <= ? ORDER BY id")
	writeCommand(t, nc, cursorExecute(big, 100))
	readResultSet(t, nc, true)
	writeCommand(t, nc, append([]byte{0x03}, "SELECT 1"...))
	_, rows := readResultSet(t, nc, false)
	require.Equal(t, 1, rows)
	requireFetchError(t, nc, big, 1114)
	requireFetchError(t, nc, big, 1421)
	writeCommand(t, nc, cursorExecute(big, 2))
	readResultSet(t, nc, true)
	writeCommand(t, nc, append([]byte{0x1c}, append(binary.LittleEndian.AppendUint32(nil, big), 9, 0, 0, 0)...))
	for range 2 {
		require.Equal(t, byte(0), readPacket(t, nc)[0], "a row")
	}
	require.Equal(t, byte(0xfe), readPacket(t, nc)[0], "EOF")
	requireAlive(t, db)
}
