package mysqlserver

import "strings"

// Client commands rewritten below vitess, on their packets (packetConn
// calls rewriteClientCommand on the first packet of every command): the
// wire side of prepared DO, prepared locking clauses, COM_REFRESH and the
// replication commands guocedb does not serve.

// Command bytes: COM_STMT_PREPARE; COM_REGISTER_SLAVE and
// COM_BINLOG_DUMP_GTID, which guocedb does not serve (it is no
// replication source); and one no MySQL version uses, which vitess
// answers with 1047.
const (
	comStmtPrepare     = 0x16
	comRegisterReplica = 0x15
	comBinlogDumpGTID  = 0x1e
	comUnknown         = 0xf0
)

// rewriteClientCommand turns commands vitess cannot run into ones it can
// (a whole packet, header included): a COM_STMT_PREPARE of a DO statement
// into one of its marked SELECT, one that would panic vitess's parser into
// text it parses (guardPreparedText), one with MySQL 8's locking clauses
// into its grammar's (preparedLockingText), a COM_REFRESH into its FLUSH
// statement (com_refresh.go). Only the first packet of a command
// (sequence id 0) is a command.
func rewriteClientCommand(pkt []byte) []byte {
	if len(pkt) >= 5 && len(pkt) <= 6 && pkt[3] == 0 && pkt[4] == comRefresh {
		return rewriteRefresh(pkt)
	}
	if len(pkt) >= 5 && pkt[3] == 0 && (pkt[4] == comRegisterReplica || pkt[4] == comBinlogDumpGTID) {
		// vitess hands these to a replication handler; without one it
		// answers nothing and leaves the packet unread, and its next read
		// panics (readEphemeralPacket). A command byte it does not know
		// gets MySQL's 1047 "Unknown command" and the session goes on.
		out := append([]byte(nil), pkt...)
		out[4] = comUnknown
		return out
	}
	if len(pkt) < 8 || pkt[3] != 0 || pkt[4] != comStmtPrepare {
		return pkt
	}
	n := int(pkt[0]) | int(pkt[1])<<8 | int(pkt[2])<<16
	if n == maxPayload { // split over several packets: leave it alone
		return pkt
	}
	text := string(pkt[5:])
	var query string
	if sel, ok := asDoSelect(text); ok {
		query = doMarker + strings.TrimPrefix(sel, "SELECT ")
	} else if query = preparedLockingText(guardPreparedText(text)); query == text {
		return pkt
	}
	n = 1 + len(query)
	if n >= maxPayload {
		return pkt
	}
	out := make([]byte, 0, 4+n)
	out = append(out, byte(n), byte(n>>8), byte(n>>16), 0, comStmtPrepare)
	return append(out, query...)
}
