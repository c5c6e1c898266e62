package mysqlserver

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"time"
)

// packetConn sits between vitess and the client's byte stream (the socket,
// or compressConn's plain side) and follows the MySQL packets crossing it.
// It exists for what vitess' handler API cannot express:
//
//   - Several result sets for one statement (a CALL whose procedure runs
//     several SELECTs). vitess gives a handler one result set per
//     statement; sendPackets writes the earlier ones itself, and from then
//     until the client's next packet every packet vitess writes gets the
//     next sequence id (vitess counts only its own packets).
//   - Statements vitess' parser rejects at COM_STMT_PREPARE before any
//     handler sees them: a prepared DO is handed to vitess as a marked
//     SELECT (see do.go).
//   - Commands vitess would panic on: malformed packets
//     (malformed_packets.go) and commands while vitess holds a
//     server-side cursor (stmt_cursors.go).
//
// It also puts TLS on the connection when the client asks for it
// (packetconn_tls.go), under itself, so that all of this works the same
// over TLS.
//
// vitess reads and writes a connection from one goroutine per command;
// mu guards the state shared between the read and the write side anyway.
type packetConn struct {
	net.Conn
	r *bufio.Reader

	mu sync.Mutex
	// out is where packets go: the connection, or tlsConn once the
	// client asked for TLS (packetconn_tls.go). tlsConfig is the
	// listener's, nil without TLS; shift is set from the TLS handshake to
	// the end of the login, while vitess and the client count packets one
	// apart.
	out       net.Conn
	tlsConfig *tls.Config
	tlsConn   *tls.Conn
	shift     bool
	// handshakeSeen is set after the client's first packet.
	handshakeSeen bool
	// pending holds client bytes read but not yet returned by Read.
	pending bytes.Buffer
	// next is the sequence id of the next server packet of the current
	// command: the client's last id plus one, then counting the server's
	// packets (packet boundaries of vitess' writes are followed by w).
	next uint8
	// renumber is set when packets not written by vitess went out during
	// the current command (vitess' own ids are then behind), and during
	// a login after a TLS handshake (shift).
	renumber bool
	w        packetCounter
	// stmts are the statement ids vitess knows (malformed_packets.go).
	stmts stmtIDs
	// scramble is the handshake's, and changeUser the payload of a
	// COM_CHANGE_USER not yet run (com_change_user.go).
	scramble, changeUser []byte
	// greeting collects the server's handshake until it is written,
	// greeted is set then.
	greeting []byte
	greeted  bool
	// writeTimeout, when set, is the deadline of every write.
	writeTimeout time.Duration
	// lastPrepare is the text of the COM_STMT_PREPARE being answered, and
	// held the header of its answer's first packet (prepare_errors.go).
	lastPrepare string
	held        []byte
	// cursors follows vitess' server-side cursor (stmt_cursors.go);
	// capturing is set while vitess answers packetConn's own fetch, whose
	// answer goes to captured instead of the client.
	cursors   stmtCursors
	capturing bool
	captured  []byte
	// status returns vitess' status flags of the connection; called from
	// the goroutine that reads the connection (vitess' command loop).
	status func() uint16
}

// packetListener wraps accepted connections in packetConn.
type packetListener struct {
	net.Listener
	// writeTimeout bounds every write to a client (net_write_timeout).
	// It is set here, not through vitess' ConnWriteTimeout: vitess would
	// wrap the connection, and the handler finds packetConn by type.
	writeTimeout time.Duration
	// tls, when set, is offered to clients (packetconn_tls.go); vitess'
	// listener is given none.
	tls *tls.Config
}

func (l packetListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	pc := newPacketConn(c)
	pc.writeTimeout, pc.tlsConfig = l.writeTimeout, l.tls
	return pc, nil
}

func newPacketConn(c net.Conn) *packetConn {
	return &packetConn{Conn: c, out: c, r: bufio.NewReaderSize(c, 16<<10)}
}

// NetConn returns the connection under c (closeRead).
func (c *packetConn) NetConn() net.Conn { return c.Conn }

