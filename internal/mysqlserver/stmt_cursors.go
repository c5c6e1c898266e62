package mysqlserver

import (
	"encoding/binary"
	"fmt"

	"github.com/dolthub/vitess/go/mysql"
)

// Correction of vitess: server-side cursors of prepared statements
// (COM_STMT_EXECUTE with a cursor flag, then COM_STMT_FETCH).
//
// Upstream: vitess keeps one cursor per connection, served by a goroutine
// that runs the statement and hands rows to COM_STMT_FETCH. While it is
// open, a COM_STMT_EXECUTE or COM_STMT_PREPARE makes vitess write an
// error before it released the packet it read, which panics
// ("startEphemeralPacket cannot be used while a packet is already
// started") and drops the connection; a COM_STMT_CLOSE or COM_STMT_RESET
// of any statement discards the cursor; a COM_QUERY runs on the session
// beside the cursor's goroutine.
//
// MySQL: a cursor belongs to its statement. Executing the statement again
// closes its cursor and opens a new one; other statements, and any other
// command, leave it alone (MySQL materializes cursors), and fetching from
// a statement without an open cursor is ER_STMT_HAS_NO_OPEN_CURSOR
// (1421).
//
// packetConn follows the cursor vitess holds: opened by an execute with
// the cursor flag whose column definitions end with
// SERVER_STATUS_CURSOR_EXISTS, closed by a fetch answered with
// SERVER_STATUS_LAST_ROW_SENT or a close or reset of the statement. A
// command that would disturb it reaches vitess only after packetConn
// moved the cursor's remaining rows out of vitess (a COM_STMT_FETCH of
// every row, answered to packetConn instead of the client); packetConn
// then answers the statement's later fetches from those rows itself. An
// execute of the cursor's own statement is preceded by a COM_STMT_CLOSE
// of statement 0 (none has that id; vitess discards its cursor on every
// close and answers none). The cursor's rows stay streamed from vitess as
// long as nothing else is run: held rows cost memory only when the client
// interleaves other commands with an open cursor. They are moved in
// batches of about drainBatchBytes, up to heldCursorMaxBytes per cursor: a cursor
// with more is closed instead, and its next fetch is ER_RECORD_FILE_FULL
// (1114, as MySQL when a cursor's temporary table is full).
// Delete this when vitess keeps a cursor per statement.

// Command bytes and status flags used here.
const (
	comQuit             = 0x01
	comPing             = 0x0e
	comStmtExecute      = 0x17
	comStmtSendLongData = 0x18
	comStmtFetch        = 0x1c
	// serverStatusCursorExists and serverStatusLastRowSent are
	// SERVER_STATUS_CURSOR_EXISTS and SERVER_STATUS_LAST_ROW_SENT;
	// serverMoreResultsExists is SERVER_MORE_RESULTS_EXISTS.
	serverStatusCursorExists = 0x0040
	serverStatusLastRowSent  = 0x0080
	serverMoreResultsExists  = 0x0008
	erStmtHasNoOpenCursor    = 1421
	erRecordFileFull         = 1114
	// drainRows is the first batch of rows packetConn fetches when it
	// moves a cursor out of vitess; later batches are sized to about
	// drainBatchBytes from the rows' average size. heldCursorMaxBytes
	// bounds what it holds of one cursor.
	drainRows          = 16
	drainBatchBytes    = 4 << 20
	heldCursorMaxBytes = 64 << 20
)

// pendingCursorAnswer is what the last command handed to vitess tells
// packetConn about vitess' cursor, once vitess has answered it.
type pendingCursorAnswer uint8

const (
	answerNone pendingCursorAnswer = iota
	// answerExecute: an execute with the cursor flag; the cursor is open
	// if its answer ends with SERVER_STATUS_CURSOR_EXISTS.
	answerExecute
	// answerFetch: a client's fetch from vitess' cursor; the cursor is
	// closed if its answer ends with SERVER_STATUS_LAST_ROW_SENT.
	answerFetch
	// answerDrain: packetConn's own fetch of a batch of the remaining
	// rows, whose answer was captured (packetConn.captured).
	answerDrain
)

