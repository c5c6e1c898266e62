package acceptance

import (
	"crypto/tls"
	"database/sql"
	"encoding/binary"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// clientPhase leaves a new client connection to addr in one protocol
// phase and returns it.
type clientPhase struct {
	name  string
	enter func(t *testing.T, addr string, cfg *tls.Config) net.Conn
}

// clientPhases are the protocol phases a client can vanish in, from the
// TCP connect to a cursor left open.
func clientPhases(db *sql.DB) []clientPhase {
	dial := func(t *testing.T, addr string) net.Conn {
		nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
		require.NoError(t, err)
		require.NoError(t, nc.SetDeadline(time.Now().Add(10*time.Second)))
		return nc
	}
	write := func(t *testing.T, nc net.Conn, b []byte) {
		_, err := nc.Write(b)
		require.NoError(t, err)
	}
	return []clientPhase{
		{"connected, greeting unread", func(t *testing.T, addr string, _ *tls.Config) net.Conn {
			return dial(t, addr)
		}},
		{"greeting read", func(t *testing.T, addr string, _ *tls.Config) net.Conn {
			nc := dial(t, addr)
			readPacket(t, nc)
			return nc
		}},
		{"half a handshake response", func(t *testing.T, addr string, _ *tls.Config) net.Conn {
			nc := dial(t, addr)
			readPacket(t, nc)
			write(t, nc, []byte{60, 0, 0, 1, 0x0d, 0xa2, 0, 0})
			return nc
		}},
		{"SSL requested", func(t *testing.T, addr string, _ *tls.Config) net.Conn {
			nc := dial(t, addr)
			readPacket(t, nc)
			body := binary.LittleEndian.AppendUint32(nil, rawClientLongPassword|rawClientProtocol41|rawClientSecureConnection|rawClientSSL)
			body = binary.LittleEndian.AppendUint32(body, 1<<24)
			body = append(body, 45)
			write(t, nc, append([]byte{32, 0, 0, 1}, append(body, make([]byte, 23)...)...))
			return nc
		}},
		{"half a TLS handshake", func(t *testing.T, addr string, _ *tls.Config) net.Conn {
			nc := dial(t, addr)
			readPacket(t, nc)
			body := binary.LittleEndian.AppendUint32(nil, rawClientLongPassword|rawClientProtocol41|rawClientSecureConnection|rawClientSSL)
			body = binary.LittleEndian.AppendUint32(body, 1<<24)
			body = append(body, 45)
			write(t, nc, append([]byte{32, 0, 0, 1}, append(body, make([]byte, 23)...)...))
			write(t, nc, []byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01}) // the start of a ClientHello
			return nc
		}},
		{"TLS up, no login", func(t *testing.T, addr string, cfg *tls.Config) net.Conn {
			return startTLS(t, addr, cfg)
		}},
		{"idle", func(t *testing.T, addr string, _ *tls.Config) net.Conn {
			return rawLogin(t, addr)
		}},
		{"idle over TLS", func(t *testing.T, addr string, cfg *tls.Config) net.Conn {
			return rawLoginTLS(t, addr, cfg)
		}},
		{"half a command", func(t *testing.T, addr string, _ *tls.Config) net.Conn {
			nc := rawLogin(t, addr)
			write(t, nc, append([]byte{100, 0, 0, 0, 0x03}, "SELECT"...))
			return nc
		}},
		{"statement running", func(t *testing.T, addr string, _ *tls.Config) net.Conn {
			nc := rawLogin(t, addr)
			writeCommand(t, nc, append([]byte{0x03}, "SELECT SLEEP(2)"...))
			return nc
		}},
		{"result unread", func(t *testing.T, addr string, cfg *tls.Config) net.Conn {
			nc := rawLoginTLS(t, addr, cfg)
			// About 20 MB: more than the socket buffers hold.
			writeCommand(t, nc, append([]byte{0x03}, "SELECT REPEAT('x', 1000000) FROM vanish.t"...))
			return nc
		}},
		{"transaction open", func(t *testing.T, addr string, _ *tls.Config) net.Conn {
			nc := rawLogin(t, addr)
			writeCommand(t, nc, append([]byte{0x03}, "BEGIN"...))
			readPacket(t, nc)
			writeCommand(t, nc, append([]byte{0x03}, "INSERT INTO vanish.t VALUES (100)"...))
			readPacket(t, nc)
			return nc
		}},
		{"cursor open", func(t *testing.T, addr string, cfg *tls.Config) net.Conn {
			nc := rawLoginTLS(t, addr, cfg)
			id := rawPrepare(t, nc, "SELECT id, 'x' FROM vanish.t WHERE id >= ?")
			writeCommand(t, nc, cursorExecute(id, 0))
			readResultSet(t, nc, true)
			return nc
		}},
	}
}

// TestVanishingClients: a client killed in any protocol phase leaves no
// session behind (SHOW PROCESSLIST), its open transaction is rolled back,
// and a SIGTERM with clients stuck in every phase exits 0 within
// shutdown-timeout plus a few seconds (issue 14: two sessions stayed as
// Sleep for minutes, and a stop took 40 s and exited 1). A real server
// process.
func TestVanishingClients(t *testing.T) {
	certs := testutil.NewTestCerts(t)
	clientTLS := &tls.Config{RootCAs: certs.Pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
	const shutdownTimeout = 2 * time.Second
	p := testutil.StartProcess(t, testutil.BuildBinary(t), t.TempDir(),
		"--tls-cert", certs.CertFile, "--tls-key", certs.KeyFile, "--shutdown-timeout", shutdownTimeout.String())
	db, err := sql.Open("mysql", testutil.DSN("root", "", p.MySQLAddr, ""))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(1)
	mustExec(t, db, "CREATE DATABASE vanish")
	mustExec(t, db, "CREATE TABLE vanish.t (id INT PRIMARY KEY)")
	for i := 1; i <= 20; i++ {
		mustExec(t, db, "INSERT INTO vanish.t VALUES ("+strconv.Itoa(i)+")")
	}
	others := func() int {
		n := 0
		self := queryValue(t, db, "SELECT CONNECTION_ID()")
		for _, row := range queryRows(t, db, "SHOW PROCESSLIST") {
			if row[0] != self {
				n++
			}
		}
		return n
	}
	require.Zero(t, others())

	t.Run("killed", func(t *testing.T) {
		for _, ph := range clientPhases(db) {
			t.Run(ph.name, func(t *testing.T) {
				nc := ph.enter(t, p.MySQLAddr, clientTLS)
				if tc, ok := nc.(*tls.Conn); ok {
					nc = tc.NetConn() // killed: no TLS close_notify
				}
				require.NoError(t, nc.Close())
			})
		}
		// The running SLEEP(2) ends on its own; every other session at
		// once.
		require.Eventually(t, func() bool { return others() == 0 }, 15*time.Second, 100*time.Millisecond,
			"sessions left behind: %v", queryRows(t, db, "SHOW PROCESSLIST"))
		require.Equal(t, "0", queryValue(t, db, "SELECT COUNT(*) FROM vanish.t WHERE id = 100"), "the open transaction was rolled back")
	})

	t.Run("stop with clients in every phase", func(t *testing.T) {
		for _, ph := range clientPhases(db) {
			nc := ph.enter(t, p.MySQLAddr, clientTLS)
			t.Cleanup(func() { _ = nc.Close() })
		}
		start := time.Now()
		p.Stop() // fails the test unless the exit status is 0
		took := time.Since(start)
		require.Less(t, took, shutdownTimeout+5*time.Second, "SIGTERM took %s", took)
	})
}
