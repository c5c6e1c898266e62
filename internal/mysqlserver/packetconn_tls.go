package mysqlserver

import (
	"bytes"
	"crypto/tls"
	"net"
	"sync"

	"github.com/dolthub/vitess/go/mysql"
)

// tlsPacketConn is packetConn's counterpart for TLS connections, where
// packetConn, below TLS, sees only ciphertext: it wraps vitess' TLS
// connection, above TLS, and does the write side only (sendPackets and
// the renumbering after it). vitess reads TLS connections through a
// buffer of its own, so the start of a command cannot be seen here; the
// handler announces it (beginCommand) before anything of the command is
// written.
//
// It replaces the *tls.Conn in mysql.Conn.Conn once the login is done:
// when the login selects a database (ComInitDB runs before vitess' first
// command), else at the first command (see beginCommand). vitess took its
// writer for that command before the handler ran, so the first command of
// a login without a database still sends the last result set only.
type tlsPacketConn struct {
	*tls.Conn

	mu sync.Mutex
	// live is set from beginCommand until vitess starts the response to a
	// command that did not announce itself (COM_PING, ...).
	live bool
	// next is the sequence id of the next server packet of the command.
	next     uint8
	renumber bool
	// prev is vitess' own sequence id of the last packet written, seen
	// set once there was one: vitess' ids start again at 1 for a new
	// command, and pass 0 before 1 only when they wrap within one.
	prev uint8
	seen bool
	w    packetCounter
	// rest is the remainder of the multi-statement query whose statement
	// ran last (noteRest).
	rest string
}

// beginCommand prepares c's connection for the statement stmt of the
// command vitess just read: a TLS connection gets its tlsPacketConn (used
// from the next command on), an existing one starts counting the
// command's packets. A statement that is the rest of a multi-statement
// query (noteRest) continues its command. Only a command that came in one
// packet is counted (its response starts at sequence id 1); others send
// no extra result sets. size is at least the command's length.
func beginCommand(c *mysql.Conn, stmt string, size int) {
	switch conn := c.Conn.(type) {
	case *tls.Conn:
		adoptTLS(c)
	case *tlsPacketConn:
		conn.mu.Lock()
		defer conn.mu.Unlock()
		if conn.live && conn.rest != "" && stmt == conn.rest {
			conn.rest = ""
			return
		}
		single := size < maxPayload
		conn.live, conn.next, conn.renumber, conn.seen, conn.w, conn.rest = single, 1, false, false, packetCounter{}, ""
	}
}

// adoptTLS puts a tlsPacketConn over c's TLS connection. Only after the
// login: vitess' authentication looks for the *tls.Conn itself.
func adoptTLS(c *mysql.Conn) {
	if tc, ok := c.Conn.(*tls.Conn); ok {
		c.Conn = &tlsPacketConn{Conn: tc}
	}
}

// noteRest records the rest of a multi-statement query that vitess hands
// back to the handler within the same command.
func noteRest(c *mysql.Conn, rest string) {
	if conn, ok := c.Conn.(*tlsPacketConn); ok {
		conn.mu.Lock()
		conn.rest = rest
		conn.mu.Unlock()
	}
}

// tlsConnOf returns the TLS connection under conn, if any.
func tlsConnOf(conn net.Conn) (*tls.Conn, bool) {
	switch c := conn.(type) {
	case *tls.Conn:
		return c, true
	case *tlsPacketConn:
		return c.Conn, true
	}
	return nil, false
}

func (c *tlsPacketConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if !c.live {
		c.mu.Unlock()
		return c.Conn.Write(p)
	}
	out := p
	if c.renumber {
		out = bytes.Clone(p)
	}
	c.w.walk(out, func(seq *byte) {
		if !c.live {
			return
		}
		if c.seen && *seq == 1 && c.prev != 0 {
			// vitess answers a command nobody announced.
			c.live, c.renumber = false, false
			return
		}
		c.seen, c.prev = true, *seq
		if c.renumber {
			*seq = c.next
		}
		c.next++
	})
	c.mu.Unlock()
	if _, err := c.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// sendPackets is packetConn.sendPackets for a live command.
func (c *tlsPacketConn) sendPackets(payloads [][]byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || !c.w.atBoundary() {
		return errPacketsUnordered
	}
	buf := framePackets(payloads, &c.next)
	c.renumber = true
	_, err := c.Conn.Write(buf)
	return err
}

// resultWriter writes whole packets of the current command after what
// vitess wrote so far (packetConn, tlsPacketConn).
type resultWriter interface {
	sendPackets(payloads [][]byte) error
}

// resultWriterOf returns the connection's resultWriter for the current
// command, or nil when there is none (the first command after a TLS
// login, a command longer than one packet, an execute with a cursor).
func resultWriterOf(conn net.Conn) resultWriter {
	switch c := conn.(type) {
	case *packetConn:
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.passThrough {
			return nil
		}
		return c
	case *tlsPacketConn:
		c.mu.Lock()
		defer c.mu.Unlock()
		if !c.live {
			return nil
		}
		return c
	}
	return nil
}

// executeSize is at least the length of the COM_STMT_EXECUTE that bound
// prepare's parameters: 10 bytes of header, 2 of type and up to 9 of
// length per parameter, and the values.
func executeSize(prepare *mysql.PrepareData) int {
	n := 10 + len(prepare.ParamsType)*11 + (len(prepare.ParamsType)+7)/8
	for _, bv := range prepare.BindVars {
		if bv != nil {
			n += len(bv.Value)
		}
	}
	return n
}