// stmtCursors is a connection's cursor state, used by the goroutine that
// reads the connection (vitess' command loop) only; the capture of a
// drain's answer, which Write fills, is in packetConn under its mutex.
type stmtCursors struct {
	// vitessOpen is set while vitess holds a cursor, of statement
	// vitessID.
	vitessOpen bool
	vitessID   uint32
	// await is what the command vitess is answering says about its
	// cursor, for the statement awaitID.
	await   pendingCursorAnswer
	awaitID uint32
	// held are the cursors packetConn took over from vitess, by statement.
	held map[uint32]*heldCursor
	// deferred is the client's command that waits for a drain; draining
	// is set while vitess' cursor still has rows to move, closing when
	// vitess is to discard it (the held rows grew too large).
	deferred          []byte
	draining, closing bool
}

// heldCursor is the rest of a cursor taken from vitess: its rows (each
// row the payloads of its packets), their size, and the payload of
// vitess' last EOF. full is set when the rows outgrew
// heldCursorMaxBytes: the cursor was closed.
type heldCursor struct {
	rows [][][]byte
	size int
	end  []byte
	full bool
}

// cursorCommand decides how the client's packet pkt (header included)
// reaches vitess given the cursors open: out is what to give vitess now
// (pkt, or packetConn's own command before it), reply the framed answer
// packetConn sends the client instead (then vitess sees nothing).
func (c *packetConn) cursorCommand(pkt []byte) (out, reply []byte) {
	cs := &c.cursors
	if len(pkt) < 5 || pkt[3] != 0 {
		return pkt, nil // not the start of a command
	}
	cmd := pkt[4]
	var id uint32
	hasID := len(pkt) >= 9
	if hasID {
		id = binary.LittleEndian.Uint32(pkt[5:9])
	}
	if cmd == comStmtFetch && len(pkt) >= 13 {
		if h := cs.held[id]; h != nil {
			return nil, c.fetchHeld(id, h, binary.LittleEndian.Uint32(pkt[9:13]))
		}
		if !cs.vitessOpen || id != cs.vitessID {
			msg := fmt.Sprintf("The statement (%d) has no open cursor.", id)
			code := uint16(erStmtHasNoOpenCursor)
			if !c.stmts.has(id) {
				msg = fmt.Sprintf("Unknown prepared statement handler (%d) given to mysqld_stmt_fetch", id)
				code = erUnknownStmtHandler
			}
			return nil, framePacket(errorPayload(code, "HY000", msg), 1)
		}
	}
	out = pkt
	switch {
	case cmd == comResetConnection:
		cs.vitessOpen, cs.held = false, nil
	case cmd == comQuit || cmd == comPing || cmd == comStmtSendLongData || !cs.vitessOpen:
		// Nothing here touches vitess' cursor.
	case hasID && id == cs.vitessID && cmd == comStmtFetch:
		cs.await, cs.awaitID = answerFetch, id
		return pkt, nil
	case hasID && id == cs.vitessID && (cmd == comStmtClose || cmd == comStmtReset):
		cs.vitessOpen = false // vitess discards it
	case hasID && id == cs.vitessID && cmd == comStmtExecute:
		// MySQL closes the statement's cursor before executing it again.
		out = append(commandPacket(comStmtClose, "\x00\x00\x00\x00"), pkt...)
		cs.vitessOpen = false
	default:
		// Anything else runs once vitess' cursor is moved out of it.
		cs.deferred = pkt
		return c.drainPacket(), nil
	}
	if hasID && (cmd == comStmtExecute || cmd == comStmtClose || cmd == comStmtReset) {
		delete(cs.held, id)
	}
	if cmd == comStmtExecute && len(pkt) > 9 && pkt[9] != 0 {
		cs.await, cs.awaitID = answerExecute, id
	}
	return out, nil
}

// settleCursor learns, once vitess has answered the last command it was
// given, what became of vitess' cursor. Called before vitess is given a
// packet.
func (c *packetConn) settleCursor() {
	cs := &c.cursors
	await := cs.await
	cs.await = answerNone
	c.mu.Lock()
	end, status := c.w.endStatus()
	captured := c.captured
	c.capturing, c.captured = false, nil
	c.mu.Unlock()
	switch await {
	case answerExecute:
		cs.vitessOpen = end && status&serverStatusCursorExists != 0
		cs.vitessID = cs.awaitID
	case answerFetch:
		if end && status&serverStatusLastRowSent != 0 {
			cs.vitessOpen = false
		}
	case answerDrain:
		cs.draining = false
		h := cs.held[cs.awaitID]
		if h == nil {
			h = &heldCursor{}
		}
		if !h.add(captured) {
			cs.vitessOpen = false // vitess had no cursor
			break
		}
		if cs.held == nil {
			cs.held = make(map[uint32]*heldCursor)
		}
		cs.held[cs.awaitID] = h
		lastRow := len(h.end) >= 5 && binary.LittleEndian.Uint16(h.end[3:5])&serverStatusLastRowSent != 0
		switch {
		case h.size > heldCursorMaxBytes:
			h.rows, h.size, h.full = nil, 0, true
			cs.vitessOpen, cs.closing = false, !lastRow
		case lastRow:
			cs.vitessOpen = false // all moved: vitess closed it
		default:
			cs.draining = true
		}
	}
}

