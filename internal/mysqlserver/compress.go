package mysqlserver

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// The MySQL compressed protocol (CLIENT_COMPRESS), which vitess does not
// implement, lives here below vitess as a net.Conn wrapper:
//
//   - The server greeting gets CLIENT_COMPRESS added when advertise is set
//     (listeners without TLS: compression would have to sit inside TLS,
//     above this layer).
//   - The client's first packet says whether it wants compression. PHP's
//     mysqlnd asks for it even when the server did not advertise it, so a
//     plain-text client that asks gets it either way. A TLS request turns
//     the wrapper into a pass-through.
//   - From the server's first OK packet after that (the end of the login)
//     both directions use compressed framing: a 7-byte header (compressed
//     length, sequence id, uncompressed length; 0 means stored as is) and
//     a zlib payload carrying the ordinary packets.
const (
	capClientCompress = 1 << 5
	capClientSSL      = 1 << 11
	// maxPayload is the largest payload of one (compressed) packet.
	maxPayload = 1<<24 - 1
	// minCompress: shorter payloads are sent stored; zlib would grow them.
	minCompress = 50
)

// compressListener wraps accepted connections in compressConn.
type compressListener struct {
	net.Listener
	advertise bool
}

func (l compressListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newCompressConn(c, l.advertise), nil
}

type compressState int

const (
	stateGreeting   compressState = iota // server greeting not yet written
	stateHandshake                       // client's first packet not yet read
	stateLogin                           // client asked for compression; login runs
	stateCompressed                      // compressed framing both ways
	statePlain                           // no compression: pass-through
)

// compressConn is safe for one reader and one writer at a time, as vitess
// uses a connection; mu guards the state shared between the two.
type compressConn struct {
	net.Conn
	advertise bool
	r         *bufio.Reader

	mu    sync.Mutex
	state compressState
	// seq is the sequence id of the next compressed packet written: the
	// client's last compressed id plus one, then counting up.
	seq uint8

	// pending holds plain bytes read but not yet returned by Read.
	pending bytes.Buffer
	// greeting gathers the server greeting's pieces.
	greeting []byte
	// login parses the server's packets during the login to find its OK.
	login packetScanner
	// zw is reused for every compressed packet written.
	zw  *zlib.Writer
	zbf bytes.Buffer
}

func newCompressConn(c net.Conn, advertise bool) *compressConn {
	cc := &compressConn{Conn: c, advertise: advertise, r: bufio.NewReaderSize(c, 16<<10)}
	cc.zw = zlib.NewWriter(&cc.zbf)
	return cc
}

// NetConn returns the connection under c (closeRead).
func (c *compressConn) NetConn() net.Conn { return c.Conn }

func (c *compressConn) getState() compressState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

func (c *compressConn) setState(s compressState) {
	c.mu.Lock()
	c.state = s
	c.mu.Unlock()
}

func (c *compressConn) Read(p []byte) (int, error) {
	if c.pending.Len() > 0 {
		return c.pending.Read(p)
	}
	switch c.getState() {
	case stateGreeting, stateHandshake:
		// The client speaks only after the greeting, so its first packet
		// arrives here in stateHandshake.
		pkt, err := readPacket(c.r)
		if err != nil {
			return 0, err
		}
		next := statePlain
		if len(pkt) >= 8 {
			flags := binary.LittleEndian.Uint32(pkt[4:8])
			if flags&capClientSSL == 0 && flags&capClientCompress != 0 {
				next = stateLogin
			}
		}
		c.setState(next)
		c.pending.Write(pkt)
		return c.pending.Read(p)
	case stateCompressed:
		if err := c.readCompressed(); err != nil {
			return 0, err
		}
		return c.pending.Read(p)
	default:
		return c.r.Read(p)
	}
}

// readPacket reads one whole plain packet, header included.
func readPacket(r *bufio.Reader) ([]byte, error) {
	hdr := make([]byte, 4)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, err
	}
	n := int(hdr[0]) | int(hdr[1])<<8 | int(hdr[2])<<16
	pkt := make([]byte, 4+n)
	copy(pkt, hdr)
	if _, err := io.ReadFull(r, pkt[4:]); err != nil {
		return nil, err
	}
	return pkt, nil
}

