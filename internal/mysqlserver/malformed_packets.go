package mysqlserver

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	"github.com/dolthub/vitess/go/mysql"
)

// Correction of vitess: client packets that make it panic.
//
// Upstream: vitess' parser of the handshake response reads the user name
// at offset 32 without checking the length (a response shorter than 32
// bytes panics: slice bounds out of range) and converts a length-encoded
// auth response length of 2^63 or more to a negative int (makeslice
// panics), and COM_STMT_RESET of a
// statement id it does not know writes an error and then dereferences
// the missing statement (nil pointer); an empty command packet is indexed
// at 0 (index out of range). All were found by FuzzHandshake
// and FuzzCommand; vitess recovers and drops the connection, logging a
// caught panic.
//
// MySQL: a malformed handshake gets ER_HANDSHAKE_ERROR (1043, "Bad
// handshake") and the connection is closed; a reset of an unknown
// statement gets ER_UNKNOWN_STMT_HANDLER (1243) and an empty command
// ER_UNKNOWN_COM_ERROR (1047), and the session goes on.
//
// guocedb answers both in packetConn, before vitess reads the packet. It
// learns the statement ids vitess knows from the handler (ComPrepare:
// vitess registers the statement before calling it, whatever the
// outcome) and from COM_STMT_CLOSE and COM_RESET_CONNECTION, over TLS as
// without (packetConn sits above TLS). Delete this when vitess checks
// lengths and ids.

// Command bytes and limits used here.
const (
	comStmtClose       = 0x19
	comStmtReset       = 0x1a
	comResetConnection = 0x1f
	// minHandshakeResponse is the fixed part of a protocol-41 handshake
	// response: flags, max packet size, character set, 23 filler bytes.
	minHandshakeResponse = 4 + 4 + 1 + 23
	erHandshakeError     = 1043
	erUnknownStmtHandler = 1243
	erMalformedPacket    = 1835
	erUnknownComError    = 1047
)

// stmtIDs are the prepared statement ids of a connection, as vitess has
// them. Safe for concurrent use.
type stmtIDs struct {
	mu  sync.Mutex
	ids map[uint32]bool
}

func (s *stmtIDs) add(id uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = make(map[uint32]bool)
	}
	s.ids[id] = true
}

func (s *stmtIDs) remove(id uint32) {
	s.mu.Lock()
	delete(s.ids, id)
	s.mu.Unlock()
}

func (s *stmtIDs) clear() {
	s.mu.Lock()
	clear(s.ids)
	s.mu.Unlock()
}

func (s *stmtIDs) has(id uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[id]
}

// notePrepared tells c's packetConn (if any) that vitess knows statement
// id.
func notePrepared(c *mysql.Conn, id uint32) {
	if pc, ok := c.Conn.(*packetConn); ok {
		pc.stmts.add(id)
	}
}

// answerMalformed returns the error packet payload with which guocedb
// answers pkt (a whole client packet) itself, with close set when the
// connection ends after it; nil when vitess may have the packet. first
// marks the client's first packet (the handshake response).
func (c *packetConn) answerMalformed(pkt []byte, first bool) (reply []byte, close bool) {
	payload := pkt[4:]
	if first {
		if len(payload) < minHandshakeResponse || authResponseOverruns(payload) {
			return errorPayload(erHandshakeError, "08S01", "Bad handshake"), true
		}
		return nil, false
	}
	if pkt[3] != 0 {
		return nil, false
	}
	if len(payload) == 0 {
		// A command packet without a command byte (vitess indexed it).
		return errorPayload(erUnknownComError, "08S01", "Unknown command"), false
	}
	switch payload[0] {
	case comStmtClose:
		if len(payload) >= 5 {
			c.stmts.remove(binary.LittleEndian.Uint32(payload[1:5]))
		}
	case comResetConnection:
		c.stmts.clear()
	case comStmtReset:
		if len(payload) < 5 {
			return errorPayload(erMalformedPacket, "HY000", "Malformed communication packet."), false
		}
		if id := binary.LittleEndian.Uint32(payload[1:5]); !c.stmts.has(id) {
			return errorPayload(erUnknownStmtHandler, "HY000",
				fmt.Sprintf("Unknown prepared statement handler (%d) given to mysqld_stmt_reset", id)), false
		}
	}
	return nil, false
}

// authResponseOverruns reports whether a handshake response's
// length-encoded auth response claims more bytes than the packet has:
// vitess converts the length to int unchecked, and a length of 2^63 or
// more became a negative slice size (a panic in parseClientHandshakePacket,
// found by FuzzHandshake). Anything else malformed vitess refuses itself.
func authResponseOverruns(p []byte) bool {
	const capPluginAuthLenencClientData = 1 << 21
	if binary.LittleEndian.Uint32(p)&capPluginAuthLenencClientData == 0 {
		return false
	}
	pos := minHandshakeResponse
	end := bytes.IndexByte(p[pos:], 0) // the user name
	if end < 0 {
		return false
	}
	pos += end + 1
	if pos >= len(p) {
		return false
	}
	var n uint64
	switch b := p[pos]; {
	case b < 0xfb:
		n, pos = uint64(b), pos+1
	case b == 0xfc && pos+3 <= len(p):
		n, pos = uint64(binary.LittleEndian.Uint16(p[pos+1:])), pos+3
	case b == 0xfd && pos+4 <= len(p):
		n, pos = uint64(p[pos+1])|uint64(p[pos+2])<<8|uint64(p[pos+3])<<16, pos+4
	case b == 0xfe && pos+9 <= len(p):
		n, pos = binary.LittleEndian.Uint64(p[pos+1:]), pos+9
	default:
		return false
	}
	return n > uint64(len(p)-pos)
}

// errorPayload is a MySQL ERR packet's payload.
func errorPayload(code uint16, state, msg string) []byte {
	b := []byte{0xff, byte(code), byte(code >> 8), '#'}
	b = append(b, state...)
	return append(b, msg...)
}

// errMalformedAnswered ends a connection whose handshake guocedb refused.
var errMalformedAnswered = io.EOF