func (c *packetConn) Read(p []byte) (int, error) {
	if c.pending.Len() > 0 {
		return c.pending.Read(p)
	}
	pkt, err := c.nextPacket()
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	if c.handshakeSeen {
		if len(pkt) > 5 && pkt[3] == 0 && pkt[4] == comChangeUser {
			c.changeUser = append([]byte(nil), pkt[5:]...)
			pkt = commandPacket(comQuery, changeUserMarker)
		}
		pkt = rewriteClientCommand(pkt)
	} else {
		c.handshakeSeen = true
	}
	c.lastPrepare = ""
	if len(pkt) > 5 && pkt[3] == 0 && pkt[4] == comStmtPrepare {
		c.lastPrepare = string(pkt[5:])
	}
	c.next = pkt[3] + 1
	if c.shift {
		// The login after a TLS handshake (packetconn_tls.go): the
		// client's first command ends it.
		if pkt[3] == 0 {
			c.shift = false
		} else {
			pkt[3]--
		}
	}
	c.renumber = c.shift
	c.w = packetCounter{}
	c.mu.Unlock()
	c.pending.Write(pkt)
	return c.pending.Read(p)
}

// nextPacket returns the next packet to give vitess: the client's, or
// packetConn's own before it (stmt_cursors.go). Client packets that
// packetConn answers itself (malformed_packets.go, stmt_cursors.go) are
// not returned.
func (c *packetConn) nextPacket() ([]byte, error) {
	c.settleCursor()
	if c.cursors.draining {
		return c.drainPacket(), nil
	}
	for {
		pkt := c.cursors.deferred
		c.cursors.deferred = nil
		if pkt == nil {
			var err error
			if pkt, err = readPacket(c.r); err != nil {
				return nil, err
			}
			c.mu.Lock()
			first := !c.handshakeSeen
			c.mu.Unlock()
			reply, closing := c.answerMalformed(pkt, first)
			if reply != nil {
				// Answered here (malformed_packets.go): vitess never sees it.
				if err := c.writeOwn(framePacket(reply, pkt[3]+1)); err != nil {
					return nil, err
				}
				if closing {
					return nil, errMalformedAnswered
				}
				continue
			}
			if first && c.tlsConfig != nil && c.tlsConn == nil && isSSLRequest(pkt) {
				// The SSL request is packetConn's (packetconn_tls.go).
				if err := c.startTLS(); err != nil {
					return nil, err
				}
				continue
			}
			if first {
				return pkt, nil
			}
		}
		out, reply := c.cursorCommand(pkt)
		if reply == nil {
			if c.cursors.closing {
				// vitess discards its cursor first (stmt_cursors.go).
				c.cursors.closing = false
				out = append(commandPacket(comStmtClose, "\x00\x00\x00\x00"), out...)
			}
			return out, nil
		}
		if err := c.writeOwn(reply); err != nil {
			return nil, err
		}
	}
}

// writeOwn writes packets of packetConn's own answer to a client packet
// vitess does not see.
func (c *packetConn) writeOwn(b []byte) error {
	c.mu.Lock()
	w := c.out
	c.mu.Unlock()
	c.writeDeadline()
	_, err := w.Write(b)
	return err
}