// readCompressed reads one compressed packet into pending.
func (c *compressConn) readCompressed() error {
	var hdr [7]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		return err
	}
	clen := int(hdr[0]) | int(hdr[1])<<8 | int(hdr[2])<<16
	ulen := int(hdr[4]) | int(hdr[5])<<8 | int(hdr[6])<<16
	c.mu.Lock()
	c.seq = hdr[3] + 1
	c.mu.Unlock()
	if ulen == 0 {
		_, err := io.CopyN(&c.pending, c.r, int64(clen))
		return err
	}
	zr, err := zlib.NewReader(io.LimitReader(c.r, int64(clen)))
	if err != nil {
		return fmt.Errorf("compressed packet: %w", err)
	}
	n, err := io.CopyN(&c.pending, zr, int64(ulen))
	if err != nil {
		return fmt.Errorf("compressed packet: %w", err)
	}
	if n != int64(ulen) {
		return errors.New("compressed packet: shorter than announced")
	}
	// Drain the rest of the zlib stream (its checksum) from the payload.
	_, err = io.Copy(io.Discard, zr)
	return errors.Join(err, zr.Close())
}

func (c *compressConn) Write(p []byte) (int, error) {
	switch c.getState() {
	case stateGreeting:
		// vitess may write the header and the payload separately: gather
		// the whole greeting before changing it.
		c.greeting = append(c.greeting, p...)
		if len(c.greeting) < 4 || len(c.greeting) < 4+(int(c.greeting[0])|int(c.greeting[1])<<8|int(c.greeting[2])<<16) {
			return len(p), nil
		}
		c.setState(stateHandshake)
		if c.advertise {
			advertiseCompress(c.greeting)
		}
		if _, err := c.Conn.Write(c.greeting); err != nil {
			return 0, err
		}
		c.greeting = nil
		return len(p), nil
	case stateLogin:
		// Write the login packets plainly, switching to compression after
		// the server's OK. vitess writes whole packets during the login,
		// so the OK ends p.
		if c.login.feed(p) {
			c.setState(stateCompressed)
		}
		return c.Conn.Write(p)
	case stateCompressed:
		if err := c.writeCompressed(p); err != nil {
			return 0, err
		}
		return len(p), nil
	default:
		return c.Conn.Write(p)
	}
}

// advertiseCompress sets CLIENT_COMPRESS in a server greeting packet: the
// low capability bytes follow the version string, the connection id (4),
// the first auth data part (8) and a filler (1).
func advertiseCompress(p []byte) {
	if len(p) < 5 || p[4] != 10 { // protocol version 10
		return
	}
	end := bytes.IndexByte(p[5:], 0)
	if end < 0 {
		return
	}
	pos := 5 + end + 1 + 4 + 8 + 1
	if pos+2 > len(p) {
		return
	}
	p[pos] |= capClientCompress
}

// writeCompressed sends p as compressed packets.
func (c *compressConn) writeCompressed(p []byte) error {
	for len(p) > 0 {
		chunk := p
		if len(chunk) > maxPayload {
			chunk = chunk[:maxPayload]
		}
		p = p[len(chunk):]
		payload, ulen := chunk, 0
		if len(chunk) >= minCompress {
			c.zbf.Reset()
			c.zw.Reset(&c.zbf)
			if _, err := c.zw.Write(chunk); err != nil {
				return err
			}
			if err := c.zw.Close(); err != nil {
				return err
			}
			if c.zbf.Len() < len(chunk) {
				payload, ulen = c.zbf.Bytes(), len(chunk)
			}
		}
		c.mu.Lock()
		seq := c.seq
		c.seq++
		c.mu.Unlock()
		hdr := [7]byte{byte(len(payload)), byte(len(payload) >> 8), byte(len(payload) >> 16), seq,
			byte(ulen), byte(ulen >> 8), byte(ulen >> 16)}
		if _, err := c.Conn.Write(append(hdr[:], payload...)); err != nil {
			return err
		}
	}
	return nil
}

// packetScanner follows the packet boundaries of a byte stream written in
// pieces and reports an OK packet (first payload byte 0x00).
type packetScanner struct {
	hdr     []byte // partial header
	left    int    // payload bytes of the current packet still to come
	atStart bool   // the next payload byte is the first of its packet
}

// feed consumes b and reports whether a packet in it was an OK packet.
func (s *packetScanner) feed(b []byte) bool {
	ok := false
	for len(b) > 0 {
		if s.left == 0 && !s.atStart {
			need := 4 - len(s.hdr)
			if need > len(b) {
				s.hdr = append(s.hdr, b...)
				return ok
			}
			s.hdr = append(s.hdr, b[:need]...)
			b = b[need:]
			s.left = int(s.hdr[0]) | int(s.hdr[1])<<8 | int(s.hdr[2])<<16
			s.hdr = s.hdr[:0]
			s.atStart = s.left > 0
			continue
		}
		if s.atStart {
			ok = ok || b[0] == 0x00
			s.atStart = false
		}
		n := min(s.left, len(b))
		s.left -= n
		b = b[n:]
	}
	return ok
}