// drainPacket starts (or goes on with) moving the rows of vitess' cursor
// into packetConn: a COM_STMT_FETCH of drainRows rows, whose answer is
// captured.
func (c *packetConn) drainPacket() []byte {
	cs := &c.cursors
	cs.await, cs.awaitID = answerDrain, cs.vitessID
	c.mu.Lock()
	c.capturing, c.captured = true, nil
	c.mu.Unlock()
	rows := uint32(drainRows)
	if h := cs.held[cs.vitessID]; h != nil && len(h.rows) > 0 {
		rows = uint32(max(1, min(10000, drainBatchBytes/max(1, h.size/len(h.rows)))))
	}
	drain := binary.LittleEndian.AppendUint32(nil, cs.vitessID)
	drain = binary.LittleEndian.AppendUint32(drain, rows)
	return commandPacket(comStmtFetch, string(drain))
}

// add appends vitess' answer to a drain (framed packets: the rows, then
// the EOF) to h; false when it is an error (vitess had no cursor).
func (h *heldCursor) add(captured []byte) bool {
	var payloads [][]byte
	for len(captured) >= 4 {
		n := int(captured[0]) | int(captured[1])<<8 | int(captured[2])<<16
		if len(captured) < 4+n {
			break
		}
		payloads = append(payloads, captured[4:4+n])
		captured = captured[4+n:]
	}
	if len(payloads) == 0 || len(payloads[0]) == 0 || payloads[0][0] == 0xff {
		return false
	}
	last := len(payloads) - 1
	h.end = payloads[last]
	var row [][]byte
	for _, p := range payloads[:last] {
		row = append(row, p)
		h.size += len(p)
		// A payload of maxPayload bytes continues in the next packet.
		if len(p) < maxPayload {
			h.rows = append(h.rows, row)
			row = nil
		}
	}
	return true
}

// fetchHeld answers a COM_STMT_FETCH of n rows from the held cursor of
// statement id, as vitess would have: the rows, then an EOF with
// SERVER_STATUS_LAST_ROW_SENT once the last row is sent (the cursor is
// closed then), else SERVER_STATUS_CURSOR_EXISTS.
func (c *packetConn) fetchHeld(id uint32, h *heldCursor, n uint32) []byte {
	if h.full {
		delete(c.cursors.held, id)
		return framePacket(errorPayload(erRecordFileFull, "HY000", fmt.Sprintf(
			"The cursor of statement %d is full: more than %d MB of rows were left when another command ran, and it was closed",
			id, heldCursorMaxBytes>>20)), 1)
	}
	k := min(uint64(n), uint64(len(h.rows)))
	var out []byte
	seq := uint8(1)
	for _, row := range h.rows[:k] {
		for _, p := range row {
			out = append(out, byte(len(p)), byte(len(p)>>8), byte(len(p)>>16), seq)
			out = append(out, p...)
			seq++
		}
	}
	h.rows = h.rows[k:]
	end := append([]byte(nil), h.end...)
	if len(end) >= 5 {
		status := binary.LittleEndian.Uint16(end[3:5])
		if c.status != nil {
			status = c.status()
		}
		status &^= serverStatusCursorExists | serverStatusLastRowSent | serverMoreResultsExists
		if len(h.rows) == 0 {
			status |= serverStatusLastRowSent
		} else {
			status |= serverStatusCursorExists
		}
		binary.LittleEndian.PutUint16(end[3:5], status)
	}
	if len(h.rows) == 0 {
		delete(c.cursors.held, id)
	}
	return append(out, framePacket(end, seq)...)
}

// followStatusFlags lets c's packetConn (if any) read c's status flags
// for the fetches it answers. vitess changes them from its command loop
// only, the goroutine that calls packetConn's Read.
func followStatusFlags(c *mysql.Conn) {
	if pc, ok := c.Conn.(*packetConn); ok {
		pc.status = func() uint16 { return c.StatusFlags }
	}
}
