package mysqlserver

// Correction of vitess (go-mysql-server's wire layer): COM_STMT_EXECUTE
// with a cursor.
//
// Upstream: vitess opens a "cursor" by running the statement in a
// goroutine that hands rows to COM_STMT_FETCH. While one is open, a
// COM_STMT_EXECUTE or COM_STMT_PREPARE makes vitess write an error packet
// before releasing the command packet it read, which panics
// ("startEphemeralPacket cannot be used while a packet is already
// started") and drops the connection; a C client that executes a second
// statement before fetching the first one's last row hits it.
//
// MySQL: a server may answer an execute that asks for a cursor with the
// whole result set instead (MySQL does so for statements it cannot
// materialize); the client learns which from SERVER_STATUS_CURSOR_EXISTS
// in the end-of-columns packet, and libmysqlclient, Connector/J and
// Connector/ODBC read the rows directly when it is absent.
//
// guocedb clears the cursor flags of every COM_STMT_EXECUTE before vitess
// reads the packet, so vitess never opens a cursor: the rows come with
// the execute, and COM_STMT_FETCH has nothing to fetch (vitess' error).
// Delete this once vitess releases the read packet on those paths.
//
// Over TLS packetConn sees only ciphertext, so there vitess' cursors
// remain (docs/compatibility.md).

// stmtExecuteFlagsAt is the offset of COM_STMT_EXECUTE's flags byte in a
// packet with its 4-byte header: command byte, then the statement id.
const stmtExecuteFlagsAt = 4 + 1 + 4

// withoutCursor returns pkt (one client packet, header included) with the
// cursor flags of a COM_STMT_EXECUTE cleared; other packets are returned
// unchanged. A command split over several packets starts with a
// full-size packet and is cleared the same way: the flags are in its
// first bytes.
func withoutCursor(pkt []byte) []byte {
	if len(pkt) <= stmtExecuteFlagsAt || pkt[3] != 0 || pkt[4] != comStmtExecute || pkt[stmtExecuteFlagsAt] == 0 {
		return pkt
	}
	pkt[stmtExecuteFlagsAt] = 0 // CURSOR_TYPE_NO_CURSOR
	return pkt
}
