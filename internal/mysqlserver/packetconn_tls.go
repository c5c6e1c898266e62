package mysqlserver

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"net"
	"time"

	"github.com/dolthub/vitess/go/mysql"
)

// TLS is put on a connection by packetConn, not by vitess, so that
// packetConn stays above TLS and sees the packets of every connection:
// its corrections (extra result sets, prepared DO, malformed packets,
// COM_REFRESH, COM_CHANGE_USER, prepare errors, cursors) apply over TLS
// as without. vitess would wrap the connection it was given (packetConn)
// in its own *tls.Conn and read through a buffer of its own, leaving
// packetConn only ciphertext.
//
// So vitess' listener gets no TLS configuration; packetConn
//   - offers CLIENT_SSL in vitess' greeting (greetingOut),
//   - takes the client's SSL request, which vitess never sees, and runs
//     the TLS handshake on the socket (startTLS),
//   - hands vitess the handshake response that follows over TLS as if it
//     were the client's first packet: the client numbers it 2, after the
//     SSL request, vitess expects 1, so until the login ends the client's
//     sequence ids are handed down one lower and vitess' one higher,
//   - and tells vitess that the connection is TLS (markTLS, from the auth
//     methods before any password check), for caching_sha2_password,
//     require_secure_transport and everything else that asks
//     mysql.Conn.TLSEnabled.
//
// vitess' GetTLSClientCerts type-asserts a *tls.Conn and finds none:
// client certificates are not requested (guocedb has no REQUIRE X509).

// tlsHandshakeTimeout bounds the TLS handshake (MySQL's connect_timeout).
const tlsHandshakeTimeout = 10 * time.Second

// greetingOut collects what vitess writes before the client's first
// packet (its greeting, header and body possibly apart) until a whole
// packet is there, then returns it to be written: with CLIENT_SSL set
// when the listener offers TLS, and its scramble noted. Called with c.mu
// held.
func (c *packetConn) greetingOut(p []byte) []byte {
	if c.greeted {
		return p
	}
	c.greeting = append(c.greeting, p...)
	if len(c.greeting) < 4 {
		return nil
	}
	n := int(c.greeting[0]) | int(c.greeting[1])<<8 | int(c.greeting[2])<<16
	if len(c.greeting) < 4+n {
		return nil
	}
	out := c.greeting
	c.greeting, c.greeted = nil, true
	c.scramble = scrambleOf(out)
	if c.tlsConfig != nil {
		offerTLS(out)
	}
	return out
}

// offerTLS sets CLIENT_SSL among the capabilities of the greeting pkt
// (HandshakeV10 with its header), in place.
func offerTLS(pkt []byte) {
	if len(pkt) < 5 || pkt[4] != 10 {
		return // not a greeting (an error)
	}
	end := bytes.IndexByte(pkt[5:], 0) // server version
	if end < 0 {
		return
	}
	at := 5 + end + 1 + 4 + 8 + 1 // connection id, scramble part 1, filler
	if len(pkt) < at+2 {
		return
	}
	caps := binary.LittleEndian.Uint16(pkt[at:])
	binary.LittleEndian.PutUint16(pkt[at:], caps|capClientSSL)
}

// isSSLRequest reports whether pkt, the client's first packet, asks for
// TLS.
func isSSLRequest(pkt []byte) bool {
	return len(pkt) >= 8 && binary.LittleEndian.Uint32(pkt[4:8])&capClientSSL != 0
}

// startTLS runs the TLS handshake after the client's SSL request and
// moves c's reads and writes onto TLS.
func (c *packetConn) startTLS() error {
	tc := tls.Server(bufferedConn{Conn: c.Conn, r: c.r}, c.tlsConfig)
	if err := c.Conn.SetDeadline(time.Now().Add(tlsHandshakeTimeout)); err != nil {
		return err
	}
	if err := tc.Handshake(); err != nil {
		return err
	}
	if err := c.Conn.SetDeadline(time.Time{}); err != nil {
		return err
	}
	c.mu.Lock()
	c.tlsConn, c.out, c.shift = tc, tc, true
	c.mu.Unlock()
	c.r = bufio.NewReaderSize(tc, 16<<10)
	return nil
}

// bufferedConn reads through r, which may hold bytes already read from
// Conn (the client sends its TLS hello right after the SSL request).
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }

// markTLS tells vitess that c runs over TLS when packetConn put TLS on
// it; vitess records that only for TLS it did itself. Called by the auth
// methods, which vitess asks about the user before it checks the
// transport or the password.
func markTLS(c *mysql.Conn) {
	if _, ok := tlsConnOf(c.Conn); ok {
		c.Capabilities |= mysql.CapabilityClientSSL
	}
}

// tlsConnOf returns the TLS connection under conn, if any.
func tlsConnOf(conn net.Conn) (*tls.Conn, bool) {
	switch c := conn.(type) {
	case *tls.Conn:
		return c, true
	case *packetConn:
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.tlsConn, c.tlsConn != nil
	}
	return nil, false
}

// resultWriter writes whole packets of the current command after what
// vitess wrote so far (packetConn).
type resultWriter interface {
	sendPackets(payloads [][]byte) error
}

// resultWriterOf returns the connection's resultWriter, or nil when there
// is none.
func resultWriterOf(conn net.Conn) resultWriter {
	if c, ok := conn.(*packetConn); ok {
		return c
	}
	return nil
}