func (c *packetConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.capturing {
		// vitess' answer to packetConn's own fetch (stmt_cursors.go).
		c.captured = append(c.captured, p...)
		c.mu.Unlock()
		return len(p), nil
	}
	if !c.handshakeSeen {
		out, w := c.greetingOut(p), c.out
		c.mu.Unlock()
		if out == nil {
			return len(p), nil
		}
		c.writeDeadline()
		if _, err := w.Write(out); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	written := len(p)
	replaced := false
	if c.lastPrepare != "" && c.w.atBoundary() {
		// The answer to a COM_STMT_PREPARE (prepare_errors.go). Unbuffered,
		// vitess writes a packet's header and body apart: the header waits
		// for its body.
		if c.held == nil && len(p) == 4 {
			c.held = bytes.Clone(p)
			c.mu.Unlock()
			return written, nil
		}
		if c.held != nil {
			p, c.held = append(c.held, p...), nil
		}
		var fixed []byte
		if fixed, replaced = prepareSyntaxError(p, c.lastPrepare); replaced {
			p = fixed
		}
		c.lastPrepare = ""
	}
	out := p
	if c.renumber && !replaced {
		out = bytes.Clone(p)
	}
	c.w.walk(out, func(seq *byte) {
		if c.renumber {
			*seq = c.next
		}
		c.next++
	})
	w := c.out
	c.mu.Unlock()
	c.writeDeadline()
	if _, err := w.Write(out); err != nil {
		return 0, err
	}
	return written, nil
}

// writeDeadline gives the next write writeTimeout to complete: a client
// that stops reading loses its connection, so its session and any
// shutdown waiting on its command go on.
func (c *packetConn) writeDeadline() {
	if c.writeTimeout > 0 {
		_ = c.Conn.SetWriteDeadline(time.Now().Add(c.writeTimeout))
	}
}

// errPacketsUnordered is returned by sendPackets when the packets vitess
// wrote so far do not end on a packet boundary (vitess' buffer was not
// flushed).
var errPacketsUnordered = errors.New("packet stream: extra packets in the middle of a packet")

// sendPackets writes payloads as packets of the current command, after
// whatever vitess wrote so far; the caller must have flushed vitess'
// buffer (mysql.Conn.FlushBuffer). vitess' later packets of the command
// are renumbered after them.
func (c *packetConn) sendPackets(payloads [][]byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.w.atBoundary() {
		return errPacketsUnordered
	}
	buf := framePackets(payloads, &c.next)
	c.renumber = true
	_, err := c.out.Write(buf)
	return err
}

// framePacket frames one payload (shorter than maxPayload) as packet seq.
func framePacket(payload []byte, seq uint8) []byte {
	n := len(payload)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, payload...)
}

// framePackets frames payloads as packets numbered from *next on.
func framePackets(payloads [][]byte, next *uint8) []byte {
	var buf bytes.Buffer
	for _, pl := range payloads {
		for {
			n := min(len(pl), maxPayload)
			buf.Write([]byte{byte(n), byte(n >> 8), byte(n >> 16), *next})
			buf.Write(pl[:n])
			*next++
			pl = pl[n:]
			// A payload of exactly maxPayload bytes is followed by an
			// empty packet.
			if n < maxPayload {
				break
			}
		}
	}
	return buf.Bytes()
}

// packetCounter follows packet headers across writes of arbitrary size.
type packetCounter struct {
	hdr  [4]byte
	nhdr int // header bytes seen of the current header
	left int // payload bytes of the current packet still to come
	// size and head are the payload length and first bytes of the last
	// packet begun (nhead of them seen so far): endStatus reads them.
	size  int
	head  [5]byte
	nhead int
}

// walk passes the sequence byte of every packet header in b to seq (in
// place: seq may change it).
func (w *packetCounter) walk(b []byte, seq func(*byte)) {
	for len(b) > 0 {
		if w.left > 0 {
			n := min(w.left, len(b))
			if w.nhead < len(w.head) {
				w.nhead += copy(w.head[w.nhead:], b[:n])
			}
			w.left -= n
			b = b[n:]
			continue
		}
		// In a header.
		if w.nhdr == 3 {
			seq(&b[0])
		}
		w.hdr[w.nhdr] = b[0]
		w.nhdr++
		b = b[1:]
		if w.nhdr == 4 {
			w.left = int(w.hdr[0]) | int(w.hdr[1])<<8 | int(w.hdr[2])<<16
			w.size, w.nhead = w.left, 0
			w.nhdr = 0
		}
	}
}

func (w *packetCounter) atBoundary() bool { return w.nhdr == 0 && w.left == 0 }

// endStatus returns the status flags of the last packet walked if it is
// an EOF packet, or an OK packet with the EOF header (both have the flags
// at offset 3 when vitess writes them after rows or column definitions).
func (w *packetCounter) endStatus() (end bool, status uint16) {
	if !w.atBoundary() || w.nhead < 5 || w.head[0] != 0xfe || w.size >= 9 {
		return false, 0
	}
	return true, binary.LittleEndian.Uint16(w.head[3:5])
}
