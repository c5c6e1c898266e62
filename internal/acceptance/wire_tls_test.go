package acceptance

import (
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/binary"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/testutil"
)

// TestWireCorrectionsOverTLS runs the corrections guocedb makes on the
// packets below vitess (packetConn) without TLS and over TLS, on one
// server: server-side cursors, malformed packets, COM_REFRESH,
// COM_CHANGE_USER, prepared DO, prepared syntax errors, the prepared
// SELECT” vitess' parser panics on, and every result set of a CALL from
// a connection's first command. They used to be lost over TLS, where
// vitess put TLS above packetConn and left it only ciphertext.
func TestWireCorrectionsOverTLS(t *testing.T) {
	certs := testutil.NewTestCerts(t)
	clientTLS := &tls.Config{RootCAs: certs.Pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
	tlsName := testutil.RegisterClientTLS(t, clientTLS)
	addr, db := testutil.StartServer(t,
		testutil.WithConfig(func(c *config.Config) { c.TLSCert, c.TLSKey = certs.CertFile, certs.KeyFile }),
		testutil.WithDSNParams("tls="+tlsName))
	mustExec(t, db, "CREATE DATABASE p")
	mustExec(t, db, "CREATE PROCEDURE p.two() BEGIN SELECT 1 AS a; SELECT 'two' AS b; END")

	for _, tr := range []struct {
		name  string
		login func(t *testing.T) net.Conn
		dsn   string
	}{
		{"plain", func(t *testing.T) net.Conn { return rawLogin(t, addr) }, "tls=false"},
		{"TLS", func(t *testing.T) net.Conn { return rawLoginTLS(t, addr, clientTLS) }, "tls=" + tlsName},
	} {
		t.Run(tr.name, func(t *testing.T) {
			client, err := sql.Open("mysql", testutil.DSN("root", "", addr, "")+"&"+tr.dsn)
			require.NoError(t, err)
			t.Cleanup(func() { _ = client.Close() })
			c := conn(t, client)
			cipher := queryRows(t, c, "SHOW STATUS LIKE 'Ssl_cipher'")[0][1]
			require.Equal(t, tr.name == "TLS", cipher != "", "Ssl_cipher %q", cipher)

			t.Run("cursors", func(t *testing.T) {
				checkCursors(t, db, tr.login(t), "cur_"+strings.ToLower(tr.name))
			})
			t.Run("malformed packets", func(t *testing.T) {
				nc := tr.login(t)
				writeCommand(t, nc, nil)
				require.Equal(t, uint16(1047), packetErrCode(t, readPacket(t, nc)), "empty command")
				writeCommand(t, nc, []byte{0x1a, 9, 0, 0, 0})
				require.Equal(t, uint16(1243), packetErrCode(t, readPacket(t, nc)), "reset of an unknown statement")
				writeCommand(t, nc, append([]byte{0x03}, "SELECT 1"...))
				_, rows := readResultSet(t, nc, false)
				require.Equal(t, 1, rows)
			})
			t.Run("COM_REFRESH", func(t *testing.T) {
				nc := tr.login(t)
				writeCommand(t, nc, []byte{0x07, 0x01}) // REFRESH_GRANT
				reply := readPacket(t, nc)
				require.Equal(t, byte(0x00), reply[0], "%q", reply)
			})
			t.Run("COM_CHANGE_USER", func(t *testing.T) {
				nc := tr.login(t)
				body := append([]byte{0x11}, "root\x00"...)
				body = append(body, 0)          // no auth response: empty password
				body = append(body, "p\x00"...) // database
				body = append(body, 45, 0)      // utf8mb4
				body = append(body, "mysql_native_password\x00"...)
				writeCommand(t, nc, body)
				reply := readPacket(t, nc)
				require.Equal(t, byte(0x00), reply[0], "%q", reply)
				writeCommand(t, nc, append([]byte{0x03}, "SELECT DATABASE()"...))
				require.Equal(t, []byte{1}, readPacket(t, nc))
				readPacket(t, nc) // column
				readPacket(t, nc) // EOF
				require.Equal(t, []byte{1, 'p'}, readPacket(t, nc))
			})
			t.Run("prepared statements", func(t *testing.T) {
				stmt, err := c.PrepareContext(context.Background(), "DO ?")
				require.NoError(t, err, "prepared DO")
				_, err = stmt.Exec(1)
				require.NoError(t, err)
				require.NoError(t, stmt.Close())
				err = execErr(c, "SELEKT ?", 1)
				requireErrCode(t, err, 1064)
				require.Contains(t, err.Error(), "syntax error at position")
				require.Equal(t, [][]string{{"", "7"}}, queryRows(t, c, "SELECT'', ?", 7))
			})
			t.Run("CALL result sets on the first command", func(t *testing.T) {
				first := conn(t, client)
				rows, err := first.QueryContext(context.Background(), "CALL p.two()")
				require.NoError(t, err)
				_, sets, err := resultSets(t, rows)
				require.NoError(t, err)
				require.Equal(t, [][][]string{{{"1"}}, {{"two"}}}, sets)
			})
		})
	}

	t.Run("short handshake response after TLS", func(t *testing.T) {
		nc := startTLS(t, addr, clientTLS)
		_, err := nc.Write([]byte{5, 0, 0, 2, 0x0d, 0xaa, 0, 0, 0})
		require.NoError(t, err)
		require.Equal(t, uint16(1043), packetErrCode(t, readPacket(t, nc)))
	})
	requireAlive(t, db)
}

// packetErrCode returns the error code of the ERR packet payload p.
func packetErrCode(t *testing.T, p []byte) uint16 {
	t.Helper()
	require.GreaterOrEqual(t, len(p), 3, "%q", p)
	require.Equal(t, byte(0xff), p[0], "not an error: %q", p)
	return binary.LittleEndian.Uint16(p[1:3])
}

// Client capabilities of the raw logins.
const (
	rawClientLongPassword     = 0x1
	rawClientProtocol41       = 0x200
	rawClientSSL              = 0x800
	rawClientSecureConnection = 0x8000
)

// startTLS reads the greeting, which must offer TLS, sends the SSL request
// and returns the connection after the TLS handshake.
func startTLS(t *testing.T, addr string, cfg *tls.Config) net.Conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = nc.Close() })
	require.NoError(t, nc.SetDeadline(time.Now().Add(10*time.Second)))
	greeting := readPacket(t, nc)
	end := 1 + strings.IndexByte(string(greeting[1:]), 0) + 1
	caps := binary.LittleEndian.Uint16(greeting[end+4+8+1:])
	require.NotZero(t, caps&rawClientSSL, "the greeting offers TLS")
	body := binary.LittleEndian.AppendUint32(nil, rawClientLongPassword|rawClientProtocol41|rawClientSecureConnection|rawClientSSL)
	body = binary.LittleEndian.AppendUint32(body, 1<<24)
	body = append(body, 45)
	body = append(body, make([]byte, 23)...)
	_, err = nc.Write(append([]byte{byte(len(body)), 0, 0, 1}, body...))
	require.NoError(t, err)
	tc := tls.Client(nc, cfg)
	require.NoError(t, tc.Handshake())
	return tc
}

// rawLoginTLS is rawLogin over TLS: the login's packets after the SSL
// request are numbered from 2.
func rawLoginTLS(t *testing.T, addr string, cfg *tls.Config) net.Conn {
	t.Helper()
	nc := startTLS(t, addr, cfg)
	body := binary.LittleEndian.AppendUint32(nil, rawClientLongPassword|rawClientProtocol41|rawClientSecureConnection|rawClientSSL)
	body = binary.LittleEndian.AppendUint32(body, 1<<24)
	body = append(body, 45)
	body = append(body, make([]byte, 23)...)
	body = append(body, "root\x00"...)
	body = append(body, 0)
	_, err := nc.Write(append([]byte{byte(len(body)), 0, 0, 2}, body...))
	require.NoError(t, err)
	hdr := make([]byte, 4)
	_, err = readFull(nc, hdr)
	require.NoError(t, err)
	require.Equal(t, byte(3), hdr[3], "sequence id of the login's answer")
	reply := make([]byte, int(hdr[0])|int(hdr[1])<<8|int(hdr[2])<<16)
	_, err = readFull(nc, reply)
	require.NoError(t, err)
	require.Equal(t, byte(0x00), reply[0], "login failed: %q", reply)
	return nc
}
